// The summary table (mean, sd, HDI, ESS bulk/tail, R-hat), rows as Python formatted them;
// a row whose R-hat is flagged shows it in red.
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
    const body = table.createTBody();
    data.rows.forEach((cells, r) => {
      const row = body.insertRow();
      if (data.flagged[r]) row.className = "exmc-flagged";
      cells.forEach((text, c) => {
        const cell = row.insertCell();
        cell.textContent = text;
        if (c === 0) cell.className = "exmc-label";
      });
    });
  }
  return { root, show };
}
