"""The dashboard widget, ``stream`` (live) and ``dashboard`` (a finished trace).

The widget's traits hold only small state a view can be rebuilt from (the spec of the
panels, the header, the selected elements); the draws go as binary custom messages
(``protocol``), computed by ``prepare`` and ``display``, sent by the ``live`` coordinator.
"""

from __future__ import annotations

import collections
import contextlib
import inspect
import pathlib
import threading
import time
import uuid
from typing import Iterable, Mapping

import anywidget
import bokeh
import ipywidgets
import numpy as np
import traitlets
from ipywidgets import widget_serialization

import exmc
from exmc import errors as E
from exmc.dims import variable_axes
from exmc_widgets import palette
from exmc_widgets.display import Display
from exmc_widgets.live import Coordinator, SamplerRun
from exmc_widgets.store import DrawStore

STATIC = pathlib.Path(__file__).parent / "static"
SAMPLER_OPTIONS = ("init_values", "target_accept", "max_treedepth", "metric", "noncenter", "chain_method", "shard_data", "dtype")
BOKEH_FILES = ("bokeh.min.js", "bokeh-api.min.js")


class BokehJS(ipywidgets.Widget):
    """BokehJS as the installed ``bokeh`` package ships it, so it matches it exactly: the
    core and the plotting API, as binary traits of one model per kernel that every
    dashboard refers to. The front end evaluates them once per page (js/src/bokeh.js)."""

    version = traitlets.Unicode().tag(sync=True)
    names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    files = traitlets.List(traitlets.Bytes()).tag(sync=True)


_bokehjs: list[BokehJS] = []


def bokehjs() -> BokehJS:
    """The kernel's BokehJS model, made on first use (and again if it was closed)."""
    if not _bokehjs or _bokehjs[0].comm is None:
        folder = pathlib.Path(bokeh.__file__).parent / "server" / "static" / "js"
        _bokehjs[:] = [BokehJS(version=bokeh.__version__, names=list(BOKEH_FILES),
                               files=[(folder / name).read_bytes() for name in BOKEH_FILES])]
    return _bokehjs[0]


def title(state: str, done: int, total: int, warmup: tuple[int, int] | None = None) -> str:
    """The title bar, as the seed's: "MCMC Live Sampling (150 / 500)", "(complete)"; during
    warmup the sampler's warmup count, ``warmup`` = (done, total): "(warmup 300 / 1000)"."""
    if state == "warmup" and warmup is not None:
        return f"MCMC Live Sampling (warmup {warmup[0]} / {warmup[1]})"
    if state == "complete":
        return "MCMC Live Sampling (complete)"
    if state == "stopped":
        return f"MCMC Live Sampling (stopped at {done} / {total})"
    if state == "error":
        return f"MCMC Live Sampling (error at {done} / {total})"
    return f"MCMC Live Sampling ({done} / {total})"


class Dashboard(anywidget.AnyWidget):
    """The dashboard. Made by :func:`stream` or :func:`dashboard`, not directly.

    ``dash.stop()`` ends sampling and keeps every draw; ``dash.extend(n)`` samples n more
    draws from where the chains stand (no new warmup); ``dash.trace`` is the trace so far;
    ``dash.wait()`` blocks until the run ends.
    """

    _esm = STATIC / "dashboard.js"
    _css = STATIC / "dashboard.css"

    uid = traitlets.Unicode().tag(sync=True)  # the front end keeps one store per model, by uid
    spec = traitlets.Dict().tag(sync=True)
    bokeh_version = traitlets.Unicode(bokeh.__version__).tag(sync=True)
    _bokeh = traitlets.Instance(BokehJS).tag(sync=True, **widget_serialization)
    title = traitlets.Unicode("MCMC Live Sampling").tag(sync=True)
    state = traitlets.Unicode("compiling").tag(sync=True)  # compiling warmup sampling stopped complete error
    phase = traitlets.Unicode("").tag(sync=True)  # e.g. "warmup 300 / 1000"
    draws_shown = traitlets.Int(0).tag(sync=True)  # sampling draws per chain the panels hold
    rate = traitlets.Float(0.0).tag(sync=True)  # draws a second, all chains
    divergences = traitlets.Int(0).tag(sync=True)
    step_size = traitlets.Float(0.0).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)  # the error, if sampling failed
    can_extend = traitlets.Bool(False).tag(sync=True)
    extend_draws = traitlets.Int(500).tag(sync=True)
    selection = traitlets.Dict().tag(sync=True)  # vector variable -> shown element
    var_names = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the variables shown (the page's picker)
    pair = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the pair plot's element labels

    def __init__(self, store: DrawStore, tune: int, pair, attrs: Mapping[str, object], model=None,
                 available: Mapping[str, tuple[tuple[int, ...], bool]] | None = None, axes=None, **kwargs):
        self._store = store
        self._tune = tune
        self._axes = dict(axes or {})  # named dimensions' labels, variable -> per axis
        self._display = Display(store, tune, pair, axes=self._axes)
        # every variable the page's picker offers: name -> (shape, whether it is a det node)
        self._available = dict(available) if available is not None else {n: (s, False) for n, s in store.shapes.items()}
        self._model = model
        self._attrs = dict(attrs)
        self._run: SamplerRun | None = None
        self._static_trace = None
        self._clock: tuple[float, int] | None = None
        self._planned = int(attrs.get("draws", 0))
        self._auto_displayed: int | None = None
        self._stop_times: list[float] = []  # wall-clock: the page's Stop heard, the run ended
        self._final_title: str | None = None  # the title once a Stop has ended the run
        # the page's messages as the kernel's main thread handled them: (type, the page's clock
        # when it sent it in ms, or None, the kernel's wall clock); the last 200 (browser test)
        self._heard: collections.deque = collections.deque(maxlen=200)
        self._sync_lock = threading.RLock()
        self.error: BaseException | None = None
        super().__init__(spec=self._spec(), uid=uuid.uuid4().hex, selection=dict(self._display.selection),
                         var_names=list(store.shapes), pair=self._spec()["pair"], _bokeh=bokehjs(), **kwargs)
        self._coordinator = Coordinator(store, self._display, self._send_encoded, self._update_header)
        self.on_msg(self._on_message)
        self.observe(self._on_selection, names="selection")
        self.observe(self._on_var_names, names="var_names")
        self.observe(self._on_pair, names="pair")

    def _spec(self) -> dict:
        available = [{"name": n, "shape": list(shape), "det": det} for n, (shape, det) in self._available.items()]
        return {**self._display.spec(), "palette": palette.as_dict(), "available": available}

    # Which variables and pair-plot elements are shown: the page's pickers set the traits.
    def _batches(self) -> list:
        if self._static_trace is not None:
            from exmc_widgets.store import trace_blocks

            return trace_blocks(self._static_trace)
        return list(self._coordinator.received)

    def _rebuild(self, names: list[str], pair_labels: list[str] | None) -> None:
        """Rebuild the panels for variables ``names`` and pair plot ``pair_labels`` (None:
        the pair plot's elements that are still shown, or the default ones)."""
        unknown = [n for n in names if n not in self._available]
        if unknown or not names:
            raise E.SettingsError(None, f"var_names: no variable {unknown[0]!r} in the dashboard" if unknown
                                  else "var_names: no variables to show")
        shapes = {n: tuple(self._available[n][0]) for n in names}
        where = _element_index(shapes, self._axes)
        if pair_labels is None:
            pair_labels = [label for label in self._display.spec()["pair"] if label in where]
        missing = [label for label in pair_labels if label not in where]
        if missing:
            raise E.SettingsError(None, f"pair: no element {missing[0]!r} among the variables shown")
        with self._coordinator.lock:
            self._store.show(shapes, self._batches())
            selection = {n: k for n, k in self._display.selection.items() if n in shapes}
            display = Display(self._store, self._tune, [where[label] for label in pair_labels] or None,
                              axes=self._axes)
            display.selection.update(selection)
            self._display = display
            with self._synced():
                self.spec = self._spec()
                self.selection = dict(display.selection)
                if list(self.var_names) != names:
                    self.var_names = names
                if list(self.pair) != self.spec["pair"]:
                    self.pair = list(self.spec["pair"])
            self._coordinator.replace_display(display)

    def _on_var_names(self, change) -> None:
        if list(change["new"]) != list(self._store.shapes):
            self._rebuild(list(change["new"]), None)

    def _on_pair(self, change) -> None:
        if list(change["new"]) != self._display.spec()["pair"]:
            self._rebuild(list(self._store.shapes), list(change["new"]))

    def show_variables(self, var_names: Iterable[str]) -> None:
        """Show the variables ``var_names`` (a det node too), as the page's picker does."""
        self.var_names = [var_names] if isinstance(var_names, str) else list(var_names)

    @contextlib.contextmanager
    def _synced(self):
        """Set traits and send them as one update. ipywidgets' ``hold_sync`` is not thread-safe
        (two threads inside it can lose the other's keys between its send and its clear), and
        the traits are set from the flusher thread and from the main thread: one at a time."""
        with self._sync_lock, self.hold_sync():
            yield

    # The front end.
    def _send_encoded(self, content, buffers) -> None:
        if self.comm is not None:  # closed widgets receive nothing
            self.send(content, buffers)

    def _on_message(self, _widget, content, _buffers) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        self._heard.append((kind, content.get("sent") if isinstance(content, dict) else None, time.time()))
        if kind == "ready":
            self._coordinator.on_ready()
        elif kind == "stop":
            self._stop_times.append(time.time())  # when the kernel heard the click (the browser test's clock)
            self.stop(wait=False)
        elif kind == "ack":
            seq = content.get("seq")
            if isinstance(seq, int):
                self._coordinator.on_ack(seq)
        elif kind == "extend":
            draws = content.get("draws")
            if isinstance(draws, int) and draws > 0 and self.can_extend:
                self.extend(draws)

    def _on_selection(self, change) -> None:
        for name, element in change["new"].items():
            if name in self._display.selection and self._display.selection[name] != element:
                self._coordinator.select(name, int(element))

    def select(self, name: str, element: int) -> None:
        """Show element ``element`` of vector variable ``name`` (C order) in its row."""
        if name not in self._display.selection:
            raise E.SettingsError(None, f"select: no variable {name!r} in the dashboard")
        if not 0 <= element < len(self._display.labels[name]):
            raise E.SettingsError(
                name, f"select: element {element} out of range, it has {len(self._display.labels[name])}")
        self.selection = {**self.selection, name: int(element)}

    # The header.
    def _total(self, last) -> int:
        """The draws the header counts towards, given the newest batch (None: none yet)."""
        return last.total if last is not None and last.phase == "sampling" else self._planned

    def _update_header(self) -> None:
        store = self._store
        last = store.last
        if last is None:
            return
        now = time.perf_counter()
        iterations = store.n("warmup") + store.n("sampling")
        if self._clock is None:
            self._clock = (now, iterations)
        since, base = self._clock
        rate = (iterations - base) * store.chains / (now - since) if now > since else 0.0
        done = store.n("sampling")
        total = self._total(last)
        warmup = (store.n("warmup"), self._tune) if last.phase == "warmup" else None
        step = store.stat(last.phase, "step_size")
        with self._synced():
            self.state = last.phase
            self.phase = f"{last.phase} {last.done} / {last.total}"
            self.draws_shown = done
            self.rate = float(rate)
            self.divergences = int(store.divergences()[0].size)
            self.step_size = float(step[:, -1].mean()) if step.shape[1] else 0.0
            self.title = self._final_title or title(last.phase, done, total, warmup)

    def _stopped(self) -> None:
        """The sampler thread, as soon as a Stop has ended the run: the title says where, from
        the draws made (the store may be a flush behind); ``_ended`` sets the rest."""
        coordinator = self._coordinator  # called just after the run's last batch was added
        self._final_title = title("stopped", coordinator.sampling_made, self._total(coordinator.received[-1]))
        if len(self._stop_times) == 1:
            self._stop_times.append(time.time())
        with self._synced():
            self.title = self._final_title

    def _ended(self, outcome: str, error: BaseException | None) -> None:
        store = self._store
        done = store.n("sampling")
        last = store.last
        total = self._total(last)
        self.error = error
        if len(self._stop_times) == 1:
            self._stop_times.append(time.time())
        with self._synced():
            self.state = outcome
            self.draws_shown = done
            self.title = title(outcome, done, total)
            failure = self._coordinator.failure
            self.message = (f"{type(error).__name__}: {error}" if error is not None
                            else f"dashboard error: {type(failure).__name__}: {failure}" if failure is not None else "")
            self.can_extend = last is not None and getattr(last, "state", None) is not None
            if outcome == "complete" and last is not None:
                self.phase = f"{last.phase} {last.done} / {last.total}"

    # Sampling.
    def _start(self, stream) -> None:
        self._clock = None
        self._final_title = None
        with self._synced():
            self.can_extend = False
            self.state = "compiling" if self._store.last is None else "sampling"
        self._run = SamplerRun(self._coordinator, stream, self._ended, self._stopped).start()

    @property
    def running(self) -> bool:
        return self._run is not None and not self._run.settled.is_set()

    def stop(self, wait: bool = True, timeout: float | None = 60.0) -> None:
        """Stop sampling after the batch in progress; every draw made is kept."""
        if self._run is None:
            return
        self._run.stop()
        if wait:
            self._run.wait(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until sampling has ended and the dashboard shows every draw; False on timeout."""
        return True if self._run is None else self._run.wait(timeout)

    def extend(self, draws: int = 500) -> None:
        """Sample ``draws`` more draws per chain, continuing the same chains without a new
        warmup (the rest of it, if sampling was stopped during warmup)."""
        if self.running:
            raise E.SettingsError(None, "extend: sampling is still running; stop it or wait for it first")
        last = self._store.last
        state = getattr(last, "state", None)
        if self._model is None or state is None:
            raise E.SettingsError(None, "extend: this dashboard shows a finished trace; there are no chains to continue")
        if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
            raise E.SettingsError(None, f"extend: draws must be a positive integer, got {draws!r}")
        self._planned = self._store.n("sampling") + draws
        self._attrs["draws"] = self._planned
        model = self._model
        self._start(lambda: exmc.sample_stream(model, draws=draws, resume=state))

    @property
    def trace(self) -> exmc.Trace:
        """Every draw received so far, as a Trace (equal to ``exmc.sample``'s prefix)."""
        if self._static_trace is not None:
            return self._static_trace
        return exmc.trace_from_batches(list(self._coordinator.received), self._model, attrs=self._attrs)

    def __repr__(self) -> str:
        return f"<exmc_widgets.Dashboard: {self.title}>"

    def _repr_mimebundle_(self, **kwargs):
        # ``stream`` displays the dashboard itself; a bare ``exmc_widgets.stream(...)`` as the
        # cell's last line would show it a second time.
        ip = _ipython()
        if ip is not None and self._auto_displayed == ip.execution_count:
            return {"text/plain": repr(self)}
        return super()._repr_mimebundle_(**kwargs)


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


def _show(dash: Dashboard) -> None:
    ip = _ipython()
    if ip is None:
        return
    from IPython.display import display

    display(dash)
    dash._auto_displayed = ip.execution_count


def _chosen(var_names: Iterable[str] | None, known, shown: list[str], where: str) -> list[str]:
    """``var_names`` (a name or names) checked against ``known``; ``shown`` when None."""
    if var_names is None:
        return shown
    var_names = [var_names] if isinstance(var_names, str) else list(var_names)
    unknown = [n for n in var_names if n not in known]
    if unknown:
        raise E.SettingsError(None, f"var_names: no variable {unknown[0]!r} in the {where} (it has {', '.join(known)})")
    return var_names


def _available(model) -> dict[str, tuple[tuple[int, ...], bool]]:
    """The model's variables the dashboard can show, name -> (shape, is a det node): its
    random variables and det nodes as the user wrote them (the rewrites' auxiliary ones
    left out; a non-centered rv is still an rv)."""
    from exmc.ir.nodes import RV

    source = model.source_ir.by_name
    return {n: (tuple(model.analysis.shapes[n]), not isinstance(source.get(n), RV))
            for n in model.value_names if n not in model.auxiliary}


def _model_axes(model, available) -> dict:
    """The element labels' axes of the model's variables with named dimensions."""
    from exmc.dims import trace_labels

    dims, coords = trace_labels(model.source_ir, model.analysis.shapes)
    return variable_axes({n: s for n, (s, _) in available.items()}, dims, coords)


def _variables(available: Mapping[str, tuple[tuple[int, ...], bool]], var_names: Iterable[str] | None,
               where: str) -> dict[str, tuple[int, ...]]:
    """The variables shown: ``var_names``, or by default the random variables (det nodes,
    often one value per observation, on request: in ``var_names`` or the page's picker)."""
    rvs = [n for n, (_, det) in available.items() if not det] or list(available)
    shown = _chosen(var_names, available, rvs, where)
    if not shown:
        raise E.SettingsError(None, "var_names: no variables to show")
    return {n: tuple(available[n][0]) for n in shown}


def _element_index(shapes: Mapping[str, tuple[int, ...]], axes=None) -> dict[str, tuple[str, int]]:
    from exmc_widgets.prepare import element_labels

    axes = axes or {}
    return {label: (n, k) for n, s in shapes.items() for k, label in enumerate(element_labels(n, s, axes.get(n)))}


def _pair(shapes: Mapping[str, tuple[int, ...]], pair: Iterable[str] | None, axes=None):
    if pair is None:
        return None
    where = _element_index(shapes, axes)
    chosen = []
    for label in pair:
        if label not in where:
            raise E.SettingsError(None, f"pair: no element {label!r} among the variables shown ({', '.join(where)})")
        chosen.append(where[label])
    return chosen


def stream(ir, draws: int = 500, tune: int = 1000, chains: int = 4, seed: int = 0, *,
           var_names: Iterable[str] | None = None, pair: Iterable[str] | None = None,
           display: bool = True, **options) -> Dashboard:
    """Show the live dashboard and sample in the background; returns at once.

    Parameters
    ----------
    ir : the model (an ``exmc.IR`` or ``CompiledModel``).
    draws, tune, chains, seed : as ``exmc.sample``.
    var_names : the variables to show (default: the model's random variables; det nodes on
        request, here or in the page's variable picker), each as a row of trace,
        histogram, autocorrelation and rank panels.
    pair : element labels for the pair plot (default: the first four scalar elements).
    display : show the widget in the notebook (False: only return it).
    options : the other settings of ``exmc.sample_stream`` (init_values, target_accept,
        max_treedepth, metric, noncenter).

    Returns the ``Dashboard``: ``.stop()``, ``.extend(n)``, ``.trace``, ``.wait()``.
    Settings are checked here, before anything is shown.
    """
    from exmc.sampler import api as sampler_api
    from exmc.sampler.api import _check_settings, _model

    unknown = set(options) - set(SAMPLER_OPTIONS)
    if unknown:
        raise E.SettingsError(None, f"stream: unknown setting {sorted(unknown)[0]!r}")
    # sample_stream's own defaults, so that the dashboard samples (and caches the compiled
    # model) exactly as exmc.sample does
    defaults = inspect.signature(sampler_api.sample_stream).parameters
    settings = {name: options.get(name, defaults[name].default) for name in SAMPLER_OPTIONS}
    noncenter = settings.pop("noncenter")
    _check_settings(draws, tune, chains, seed, settings["target_accept"], settings["max_treedepth"],
                    settings["init_values"], settings["metric"])
    model = _model(ir, noncenter)
    if model.dim == 0:
        raise E.ExmcError(None, "the model has no free random variables (every rv is observed): nothing to sample")
    available = _available(model)
    shapes = _variables(available, var_names, "model")
    store = DrawStore(shapes, chains)
    axes = _model_axes(model, available)
    attrs = {"draws": draws, "tune": tune, "chains": chains, "seed": seed, "target_accept": settings["target_accept"],
             "max_treedepth": settings["max_treedepth"], "metric": settings["metric"], "noncenter": noncenter,
             "deterministic": [n for n, (_, det) in available.items() if det]}
    dash = Dashboard(store, tune, _pair(shapes, pair, axes), attrs, model=model, available=available, axes=axes)
    dash.title = title("compiling", 0, draws)
    dash.extend_draws = min(max(draws, 1), 1000)  # what "+N draws" offers first
    if display:
        _show(dash)
    dash._start(lambda: exmc.sample_stream(model, draws=draws, tune=tune, chains=chains, seed=seed, **settings))
    return dash


def dashboard(trace: exmc.Trace, *, var_names: Iterable[str] | None = None, pair: Iterable[str] | None = None,
              display: bool = True) -> Dashboard:
    """The same panels for a finished ``exmc.Trace``."""
    if not isinstance(trace, exmc.Trace):
        raise E.SettingsError(None, f"dashboard: expected an exmc.Trace, got {type(trace).__name__}")
    if trace.n_draws == 0 and not trace.warmup_sample_stats:
        raise E.SettingsError(None, "dashboard: the trace holds no draws")
    det = set(trace.attrs.get("deterministic", ()))  # known when the trace came from a dashboard
    available = {n: (tuple(v.shape[2:]), n in det) for n, v in trace.posterior.items() if n not in trace.auxiliary}
    shapes = _variables(available, var_names, "trace")
    store = DrawStore.from_trace(trace, shapes)
    tune = store.n("warmup")
    axes = variable_axes({n: s for n, (s, _) in available.items()}, trace.dims, trace.coords)
    dash = Dashboard(store, tune, _pair(shapes, pair, axes), trace.attrs, available=available, axes=axes)
    dash._static_trace = trace
    dash._coordinator.flush(force_slow=True)
    with dash._synced():
        dash.state = "complete"
        dash.title = f"MCMC Trace ({trace.n_chains} chains x {trace.n_draws} draws)"
        dash.draws_shown = trace.n_draws
        dash.divergences = int(np.asarray(trace.sample_stats.get("diverging", np.zeros((0, 0)))).sum())
        step = trace.sample_stats.get("step_size")
        dash.step_size = float(step[:, -1].mean()) if step is not None and step.shape[1] else 0.0
        dash.phase = f"sampling {trace.n_draws} / {trace.n_draws}"
    if display:
        _show(dash)
    return dash
