// The pair plot, k x k: histograms on the diagonal, scatter below (divergent draws in red),
// correlation coefficients above. Three ticks an axis, so that the labels never overlap.
import { makeFigure, source } from "../theme.js";

export function pairGrid(B, spec, sources) {
  const { palette } = spec;
  const labels = spec.pair;
  const k = labels.length;
  const size = k > 3 ? 170 : 200;
  const rows = [];
  for (let i = 0; i < k; i++) {
    const row = [];
    for (let j = 0; j < k; j++) {
      const options = { width: size + (j === 0 ? 30 : 0), height: size + (i === k - 1 ? 20 : 0), min_border_left: j === 0 ? 60 : 30, min_border_bottom: i === k - 1 ? 40 : 20 };
      if (i === k - 1) options.x_axis_label = labels[j];
      if (j === 0) options.y_axis_label = labels[i];
      if (i < j) {
        options.x_range = new B.Range1d({ start: -1, end: 1 });
        options.y_range = new B.Range1d({ start: -1, end: 1 });
      }
      const fig = makeFigure(B, palette, options);
      for (const axis of fig.axes) {
        axis.ticker.desired_num_ticks = 3;
        axis.major_label_text_font_size = "9px";
      }
      if (i === j) {
        const hist = source(B, sources, `pairhist/${i}`, ["left", "right", "top"]);
        fig.quad({
          left: { field: "left" }, right: { field: "right" }, bottom: { value: 0 }, top: { field: "top" },
          source: hist, fill_color: palette.amber, fill_alpha: 0.75, line_alpha: 0,
        });
      } else if (i > j) {
        const cell = source(B, sources, `pair/${i}/${j}`, ["x", "y"]);
        fig.scatter({ x: { field: "x" }, y: { field: "y" }, source: cell, size: 2.5, fill_color: palette.amber, fill_alpha: 0.35, line_alpha: 0 });
        const divergent = source(B, sources, `pairdiv/${i}/${j}`, ["x", "y"]);
        fig.scatter({ x: { field: "x" }, y: { field: "y" }, source: divergent, size: 4, fill_color: palette.red, line_alpha: 0 });
      } else {
        const corr = source(B, sources, `paircorr/${i}/${j}`, ["x", "y", "text", "size"]);
        fig.text({
          x: { field: "x" }, y: { field: "y" }, text: { field: "text" }, source: corr,
          text_color: palette.amber, text_align: "center", text_baseline: "middle", text_font_size: "20px",
        });
        for (const axis of fig.axes) axis.visible = false;
        for (const grid of fig.grids) grid.visible = false;
      }
      row.push(fig);
    }
    rows.push(row);
  }
  return B.Plotting.gridplot(rows, { toolbar_location: "right" });
}
