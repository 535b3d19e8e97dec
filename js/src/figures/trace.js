// The trace of one variable: a line per chain, warmup (left of 0, shaded, faint) apart
// from sampling, divergent draws marked in red. The ranges follow the draws: once sampling
// draws arrive they follow those alone (warmup, often far wider, is hidden), unless the
// page's "warmup" toggle shows it; box zoom, x wheel zoom and reset in the toolbar.
import { makeFigure, source } from "../theme.js";

export function traceFigure(B, spec, name, sources) {
  const { palette, chains } = spec;
  const x_range = new B.DataRange1d();
  const y_range = new B.DataRange1d();
  const fig = makeFigure(B, palette, {
    height: 170, min_width: 300, sizing_mode: "stretch_width", title: "trace", x_range, y_range,
    // three tools: a fourth (pan) pushed reset into the toolbar's overflow menu
    tools: "xwheel_zoom,box_zoom,reset", toolbar_location: "right",
  });
  const wheel = fig.toolbar.tools.find((t) => t instanceof B.WheelZoomTool);
  if (wheel) fig.toolbar.active_scroll = wheel;
  fig.toolbar.logo = null;
  fig.toolbar.autohide = false; // the trace's tools always in sight: the wheel zooms here
  const shade = new B.BoxAnnotation({ right: 0, fill_color: palette.muted, fill_alpha: 0.12, line_alpha: 0 });
  fig.add_layout(shade);
  const warmLines = [];
  const drawnLines = [];
  const drawnSources = [];
  for (let c = 0; c < chains; c++) {
    const colour = palette.chains[c % palette.chains.length];
    const warm = source(B, sources, `trace/${name}/w${c}`, ["x", "y"]);
    warmLines.push(fig.line({ x: { field: "x" }, y: { field: "y" }, source: warm, line_color: colour, line_alpha: 0.35, line_width: 1 }));
    const drawn = source(B, sources, `trace/${name}/s${c}`, ["x", "y"]);
    drawnSources.push(drawn);
    drawnLines.push(fig.line({ x: { field: "x" }, y: { field: "y" }, source: drawn, line_color: colour, line_alpha: 0.85, line_width: 1.2 }));
  }
  const divergent = source(B, sources, `div/${name}`, ["x", "y"]);
  const marks = fig.scatter({ x: { field: "x" }, y: { field: "y" }, source: divergent, marker: "x", size: 7, line_color: palette.red, line_width: 1.5 });
  let state = null;
  // which lines the ranges follow: every line until sampling draws exist, then the
  // sampling lines (and the divergences on them) unless warmup is asked for
  function follow(showWarmup) {
    const sampling = drawnSources.some((cds) => cds.get_length() > 0);
    const warmupShown = showWarmup || !sampling;
    const key = `${sampling}/${warmupShown}`;
    if (key === state) return;
    state = key;
    const followed = warmupShown ? [...warmLines, ...drawnLines, marks] : [...drawnLines, marks];
    x_range.renderers = followed;
    y_range.renderers = followed;
    for (const line of warmLines) line.visible = warmupShown;
    shade.visible = warmupShown;
    x_range.reset?.();
    y_range.reset?.();
  }
  return { fig, follow };
}
