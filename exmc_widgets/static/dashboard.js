/* exmc dashboard, built by js/build.mjs from js/src; sources-sha256: d83d976b906c6c21c13985be2df210d885cce0687323e4e620efc6cdabf25b58 */

// src/bokeh.js
var loading = globalThis.__exmc_bokeh ?? (globalThis.__exmc_bokeh = /* @__PURE__ */ new Map());
function evaluate(source2) {
  const script = document.createElement("script");
  script.textContent = source2;
  document.head.appendChild(script);
  script.remove();
}
function ready(version) {
  const bokeh = globalThis.Bokeh?.[version];
  return bokeh?.Plotting !== void 0 ? bokeh : void 0;
}
function loadBokeh(model) {
  const version = model.get("bokeh_version");
  if (ready(version)) return Promise.resolve(ready(version));
  if (!loading.has(version)) {
    const promise = (async () => {
      const ref = model.get("_bokeh");
      const loader = await model.widget_manager.get_model(String(ref).replace(/^IPY_MODEL_/, ""));
      const names = loader.get("names");
      const files = loader.get("files");
      const decoder = new TextDecoder();
      names.forEach((name, i) => {
        if (name === "bokeh.min.js" && globalThis.Bokeh?.[version]) return;
        evaluate(decoder.decode(files[i]));
      });
      const bokeh = ready(version);
      if (!bokeh) throw new Error(`BokehJS ${version} did not load`);
      return bokeh;
    })();
    loading.set(version, promise);
    promise.catch(() => loading.delete(version));
  }
  return loading.get(version);
}
var isView = (x) => x !== null && typeof x === "object" && "model" in x && "parent" in x;
function descriptorOf(object, name) {
  for (let proto = Object.getPrototypeOf(object); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor !== void 0) return descriptor;
  }
  return void 0;
}
function keepFontSize(view) {
  const read = descriptorOf(view, "base_font_size")?.get;
  if (read === void 0 || Object.prototype.hasOwnProperty.call(view, "base_font_size")) return;
  let size = null;
  Object.defineProperty(view, "base_font_size", {
    configurable: true,
    get() {
      if (size === null) size = read.call(this);
      return size;
    }
  });
}
function skipStyleReads(root) {
  const seen = /* @__PURE__ */ new Set();
  const stack = [root];
  while (stack.length > 0) {
    const view = stack.pop();
    if (!isView(view) || seen.has(view)) continue;
    seen.add(view);
    keepFontSize(view);
    const visuals = view.visuals;
    if (visuals && typeof visuals[Symbol.iterator] === "function") {
      for (const visual of visuals) {
        if (typeof visual?._get_css_value === "function") visual._get_css_value = () => "";
      }
    }
    for (const [key, value] of Object.entries(view)) {
      if (key === "parent" || key === "root") continue;
      if (value instanceof Map) stack.push(...value.values());
      else if (Array.isArray(value)) stack.push(...value);
      else stack.push(value);
    }
  }
}

// src/header.js
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== void 0) node.textContent = text;
  return node;
}
function number(x, digits) {
  return Number.isFinite(x) ? x.toLocaleString(void 0, { maximumFractionDigits: digits }) : "\u2013";
}
function buildHeader(model, onStop = () => {
}) {
  const root = el("div", "exmc-header");
  const title = el("div", "exmc-title");
  const stats = el("div", "exmc-stats");
  const controls = el("div", "exmc-controls");
  const stop = el("button", "exmc-button exmc-stop", "Stop");
  const more = el("input", "exmc-draws");
  more.type = "number";
  more.min = "1";
  more.step = "100";
  const extend = el("button", "exmc-button exmc-extend");
  const message = el("div", "exmc-message");
  controls.append(stop, more, extend);
  root.append(title, stats, controls, message);
  const field = (label, value, className = "") => {
    const span = el("span", `exmc-stat ${className}`);
    span.append(el("span", "exmc-stat-label", label), el("span", "exmc-stat-value", value));
    return span;
  };
  function update() {
    const state2 = model.get("state");
    title.textContent = model.get("title");
    title.dataset.state = state2;
    stats.replaceChildren(
      field("phase", model.get("phase") || state2),
      // no rate measured (a finished trace's dashboard, or before the first batch): a dash
      field("draws/s", number(model.get("rate") > 0 ? model.get("rate") : NaN, 0)),
      field("divergences", String(model.get("divergences")), model.get("divergences") > 0 ? "exmc-alert" : ""),
      field("step size", number(model.get("step_size"), 4))
    );
    const running = state2 === "compiling" || state2 === "warmup" || state2 === "sampling";
    if (!running) stopping = false;
    stop.disabled = !running || stopping;
    stop.textContent = stopping ? "Stopping\u2026" : "Stop";
    const canExtend = model.get("can_extend") && !running;
    extend.disabled = !canExtend;
    more.disabled = !canExtend;
    stop.hidden = !running;
    more.hidden = extend.hidden = running || !model.get("can_extend");
    controls.hidden = stop.hidden && extend.hidden;
    if (document.activeElement !== more) more.value = String(model.get("extend_draws"));
    extend.textContent = `+${more.value || model.get("extend_draws")} draws`;
    message.textContent = model.get("message");
    message.hidden = !model.get("message");
  }
  let stopping = false;
  const requestStop = () => {
    if (stopping || stop.disabled) return;
    stopping = true;
    model.send({ type: "stop", sent: Date.now() });
    onStop();
    setTimeout(update, 0);
  };
  stop.addEventListener("pointerdown", (event) => {
    event.stopPropagation();
    if (event.button === 0) requestStop();
  });
  stop.addEventListener("mousedown", (event) => {
    event.stopPropagation();
    event.preventDefault();
  });
  stop.addEventListener("click", requestStop);
  more.addEventListener("input", () => {
    extend.textContent = `+${more.value} draws`;
  });
  extend.addEventListener("click", () => {
    const draws = Math.floor(Number(more.value));
    if (draws > 0) {
      model.set("extend_draws", draws);
      model.save_changes();
      extend.disabled = true;
      model.send({ type: "extend", draws });
    }
  });
  const traits = ["title", "state", "phase", "rate", "divergences", "step_size", "can_extend", "extend_draws", "message"];
  for (const t of traits) model.on(`change:${t}`, update);
  update();
  return { root, dispose: () => {
    for (const t of traits) model.off(`change:${t}`, update);
  } };
}

// src/protocol.js
var ARRAYS = {
  float64: Float64Array,
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array
};
function typedArray(ref, buffers) {
  const Kind = ARRAYS[ref.dtype];
  if (Kind === void 0) throw new Error(`exmc: unknown dtype ${ref.dtype}`);
  const view = buffers[ref["$buffer"]];
  const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return new Kind(bytes);
}
function decode(value, buffers) {
  if (Array.isArray(value)) return value.map((v) => decode(v, buffers));
  if (value !== null && typeof value === "object") {
    if ("$buffer" in value) return typedArray(value, buffers);
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v, buffers);
    return out;
  }
  return value;
}
function concat(a, b) {
  if (Array.isArray(a)) return a.concat(Array.from(b));
  const out = new a.constructor(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
function applyOps(sources, ops) {
  for (const op of ops) {
    if (op.op === "replace") {
      sources.set(op.source, { ...op.data });
    } else if (op.op === "stream") {
      const old = sources.get(op.source);
      if (old === void 0) {
        sources.set(op.source, { ...op.data });
      } else {
        const next = {};
        for (const [k, v] of Object.entries(op.data)) next[k] = k in old ? concat(old[k], v) : v;
        sources.set(op.source, next);
      }
    } else if (op.op === "table") {
      sources.set("$table", { columns: op.columns, rows: op.rows, flagged: op.flagged });
    } else {
      throw new Error(`exmc: unknown op ${op.op}`);
    }
  }
}

// src/store.js
var ModelStore = class {
  constructor(model) {
    this.model = model;
    this.sources = /* @__PURE__ */ new Map();
    this.seq = 0;
    this.synced = false;
    this.asked = false;
    this.listeners = /* @__PURE__ */ new Set();
    this.toAck = 0;
    this.log = [];
    this.titles = [];
    this.onTitle = () => {
      this.titles.push([Date.now(), model.get("title")]);
      if (this.titles.length > 2e3) this.titles.splice(0, this.titles.length - 2e3);
    };
    model.on("change:title", this.onTitle);
    this.onMessage = (msg, buffers) => this.handle(msg, buffers ?? []);
    model.on("msg:custom", this.onMessage);
    this.askSnapshot();
  }
  askSnapshot() {
    this.asked = true;
    this.model.send({ type: "ready" });
  }
  handle(msg, buffers) {
    if (msg?.type !== "ops") return;
    const arrived = Date.now();
    const started = performance.now();
    try {
      this.apply(msg, buffers);
      if (this.synced && this.seq === msg.seq) this.acknowledge(msg.seq);
    } finally {
      this.log.push([msg.seq, arrived, performance.now() - started]);
      if (this.log.length > 2e3) this.log.splice(0, this.log.length - 2e3);
    }
  }
  apply(msg, buffers) {
    if (msg.snapshot) {
      this.sources.clear();
      applyOps(this.sources, decode(msg.ops, buffers));
      this.synced = true;
      this.asked = false;
      this.seq = msg.seq;
      this.notify(null);
      return;
    }
    const inStep = this.synced ? msg.seq === this.seq + 1 : msg.seq === 1;
    if (!inStep) {
      this.synced = false;
      if (!this.asked) this.askSnapshot();
      return;
    }
    const ops = decode(msg.ops, buffers);
    applyOps(this.sources, ops);
    this.synced = true;
    this.seq = msg.seq;
    this.notify(ops);
  }
  // One acknowledgement for every message applied before the next frame is drawn (a page
  // without frames, a hidden tab, acknowledges after a second).
  acknowledge(seq) {
    const pending = this.toAck > 0;
    this.toAck = Math.max(this.toAck, seq);
    if (pending) return;
    let done = false;
    const send = () => {
      if (done) return;
      done = true;
      const acked = this.toAck;
      this.toAck = 0;
      try {
        this.model.send({ type: "ack", seq: acked, sent: Date.now() });
      } catch (error) {
        console.error("exmc dashboard:", error);
      }
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => setTimeout(send, 0));
    setTimeout(send, 1e3);
  }
  // listener(ops): ops to apply, or null when everything must be reloaded from the store
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  notify(ops) {
    for (const listener of this.listeners) {
      try {
        listener(ops);
      } catch (error) {
        console.error("exmc dashboard:", error);
      }
    }
  }
  dispose() {
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:title", this.onTitle);
    this.listeners.clear();
  }
};

// src/theme.js
function makeFigure(B, palette, options) {
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
    ...rest
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
      axis_label_text_font_size: "10px"
    });
  }
  for (const grid of fig.grids) grid.setv({ grid_line_color: palette.grid, grid_line_alpha: 0.8 });
  return fig;
}
function source(B, sources, id, columns) {
  const data = {};
  for (const c of columns) data[c] = [];
  const cds = new B.ColumnDataSource({ data });
  sources.set(id, cds);
  return cds;
}

// src/figures/acf.js
function acfFigure(B, spec, name, sources) {
  const { palette } = spec;
  const fig = makeFigure(B, palette, { width: 200, height: 170, title: "autocorrelation", y_range: new B.Range1d({ start: -0.25, end: 1.05 }) });
  const acf = source(B, sources, `acf/${name}`, ["lag", "acf"]);
  fig.vbar({ x: { field: "lag" }, top: { field: "acf" }, width: 0.7, source: acf, fill_color: palette.amber, line_alpha: 0 });
  fig.add_layout(new B.Span({ location: 0, dimension: "width", line_color: palette.muted, line_width: 1 }));
  return fig;
}

// src/figures/energy.js
function energyFigure(B, spec, sources) {
  const { palette } = spec;
  const fig = makeFigure(B, palette, { width: 380, height: 230, title: "energy" });
  const marginal = source(B, sources, "energy/marginal", ["left", "right", "top"]);
  const transition = source(B, sources, "energy/transition", ["left", "right", "top"]);
  source(B, sources, "energy/bfmi", ["text"]);
  const quad = (src, colour, label) => fig.quad({
    left: { field: "left" },
    right: { field: "right" },
    bottom: { value: 0 },
    top: { field: "top" },
    source: src,
    fill_color: colour,
    fill_alpha: 0.55,
    line_alpha: 0,
    legend_label: label
  });
  quad(marginal, palette.amber, "marginal energy");
  quad(transition, palette.blue, "energy transition");
  fig.legend.setv({
    background_fill_color: palette.background,
    background_fill_alpha: 0.6,
    border_line_alpha: 0,
    label_text_color: palette.text,
    label_text_font_size: "9px",
    location: "top_right"
  });
  return fig;
}

// src/figures/forest.js
var LABELLED = 25;
function forestFigure(B, spec, sources) {
  const { palette } = spec;
  const labels = spec.forest;
  const n = labels.length;
  const fig = makeFigure(B, palette, {
    width: 380,
    height: Math.min(Math.max(140, 22 * n + 50), 600),
    title: "forest: mean and 94% HDI",
    y_range: new B.Range1d({ start: -0.7, end: n - 0.3 })
  });
  const every = Math.max(1, Math.ceil(n / LABELLED));
  const overrides = /* @__PURE__ */ new Map();
  labels.forEach((label, k) => {
    if (k % every === 0) overrides.set(n - 1 - k, label);
  });
  fig.yaxis.ticker = new B.FixedTicker({ ticks: [...overrides.keys()] });
  fig.yaxis.major_label_overrides = overrides;
  for (const grid of fig.ygrids) grid.visible = false;
  const forest = source(B, sources, "forest", ["y", "mean", "low", "high", "color"]);
  fig.segment({
    x0: { field: "low" },
    y0: { field: "y" },
    x1: { field: "high" },
    y1: { field: "y" },
    source: forest,
    line_color: palette.amber,
    line_width: n > LABELLED ? 1.5 : 2.5
  });
  fig.scatter({ x: { field: "mean" }, y: { field: "y" }, source: forest, size: n > LABELLED ? 4 : 7, fill_color: { field: "color" }, line_color: { field: "color" } });
  return fig;
}

// src/figures/histogram.js
function histogramFigure(B, spec, name, sources) {
  const { palette } = spec;
  const fig = makeFigure(B, palette, { width: 220, height: 170, title: "posterior" });
  for (const axis of fig.below) axis.ticker.desired_num_ticks = 4;
  const hist = source(B, sources, `hist/${name}`, ["left", "right", "top"]);
  fig.quad({
    left: { field: "left" },
    right: { field: "right" },
    bottom: { value: 0 },
    top: { field: "top" },
    source: hist,
    fill_color: palette.amber,
    fill_alpha: 0.75,
    line_color: palette.background,
    line_width: 0.5
  });
  return fig;
}

// src/figures/pair.js
function pairGrid(B, spec, sources) {
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
          left: { field: "left" },
          right: { field: "right" },
          bottom: { value: 0 },
          top: { field: "top" },
          source: hist,
          fill_color: palette.amber,
          fill_alpha: 0.75,
          line_alpha: 0
        });
      } else if (i > j) {
        const cell = source(B, sources, `pair/${i}/${j}`, ["x", "y"]);
        fig.scatter({ x: { field: "x" }, y: { field: "y" }, source: cell, size: 2.5, fill_color: palette.amber, fill_alpha: 0.35, line_alpha: 0 });
        const divergent = source(B, sources, `pairdiv/${i}/${j}`, ["x", "y"]);
        fig.scatter({ x: { field: "x" }, y: { field: "y" }, source: divergent, size: 4, fill_color: palette.red, line_alpha: 0 });
      } else {
        const corr = source(B, sources, `paircorr/${i}/${j}`, ["x", "y", "text", "size"]);
        fig.text({
          x: { field: "x" },
          y: { field: "y" },
          text: { field: "text" },
          source: corr,
          text_color: palette.amber,
          text_align: "center",
          text_baseline: "middle",
          text_font_size: "20px"
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

// src/figures/rank.js
function rankFigure(B, spec, name, sources) {
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

// src/figures/trace.js
function traceFigure(B, spec, name, sources) {
  const { palette, chains } = spec;
  const x_range = new B.DataRange1d();
  const y_range = new B.DataRange1d();
  const fig = makeFigure(B, palette, {
    height: 170,
    min_width: 300,
    sizing_mode: "stretch_width",
    title: "trace",
    x_range,
    y_range,
    // three tools: a fourth (pan) pushed reset into the toolbar's overflow menu
    tools: "xwheel_zoom,box_zoom,reset",
    toolbar_location: "right"
  });
  const wheel = fig.toolbar.tools.find((t) => t instanceof B.WheelZoomTool);
  if (wheel) fig.toolbar.active_scroll = wheel;
  fig.toolbar.logo = null;
  fig.toolbar.autohide = false;
  const shade = new B.BoxAnnotation({ right: 0, fill_color: palette.muted, fill_alpha: 0.12, line_alpha: 0 });
  fig.add_layout(shade);
  const warmLines = [];
  const drawnLines = [];
  const drawnSources = [];
  for (let c = 0; c < chains; c++) {
    const colour = palette.chains[c % palette.chains.length];
    const warm = source(B, sources, `trace/${name}/w${c}`, ["x", "y"]);
    warmLines.push(fig.line({ x: { field: "x" }, y: { field: "y" }, source: warm, line_color: colour, line_alpha: 0.35, line_width: 1 }));
    const drawn = source(B, sources, `trace/${name}/s${c}`, ["x", "y"]);
    drawnSources.push(drawn);
    drawnLines.push(fig.line({ x: { field: "x" }, y: { field: "y" }, source: drawn, line_color: colour, line_alpha: 0.85, line_width: 1.2 }));
  }
  const divergent = source(B, sources, `div/${name}`, ["x", "y"]);
  const marks = fig.scatter({ x: { field: "x" }, y: { field: "y" }, source: divergent, marker: "x", size: 7, line_color: palette.red, line_width: 1.5 });
  let state2 = null;
  function follow(showWarmup) {
    const sampling = drawnSources.some((cds) => cds.get_length() > 0);
    const warmupShown = showWarmup || !sampling;
    const key = `${sampling}/${warmupShown}`;
    if (key === state2) return;
    state2 = key;
    const followed = warmupShown ? [...warmLines, ...drawnLines, marks] : [...drawnLines, marks];
    x_range.renderers = followed;
    y_range.renderers = followed;
    for (const line of warmLines) line.visible = warmupShown;
    shade.visible = warmupShown;
    x_range.reset?.();
    y_range.reset?.();
  }
  return { fig, follow };
}

// src/pickers.js
var counter = 0;
function el2(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== void 0) node.textContent = text;
  return node;
}
function elementMenu(labels, current, onPick, className = "exmc-element") {
  const input = el2("input", className);
  input.type = "search";
  input.spellcheck = false;
  input.placeholder = "element";
  const list = el2("datalist");
  list.id = `exmc-labels-${++counter}`;
  for (const label of labels) list.append(new Option(label));
  input.setAttribute("list", list.id);
  input.value = labels[current] ?? "";
  const index = new Map(labels.map((label, k) => [label, k]));
  const pick = () => {
    const k = index.get(input.value.trim());
    if (k !== void 0) onPick(k);
  };
  input.addEventListener("change", pick);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") pick();
  });
  const box = el2("span", "exmc-menu");
  box.append(input, list);
  return { root: box, input, set: (k) => {
    if (document.activeElement !== input) input.value = labels[k] ?? "";
  } };
}
function variablePicker(model, spec) {
  const root = el2("div", "exmc-picker");
  root.append(el2("span", "exmc-stat-label", "variables"));
  const shown = new Set(spec.variables.map((v) => v.name));
  const boxes = [];
  for (const variable of spec.available ?? []) {
    const label = el2("label", "exmc-pick");
    const box = el2("input");
    box.type = "checkbox";
    box.value = variable.name;
    box.checked = shown.has(variable.name);
    const size = variable.shape.reduce((a, b) => a * b, 1);
    const note = variable.det ? ` (det${size > 1 ? `, ${size}` : ""})` : size > 1 ? ` (${size})` : "";
    label.append(box, document.createTextNode(variable.name + note));
    label.dataset.variable = variable.name;
    if (variable.det) label.classList.add("exmc-det");
    boxes.push(box);
    root.append(label);
  }
  root.addEventListener("change", () => {
    const names = boxes.filter((b) => b.checked).map((b) => b.value);
    if (names.length === 0) return;
    model.set("var_names", names);
    model.save_changes();
  });
  return root;
}
function pairPicker(model, spec) {
  const root = el2("div", "exmc-pair-picker");
  const labels = spec.variables.flatMap((v) => v.labels);
  const chosen = [...spec.pair];
  chosen.forEach((label, slot) => {
    const menu = elementMenu(labels, labels.indexOf(label), (k) => {
      const next = [...model.get("pair")];
      next[slot] = labels[k];
      if (new Set(next).size !== next.length) return;
      model.set("pair", next);
      model.save_changes();
    }, "exmc-element exmc-pair-element");
    root.append(menu.root);
  });
  return root;
}

// src/summary.js
function buildSummary() {
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
        else if (c === bulk && low[0] || c === tail && low[1]) cell.className = "exmc-low-ess";
      });
    });
  }
  return { root, show };
}

// src/view.js
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
var SLOW_FRAME_MS = 100;
var FAST_FRAME_MS = 50;
var PAUSE_MS = 2e3;
function nextFrame(fn) {
  if (typeof requestAnimationFrame === "function") return { raf: requestAnimationFrame(fn) };
  return { timeout: setTimeout(fn, 16) };
}
function buildView(B, model, spec, root) {
  const sources = /* @__PURE__ */ new Map();
  const groupOf = /* @__PURE__ */ new Map();
  let groups = 0;
  const grouped = (make, cell = () => "") => {
    const before = new Set(sources.keys());
    const made = make();
    const cells = /* @__PURE__ */ new Map();
    for (const id of sources.keys()) {
      if (before.has(id)) continue;
      if (!cells.has(cell(id))) cells.set(cell(id), groups++);
      groupOf.set(id, cells.get(cell(id)));
    }
    return made;
  };
  const shown = [];
  const summary = buildSummary();
  const disposers = [];
  const traces = [];
  let showWarmup = false;
  const follow = () => {
    for (const t of traces) t.follow(showWarmup);
  };
  const picker = section("exmc-variables");
  const live = (spec.available ?? []).length > 0;
  if (live) picker.append(variablePicker(model, spec));
  picker.append(legend(spec, (on) => {
    showWarmup = on;
    follow();
  }));
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
    const trace = grouped(() => traceFigure(B, spec, variable.name, sources));
    traces.push(trace);
    const others = [histogramFigure, acfFigure, rankFigure].map((make) => grouped(() => make(B, spec, variable.name, sources)));
    const figures2 = [trace.fig, ...others];
    shown.push([new B.Row({ children: figures2, sizing_mode: "stretch_width" }), plots]);
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
  let current = /* @__PURE__ */ new Map();
  const dirty = /* @__PURE__ */ new Map();
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
  function flush() {
    frame = null;
    lastFrame = performance.now();
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
  function painted() {
    const took = performance.now() - lastFrame;
    if (took > SLOW_FRAME_MS) perFrame = Math.max(1, Math.floor(Math.min(perFrame, groups) / 2));
    else if (took < FAST_FRAME_MS) perFrame = Math.min(groups, perFrame + 1);
    frame = null;
    if (dirty.size > 0) frame = { timeout: setTimeout(() => {
      frame = null;
      schedule();
    }, took) };
  }
  function schedule() {
    if (frame !== null) return;
    const wait = pausedUntil - performance.now();
    if (wait > 0) frame = { timeout: setTimeout(() => {
      frame = null;
      schedule();
    }, wait) };
    else frame = nextFrame(flush);
  }
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
      if (!dirty.has(g)) dirty.set(g, /* @__PURE__ */ new Set());
      dirty.get(g).add(op.source);
    }
    schedule();
  }
  async function show() {
    for (const [item, target] of shown) {
      const view = await B.Plotting.show(item, target);
      skipStyleReads(view);
      views.push(view);
    }
  }
  function remove() {
    if (frame?.raf !== void 0) cancelAnimationFrame(frame.raf);
    if (frame?.timeout !== void 0) clearTimeout(frame.timeout);
    frame = null;
    for (const dispose of disposers) dispose();
    for (const view of views) view.remove();
  }
  const figures = new Map(spec.variables.map((v, i) => [`trace/${v.name}`, traces[i].fig]));
  return { sources, figures, load, apply, pause, show, remove };
}

// src/index.js
var models = globalThis.__exmc_models ?? (globalThis.__exmc_models = /* @__PURE__ */ new Map());
function state(model) {
  const uid = model.get("uid");
  if (!models.has(uid)) models.set(uid, { store: new ModelStore(model), bokeh: loadBokeh(model) });
  return models.get(uid);
}
function initialize({ model }) {
  const uid = model.get("uid");
  state(model);
  return () => {
    models.get(uid)?.store.dispose();
    models.delete(uid);
  };
}
async function render({ model, el: el3 }) {
  const root = document.createElement("div");
  root.className = "exmc-dash";
  el3.append(root);
  let view = null;
  const header = buildHeader(model, () => view?.pause());
  root.append(header.root);
  const { store, bokeh } = state(model);
  let unsubscribe = () => {
  };
  const cleanup = () => {
    unsubscribe();
    header.dispose();
    view?.remove();
    root.remove();
  };
  try {
    const B = await bokeh;
    const body = document.createElement("div");
    body.className = "exmc-body";
    root.append(body);
    const build = async () => {
      view?.remove();
      body.replaceChildren();
      const built = buildView(B, model, model.get("spec"), body);
      view = built;
      view.load(store.sources);
      await built.show();
      if (view !== built) return;
      root.__exmc = { sources: view.sources, figures: view.figures, store };
      root.dataset.ready = "true";
    };
    unsubscribe = store.subscribe((ops) => ops === null ? view.load(store.sources) : view.apply(ops));
    const rebuild = () => {
      root.dataset.ready = "false";
      build().catch((error) => console.error("exmc dashboard:", error));
    };
    model.on("change:spec", rebuild);
    const previous = unsubscribe;
    unsubscribe = () => {
      previous();
      model.off("change:spec", rebuild);
    };
    await build();
  } catch (error) {
    const failure = document.createElement("div");
    failure.className = "exmc-message";
    failure.textContent = `The dashboard could not be drawn: ${error}`;
    root.append(failure);
    console.error("exmc dashboard:", error);
  }
  return cleanup;
}
var index_default = { initialize, render };
export {
  index_default as default
};
