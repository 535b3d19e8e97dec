"""Run-time domains: -inf where a parameter computed by another node leaves its domain.

The builder checks constant parameters once; a parameter that names a node (a det node's
output, another rv) is known only at run time, and a family's formula there can be finite
(``Poisson(mu=-f)`` at 0 gives ``f``) or NaN. Stan rejects such a proposal: the log-density
is -inf at that point and the sampler's energy test refuses it (decision 54).
"""

from __future__ import annotations

from typing import Mapping

import jax.numpy as jnp

from exmc.dist.base import Distribution


def logp_in_domain(dist: type[Distribution], x, params: Mapping[str, object], runtime: frozenset[str]):
    """``dist.logp(x, **params)``, -inf wherever a parameter named in ``runtime`` lies outside
    its domain, or ``x`` outside a support whose bounds are such parameters (Binomial's n)."""
    logp = dist.logp(x, **params)
    if not runtime:
        return logp
    domains = dist.match(set(params))
    ok = jnp.bool_(True)
    for name in runtime:
        ok = ok & domains[name].holds(params[name], params)
    support = dist.support
    if support.lower in runtime or support.upper in runtime:
        ok = ok & support.holds(x, params)
    return jnp.where(ok, logp, -jnp.inf)


def runtime_params(node_params: Mapping[str, object]) -> frozenset[str]:
    """The parameters of a node that name other nodes (strings), whose values come at run time."""
    return frozenset(k for k, v in node_params.items() if isinstance(v, str))
