// The forest plot: per scalar element, the 94% HDI as an amber line and the mean as a white
// dot (red when its R-hat is flagged), first element on top. Up to 25 rows each is labelled;
// more rows share a bounded height, labelled every k-th (box or wheel zoom to read them).
import { makeFigure, source } from "../theme.js";

const LABELLED = 25;

export function forestFigure(B, spec, sources) {
  const { palette } = spec;
  const labels = spec.forest;
  const n = labels.length;
  const fig = makeFigure(B, palette, {
    width: 380, height: Math.min(Math.max(140, 22 * n + 50), 600), title: "forest: mean and 94% HDI",
    y_range: new B.Range1d({ start: -0.7, end: n - 0.3 }),
  });
  const every = Math.max(1, Math.ceil(n / LABELLED));
  const overrides = new Map();
  labels.forEach((label, k) => { if (k % every === 0) overrides.set(n - 1 - k, label); });
  fig.yaxis.ticker = new B.FixedTicker({ ticks: [...overrides.keys()] });
  fig.yaxis.major_label_overrides = overrides;
  for (const grid of fig.ygrids) grid.visible = false;
  const forest = source(B, sources, "forest", ["y", "mean", "low", "high", "color"]);
  fig.segment({
    x0: { field: "low" }, y0: { field: "y" }, x1: { field: "high" }, y1: { field: "y" },
    source: forest, line_color: palette.amber, line_width: n > LABELLED ? 1.5 : 2.5,
  });
  fig.scatter({ x: { field: "mean" }, y: { field: "y" }, source: forest, size: n > LABELLED ? 4 : 7, fill_color: { field: "color" }, line_color: { field: "color" } });
  return fig;
}
