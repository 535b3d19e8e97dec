"""``exmc.sample`` and ``exmc.sample_stream``: the same driver, as a Trace or as batches."""

from __future__ import annotations

import numbers
import warnings
from typing import Iterator, Mapping

import jax

from exmc import errors as E
from exmc.collect import Collector
from exmc.compile.model import CompiledModel, compile_model
from exmc.diagnostics.checks import warn_about
from exmc.fingerprint import fingerprint
from exmc.ir.ir import IR
from exmc.ir.nodes import RV
from exmc.sampler import interrupt, layouts
from exmc.sampler.chunk import METRICS, describe_metric
from exmc.sampler.driver import Batch, SamplerState, run_chains
from exmc.sampler.progress import ProgressBar
from exmc.trace import Trace, trace_from_arrays

DEFAULT_METRIC = "auto"  # nutpie's diagonal, full rank where warmup finds correlations: DECISIONS 49, 81
MAX_TREEDEPTH = 30  # 2**30 leapfrog steps a draw; the leaf counters have room for it


def _model(model: IR | CompiledModel, noncenter: str | bool = "auto") -> CompiledModel:
    if isinstance(model, CompiledModel):
        return model
    if not isinstance(model, IR):
        raise E.ExmcError(None, f"expected an exmc.IR or CompiledModel, got {type(model).__name__}")
    if not (isinstance(noncenter, bool) or (isinstance(noncenter, str) and noncenter == "auto")):
        raise E.SettingsError(None, f'noncenter must be "auto", True or False, got {noncenter!r}')
    # kept on the IR (IR.compiled), so that sampling the same model again reuses its compilation
    compiled = model.compiled.models.get(noncenter)
    if compiled is None:
        compiled = model.compiled.models[noncenter] = compile_model(model, noncenter=noncenter)
    return compiled


def _resumed_model(ir, resume) -> CompiledModel:
    if not isinstance(resume, SamplerState):
        raise E.SettingsError(None, f"resume must be a Batch's .state, got {type(resume).__name__}")
    model = resume.model
    if ir is model:
        return model
    if isinstance(ir, IR) and any(m is model for m in ir.compiled.models.values()):
        return model
    # the same model built again (another cell, another IR object): its fingerprint says so
    if isinstance(ir, IR) and fingerprint(ir) == fingerprint(model.source_ir):
        return model
    raise E.SettingsError(None, "resume: the state comes from sampling another model "
                                "(its structure, distributions or constants differ)")


def _check_settings(draws, tune, chains, seed, target_accept, max_treedepth, init_values, metric) -> None:
    def integer(name, value, low):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
            raise E.SettingsError(None, f"{name} must be an integer >= {low}, got {value!r}")

    integer("draws", draws, 0)
    integer("tune", tune, 0)
    integer("chains", chains, 1)
    integer("seed", seed, 0)
    integer("max_treedepth", max_treedepth, 1)
    if max_treedepth > MAX_TREEDEPTH:
        raise E.SettingsError(None, f"max_treedepth must be at most {MAX_TREEDEPTH}, got {max_treedepth}")
    if not (isinstance(target_accept, numbers.Real) and 0.0 < float(target_accept) < 1.0):
        raise E.SettingsError(None, f"target_accept must lie in (0, 1), got {target_accept!r}")
    if metric not in METRICS:
        raise E.SettingsError(None, f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    if init_values is not None and not isinstance(init_values, Mapping):
        raise E.SettingsError(None, f"init_values must be a dict of rv name -> value, got {type(init_values).__name__}")


def _check_layout(shard_data, dtype) -> None:
    from exmc.sampler.precision import DTYPES

    if not isinstance(shard_data, bool):
        raise E.SettingsError(None, f"shard_data must be True or False, got {shard_data!r}")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise E.SettingsError(None, f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if shard_data and dtype != "float64":
        raise E.SettingsError(None, "shard_data=True computes in float64 only (dtype='float32' is not supported with it)")


def _sharded(model: CompiledModel, shard_data: bool) -> list[str]:
    """The observations and data nodes whose rows were split over the devices (none without
    shard_data)."""
    if not shard_data:
        return []
    from exmc.sampler.sharding import sharded

    split = sharded(model, jax.device_count())
    return [*split.names, *split.data_names]


def _plain_ints(*values) -> tuple[int, ...]:
    """numpy integers (np.int64(3)) as Python ints: the seed's 64-bit arithmetic and the
    trace's JSON attributes need them."""
    return tuple(int(v) for v in values)


def sample_stream(
    ir: IR | CompiledModel,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = 0,
    init_values: Mapping[str, object] | None = None,
    target_accept: float = 0.8,
    max_treedepth: int = 10,
    progressbar: bool = False,
    metric: str = DEFAULT_METRIC,
    noncenter: str | bool = "auto",
    resume: SamplerState | None = None,
    chain_method: str = "auto",
    shard_data: bool = False,
    dtype: str = "float64",
) -> Iterator[Batch]:
    """Sample with NUTS, yielding ``Batch`` es of draws as they are made.

    Each batch holds the new draws of every chain, (chains, n_new, ...), for the
    ``"warmup"`` phase first, then ``"sampling"``. Batches come about every 0.25 s.
    Closing the generator stops sampling; the batches received form a valid trace
    (``exmc.trace_from_batches``). Settings as ``exmc.sample``.

    ``resume=batch.state`` continues the chains of an earlier stream from that batch, with
    ``draws`` more draws and no new warmup (the rest of it if the stream stopped in warmup);
    the other settings come from the state. The draws equal those of one longer run.
    ``batch.state.chain_method`` is the layout the chains run in.
    """
    _check_settings(draws, tune, chains, seed, target_accept, max_treedepth, init_values, metric)
    _check_layout(shard_data, dtype)
    if resume is None:
        chain_method = layouts.resolve(chain_method, int(chains), shard_data)
    draws, tune, chains, seed, max_treedepth = _plain_ints(draws, tune, chains, seed, max_treedepth)
    if resume is None and draws == 0 and tune == 0:
        raise E.SettingsError(None, "draws and tune are both 0: there is nothing to sample")
    if resume is not None:
        model = _resumed_model(ir, resume)
    else:
        model = _model(ir, noncenter)
    if model.dim == 0:
        raise E.ExmcError(
            None, "the model has no free random variables (every rv is observed): there is nothing to sample"
        )
    batches = run_chains(
        model, draws=draws, tune=tune, chains=chains, seed=seed, init_values=init_values,
        target_accept=float(target_accept), max_treedepth=max_treedepth, metric=metric, resume=resume,
        chain_method=chain_method, shard_data=shard_data, dtype=dtype,
    )
    bar = None
    if progressbar:
        bar = ProgressBar(tune, draws, chains) if resume is None else ProgressBar(
            max(resume.tune - resume.iterations, 0), draws, resume.chains)
    try:
        for batch in batches:
            if bar:
                bar.update(batch)
            yield batch
    finally:
        batches.close()
        if bar:
            bar.close()


def sample(
    ir: IR | CompiledModel,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = 0,
    init_values: Mapping[str, object] | None = None,
    target_accept: float = 0.8,
    max_treedepth: int = 10,
    progressbar: bool = True,
    metric: str = DEFAULT_METRIC,
    noncenter: str | bool = "auto",
    resume: SamplerState | None = None,
    *,
    checks: bool = True,
    chain_method: str = "auto",
    shard_data: bool = False,
    dtype: str = "float64",
) -> Trace:
    """Sample the posterior of ``ir`` with NUTS and Stan's three-phase warmup.

    Parameters
    ----------
    ir : the model (an IR, or a CompiledModel to skip compilation).
    draws, tune : sampling and warmup iterations per chain.
    chains : chains, run concurrently from one compilation.
    seed : the same seed gives the same trace, chain by chain (a Python or numpy integer).
    init_values : constrained starting values for some free rvs, by name.
    target_accept : the acceptance statistic the step size is tuned to. Where warmup's
        settled iterations (from a fifth of ``tune`` to the terminal window) diverge on 1 % or
        more of their transitions, the terminal window, which sets the sampling step size,
        tunes to 1 - (1 - target_accept) / 2 instead (0.8 -> 0.9): ``trace.attrs["target_choice"]``
        says what was seen and done, ``trace.attrs["target_accept_used"]`` the target used.
    max_treedepth : at most 2**max_treedepth leapfrog steps per draw.
    progressbar : show a terminal progress bar.
    metric : how warmup learns the metric (the inverse mass matrix): "auto" (default:
        nutpie's diagonal, which, on models of 2 to 40 parameters, at warmup iteration 50
        becomes a full-rank metric where the first draws and their gradients show the diagonal
        leaving the posterior correlated or mis-scaled, a condition number of 8 or more: the
        chains are whitened by the covariance those draws show and the diagonal adapts on top,
        in the same compiled sampler; see ``trace.attrs["metric_choice"]``), "stan" (diagonal: Welford variance of the
        draws in doubling windows), "nutpie" (diagonal: sqrt(var(draws) / var(gradients)),
        overlapping windows), "dense" (Stan's ``dense_e``: the windows' covariance) or
        "lowrank" (nutpie's low-rank modified mass matrix, rank <= 16).
        ``trace.attrs["metric_used"]`` says what warmup settled on.
    noncenter : "auto" non-centers the elements of hierarchical Normals that their data
        inform less than their prior does; True every such element; False samples the model
        exactly as written (``trace.rewrites`` says what was decided). Ignored for a
        CompiledModel (see ``compile_model``).
    resume : a ``Batch.state`` from ``sample_stream``: continue those chains with ``draws``
        more draws, no new warmup (see ``sample_stream``).
    checks : run the post-sampling checks (below); False skips them (they run in bounded
        memory; 34 s for 200,000 draws x 4 chains of a 100-d model on a shared two-core machine).
    chain_method : where the chains run (``exmc.sampler.layouts``, decisions 65-67): "threads"
        (one thread per chain, each calling one compiled chain: the CPU default), "devices"
        (one compiled ``shard_map`` over every device, chains beyond one per device vmapped
        within it; the number of chains must be a multiple of the devices), "vectorized" (all
        chains vmapped on one device) or "auto" (threads on one CPU process; devices across
        processes, with ``shard_data``, or on several accelerators the chains fill evenly;
        else vectorized). ``trace.attrs["chain_method"]`` records the layout used. Draws equal
        the threaded ones bit for bit only with threads or one chain per device, and there
        only as far as XLA compiles both programs' arithmetic alike (decision 66).
    shard_data : split the rows of the observed data over the devices (``chain_method``
        "devices"): each device sums its rows' log-likelihood, one collective per evaluation adds
        them (``exmc.sampler.sharding``). ``trace.attrs["sharded_data"]`` lists the
        observations split, then the data nodes split with them (a design matrix behind a
        det node: ``.data("X", X)``, ``.det("eta", lambda X, b: X @ b, ["X", "b"])``).
    dtype : "float64" (default) or "float32": the sampler's arithmetic (positions, log-density,
        gradient, adaptation) in single precision, for accelerators; the observed data enter
        as float32. Limits in ``exmc.sampler.precision`` (decision 69): energy errors are
        rounded to about |logp| * 6e-8, so very large likelihoods need float64.

    Returns a ``Trace``. Draws are copied into arrays allocated once per phase, so memory
    grows with the draws kept (decision 36). KeyboardInterrupt (Ctrl-C) stops the run after
    the chunk in progress and keeps every draw made so far as a shorter trace; pressing it
    again cannot lose them (``exmc.sampler.interrupt``). Problems a Stan or PyMC user would
    be warned of (divergences, saturated trees, low E-BFMI, R-hat > 1.01, low ESS) are
    ``exmc.SamplingWarning`` s (``exmc.diagnostics.checks``).
    """
    if not isinstance(checks, bool):
        raise E.SettingsError(None, f"checks must be True or False, got {checks!r}")
    model = _model(ir, noncenter) if resume is None else _resumed_model(ir, resume)
    if resume is not None:
        chain_method, shard_data, dtype = resume.chain_method, resume.shard_data, resume.dtype
    elif isinstance(shard_data, bool):
        chain_method = layouts.resolve(chain_method, int(chains) if isinstance(chains, numbers.Integral) else 1, shard_data)
    collector = Collector()
    last_state = None  # the last batch's, for what warmup settled on
    with interrupt.Guard() as guard:
        stream = sample_stream(
            model, draws, tune, chains, seed, init_values, target_accept, max_treedepth, progressbar, metric,
            resume=resume, chain_method=chain_method, shard_data=shard_data, dtype=dtype,
        )
        interrupted = False
        try:
            for batch in stream:
                collector.add(batch)
                last_state = batch.state
                guard.enter("sampling")
        except KeyboardInterrupt:
            interrupted = True
        finally:
            guard.enter("assembling")
            stream.close()
        if interrupted or guard.stop_requested:
            warnings.warn(f"sampling interrupted: the trace keeps the {collector.drawn()} draws per chain made so far",
                          stacklevel=2)
        if resume is not None:
            tune, chains, seed, metric = resume.tune, resume.chains, resume.seed, resume.metric
            target_accept, max_treedepth = resume.target_accept, resume.max_treedepth
        draws, tune, chains, seed, max_treedepth = _plain_ints(draws, tune, chains, seed, max_treedepth)
        trace = trace_from_arrays(
            collector.arrays(), model,
            attrs={"draws": draws, "tune": tune, "chains": chains, "seed": seed,
                   "target_accept": float(target_accept), "max_treedepth": max_treedepth, "metric": metric,
                   "noncenter": noncenter, "chain_method": chain_method, "dtype": dtype,
                   "devices": jax.device_count() if chain_method == "devices" else 1,
                   "sharded_data": _sharded(model, shard_data),
                   "metric_used": describe_metric(last_state.carries) if last_state is not None else "none",
                   "metric_choice": last_state.metric_choice if last_state is not None else "",
                   "target_accept_used": float(last_state.target_used if last_state is not None else target_accept),
                   "target_choice": last_state.target_choice if last_state is not None else ""},
        )
        if checks:
            guard.enter("checking")
            source = model.source_ir
            try:
                warn_about(trace, stacklevel=2,
                           variables={n.name for n in source.nodes if isinstance(n, RV)} - set(source.observations))
            except KeyboardInterrupt:
                warnings.warn("the post-sampling checks were interrupted and skipped; the trace is complete",
                              stacklevel=2)
    return trace
