// The forest plot: per scalar element, the 94% HDI as an amber line and the mean as a white
// dot (red when its R-hat is flagged), first element on top.
import { makeFigure, source } from "../theme.js";

export function forestFigure(B, spec, sources) {
  const { palette } = spec;
  const labels = spec.forest;
  const n = labels.length;
  const fig = makeFigure(B, palette, {
    width: 360, height: Math.max(140, 22 * n + 50), title: "forest: mean and 94% HDI",
    y_range: new B.Range1d({ start: -0.7, end: n - 0.3 }),
  });
  const overrides = new Map(labels.map((label, k) => [n - 1 - k, label]));
  fig.yaxis.ticker = new B.FixedTicker({ ticks: [...overrides.keys()] });
  fig.yaxis.major_label_overrides = overrides;
  for (const grid of fig.ygrids) grid.visible = false;
  const forest = source(B, sources, "forest", ["y", "mean", "low", "high", "color"]);
  fig.segment({
    x0: { field: "low" }, y0: { field: "y" }, x1: { field: "high" }, y1: { field: "y" },
    source: forest, line_color: palette.amber, line_width: 2.5,
  });
  fig.scatter({ x: { field: "mean" }, y: { field: "y" }, source: forest, size: 7, fill_color: { field: "color" }, line_color: { field: "color" } });
  return fig;
}
