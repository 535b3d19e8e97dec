"""The %%exmc notation with the multivariate, categorical and mixture families (decision 40):
each cell equals the IR the Builder makes."""

import numpy as np
import pytest

import exmc
from exmc import Builder
from exmc_widgets import notation as N

CHOL = np.array([[1.0, 0.0], [0.5, 0.8]])
X = np.array([[0.1, 0.2], [1.0, -1.0], [0.3, 0.0]])
CATS = np.array([0.0, 2.0, 1.0])
ORD = np.array([0.0, 3.0, 1.0])
CUTS = np.array([-1.0, 0.0, 1.0])


def test_multivariate_families_in_notation_equal_the_builder():
    cell = """
L ~ LKJCholesky(2, 2.0)
mu ~ Normal(0, 1, shape=2)
x ~ MvNormal(mu, chol=chol) observed=xs
p ~ Dirichlet(np.ones(3))
c ~ Categorical(p) observed=cats
eta ~ Normal(0, 1)
y ~ OrderedLogistic(eta, cuts) observed=ord_data
m ~ Normal(0, 3, shape=2, transform="ordered")
z ~ NormalMixture(np.array([0.4, 0.6]), m, 1.0) observed=xs[:, 0]
s ~ ZeroSumNormal(1.0, shape=4)
"""
    ns = {"np": np, "chol": CHOL, "xs": X, "cats": CATS, "ord_data": ORD, "cuts": CUTS}
    expected = (
        Builder.new_ir()
        .rv("L", exmc.LKJCholesky, {"n": 2, "eta": 2.0})
        .rv("mu", exmc.Normal, {"mu": 0, "sigma": 1}, shape=2)
        .rv("x", exmc.MvNormal, {"mu": "mu", "chol": CHOL}).obs("x_obs", "x", X)
        .rv("p", exmc.Dirichlet, {"a": np.ones(3)})
        .rv("c", exmc.Categorical, {"p": "p"}).obs("c_obs", "c", CATS)
        .rv("eta", exmc.Normal, {"mu": 0, "sigma": 1})
        .rv("y", exmc.OrderedLogistic, {"eta": "eta", "cutpoints": CUTS}).obs("y_obs", "y", ORD)
        .rv("m", exmc.Normal, {"mu": 0, "sigma": 3}, shape=2, transform="ordered")
        .rv("z", exmc.NormalMixture, {"w": np.array([0.4, 0.6]), "mu": "m", "sigma": 1.0}).obs("z_obs", "z", X[:, 0])
        .rv("s", exmc.ZeroSumNormal, {"sigma": 1.0}, shape=4)
    )
    assert N.parse_model(cell, ns) == expected


def test_a_general_mixture_takes_its_components_from_the_namespace():
    cell = 'y ~ Mixture(np.array([0.3, 0.7]), [(exmc.Normal, {"mu": 0.0, "sigma": 1.0}), (exmc.Normal, {"mu": "m", "sigma": 2.0})]) observed=d\nm ~ Normal(0, 5)\n'
    data = np.array([0.1, 3.0])
    got = N.parse_model(cell, {"np": np, "exmc": exmc, "d": data})
    expected = (
        Builder.new_ir()
        .rv("y", exmc.Mixture, {"w": np.array([0.3, 0.7]), "components": [
            (exmc.Normal, {"mu": 0.0, "sigma": 1.0}), (exmc.Normal, {"mu": "m", "sigma": 2.0})]})
        .obs("y_obs", "y", data)
        .rv("m", exmc.Normal, {"mu": 0, "sigma": 5})
    )
    assert got == expected
    assert got["y"].dist.__name__ == "Mixture" and got["y"].params["components[1].mu"] == "m"


def test_an_unknown_family_lists_the_new_ones():
    with pytest.raises(N.MagicDistributionError, match="LKJCholesky") as info:
        N.parse_model("L ~ LKJCholesk(2, 1.0)\n", {})
    assert "did you mean 'LKJCholesky'" in str(info.value)


def test_shape_errors_of_new_families_name_the_node():
    with pytest.raises(exmc.ShapeError, match="parameter 'mu' of event shape") as info:
        N.parse_model("x ~ MvNormal(np.zeros(3), cov=np.eye(2), shape=3)\n", {"np": np})
    assert info.value.node == "x"
