// One view of the dashboard: the figures, built from the spec, showing the model store's
// sources. Each view owns its ColumnDataSources (a Bokeh model lives in one document).
// Building is synchronous; `show()` draws (asynchronously) into the page.
import { skipCssVisuals } from "./bokeh.js";
import { acfFigure } from "./figures/acf.js";
import { energyFigure } from "./figures/energy.js";
import { forestFigure } from "./figures/forest.js";
import { histogramFigure } from "./figures/histogram.js";
import { pairGrid } from "./figures/pair.js";
import { rankFigure } from "./figures/rank.js";
import { traceFigure } from "./figures/trace.js";
import { elementMenu, pairPicker, variablePicker } from "./pickers.js";
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

function variableHead(model, variable, disposers) {
  const head = document.createElement("div");
  head.className = "exmc-variable";
  const name = document.createElement("span");
  name.className = "exmc-variable-name";
  name.textContent = variable.name;
  head.append(name);
  if (variable.labels.length > 1) {
    const current = () => model.get("selection")[variable.name] ?? 0;
    const menu = elementMenu(variable.labels, current(), (k) => {
      model.set("selection", { ...model.get("selection"), [variable.name]: k });
      model.save_changes();
    });
    const sync = () => menu.set(current());
    model.on("change:selection", sync);
    disposers.push(() => model.off("change:selection", sync));
    head.append(menu.root);
  }
  if (variable.note) {
    const note = document.createElement("span");
    note.className = "exmc-note";
    note.textContent = variable.note;
    head.append(note);
  }
  return head;
}

// The chains' colours, and the toggle that puts warmup back in the traces' ranges.
function legend(spec, onWarmup) {
  const root = document.createElement("div");
  root.className = "exmc-legend";
  for (let c = 0; c < spec.chains; c++) {
    const item = document.createElement("span");
    item.className = "exmc-legend-item";
    const swatch = document.createElement("span");
    swatch.className = "exmc-swatch";
    swatch.style.background = spec.palette.chains[c % spec.palette.chains.length];
    item.append(swatch, document.createTextNode(`chain ${c}`));
    root.append(item);
  }
  const toggle = document.createElement("label");
  toggle.className = "exmc-warmup-toggle";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.addEventListener("change", () => onWarmup(box.checked));
  toggle.append(box, document.createTextNode("show warmup"));
  root.append(toggle);
  return root;
}

export function buildView(B, model, spec, root) {
  const sources = new Map();
  const shown = []; // [Bokeh root model, element] to show
  const summary = buildSummary();
  const disposers = [];
  const traces = [];
  let showWarmup = false;
  const follow = () => { for (const t of traces) t.follow(showWarmup); };

  const picker = section("exmc-variables");
  // the pickers only where a kernel can compute other panels (not in a saved page)
  const live = (spec.available ?? []).length > 0;
  if (live) picker.append(variablePicker(model, spec));
  picker.append(legend(spec, (on) => { showWarmup = on; follow(); }));

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
    plots.className = "exmc-plots";
    row.append(variableHead(model, variable, disposers), plots);
    rows.append(row);
    const trace = traceFigure(B, spec, variable.name, sources);
    traces.push(trace);
    const figures = [trace.fig, ...[histogramFigure, acfFigure, rankFigure].map((make) => make(B, spec, variable.name, sources))];
    shown.push([new B.Row({ children: figures, sizing_mode: "stretch_width" }), plots]);
  }

  const bottom = section("exmc-bottom");
  const pairBox = section("exmc-pair", "pair plot");
  const energyBox = section("exmc-energy");
  const energyPlot = document.createElement("div");
  const bfmi = document.createElement("div");
  bfmi.className = "exmc-bfmi";
  energyBox.append(energyPlot, bfmi);
  bottom.append(pairBox, energyBox);
  if (spec.pair.length > 0) {
    if (live) pairBox.append(pairPicker(model, spec));
    const grid = document.createElement("div");
    pairBox.append(grid);
    shown.push([pairGrid(B, spec, sources), grid]);
  }
  shown.push([energyFigure(B, spec, sources), energyPlot]);

  root.append(picker, top, rows, bottom);
  const views = [];

  function texts() {
    const text = sources.get("energy/bfmi")?.data.text;
    bfmi.textContent = text && text.length ? text[0] : "";
    follow();
  }

  function load(store) {
    for (const [id, cds] of sources) {
      const data = store.get(id);
      if (data) cds.data = { ...data };
      else cds.data = Object.fromEntries(Object.keys(cds.data).map((k) => [k, []]));
    }
    summary.show(store.get("$table"));
    texts();
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
    texts();
  }

  // Drawing is asynchronous; the caller loads the data and follows the store before it
  // (nothing may arrive unseen in between), so the figures' ranges start from the data.
  async function show() {
    for (const [item, target] of shown) {
      const view = await B.Plotting.show(item, target);
      skipCssVisuals(view);
      views.push(view);
    }
  }

  function remove() {
    for (const dispose of disposers) dispose();
    for (const view of views) view.remove();
  }

  const figures = new Map(spec.variables.map((v, i) => [`trace/${v.name}`, traces[i].fig]));
  return { sources, figures, load, apply, show, remove };
}
