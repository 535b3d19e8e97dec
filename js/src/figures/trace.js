// The trace of one variable: a line per chain, warmup (left of 0, shaded, faint) apart
// from sampling, divergent draws marked in red.
import { makeFigure, source } from "../theme.js";

export function traceFigure(B, spec, name, sources) {
  const { palette, chains } = spec;
  const fig = makeFigure(B, palette, { width: 470, height: 160, title: "trace" });
  fig.add_layout(new B.BoxAnnotation({ right: 0, fill_color: palette.muted, fill_alpha: 0.12, line_alpha: 0 }));
  for (let c = 0; c < chains; c++) {
    const colour = palette.chains[c % palette.chains.length];
    const warm = source(B, sources, `trace/${name}/w${c}`, ["x", "y"]);
    fig.line({ x: { field: "x" }, y: { field: "y" }, source: warm, line_color: colour, line_alpha: 0.3, line_width: 1 });
    const drawn = source(B, sources, `trace/${name}/s${c}`, ["x", "y"]);
    fig.line({ x: { field: "x" }, y: { field: "y" }, source: drawn, line_color: colour, line_alpha: 0.85, line_width: 1 });
  }
  const divergent = source(B, sources, `div/${name}`, ["x", "y"]);
  fig.scatter({ x: { field: "x" }, y: { field: "y" }, source: divergent, marker: "x", size: 7, line_color: palette.red, line_width: 1.5 });
  return fig;
}
