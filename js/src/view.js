// One view of the dashboard: the figures, built from the spec, showing the model store's
// sources. Each view owns its ColumnDataSources (a Bokeh model lives in one document).
// Building is synchronous; `show()` draws (asynchronously) into the page.
import { acfFigure } from "./figures/acf.js";
import { energyFigure } from "./figures/energy.js";
import { forestFigure } from "./figures/forest.js";
import { histogramFigure } from "./figures/histogram.js";
import { pairGrid } from "./figures/pair.js";
import { traceFigure } from "./figures/trace.js";
import { buildSummary } from "./summary.js";

function section(className, title) {
  const root = document.createElement("div");
  root.className = `exmc-section ${className}`;
  if (title) {
    const h = document.createElement("div");
    h.className = "exmc-section-title";
    h.textContent = title;
    root.append(h);
  }
  return root;
}

function variableHead(model, variable) {
  const head = document.createElement("div");
  head.className = "exmc-variable";
  const name = document.createElement("span");
  name.className = "exmc-variable-name";
  name.textContent = variable.name;
  head.append(name);
  if (variable.labels.length > 1) {
    const select = document.createElement("select");
    select.className = "exmc-element";
    variable.labels.forEach((label, k) => select.add(new Option(label, String(k))));
    const sync = () => {
      select.value = String(model.get("selection")[variable.name] ?? 0);
    };
    select.addEventListener("change", () => {
      model.set("selection", { ...model.get("selection"), [variable.name]: Number(select.value) });
      model.save_changes();
    });
    model.on("change:selection", sync);
    sync();
    head.append(select);
  }
  return head;
}

export function buildView(B, model, spec, root) {
  const sources = new Map();
  const shown = []; // [Bokeh root model, element] to show
  const summary = buildSummary();

  const top = section("exmc-top");
  const summaryBox = section("exmc-summary-box", "summary");
  summaryBox.append(summary.root);
  const forestBox = section("exmc-forest");
  top.append(summaryBox, forestBox);
  shown.push([forestFigure(B, spec, sources), forestBox]);

  const rows = section("exmc-rows");
  for (const variable of spec.variables) {
    const row = document.createElement("div");
    row.className = "exmc-row";
    row.dataset.variable = variable.name;
    const plots = document.createElement("div");
    row.append(variableHead(model, variable), plots);
    rows.append(row);
    const figures = [traceFigure, histogramFigure, acfFigure].map((make) => make(B, spec, variable.name, sources));
    shown.push([new B.Row({ children: figures }), plots]);
  }

  const bottom = section("exmc-bottom");
  const pairBox = section("exmc-pair", "pair plot");
  const energyBox = section("exmc-energy");
  bottom.append(pairBox, energyBox);
  if (spec.pair.length > 0) shown.push([pairGrid(B, spec, sources), pairBox]);
  shown.push([energyFigure(B, spec, sources), energyBox]);

  root.append(top, rows, bottom);
  const views = [];

  function load(store) {
    for (const [id, cds] of sources) {
      const data = store.get(id);
      if (data) cds.data = { ...data };
      else cds.data = Object.fromEntries(Object.keys(cds.data).map((k) => [k, []]));
    }
    summary.show(store.get("$table"));
  }

  function apply(ops) {
    for (const op of ops) {
      if (op.op === "table") {
        summary.show(op);
        continue;
      }
      const cds = sources.get(op.source);
      if (cds === undefined) continue;
      if (op.op === "stream") cds.stream({ ...op.data });
      else cds.data = { ...op.data };
    }
  }

  // Drawing is asynchronous; the caller loads the data and follows the store before it
  // (nothing may arrive unseen in between), so the figures' ranges start from the data.
  async function show() {
    for (const [item, target] of shown) views.push(await B.Plotting.show(item, target));
  }

  function remove() {
    for (const view of views) view.remove();
  }

  return { sources, load, apply, show, remove };
}
