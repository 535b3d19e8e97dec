// The energy plot: the marginal energy (amber) against the energy transitions (blue);
// transitions much narrower than the marginal mean the sampler explores poorly (E-BFMI,
// shown by the view as text under the figure, not on the bars).
import { makeFigure, source } from "../theme.js";

export function energyFigure(B, spec, sources) {
  const { palette } = spec;
  const fig = makeFigure(B, palette, { width: 380, height: 230, title: "energy" });
  const marginal = source(B, sources, "energy/marginal", ["left", "right", "top"]);
  const transition = source(B, sources, "energy/transition", ["left", "right", "top"]);
  source(B, sources, "energy/bfmi", ["text"]);
  const quad = (src, colour, label) =>
    fig.quad({
      left: { field: "left" }, right: { field: "right" }, bottom: { value: 0 }, top: { field: "top" },
      source: src, fill_color: colour, fill_alpha: 0.55, line_alpha: 0, legend_label: label,
    });
  quad(marginal, palette.amber, "marginal energy");
  quad(transition, palette.blue, "energy transition");
  fig.legend.setv({
    background_fill_color: palette.background, background_fill_alpha: 0.6, border_line_alpha: 0,
    label_text_color: palette.text, label_text_font_size: "9px", location: "top_right",
  });
  return fig;
}
