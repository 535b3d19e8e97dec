// The energy plot: the marginal energy (amber) against the energy transitions (blue);
// transitions much narrower than the marginal mean the sampler explores poorly (E-BFMI).
import { makeFigure, source } from "../theme.js";

export function energyFigure(B, spec, sources) {
  const { palette } = spec;
  const fig = makeFigure(B, palette, { width: 360, height: 220, title: "energy" });
  const marginal = source(B, sources, "energy/marginal", ["left", "right", "top"]);
  const transition = source(B, sources, "energy/transition", ["left", "right", "top"]);
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
  const bfmi = source(B, sources, "energy/bfmi", ["text"]);
  fig.add_layout(new B.LabelSet({
    x: { value: 6 }, y: { value: 6 }, x_units: "screen", y_units: "screen", text: { field: "text" },
    source: bfmi, text_color: palette.text, text_font_size: "9px",
  }));
  return fig;
}
