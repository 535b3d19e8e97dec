// The posterior density of one variable: a histogram of every chain's draws.
import { makeFigure, source } from "../theme.js";

export function histogramFigure(B, spec, name, sources) {
  const { palette } = spec;
  const fig = makeFigure(B, palette, { width: 220, height: 170, title: "posterior" });
  for (const axis of fig.below) axis.ticker.desired_num_ticks = 4;
  const hist = source(B, sources, `hist/${name}`, ["left", "right", "top"]);
  fig.quad({
    left: { field: "left" }, right: { field: "right" }, bottom: { value: 0 }, top: { field: "top" },
    source: hist, fill_color: palette.amber, fill_alpha: 0.75, line_color: palette.background, line_width: 0.5,
  });
  return fig;
}
