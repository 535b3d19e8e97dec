// BokehJS, exactly the version of the kernel's `bokeh` package: its own bokeh.min.js and
// bokeh-api.min.js, handed over as the bytes of a shared BokehJS widget (one per kernel)
// and evaluated once per page. BokehJS registers itself as window.Bokeh[version], so pages
// holding other Bokeh versions (another kernel, output_notebook) keep theirs.
const loading = (globalThis.__exmc_bokeh ??= new Map()); // version -> Promise<Bokeh>

function evaluate(source) {
  const script = document.createElement("script");
  script.textContent = source;
  document.head.appendChild(script); // a classic script runs synchronously, in global scope
  script.remove();
}

function ready(version) {
  const bokeh = globalThis.Bokeh?.[version];
  return bokeh?.Plotting !== undefined ? bokeh : undefined;
}

export function loadBokeh(model) {
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
        // the core may be there already (output_notebook loads it, without the API)
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

// Two reads BokehJS makes at every paint through getComputedStyle, which on a page as large
// as JupyterLab with a dashboard in it recomputes styles and layout (and again after each DOM
// write: the page thrashes). In the browser test's profiles of the 85-group model they were
// most of the page's main-thread time and put the page seconds behind the kernel:
// - a CSS custom property (`--bk-<prefix><name>`) for every scalar visual attribute (62%):
//   the dashboard styles its figures through model properties and defines no such variable,
//   so the read always came back empty; our visuals skip it;
// - a plot's base font size, `getComputedStyle(plot.el).fontSize`, for every axis and label
//   (35% once the first was gone): our plots read it once and keep it (the dashboard's CSS
//   fixes it; BokehJS's own :host style is 13px).
// Both are set as own properties of our views' objects; other Bokeh plots on the page keep
// BokehJS's behaviour (decision 77).
const isView = (x) => x !== null && typeof x === "object" && "model" in x && "parent" in x;

function descriptorOf(object, name) {
  for (let proto = Object.getPrototypeOf(object); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

function keepFontSize(view) {
  const read = descriptorOf(view, "base_font_size")?.get;
  if (read === undefined || Object.prototype.hasOwnProperty.call(view, "base_font_size")) return;
  let size = null; // until the plot is in the page and styled, ask again
  Object.defineProperty(view, "base_font_size", {
    configurable: true,
    get() {
      if (size === null) size = read.call(this);
      return size;
    },
  });
}

export function skipStyleReads(root) {
  const seen = new Set();
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
