"""The dashboard of a finished trace as one self-contained HTML file (``make demo`` writes one).

The page runs the dashboard's own front end (``static/dashboard.js``, the bundle JupyterLab
loads) with no kernel behind it: a small stand-in for the widget model answers the front
end's "ready" with a snapshot computed here, by the same ``Display`` (and so the same
``prepare`` functions) that feeds the live widget, and answers a change of a vector
variable's element with that element's panels, computed in advance. BokehJS is inlined
from the installed ``bokeh`` package's own files, so the page needs no network: open it
from disk, mail it, archive it beside the trace.

::

    exmc_widgets.html.save_dashboard(trace, "eight.html")
"""

from __future__ import annotations

import base64
import html
import json
import pathlib
import re
import zlib
from typing import Any, Iterable

import bokeh

import exmc
from exmc import errors as E
from exmc_widgets import palette
from exmc_widgets.dashboard import BOKEH_FILES, STATIC, dashboard
from exmc_widgets.display import Display
from exmc_widgets.protocol import apply_ops, decode, encode, ops_message
from exmc_widgets.store import DrawStore


# The widget traits the front end reads (js/src/index.js, header.js, view.js).
TRAITS = ("uid", "spec", "bokeh_version", "title", "state", "phase", "draws_shown", "rate", "divergences",
          "step_size", "message", "can_extend", "extend_draws", "selection")

# A stand-in for the anywidget model: traits from the page's data, custom messages from the
# snapshot and the precomputed element changes. The bundle is imported from a data: URL (an
# ES module cannot be inlined as a classic script), which browsers allow from a file:// page.
PAGE_SCRIPT = """
const data = JSON.parse(document.getElementById("exmc-data").textContent);
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const message = (m) => [m.content, m.buffers.map(bytes)];
// Every element's panels: one zlib stream of their buffers, inflated by the browser.
const inflate = async (b64) => new Uint8Array(await new Response(
  new Blob([bytes(b64)]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer());
const blob = data.blob ? await inflate(data.blob) : new Uint8Array(0);
const elementMessage = (m) => [m.content, m.buffers.map(([at, size]) => blob.subarray(at, at + size))];
const traits = { ...data.traits };
const listeners = new Map();
const fire = (event, ...args) => { for (const f of [...(listeners.get(event) ?? [])]) f(...args); };
let seq = data.snapshot.content.seq;
// The snapshot is answered once the view is built: view.js loads the store's data when it
// starts and follows its changes after, so data arriving in between would not be shown.
let rendered = false;
let asked = false;
const sendSnapshot = () => { seq = data.snapshot.content.seq; fire("msg:custom", ...message(data.snapshot)); };
const model = {
  get: (key) => traits[key],
  set(key, value) {
    const old = traits[key];
    traits[key] = value;
    fire(`change:${key}`);
    if (key !== "selection") return;
    for (const [name, element] of Object.entries(value)) {
      if (old?.[name] === element) continue;
      const change = data.elements[name]?.[element];
      if (change === undefined) continue;
      const [content, buffers] = elementMessage(change);
      setTimeout(() => fire("msg:custom", { ...content, seq: ++seq }, buffers));
    }
  },
  save_changes() {},
  on(event, f) { if (!listeners.has(event)) listeners.set(event, new Set()); listeners.get(event).add(f); },
  off(event, f) { listeners.get(event)?.delete(f); },
  send(msg) {
    if (msg?.type !== "ready") return;
    if (rendered) setTimeout(sendSnapshot);
    else asked = true;
  },
  widget_manager: { get_model: async () => { throw new Error("BokehJS is inlined in this page"); } },
};
const source = document.getElementById("exmc-bundle").textContent;
const widget = (await import(`data:text/javascript;base64,${source}`)).default;
widget.initialize?.({ model });
await widget.render({ model, el: document.getElementById("exmc-dashboard") });
rendered = true;
if (asked) sendSnapshot();
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
{css}
html, body {{ background: {background}; color: {text}; margin: 0; }}
#exmc-dashboard {{ padding: 8px; }}
.exmc-dash .exmc-controls {{ display: none; }}  /* a finished trace: nothing to stop or extend */
</style>
{bokeh}
</head>
<body>
<div id="exmc-dashboard"></div>
<script type="application/json" id="exmc-data">{data}</script>
<script type="text/plain" id="exmc-bundle">{bundle}</script>
<script type="module">{script}</script>
</body>
</html>
"""


def _encoded(message: dict[str, Any]) -> dict[str, Any]:
    content, buffers = encode(message)
    return {"content": content, "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in buffers]}


def _json_in_script(value: Any) -> str:
    # inside <script> only "</" could end the element early; "<" escaped in JSON is still "<"
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _inline_script(source: str, name: str) -> str:
    if "</script" in source.lower():
        raise ValueError(f"{name} holds '</script' and cannot be inlined as it is")
    return f"<script>{source}</script>"


def dashboard_html(trace: exmc.Trace, *, var_names: Iterable[str] | None = None,
                   pair: Iterable[str] | None = None, title: str | None = None,
                   max_elements: int | None = None) -> str:
    """The dashboard of ``trace`` as a self-contained HTML page (a string).

    Parameters
    ----------
    trace : a finished ``exmc.Trace``.
    var_names, pair : as ``exmc_widgets.dashboard``.
    title : the page's title (default: the dashboard's).
    max_elements : by default every element of a vector variable can be chosen in the page
        (each one's trace, histogram, autocorrelation and rank plot travel in it, binary and
        zlib-compressed); a number keeps the first ``max_elements`` of each, and the page
        says how many it left out. The summary table, forest and pair plots hold every
        element regardless.
    """
    if max_elements is not None and (not isinstance(max_elements, int) or isinstance(max_elements, bool)
                                     or max_elements < 1):
        raise E.SettingsError(None, f"max_elements must be a positive integer, got {max_elements!r}")
    widget = dashboard(trace, var_names=var_names, pair=pair, display=False)
    try:
        state = widget.get_state()
    finally:
        widget.close()
    traits = {key: state[key] for key in TRAITS}
    spec = traits["spec"]

    # The panels, computed as the widget computes them for a new view: from a store of the
    # trace's draws and a Display over the variables and pair plot the widget chose.
    shapes = {v["name"]: tuple(v["shape"]) for v in spec["variables"]}
    # the spec's labels (named dimensions' labels where the trace has them)
    where = {label: (v["name"], k) for v in spec["variables"] for k, label in enumerate(v["labels"])}
    axes = widget._axes
    store = DrawStore.from_trace(trace, shapes)
    display = Display(store, store.n("warmup"), [where[label] for label in spec["pair"]], axes=axes)
    snapshot = ops_message(1, display.fast_ops() + display.slow_ops(), snapshot=True)

    # Each element's panels as ops whose arrays lie in one buffer, compressed once: the
    # draws of neighbouring elements compress together (their x columns are the same).
    elements: dict[str, list[dict[str, Any]]] = {}
    blob = bytearray()
    variables = []
    for variable in spec["variables"]:
        name, labels = variable["name"], variable["labels"]
        if len(labels) > 1:
            kept = labels if max_elements is None else labels[:max_elements]
            changes = []
            for k in range(len(kept)):
                display.select(name, k)
                content, buffers = encode(ops_message(0, display.fast_ops() + display.slow_ops(rows_only=[name])))
                refs = []
                for buffer in buffers:
                    refs.append([len(blob), buffer.nbytes])
                    blob += bytes(buffer)
                changes.append({"content": content, "buffers": refs})
            elements[name] = changes
            if len(kept) < len(labels):
                variable = {**variable, "labels": kept,
                            "note": f"{len(kept)} of {len(labels)} elements saved in this page"}
        variables.append(variable)
    # no kernel behind the page to compute other variables' panels: no variable picker
    traits["spec"] = {**spec, "variables": variables, "available": []}

    data = {"traits": traits, "snapshot": _encoded(snapshot), "elements": elements,
            "blob": base64.b64encode(zlib.compress(bytes(blob), 9)).decode("ascii")}
    folder = pathlib.Path(bokeh.__file__).parent / "server" / "static" / "js"
    scripts = "\n".join(_inline_script((folder / name).read_text(encoding="utf-8"), name) for name in BOKEH_FILES)
    bundle = base64.b64encode((STATIC / "dashboard.js").read_bytes()).decode("ascii")
    css = (STATIC / "dashboard.css").read_text(encoding="utf-8")
    if "</style" in css.lower():
        raise ValueError("dashboard.css holds '</style' and cannot be inlined as it is")
    return PAGE.format(
        title=html.escape(title if title is not None else traits["title"]),
        background=palette.BACKGROUND, text=palette.TEXT, css=css, bokeh=scripts,
        data=_json_in_script(data), bundle=bundle, script=PAGE_SCRIPT,
    )


def save_dashboard(trace: exmc.Trace, path: str | pathlib.Path, **options) -> pathlib.Path:
    """Write :func:`dashboard_html` of ``trace`` to ``path`` (folders made as needed);
    returns the absolute path."""
    path = pathlib.Path(path).expanduser().absolute()
    page = dashboard_html(trace, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def read_page(page: str) -> dict[str, Any]:
    """What a page of :func:`dashboard_html` gives its front end, decoded (for tests and
    tools): ``traits``; ``sources``, every data source as the snapshot leaves it (id ->
    column -> array, the summary table under ``$table``); ``elements``, per vector variable
    the ops that show each element."""
    match = re.search(r'<script type="application/json" id="exmc-data">(.*?)</script>', page, re.S)
    if match is None:
        raise ValueError("not a page of exmc_widgets.html: no exmc-data script")
    data = json.loads(match.group(1))
    blob = zlib.decompress(base64.b64decode(data["blob"]))

    def ops(message: dict[str, Any]) -> list[dict[str, Any]]:
        buffers = [base64.b64decode(b) for b in message["buffers"]]
        return decode(message["content"], buffers)["ops"]

    def element_ops(message: dict[str, Any]) -> list[dict[str, Any]]:
        buffers = [blob[at:at + size] for at, size in message["buffers"]]
        return decode(message["content"], buffers)["ops"]

    sources: dict[str, dict[str, Any]] = {}
    apply_ops(sources, ops(data["snapshot"]))
    elements = {name: [element_ops(m) for m in changes] for name, changes in data["elements"].items()}
    return {"traits": data["traits"], "sources": sources, "elements": elements}
