// Amber on true black: every figure is made here, so the panels look alike. Every figure
// has box zoom, wheel zoom and reset in a toolbar that shows when the pointer is over it;
// the wheel zooms only where a figure asks for it (a trace), so it scrolls the page elsewhere.
export function makeFigure(B, palette, options) {
  const { title, ...rest } = options;
  const fig = B.Plotting.figure({
    tools: "box_zoom,wheel_zoom,reset",
    toolbar_location: "right",
    background_fill_color: palette.background,
    border_fill_color: palette.background,
    outline_line_color: palette.grid,
    min_border_left: 44,
    min_border_right: 8,
    min_border_top: 4,
    min_border_bottom: 24,
    ...rest,
  });
  if (fig.toolbar) {
    fig.toolbar.logo = null;
    fig.toolbar.autohide = true;
    if (!("tools" in rest) || !rest.tools.includes("wheel")) fig.toolbar.active_scroll = null;
  }
  if (title) {
    fig.title.setv({ text: title, text_color: palette.text, text_font_size: "11px", text_font_style: "normal" });
  }
  for (const axis of fig.axes) {
    axis.setv({
      axis_line_color: palette.muted,
      major_tick_line_color: palette.muted,
      minor_tick_line_color: null,
      major_label_text_color: palette.text,
      major_label_text_font_size: "10px",
      axis_label_text_color: palette.text,
      axis_label_text_font_size: "10px",
    });
  }
  for (const grid of fig.grids) grid.setv({ grid_line_color: palette.grid, grid_line_alpha: 0.8 });
  return fig;
}

export function source(B, sources, id, columns) {
  const data = {};
  for (const c of columns) data[c] = [];
  const cds = new B.ColumnDataSource({ data });
  sources.set(id, cds);
  return cds;
}
