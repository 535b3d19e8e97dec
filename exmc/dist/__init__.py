"""Distributions, with PyMC's parameter names. See ``exmc.dist.base`` for the protocol."""

from exmc.dist.base import Distribution
from exmc.dist.bernoulli import Bernoulli, Binomial
from exmc.dist.beta import Beta
from exmc.dist.gamma import Exponential, Gamma
from exmc.dist.normal import HalfNormal, LogNormal, Normal
from exmc.dist.poisson import Poisson
from exmc.dist.studentt import Cauchy, HalfCauchy, StudentT
from exmc.dist.uniform import Uniform
from exmc.dist.categorical import Categorical, Multinomial, OrderedLogistic
from exmc.dist.mixture import Mixture, NormalMixture
from exmc.dist.multivariate import Dirichlet, GaussianRandomWalk, LKJCholesky, MvNormal, ZeroSumNormal

CONTINUOUS = (Normal, HalfNormal, Exponential, Gamma, Beta, Uniform, StudentT, Cauchy, HalfCauchy, LogNormal)
DISCRETE = (Bernoulli, Binomial, Poisson)
# families with event axes or component axes (decision 40)
MULTIVARIATE = (MvNormal, LKJCholesky, Dirichlet, ZeroSumNormal, GaussianRandomWalk, NormalMixture, Mixture)
CATEGORICAL = (Categorical, OrderedLogistic, Multinomial)

__all__ = [
    "Distribution",
    *(d.__name__ for d in CONTINUOUS + DISCRETE + MULTIVARIATE + CATEGORICAL),
    "CONTINUOUS",
    "DISCRETE",
    "MULTIVARIATE",
    "CATEGORICAL",
]
