// The anywidget entry: `initialize` keeps the model's data for every view (store.js) and
// starts loading BokehJS; `render` builds a view and keeps it in step with the store.
import { loadBokeh } from "./bokeh.js";
import { buildHeader } from "./header.js";
import { ModelStore } from "./store.js";
import { buildView } from "./view.js";

const models = (globalThis.__exmc_models ??= new Map()); // uid -> { store, bokeh }

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

async function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "exmc-dash";
  el.append(root);
  let view = null;
  const header = buildHeader(model, () => view?.pause());
  root.append(header.root);
  const { store, bokeh } = state(model);
  let unsubscribe = () => {};
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
    // load and subscribe with no await between: every message after the load reaches the view
    const build = async () => {
      view?.remove();
      body.replaceChildren();
      const built = buildView(B, model, model.get("spec"), body);
      view = built;
      view.load(store.sources);
      await built.show();
      if (view !== built) return;
      root.__exmc = { sources: view.sources, figures: view.figures, store }; // for the browser test
      root.dataset.ready = "true";
    };
    unsubscribe = store.subscribe((ops) => (ops === null ? view.load(store.sources) : view.apply(ops)));
    // other variables or pair-plot elements: the figures are built again from the new spec
    // (Python sends the spec first, then a snapshot of the new panels' data)
    const rebuild = () => {
      root.dataset.ready = "false";
      build().catch((error) => console.error("exmc dashboard:", error));
    };
    model.on("change:spec", rebuild);
    const previous = unsubscribe;
    unsubscribe = () => { previous(); model.off("change:spec", rebuild); };
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

export default { initialize, render };
