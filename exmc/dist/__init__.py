"""Distributions, with PyMC's parameter names. See ``exmc.dist.base`` for the protocol."""

from exmc.dist.base import Distribution
from exmc.dist.bernoulli import Bernoulli, Binomial
from exmc.dist.beta import Beta
from exmc.dist.beta_binomial import BetaBinomial
from exmc.dist.gamma import Exponential, Gamma
from exmc.dist.geometric import Geometric
from exmc.dist.inverse_gamma import InverseGamma
from exmc.dist.laplace import Laplace
from exmc.dist.logistic import Logistic
from exmc.dist.negative_binomial import NegativeBinomial
from exmc.dist.normal import HalfNormal, LogNormal, Normal
from exmc.dist.poisson import Poisson
from exmc.dist.skew_normal import SkewNormal
from exmc.dist.studentt import Cauchy, HalfCauchy, HalfStudentT, StudentT
from exmc.dist.uniform import Uniform
from exmc.dist.truncated_normal import TruncatedNormal
from exmc.dist.weibull import Weibull
from exmc.dist.wrappers import Censored, Truncated
from exmc.dist.zero_inflated import ZeroInflatedNegativeBinomial, ZeroInflatedPoisson
from exmc.dist.categorical import Categorical, Multinomial, OrderedLogistic
from exmc.dist.mixture import Mixture, NormalMixture
from exmc.dist.multivariate import Dirichlet, GaussianRandomWalk, LKJCholesky, MvNormal, ZeroSumNormal

CONTINUOUS = (
    Normal, HalfNormal, Exponential, Gamma, Beta, Uniform, StudentT, Cauchy, HalfCauchy, LogNormal,
    InverseGamma, Weibull, Laplace, Logistic, HalfStudentT, SkewNormal, TruncatedNormal,
)
DISCRETE = (
    Bernoulli, Binomial, Poisson,
    NegativeBinomial, BetaBinomial, Geometric, ZeroInflatedPoisson, ZeroInflatedNegativeBinomial,
)
# families with event axes or component axes (decision 40)
MULTIVARIATE = (MvNormal, LKJCholesky, Dirichlet, ZeroSumNormal, GaussianRandomWalk, NormalMixture, Mixture)
CATEGORICAL = (Categorical, OrderedLogistic, Multinomial)

__all__ = [
    "Distribution",
    *(d.__name__ for d in CONTINUOUS + DISCRETE + MULTIVARIATE + CATEGORICAL),
    "Censored",
    "Truncated",
    "CONTINUOUS",
    "DISCRETE",
    "MULTIVARIATE",
    "CATEGORICAL",
]
