// The title bar and controls: "MCMC Live Sampling (150 / 500)", the phase, draws/s,
// divergences, step size; Stop and "+N draws". Everything shown comes from the model's traits.
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function number(x, digits) {
  return Number.isFinite(x) ? x.toLocaleString(undefined, { maximumFractionDigits: digits }) : "\u2013";
}

// onStop: called when Stop is clicked (the view rests its figures meanwhile).
export function buildHeader(model, onStop = () => {}) {
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
    const state = model.get("state");
    title.textContent = model.get("title");
    title.dataset.state = state;
    stats.replaceChildren(
      field("phase", model.get("phase") || state),
      // no rate measured (a finished trace's dashboard, or before the first batch): a dash
      field("draws/s", number(model.get("rate") > 0 ? model.get("rate") : NaN, 0)),
      field("divergences", String(model.get("divergences")), model.get("divergences") > 0 ? "exmc-alert" : ""),
      field("step size", number(model.get("step_size"), 4)),
    );
    const running = state === "compiling" || state === "warmup" || state === "sampling";
    if (!running) stopping = false;
    stop.disabled = !running || stopping;
    stop.textContent = stopping ? "Stopping\u2026" : "Stop";
    const canExtend = model.get("can_extend") && !running;
    extend.disabled = !canExtend;
    more.disabled = !canExtend;
    // no dead controls: Stop only while sampling, "+N draws" only when the chains can go on
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
    stopping = true; // the click is seen at once; the title says where sampling stopped
    model.send({ type: "stop", sent: Date.now() });
    onStop();
    // the button is disabled after this event, not during it: a disabled button would let
    // the press's mousedown past it, to the notebook
    setTimeout(update, 0);
  };
  // Stop is asked for when the button is pressed, not when it is released, and the press stays
  // ours: on a big page the notebook's handling of it (moving the focus, selecting the output's
  // cell) took 0.1-0.2 s of the page's main thread before the release. The click remains for
  // the keyboard (Enter, Space).
  stop.addEventListener("pointerdown", (event) => {
    event.stopPropagation();
    if (event.button === 0) requestStop();
  });
  stop.addEventListener("mousedown", (event) => {
    event.stopPropagation();
    event.preventDefault(); // no focus change
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
  return { root, dispose: () => { for (const t of traits) model.off(`change:${t}`, update); } };
}
