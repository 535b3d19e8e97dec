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
