// One view of the dashboard: the figures, built from the spec, showing the model store's
// sources. Each view owns its ColumnDataSources (a Bokeh model lives in one document).
// Building is synchronous; `show()` draws (asynchronously) into the page.
import { skipStyleReads } from "./bokeh.js";
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

// How the figures follow the store. BokehJS repaints a whole figure (axes, labels, every
// glyph) when any of its sources changes, and every repaint requested in a frame runs in one
// task: a page that redrew every panel at every message ran frames of a second or more on the
// 85-group model, and its main thread was always busy, so a click and the kernel's messages
// waited seconds behind the drawing (issue 13). The store keeps every message (that is cheap);
// the figures follow it a few figures a frame, round robin (fewer when a frame took more
// than SLOW_FRAME_MS, more when less than FAST_FRAME_MS), and after each drawn frame the page
// rests as long as the drawing took, so at most about half of its main thread goes to drawing.
const SLOW_FRAME_MS = 100;
const FAST_FRAME_MS = 50;
const PAUSE_MS = 2000;

function nextFrame(fn) {
  if (typeof requestAnimationFrame === "function") return { raf: requestAnimationFrame(fn) };
  return { timeout: setTimeout(fn, 16) };
}

export function buildView(B, model, spec, root) {
  const sources = new Map();
  const groupOf = new Map(); // source id -> its group: the figure (or pair grid) it draws in
  let groups = 0;
  // the sources make() adds form one group, or one per cell(id) (the pair grid's figures)
  const grouped = (make, cell = () => "") => {
    const before = new Set(sources.keys());
    const made = make();
    const cells = new Map();
    for (const id of sources.keys()) {
      if (before.has(id)) continue;
      if (!cells.has(cell(id))) cells.set(cell(id), groups++);
      groupOf.set(id, cells.get(cell(id)));
    }
    return made;
  };
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
  shown.push([grouped(() => forestFigure(B, spec, sources)), forestBox]);

  const rows = section("exmc-rows");
  for (const variable of spec.variables) {
    const row = document.createElement("div");
    row.className = "exmc-row";
    row.dataset.variable = variable.name;
    const plots = document.createElement("div");
    plots.className = "exmc-plots";
    row.append(variableHead(model, variable, disposers), plots);
    rows.append(row);
    // one group per figure: a frame may redraw a single figure
    const trace = grouped(() => traceFigure(B, spec, variable.name, sources));
    traces.push(trace);
    const others = [histogramFigure, acfFigure, rankFigure].map((make) => grouped(() => make(B, spec, variable.name, sources)));
    const figures = [trace.fig, ...others];
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
    // pair/i/j, pairdiv/i/j, paircorr/i/j, pairhist/i: one group per cell of the grid
    shown.push([grouped(() => pairGrid(B, spec, sources), (id) => id.split("/").slice(1).join("/")), grid]);
  }
  shown.push([grouped(() => energyFigure(B, spec, sources)), energyPlot]);

  root.append(picker, top, rows, bottom);
  const views = [];

  function texts() {
    const text = sources.get("energy/bfmi")?.data.text;
    bfmi.textContent = text && text.length ? text[0] : "";
    follow();
  }

  let current = new Map(); // the store's sources: what the figures follow
  const dirty = new Map(); // group -> ids of its sources changed since the group was drawn
  let perFrame = Infinity;
  let cursor = 0;
  let lastFrame = null;
  let frame = null;

  function draw(id) {
    const cds = sources.get(id);
    const data = current.get(id);
    if (data) cds.data = { ...data };
    else cds.data = Object.fromEntries(Object.keys(cds.data).map((k) => [k, []]));
  }

  function load(store) {
    current = store;
    dirty.clear();
    for (const id of sources.keys()) draw(id);
    summary.show(store.get("$table"));
    texts();
  }

  // A frame: the groups due are given their data (BokehJS paints them at the next frame).
  function flush() {
    frame = null;
    lastFrame = performance.now(); // a frame's cost: giving the groups their data, then painting
    const due = (g) => (g - cursor + groups) % groups;
    const order = [...dirty.keys()].sort((a, b) => due(a) - due(b)).slice(0, perFrame);
    for (const g of order) {
      for (const id of dirty.get(g)) draw(id);
      dirty.delete(g);
      cursor = (g + 1) % groups;
    }
    texts();
    frame = nextFrame(painted);
  }

  // The next frame, after BokehJS's own callbacks there have painted what flush gave it
  // (frame callbacks run in the order they were asked for): rest as long, then go on.
  function painted() {
    const took = performance.now() - lastFrame;
    if (took > SLOW_FRAME_MS) perFrame = Math.max(1, Math.floor(Math.min(perFrame, groups) / 2));
    else if (took < FAST_FRAME_MS) perFrame = Math.min(groups, perFrame + 1);
    frame = null;
    if (dirty.size > 0) frame = { timeout: setTimeout(() => { frame = null; schedule(); }, took) };
  }

  function schedule() {
    if (frame !== null) return;
    const wait = pausedUntil - performance.now();
    if (wait > 0) frame = { timeout: setTimeout(() => { frame = null; schedule(); }, wait) };
    else frame = nextFrame(flush);
  }

  // Stop was clicked: what the user waits for now is the title saying where the run stopped,
  // so the figures rest (for at most PAUSE_MS) and the page's main thread takes the kernel's
  // messages as they come; the figures catch up with the store afterwards.
  let pausedUntil = 0;
  function pause() {
    pausedUntil = performance.now() + PAUSE_MS;
  }

  function apply(ops) {
    for (const op of ops) {
      if (op.op === "table") {
        summary.show(op);
        continue;
      }
      if (!sources.has(op.source)) continue;
      const g = groupOf.get(op.source);
      if (!dirty.has(g)) dirty.set(g, new Set());
      dirty.get(g).add(op.source);
    }
    schedule();
  }

  // Drawing is asynchronous; the caller loads the data and follows the store before it
  // (nothing may arrive unseen in between), so the figures' ranges start from the data.
  async function show() {
    for (const [item, target] of shown) {
      const view = await B.Plotting.show(item, target);
      skipStyleReads(view);
      views.push(view);
    }
  }

  function remove() {
    if (frame?.raf !== undefined) cancelAnimationFrame(frame.raf);
    if (frame?.timeout !== undefined) clearTimeout(frame.timeout);
    frame = null;
    for (const dispose of disposers) dispose();
    for (const view of views) view.remove();
  }

  const figures = new Map(spec.variables.map((v, i) => [`trace/${v.name}`, traces[i].fig]));
  return { sources, figures, load, apply, pause, show, remove };
}
