// The summary table (mean, sd, HDI, ESS bulk/tail, R-hat), rows as Python formatted them,
// in a box that scrolls past ~16 rows; a flagged R-hat shows in red, an ESS below 100 per
// chain (bulk or tail) in red too.
export function buildSummary() {
  const root = document.createElement("div");
  root.className = "exmc-summary";
  const table = document.createElement("table");
  root.append(table);
  function show(data) {
    table.replaceChildren();
    if (!data) return;
    const head = table.createTHead().insertRow();
    for (const c of data.columns) {
      const th = document.createElement("th");
      th.textContent = c;
      head.append(th);
    }
    const bulk = data.columns.indexOf("ess_bulk");
    const tail = data.columns.indexOf("ess_tail");
    const body = table.createTBody();
    data.rows.forEach((cells, r) => {
      const row = body.insertRow();
      if (data.flagged[r]) row.className = "exmc-flagged";
      const low = data.low_ess?.[r] ?? [false, false];
      cells.forEach((text, c) => {
        const cell = row.insertCell();
        cell.textContent = text;
        if (c === 0) cell.className = "exmc-label";
        else if ((c === bulk && low[0]) || (c === tail && low[1])) cell.className = "exmc-low-ess";
      });
    });
  }
  return { root, show };
}
