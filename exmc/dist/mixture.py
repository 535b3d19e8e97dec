"""Mixtures: NormalMixture(w, mu, sigma) and the general Mixture(w, components).

A general mixture's components are (distribution, params) pairs, each param a number, an
array or a node's name as in ``.rv``: the builder expands them into one distribution whose
parameters are ``w`` and ``components[i].<name>`` (decision 43), so every check, error and
reference works on them as on any other parameter.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from exmc import constraints as C
from exmc.dist.base import Distribution, common_event
from exmc.dist.categorical import simplex_holds, simplex_problem
from exmc.dist.normal import Normal


def _pick_component(key, log_w, draws):
    """draws (..., K) of every component; one chosen per element with probabilities w."""
    log_w = jnp.broadcast_to(log_w, draws.shape)
    which = jax.random.categorical(key, log_w, -1)
    return jnp.take_along_axis(draws, which[..., None], -1)[..., 0]


class NormalMixture(Distribution):
    """NormalMixture(w, mu, sigma): sum_k w_k Normal(mu_k, sigma_k), components on the last
    axis of each parameter (a scalar broadcasts over them); log-density by logsumexp."""

    parametrizations = ({"w": C.closed_unit_interval, "mu": C.real, "sigma": C.positive},)
    support = C.real
    param_event_dims = {"w": 1, "mu": 1, "sigma": 1}

    @classmethod
    def check_params(cls, params):
        return simplex_problem(params, "w")

    @classmethod
    def runtime_relations(cls, params, runtime):
        return simplex_holds(params, runtime, "w")

    @classmethod
    def event_shape(cls, events, value_event, constants):
        common_event(events, ("w", "mu", "sigma"), "components")
        return ()

    @classmethod
    def logp(cls, x, w, mu, sigma):
        return logsumexp(jnp.log(w) + Normal.logp(jnp.expand_dims(x, -1), mu, sigma), -1)

    @classmethod
    def sample(cls, key, params, shape):
        k = max(jnp.shape(params[p])[-1] if jnp.ndim(params[p]) else 1 for p in ("w", "mu", "sigma"))
        full = tuple(shape) + (k,)
        draws = Normal.sample(jax.random.fold_in(key, 1), {
            "mu": jnp.broadcast_to(params["mu"], full), "sigma": jnp.broadcast_to(params["sigma"], full)}, full)
        return _pick_component(key, jnp.log(params["w"]), draws)


class Mixture(Distribution):
    """Mixture(w, components): sum_k w_k p_k(x), ``components`` a list of (distribution,
    params) pairs of scalar families sharing one support (all continuous or all discrete):

    ``.rv("y", exmc.Mixture, {"w": "w", "components": [(exmc.Normal, {"mu": "m", "sigma": 1.0}),
    (exmc.StudentT, {"nu": 3.0, "mu": 0.0, "sigma": "s"})]})``

    ``w``'s last axis holds the K weights. The builder replaces this class by the expanded
    one (see the module docstring); the expanded parameters are ``components[i].<name>``."""

    parametrizations = ({"w": C.closed_unit_interval, "components": C.real},)
    support = C.real

    @classmethod
    def expand(cls, params: Mapping) -> tuple[type[Distribution], dict]:
        if "components" not in params or "w" not in params:
            raise ValueError("Mixture takes parameters 'w' and 'components' (a list of (distribution, params) pairs)")
        extra = sorted(set(params) - {"w", "components"})
        if extra:
            raise ValueError(f"Mixture has no parameter {', '.join(map(repr, extra))}; its parameters are w, components")
        components = params["components"]
        if isinstance(components, (str, bytes)) or not hasattr(components, "__len__") or len(components) < 1:
            raise ValueError("parameter 'components' must be a non-empty list of (distribution, params) pairs")
        keys, flat = [], {"w": params["w"]}
        for i, item in enumerate(components):
            if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], Mapping)):
                raise ValueError(f"components[{i}] must be a (distribution, params dict) pair, got {item!r:.60}")
            dist, sub = item
            if not (isinstance(dist, type) and issubclass(dist, Distribution)) or dist is Distribution or hasattr(dist, "expand"):
                raise ValueError(f"components[{i}] must be an Exmc distribution such as exmc.Normal, got {dist!r}")
            if dist.event_dims or any(dist.param_event_dims.values()):
                raise ValueError(f"components[{i}]: {dist.__name__} is multivariate; a Mixture's components are scalar families")
            try:
                dist.match(set(sub))
            except ValueError as err:
                raise ValueError(f"components[{i}]: {err}") from None
            keys.append((dist, tuple(sorted(sub))))
            flat.update({f"components[{i}].{k}": v for k, v in sub.items()})
        supports = {d.support for d, _ in keys}
        if len(supports) > 1 or len({d.discrete for d, _ in keys}) > 1:
            raise ValueError(
                "the components must share one support, got " + ", ".join(f"{d.__name__} on {d.support.describe()}" for d, _ in keys)
            )
        return mixture_of(tuple(keys)), flat


@lru_cache(maxsize=None)
def mixture_of(keys: tuple[tuple[type[Distribution], tuple[str, ...]], ...]) -> type[Distribution]:
    """The distribution of a mixture of ``keys`` ((family, its parameter names) each), one
    class per structure so that equal models hold the same class."""
    domains = {"w": C.closed_unit_interval}
    for i, (dist, names) in enumerate(keys):
        match = dist.match(set(names))
        domains.update({f"components[{i}].{n}": match[n] for n in names})
    k = len(keys)

    def split(params):
        return [{n: params[f"components[{i}].{n}"] for n in names} for i, (_, names) in enumerate(keys)]

    class _Mixture(Distribution):
        __doc__ = "Mixture of " + ", ".join(d.__name__ for d, _ in keys)
        parametrizations = (domains,)
        support = keys[0][0].support
        discrete = keys[0][0].discrete
        param_event_dims = {"w": 1}
        components = tuple(d for d, _ in keys)

        @classmethod
        def check_params(cls, params):
            problem = simplex_problem(params, "w")
            if problem:
                return problem
            for i, (dist, names) in enumerate(keys):
                given = {n: params[f"components[{i}].{n}"] for n in names if f"components[{i}].{n}" in params}
                problem = dist.check_params(given)  # constants only, as for any family
                if problem:
                    return f"components[{i}]: {problem}"
            return None

        @classmethod
        def runtime_relations(cls, params, runtime):
            relations = simplex_holds(params, runtime, "w")
            for i, (dist, names) in enumerate(keys):  # each component's own relations
                sub = {n: params[f"components[{i}].{n}"] for n in names}
                inner = frozenset(n for n in names if f"components[{i}].{n}" in runtime)
                relations += list(dist.runtime_relations(sub, inner))
            return relations

        @classmethod
        def event_shape(cls, events, value_event, constants):
            w = events["w"]
            if w != (k,):
                raise ValueError(f"parameter 'w' of event shape {w} does not match the {k} components (event shape ({k},))")
            return ()

        @classmethod
        def logp(cls, x, **params):
            terms = jnp.stack(jnp.broadcast_arrays(*(d.logp(x, **s) for (d, _), s in zip(keys, split(params)))), -1)
            return logsumexp(jnp.log(params["w"]) + terms, -1)

        @classmethod
        def sample(cls, key, params, shape):
            draws = [jnp.broadcast_to(jnp.asarray(d.sample(jax.random.fold_in(key, i + 1), s, shape), jnp.result_type(float)), shape)
                     for i, ((d, _), s) in enumerate(zip(keys, split(params)))]
            return _pick_component(key, jnp.log(params["w"]), jnp.stack(draws, -1))

    _Mixture.__name__ = _Mixture.__qualname__ = "Mixture"
    return _Mixture
