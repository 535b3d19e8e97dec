"""The %exmc / %%exmc magics, through IPython's own shell (no browser, no kernel).

The notation is checked by building the same model with the Builder (IR has value
equality); errors by their class, node, line and column; the line magic by what it binds
and what it calls (exmc_widgets.stream / dashboard, exmc.summary).
"""

import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

import exmc
import exmc_widgets
from exmc import Builder
from exmc.demo import eight_schools, readme_model
from exmc_widgets import notation as N

EIGHT = """\
mu ~ Normal(0, 5)
tau ~ HalfCauchy(5)
theta ~ Normal(mu, tau, shape=8)
y ~ Normal(theta, sigma) observed=y_data
"""
SIGMA = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
Y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])


@pytest.fixture(scope="module")
def shell():
    created = not InteractiveShell.initialized()
    config = Config()
    config.HistoryManager.enabled = False
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "exmc_widgets")
    yield ip
    if created:
        InteractiveShell.clear_instance()


@pytest.fixture
def ip(shell):
    """The shell, with numpy and the eight-schools data in its namespace; names a test adds are removed."""
    before = set(shell.user_ns)
    shell.user_ns.update(np=np, sigma=SIGMA, y_data=Y)
    yield shell
    for name in set(shell.user_ns) - before:
        del shell.user_ns[name]


def define(ip, body: str, name: str = "m") -> exmc.IR:
    """Run a %%exmc cell the way a notebook does and return what it bound."""
    result = ip.run_cell(f"%%exmc {name}\n{body}")
    if not result.success:
        raise result.error_in_exec or result.error_before_exec
    return ip.user_ns[name]


def error_of(ip, body: str) -> exmc.ExmcError:
    with pytest.raises(exmc.ExmcError) as info:
        ip.run_cell_magic("exmc", "m", body)
    return info.value


# -- loading ---------------------------------------------------------------------------------

def test_load_ext_registers_the_line_and_cell_magic(shell):
    assert "exmc" in shell.magics_manager.magics["line"]
    assert "exmc" in shell.magics_manager.magics["cell"]


def test_importing_exmc_widgets_does_not_import_the_magic():
    code = "import sys, exmc_widgets; print('exmc_widgets.magic' in sys.modules, 'exmc_widgets.notation' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# -- the notation builds the Builder's IR --------------------------------------------------------

def test_the_issue_example_equals_eight_schools_built_with_the_builder(ip):
    assert define(ip, EIGHT, "eight") == eight_schools()


def test_the_readme_model_with_data_written_as_an_expression(ip):
    body = """\
mu ~ Normal(0, 5)
sigma ~ HalfNormal(2)
x ~ Normal(mu, sigma) observed=np.array([2.1, 1.8, 2.5])
"""
    assert define(ip, body) == readme_model()


def test_the_ir_differs_when_the_text_does(ip):
    assert define(ip, EIGHT.replace("HalfCauchy(5)", "HalfCauchy(6)")) != eight_schools()
    assert define(ip, EIGHT.replace("shape=8", "shape=(8,)")) == eight_schools()


# API.md's parameter order, typed from API.md, with values that tell the positions apart.
API_ORDER = [
    ("Normal", ("mu", "sigma"), (0.5, 2.0)),
    ("HalfNormal", ("sigma",), (2.0,)),
    ("Exponential", ("lam",), (3.0,)),
    ("Gamma", ("alpha", "beta"), (2.0, 3.0)),
    ("Beta", ("alpha", "beta"), (2.0, 3.0)),
    ("Uniform", ("lower", "upper"), (-1.0, 4.0)),
    ("StudentT", ("nu", "mu", "sigma"), (3.0, 0.5, 2.0)),
    ("Cauchy", ("alpha", "beta"), (0.5, 2.0)),
    ("HalfCauchy", ("beta",), (2.0,)),
    ("LogNormal", ("mu", "sigma"), (0.5, 2.0)),
    ("Bernoulli", ("p",), (0.25,)),
    ("Binomial", ("n", "p"), (10.0, 0.25)),
    ("Poisson", ("mu",), (3.0,)),
    ("InverseGamma", ("alpha", "beta"), (2.0, 3.0)),
    ("Weibull", ("alpha", "beta"), (2.0, 3.0)),
    ("Laplace", ("mu", "b"), (0.5, 2.0)),
    ("Logistic", ("mu", "s"), (0.5, 2.0)),
    ("HalfStudentT", ("nu", "sigma"), (3.0, 2.0)),
    ("SkewNormal", ("mu", "sigma", "alpha"), (0.5, 2.0, -1.5)),
    ("TruncatedNormal", ("mu", "sigma", "lower", "upper"), (0.5, 2.0, -1.0, 4.0)),
    ("NegativeBinomial", ("mu", "alpha"), (3.0, 2.0)),
    ("BetaBinomial", ("alpha", "beta", "n"), (2.0, 3.0, 10.0)),
    ("Geometric", ("p",), (0.25,)),
    ("ZeroInflatedPoisson", ("psi", "mu"), (0.75, 3.0)),
    ("ZeroInflatedNegativeBinomial", ("psi", "mu", "alpha"), (0.75, 3.0, 2.0)),
]
COUNTS = np.array([2.0, 5.0])
DATA = {"Bernoulli": np.array([0.0, 1.0]), "Binomial": np.array([3.0, 7.0]), "Poisson": COUNTS,
        "NegativeBinomial": COUNTS, "BetaBinomial": COUNTS, "Geometric": COUNTS,
        "ZeroInflatedPoisson": COUNTS, "ZeroInflatedNegativeBinomial": COUNTS}


@pytest.mark.parametrize("dist, names, values", API_ORDER, ids=[row[0] for row in API_ORDER])
def test_positional_parameters_follow_the_api_order(ip, dist, names, values):
    args = ", ".join(map(repr, values))
    cls = getattr(exmc, dist)
    params = dict(zip(names, values))
    if dist in DATA:
        ip.user_ns["d"] = DATA[dist]
        expected = Builder.new_ir().rv("x", cls, params).obs("x_obs", "x", DATA[dist])
        assert define(ip, f"x ~ {dist}({args}) observed=d") == expected
    else:
        assert define(ip, f"x ~ {dist}({args})") == Builder.new_ir().rv("x", cls, params)


def test_keyword_and_mixed_parameters_equal_positional(ip):
    expected = Builder.new_ir().rv("t", exmc.StudentT, {"nu": 3.0, "mu": 1.0, "sigma": 2.0})
    assert define(ip, "t ~ StudentT(3, 1, 2)") == expected
    assert define(ip, "t ~ StudentT(sigma=2, nu=3, mu=1)") == expected
    assert define(ip, "t ~ StudentT(3, sigma=2, mu=1)") == expected


def test_the_second_parametrization_goes_by_keyword(ip):
    ip.user_ns["k"] = np.array([3.0, 7.0])
    expected = (Builder.new_ir().rv("eta", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
                .rv("k", exmc.Binomial, {"n": 10.0, "logit_p": "eta"}).obs("k_obs", "k", np.array([3.0, 7.0])))
    assert define(ip, "eta ~ Normal(0, 1)\nk ~ Binomial(10, logit_p=eta) observed=k") == expected


def test_shape_transform_and_noncenter_options(ip):
    expected = (Builder.new_ir().rv("s", exmc.HalfNormal, {"sigma": 1.0}, transform="log")
                .rv("z", exmc.Normal, {"mu": 0.0, "sigma": "s"}, shape=(2, 3), noncenter=False))
    body = "s ~ HalfNormal(1, transform='log')\nz ~ Normal(0, s, shape=(2, 3), noncenter=False)"
    assert define(ip, body) == expected
    assert define(ip, body.replace("noncenter=False", "noncenter=True")) != expected


def test_observed_in_the_call_equals_observed_after_it(ip):
    assert define(ip, EIGHT.replace("sigma) observed=y_data", "sigma, observed=y_data)")) == eight_schools()


def test_comments_blank_lines_indentation_and_continued_lines_are_allowed(ip):
    body = """
    # the eight schools, centered
    mu ~ Normal(0,   # a comment inside the call
                5)

        tau ~ HalfCauchy(5)  # trailing comment
    theta ~ Normal(mu, tau,
                   shape=8)
    y ~ Normal(theta, sigma) observed=y_data
    """
    assert define(ip, body) == eight_schools()


def test_names_and_expressions_of_the_namespace_are_evaluated(ip):
    ip.user_ns.update(s=1.5, n=3)
    expected = Builder.new_ir().rv("z", exmc.Normal, {"mu": np.zeros(3), "sigma": 3.0}, shape=(3,))
    assert define(ip, "z ~ Normal(np.zeros(n), 2 * s, shape=n)") == expected


def test_a_node_wins_over_a_namespace_variable_of_the_same_name(ip):
    ip.user_ns["mu"] = 3.0
    assert define(ip, EIGHT) == eight_schools()


def test_observed_data_may_share_the_name_of_its_node(ip):
    ip.user_ns["y"] = Y
    assert define(ip, EIGHT.replace("observed=y_data", "observed=y")) == eight_schools()


def test_a_parameter_may_name_a_node_defined_further_down(ip):
    lines = EIGHT.splitlines()
    body = "\n".join([lines[2], lines[0], lines[1], lines[3]])
    ir = define(ip, body)
    assert set(ir.names) == set(eight_schools().names)
    assert ir["theta"] == eight_schools()["theta"]


def test_distribution_given_as_an_attribute_of_a_namespace_module(ip):
    ip.user_ns["exmc"] = exmc
    assert define(ip, "z ~ exmc.Normal(0, 1)") == Builder.new_ir().rv("z", exmc.Normal, {"mu": 0.0, "sigma": 1.0})


def test_the_cell_binds_its_name_and_writes_nothing_else_to_the_namespace(ip):
    before = dict(ip.user_ns)
    ip.run_cell_magic("exmc", "eight", EIGHT)
    added = set(ip.user_ns) - set(before)
    assert added == {"eight"}
    assert all(ip.user_ns[k] is v for k, v in before.items())


# -- deterministic nodes -----------------------------------------------------------------------

DET = """\
mu ~ Normal(0, 1)
tau ~ HalfNormal(1)
m = mu + 2 * jnp.exp(tau) + offset
x ~ Normal(m, 1) observed=np.array([0.5, 1.5])
"""


def test_a_det_line_makes_a_det_node_over_the_nodes_it_names(ip, x64):
    ip.user_ns["offset"] = np.array([0.0, 1.0])
    ir = define(ip, DET)
    det = ir["m"]
    assert isinstance(det, exmc.ir.nodes.Det) and det.deps == ("mu", "tau")
    np.testing.assert_allclose(det.fn(1.0, 0.0), [3.0, 4.0])
    np.testing.assert_allclose(det.fn(-1.0, np.log(2.0)), [3.0, 4.0])


def test_a_det_line_compiles_to_the_builders_log_density(ip):
    ip.user_ns["offset"] = np.array([0.0, 1.0])
    offset = np.array([0.0, 1.0])
    expected = (Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 1.0})
                .rv("tau", exmc.HalfNormal, {"sigma": 1.0})
                .det("m", lambda mu, tau: mu + 2 * jnp.exp(tau) + offset, ["mu", "tau"])
                .rv("x", exmc.Normal, {"mu": "m", "sigma": 1.0}).obs("x_obs", "x", np.array([0.5, 1.5])))
    ours, theirs = exmc.compile_model(define(ip, DET)), exmc.compile_model(expected)
    for point in np.random.default_rng(0).normal(size=(5, 2)):
        assert ours.logp(point) == pytest.approx(theirs.logp(point), rel=1e-12)


def test_a_det_node_keeps_the_values_it_was_defined_with(ip, x64):
    offset = np.array([0.0, 1.0])
    ip.user_ns["offset"] = offset
    ir = define(ip, DET)
    offset[:] = 100.0
    np.testing.assert_allclose(ir["m"].fn(1.0, 0.0), [3.0, 4.0])


# -- errors in the text: class, node, line (the %%exmc line is line 1) and column ----------------------

ERRORS = [
    # body, error class, node, line, column, words in the message
    ("mu ~ Normal(0, 5", N.MagicSyntaxError, None, 2, 12, "'(' was never closed"),
    ("mu Normal(0, 5)", N.MagicSyntaxError, "mu", 2, 4, "expected '~'"),
    ("mu ~ Normal(0,, 5)", N.MagicSyntaxError, "mu", 2, 15, "invalid syntax"),
    ("~ Normal(0, 1)", N.MagicSyntaxError, None, 2, 1, "expected a node name"),
    ("mu ~ 5", N.MagicSyntaxError, "mu", 2, 6, "expected a distribution"),
    ("mu ~ Normal", N.MagicSyntaxError, "mu", 2, 6, "expected '('"),
    ("mu ~ Normal(0, 5) $", N.MagicSyntaxError, None, 2, 19, "unexpected character '$'"),
    ("mu ~ Normal(0, 5))", N.MagicSyntaxError, None, 2, 18, "unmatched ')'"),
    ("mu ~ Normal([0, 5)", N.MagicSyntaxError, None, 2, 18, "does not match"),
    ("mu ~ Normal(0, 'a)", N.MagicSyntaxError, None, 2, 16, "unterminated string"),
    ("lambda ~ Gamma(1, 1)", N.MagicSyntaxError, None, 2, 1, "Python keyword"),
    ("y ~ Normal(0, 1) foo", N.MagicSyntaxError, "y", 2, 18, "only observed=DATA may follow"),
    ("y ~ Normal(0, 1) observed=", N.MagicSyntaxError, "y", 2, 26, "expected the observed data"),
    ("y ~ Normal(0, 1, observed=y_data) observed=y_data", N.MagicSyntaxError, "y", 2, 44, "observed= given twice"),
    ("y ~ Normal(*[0, 1])", N.MagicSyntaxError, "y", 2, 12, "*args"),
    ("m =", N.MagicSyntaxError, "m", 2, 3, "expected an expression"),
    ("theta ~ Normall(0, 1)", N.MagicDistributionError, "theta", 2, 9, "did you mean 'Normal'"),
    ("theta ~ np.zeros(3)", N.MagicDistributionError, "theta", 2, 9, "not an Exmc distribution"),
    ("y ~ Normal(0, sigmaa)", N.MagicNameError, "y", 2, 15, "unknown name 'sigmaa'"),
    ("y ~ Normal(0, 1) observed=y_dat", N.MagicNameError, "y", 2, 27, "did you mean 'y_data'"),
    ("a ~ Normal(0, 1)\nm = a + undefined_thing", N.MagicNameError, "m", 3, 9, "unknown name 'undefined_thing'"),
    ("y ~ Normal(0, 1, 2)", N.MagicParameterError, "y", 2, 18, "2 positional parameters (mu, sigma), got 3"),
    ("y ~ Normal(0)", N.MagicParameterError, "y", 2, 5, "needs parameter 'sigma'"),
    ("y ~ Bernoulli(p=0.5, logit_p=0) observed=y_data", N.MagicParameterError, "y", 2, 5, "exactly one of"),
    ("y ~ Normal(0, 1, mean=2)", N.MagicParameterError, "y", 2, 18, "no parameter 'mean'"),
    ("y ~ Normal(0, mu=2)", N.MagicParameterError, "y", 2, 15, "'mu' given positionally and by keyword"),
    ("y ~ Normal(mu=0, mu=2, sigma=1)", N.MagicParameterError, "y", 2, 18, "'mu' given twice"),
    ("a ~ Normal(0, 1)\ny ~ Normal(2 * a, 1)", N.MagicParameterError, "y", 3, 16, "computes with the node 'a'"),
    ("a ~ Normal(0, 1)\ny ~ Normal(0, 1, shape=a)", N.MagicParameterError, "y", 3, 24, "shape= cannot use the node"),
    ("y ~ Normal(0, 1) observed=y + 1", N.MagicParameterError, "y", 2, 27, "no variable 'y'"),
    ("y ~ Normal('a', 1)", N.MagicParameterError, "y", 2, 12, "without quotes"),
    ("y ~ Normal(0, 1, noncenter='no')", N.MagicParameterError, "y", 2, 28, "True or False"),
    ("y ~ Normal(1 / 0, 1)", N.MagicEvaluationError, "y", 2, 12, "ZeroDivisionError"),
    ("c = 2 * 3", N.MagicDeterministicError, "c", 2, 5, "uses no node"),
    ("c += 2 * 3", N.MagicPotentialError, "c", 2, 6, "a potential is a term of the log-density"),
    ("c +=", N.MagicSyntaxError, "c", 2, 3, "expected an expression after '+='"),
    # positions on continued and indented lines
    ("mu ~ Normal(0,\n            sigmaa)", N.MagicNameError, "mu", 3, 13, "unknown name 'sigmaa'"),
    ("  # comment\n\n    y ~ Normall(0, 1)", N.MagicDistributionError, "y", 4, 9, "unknown distribution"),
    ("σ ~ HalfNormal(1)\ny ~ Normal(σ, sigmaa)", N.MagicNameError, "y", 3, 15, "unknown name 'sigmaa'"),
]


@pytest.mark.parametrize("body, cls, node, line, col, words", ERRORS, ids=[row[0] for row in ERRORS])
def test_errors_in_the_text_name_the_line_and_column(ip, body, cls, node, line, col, words):
    err = error_of(ip, body)
    assert type(err) is cls
    assert (err.node, err.lineno, err.col) == (node, line, col)
    assert err.line == body.split("\n")[line - 2]
    message = str(err)
    assert words in message
    assert message.startswith((f"node '{node}', " if node else "") + f"line {line}, column {col}: ")
    shown, caret = message.splitlines()[-2:]
    assert shown == "    " + err.line and caret.index("^") == 4 + col - 1


POTENTIAL = """\
mu ~ Normal(0, 5)
sigma ~ HalfNormal(2)
x ~ Normal(mu, sigma) observed=x_data
pen += -(mu - 1.0) ** 2 * sigma * weights
"""


def test_a_potential_line_compiles_to_the_builders_log_density(ip):
    ip.user_ns.update(x_data=np.array([2.1, 1.8, 2.5]), weights=np.array([1.0, 2.0]))
    ir = define(ip, POTENTIAL)
    assert isinstance(ir["pen"], exmc.ir.nodes.Potential) and ir["pen"].deps == ("mu", "sigma")
    weights = np.array([1.0, 2.0])
    expected = (Builder.new_ir().rv("mu", exmc.Normal, {"mu": 0.0, "sigma": 5.0})
                .rv("sigma", exmc.HalfNormal, {"sigma": 2.0})
                .rv("x", exmc.Normal, {"mu": "mu", "sigma": "sigma"}).obs("x_obs", "x", np.array([2.1, 1.8, 2.5]))
                .potential("pen", lambda mu, sigma: -(mu - 1.0) ** 2 * sigma * weights, ["mu", "sigma"]))
    ours, theirs = exmc.compile_model(ir), exmc.compile_model(expected)
    for point in np.random.default_rng(0).normal(size=(5, 2)):
        assert ours.logp(point) == pytest.approx(theirs.logp(point), rel=1e-12)
    assert ours.logp_terms(np.zeros(2))["pen"] == pytest.approx(-3.0, rel=1e-12)


def test_a_failing_potential_names_its_line(ip):
    err = error_of(ip, "mu ~ Normal(0, 5)\npen += mu[3]")
    assert isinstance(err, exmc.PotentialError) and err.node == "pen"
    assert "in %%exmc line 3: pen += mu[3]" in "\n".join(err.__notes__)


def test_error_classes_are_the_exmc_errors_of_the_same_kind():
    assert issubclass(N.MagicPotentialError, exmc.PotentialError)
    assert issubclass(N.MagicNameError, exmc.UnknownReferenceError)
    assert issubclass(N.MagicDistributionError, exmc.DistributionError)
    assert issubclass(N.MagicParameterError, exmc.ParameterError)
    assert issubclass(N.MagicDeterministicError, exmc.DeterministicError)
    assert all(issubclass(c, N.MagicError) and issubclass(c, exmc.ExmcError)
               for c in (N.MagicSyntaxError, N.MagicEvaluationError))


BUILDER_ERRORS = [
    # the Builder's checks, node by node
    ("mu ~ Normal(0, 1)\ns ~ HalfNormal(-1)", exmc.ParameterDomainError, "s", 3),
    ("mu ~ Normal(0, 1)\nmu ~ Normal(0, 2)", exmc.DuplicateNameError, "mu", 3),
    ("y ~ Normal(0, 1, transform='log')", exmc.TransformError, "y", 2),
    ("p ~ Beta(1, 1)\nk ~ Bernoulli(p) observed=np.array([2.0])", exmc.DataError, "k_obs", 3),
    ("y ~ Normal(0, 1, shape=3) observed=np.zeros(4)", exmc.ShapeError, "y_obs", 2),
    # the whole-model checks, run as the cell ends
    ("a = b + 1\nb = a + 1\nx ~ Normal(a, 1)", exmc.CycleError, "a", 2),
    ("a ~ Normal(0, 1, shape=3)\nb ~ Normal(a, 1, shape=2)", exmc.ShapeError, "b", 3),
    ("k ~ Poisson(3)", exmc.DistributionError, "k", 2),
]


@pytest.mark.parametrize("body, cls, node, line", BUILDER_ERRORS, ids=[row[1].__name__ for row in BUILDER_ERRORS])
def test_builder_and_model_errors_pass_through_with_a_note_naming_the_line(ip, body, cls, node, line):
    err = error_of(ip, body)
    assert type(err) is cls and err.node == node
    assert err.__notes__ == [f"in %%exmc line {line}: {body.split(chr(10))[line - 2].strip()}"]


def test_an_error_shows_as_its_message_and_caret_not_a_traceback(ip, capsys):
    result = ip.run_cell("%%exmc m\nmu ~ Normal(0, 1)\ny ~ Normal(mu, sigmaa)\n")
    assert isinstance(result.error_in_exec, N.MagicNameError)
    out = capsys.readouterr().out
    assert "Traceback" not in out and "notation.py" not in out
    assert "exmc_widgets.notation.MagicNameError: node 'y', line 3, column 16" in out
    assert "    y ~ Normal(mu, sigmaa)\n                   ^^^^^^" in out


def test_a_builder_error_shows_its_message_and_the_line(ip, capsys):
    result = ip.run_cell("%%exmc m\nmu ~ Normal(0, 1)\ns ~ HalfNormal(-1)\n")
    assert isinstance(result.error_in_exec, exmc.ParameterDomainError)
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert "exmc.errors.ParameterDomainError: node 's': parameter 'sigma' of HalfNormal" in out
    assert "in %%exmc line 3: s ~ HalfNormal(-1)" in out
    assert "m" not in ip.user_ns


@pytest.mark.parametrize("header", ["", "a b", "1x", "a-b", "class"])
def test_the_cell_magic_needs_one_valid_name(ip, header):
    with pytest.raises(UsageError, match="usage"):
        ip.run_cell_magic("exmc", header, EIGHT)


def test_parse_model_works_without_ipython():
    ir = N.parse_model(EIGHT, {"sigma": SIGMA, "y_data": Y})
    assert ir == eight_schools()
    with pytest.raises(N.MagicNameError) as info:
        N.parse_model("x ~ Normal(0, s)")
    assert (info.value.lineno, info.value.col) == (1, 15)


# -- the line magic -------------------------------------------------------------------------------

class FakeDashboard:
    """What %exmc sample needs of exmc_widgets.stream's result: wait, stop, trace."""

    def __init__(self, trace, interrupt=False, error=None):
        self.trace, self.interrupt, self.stopped, self.error = trace, interrupt, False, error

    def wait(self):
        if self.interrupt and not self.stopped:
            raise KeyboardInterrupt

    def stop(self):
        self.stopped = True


def small_trace(chains=2, draws=3) -> exmc.Trace:
    rng = np.random.default_rng(1)
    return exmc.Trace(posterior={"mu": rng.normal(size=(chains, draws))},
                      sample_stats={"diverging": np.zeros((chains, draws), dtype=bool)})


@pytest.fixture
def fake_stream(monkeypatch):
    calls = []

    def stream(ir, **settings):
        calls.append((ir, settings))
        return FakeDashboard(small_trace())

    monkeypatch.setattr(exmc_widgets, "stream", stream, raising=False)
    return calls


def test_sample_streams_the_model_and_binds_the_trace(ip, fake_stream, capsys):
    ip.run_cell_magic("exmc", "eight", EIGHT)
    ip.run_line_magic("exmc", "sample eight --draws 50 --tune 20 --chains 3 --seed 7")
    ((ir, settings),) = fake_stream
    assert ir is ip.user_ns["eight"]
    assert settings == {"draws": 50, "tune": 20, "chains": 3, "seed": 7}
    assert isinstance(ip.user_ns["trace"], exmc.Trace)
    assert "trace = Trace(chains=2, draws=3" in capsys.readouterr().out


def test_sample_defaults_and_into(ip, fake_stream):
    ip.run_cell_magic("exmc", "eight", EIGHT)
    result = ip.run_cell("%exmc sample eight --into posterior")
    assert result.success and result.result is None
    assert fake_stream[0][1] == {"draws": 1000, "tune": 1000, "chains": 4, "seed": 0}
    assert isinstance(ip.user_ns["posterior"], exmc.Trace) and "trace" not in ip.user_ns


def test_interrupting_sample_stops_it_and_binds_the_draws_so_far(ip, monkeypatch, capsys):
    dash = FakeDashboard(small_trace(draws=2), interrupt=True)
    monkeypatch.setattr(exmc_widgets, "stream", lambda ir, **settings: dash, raising=False)
    ip.run_cell_magic("exmc", "eight", EIGHT)
    ip.run_line_magic("exmc", "sample eight")
    assert dash.stopped and ip.user_ns["trace"] is dash.trace
    assert "interrupted" in capsys.readouterr().out


def test_an_error_that_ended_sampling_is_raised_after_binding_the_draws_made(ip, monkeypatch, capsys):
    failure = exmc.InitializationError("mu", "no finite starting point")
    dash = FakeDashboard(small_trace(draws=0), error=failure)
    monkeypatch.setattr(exmc_widgets, "stream", lambda ir, **settings: dash, raising=False)
    ip.run_cell_magic("exmc", "eight", EIGHT)
    result = ip.run_cell("%exmc sample eight")
    assert result.error_in_exec is failure and ip.user_ns["trace"] is dash.trace
    out = capsys.readouterr().out
    assert "exmc.errors.InitializationError: node 'mu': no finite starting point" in out and "Traceback" not in out


def test_summary_shows_exmc_summary_of_the_trace(ip, monkeypatch):
    seen = []
    monkeypatch.setattr(exmc, "summary", lambda trace: seen.append(trace) or "the table", raising=False)
    ip.user_ns["t"] = small_trace()
    result = ip.run_cell("%exmc summary t")
    assert result.result == "the table" and seen == [ip.user_ns["t"]]


def test_summary_of_a_dashboard_is_that_of_its_trace_so_far(ip, monkeypatch):
    seen = []
    monkeypatch.setattr(exmc, "summary", seen.append, raising=False)
    ip.user_ns["dash"] = FakeDashboard(small_trace())
    ip.run_line_magic("exmc", "summary dash")
    assert seen == [ip.user_ns["dash"].trace]


def test_dashboard_draws_the_trace(ip, monkeypatch):
    seen = []
    monkeypatch.setattr(exmc_widgets, "dashboard", seen.append, raising=False)
    ip.user_ns["t"] = small_trace()
    ip.run_line_magic("exmc", "dashboard t")
    assert seen == [ip.user_ns["t"]]


@pytest.mark.parametrize("line", ["", "help", "--help"])
def test_no_command_or_help_prints_the_usage(ip, capsys, line):
    ip.run_line_magic("exmc", line)
    assert "%exmc sample NAME [--draws N]" in capsys.readouterr().out


@pytest.mark.parametrize("line, words", [
    ("bogus", "unknown command 'bogus'"),
    ("sample", "required: name"),
    ("sample eight --draws x", "invalid int value: 'x'"),
    ("sample eight --draws -1", "--draws must be at least 0"),
    ("sample eight --chains 0", "--chains must be at least 1"),
    ("sample eight --draw 5", "unrecognized arguments"),
    ("sample eight --into 1x", "--into takes a variable name"),
    ("sample eight --into def", "--into takes a variable name"),
    ("sample eight extra", "unrecognized arguments"),
    ("sample nothing", "no variable named 'nothing'"),
    ("sample np", "'np' is of type module, not a model"),
    ("summary", "takes one variable"),
    ("summary a b", "takes one variable"),
    ("summary eight", "'eight' is of type IR, not a Trace"),
    ("dashboard nothing", "no variable named 'nothing'"),
    ("sample 'eight", "No closing quotation"),
])
def test_bad_arguments_give_the_usage(ip, fake_stream, line, words):
    ip.run_cell_magic("exmc", "eight", EIGHT)
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("exmc", line)
    assert words in str(info.value) and "usage:" in str(info.value)
    assert fake_stream == []


def test_user_jax_stays_float32_after_the_magic(ip):
    ip.run_cell_magic("exmc", "m", DET.replace(" + offset", ""))
    assert jnp.zeros(2).dtype == jnp.float32


# -- against the real exmc_widgets.stream and exmc_widgets.dashboard ---------------------------------------

@pytest.fixture(scope="module")
def sampled(shell):
    """One real `%exmc sample` (exmc_widgets.stream, shown and waited for), and exmc.sample's trace
    with the same settings."""
    shell.user_ns.update(sigma=SIGMA, y_data=Y)
    shell.run_cell_magic("exmc", "eight", EIGHT)
    with capture_output() as shown:
        shell.run_line_magic("exmc", "sample eight --draws 7 --tune 5 --chains 2 --seed 3 --into real")
    expected = exmc.sample(shell.user_ns["eight"], draws=7, tune=5, chains=2, seed=3, progressbar=False)
    trace = shell.user_ns.pop("real")
    for name in ("eight", "sigma", "y_data"):
        del shell.user_ns[name]
    return trace, expected, shown


def test_sample_through_the_real_dashboard_binds_exmc_samples_trace(sampled):
    """The trace bound equals exmc.sample's for the same settings, draw for draw (API.md's promise)."""
    trace, expected, _ = sampled
    assert trace.posterior["theta"].shape == (2, 7, 8) and trace.posterior["tau"].shape == (2, 7)
    assert trace.posterior.keys() == expected.posterior.keys()
    for name, values in expected.posterior.items():
        np.testing.assert_array_equal(trace.posterior[name], values, err_msg=name)
    for name, values in expected.sample_stats.items():
        np.testing.assert_array_equal(trace.sample_stats[name], values, err_msg=name)


def test_sample_shows_the_dashboard_and_says_what_it_bound(sampled):
    _, _, shown = sampled
    assert any("Dashboard" in output.data.get("text/plain", "") for output in shown.outputs)
    assert "real = Trace(chains=2, draws=7" in shown.stdout


def test_dashboard_of_a_real_trace_shows_it(ip, sampled):
    ip.user_ns["t"] = sampled[0]
    with capture_output() as shown:
        assert ip.run_line_magic("exmc", "dashboard t") is None
    (output,) = shown.outputs
    assert "MCMC Trace (2 chains x 7 draws)" in output.data["text/plain"]


def test_summary_of_a_real_trace_is_exmc_summary(ip, sampled):
    ip.user_ns["t"] = sampled[0]
    result = ip.run_cell("%exmc summary t")
    assert result.success
    table = result.result
    pd.testing.assert_frame_equal(table, exmc.summary(sampled[1]))
    assert list(table.columns[:4]) == ["mean", "sd", "hdi_3%", "hdi_97%"]
    assert "theta[7]" in table.index and "theta_raw[0]" not in table.index
