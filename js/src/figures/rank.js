// The rank plot (Vehtari et al. 2021): each chain's share of the pooled ranks, binned; flat
// lines near 1 when the chains mix, one chain above or below the rest when it is stuck.
import { makeFigure, source } from "../theme.js";

export function rankFigure(B, spec, name, sources) {
  const { palette, chains } = spec;
  const fig = makeFigure(B, palette, { width: 200, height: 170, title: "rank (per chain)", y_range: new B.DataRange1d({ start: 0 }) });
  const columns = ["x", "left", "right", ...Array.from({ length: chains }, (_, c) => `c${c}`)];
  const ranks = source(B, sources, `rank/${name}`, columns);
  fig.add_layout(new B.Span({ location: 1, dimension: "width", line_color: palette.muted, line_dash: "dashed", line_width: 1 }));
  for (let c = 0; c < chains; c++) {
    fig.step({ x: { field: "x" }, y: { field: `c${c}` }, source: ranks, mode: "center", line_color: palette.chains[c % palette.chains.length], line_width: 1.3 });
  }
  return fig;
}
