// The autocorrelation of one variable, averaged over chains, by lag.
import { makeFigure, source } from "../theme.js";

export function acfFigure(B, spec, name, sources) {
  const { palette } = spec;
  const fig = makeFigure(B, palette, { width: 200, height: 170, title: "autocorrelation", y_range: new B.Range1d({ start: -0.25, end: 1.05 }) });
  const acf = source(B, sources, `acf/${name}`, ["lag", "acf"]);
  fig.vbar({ x: { field: "lag" }, top: { field: "acf" }, width: 0.7, source: acf, fill_color: palette.amber, line_alpha: 0 });
  fig.add_layout(new B.Span({ location: 0, dimension: "width", line_color: palette.muted, line_width: 1 }));
  return fig;
}
