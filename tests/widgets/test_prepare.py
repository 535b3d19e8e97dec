"""The dashboard's numerics against numpy and ArviZ on the same arrays."""

import math

import arviz as az
import numpy as np
import pytest

from exmc_widgets import prepare


def ar1(phi, chains=4, draws=800, seed=0, loc=0.0):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(chains, draws))
    x = np.zeros_like(e)
    x[:, 0] = e[:, 0] / np.sqrt(1 - phi**2)
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x + loc


def test_element_labels_are_arviz_row_names():
    x = np.random.default_rng(0).normal(size=(2, 50, 2, 3))
    rows = az.summary({"x": x}, round_to="none").index.tolist()
    assert prepare.element_labels("x", (2, 3)) == rows
    assert prepare.element_labels("mu", ()) == ["mu"]
    assert prepare.element_labels("theta", (3,)) == ["theta[0]", "theta[1]", "theta[2]"]


def test_flat_elements_follow_the_labels_order():
    x = np.arange(2 * 5 * 6, dtype=float).reshape(2, 5, 2, 3)
    flat = prepare.flat_elements(x)
    assert flat.shape == (2, 5, 6)
    np.testing.assert_array_equal(flat[:, :, 4], x[:, :, 1, 1])  # "x[1, 1]" is the fifth label


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 1001, 4096, 10**6 + 3])
@pytest.mark.parametrize("cap", [1, 10, 1000])
def test_thin_stride_is_the_smallest_power_of_two_within_the_cap(n, cap):
    s = prepare.thin_stride(n, cap)
    assert s & (s - 1) == 0
    assert math.ceil(n / s) <= cap
    assert s == 1 or math.ceil(n / (s // 2)) > cap


def test_histogram_matches_numpy_density():
    x = ar1(0.5, seed=1)
    h = prepare.histogram(x)
    bins = len(h["top"])
    assert prepare.MIN_BINS <= bins <= prepare.MAX_BINS
    top, edges = np.histogram(x.ravel(), bins=bins, density=True)
    np.testing.assert_allclose(h["top"], top, rtol=1e-12)
    np.testing.assert_allclose(h["left"], edges[:-1])
    np.testing.assert_allclose(h["right"], edges[1:])
    assert np.sum(h["top"] * (h["right"] - h["left"])) == pytest.approx(1.0)


def test_histogram_bins_stay_readable_and_ignore_non_finite_values():
    few = prepare.histogram(np.array([[1.0, 2.0, 3.0, np.nan, np.inf]]))
    assert len(few["top"]) == prepare.MIN_BINS and few["left"][0] == 1.0 and few["right"][-1] == 3.0
    many = prepare.histogram(np.random.default_rng(0).normal(size=(4, 100_000)))
    assert len(many["top"]) == prepare.MAX_BINS
    assert all(len(v) == 0 for v in prepare.histogram(np.zeros((4, 0))).values())


@pytest.mark.parametrize("phi", [0.0, 0.6, 0.95])
def test_autocorrelation_is_arviz_autocorr_averaged_over_chains(phi):
    x = ar1(phi, seed=2)
    acf = prepare.autocorrelation(x, max_lag=100)
    expected = np.mean([az.autocorr(chain) for chain in x], axis=0)[:101]
    np.testing.assert_array_equal(acf["lag"], np.arange(101))
    np.testing.assert_allclose(acf["acf"], expected, rtol=1e-10, atol=1e-12)
    assert acf["acf"][1] == pytest.approx(phi, abs=0.1)


def test_autocorrelation_of_short_chains_stops_at_the_last_lag():
    acf = prepare.autocorrelation(ar1(0.3, draws=12), max_lag=100)
    assert len(acf["lag"]) == 12 and acf["acf"][0] == pytest.approx(1.0)
    assert len(prepare.autocorrelation(np.zeros((4, 1)))["acf"]) == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_summary_stats_equal_arviz_summary(seed):
    a, b = ar1(0.7, seed=seed, loc=3.0), ar1(0.2, seed=seed + 10, loc=-1.0)
    a[1] += 0.4  # a chain off the others: R-hat above 1
    ours = prepare.summary_stats(np.stack([a, b], axis=2))
    theirs = az.summary({"a": a, "b": b}, round_to="none")
    for column in prepare.SUMMARY_COLUMNS:
        np.testing.assert_allclose(ours[column], theirs[column].to_numpy(), rtol=1e-6, err_msg=column)
    assert ours["r_hat"][0] > 1.01


def test_summary_of_too_few_draws_is_nan_not_an_error():
    row = prepare.summary_stats(np.array([[[1.0]], [[2.0]]]))
    assert row["mean"][0] == 1.5 and math.isnan(row["ess_bulk"][0]) and math.isnan(row["r_hat"][0])
    assert all(math.isnan(v[0]) for v in prepare.summary_stats(np.zeros((4, 0, 1))).values())


def test_summary_table_formats_and_flags():
    good, bad = ar1(0.2, seed=3), ar1(0.2, seed=4)
    bad[0] += 3.0
    table = prepare.summary_table(["a", "b"], np.stack([good, bad], axis=2))
    assert table["columns"] == ["", "mean", "sd", "hdi_3%", "hdi_97%", "ess_bulk", "ess_tail", "r_hat"]
    assert [r[0] for r in table["rows"]] == ["a", "b"]
    assert table["flagged"] == [False, True]
    assert table["rows"][0][-1] == f"{table['stats']['a']['r_hat']:.2f}"
    assert table["rows"][0][5] == f"{table['stats']['a']['ess_bulk']:.0f}"
    assert table["stats"]["b"]["mean"] == pytest.approx(bad.mean())


@pytest.mark.parametrize(("column", "value", "shown"), [
    ("mean", 1.23456, "1.235"), ("sd", 12345.6, "1.23e+04"), ("mean", 0.0001234, "0.000123"),
    ("ess_bulk", 1234.6, "1235"), ("r_hat", 1.0049, "1.00"), ("mean", float("nan"), "\u2013"),
])
def test_format_stat(column, value, shown):
    assert prepare.format_stat(column, value) == shown


def test_forest_puts_the_first_row_on_top_and_flags_r_hat():
    stats = [{"mean": 1.0, "hdi_3%": 0.0, "hdi_97%": 2.0, "r_hat": 1.0},
             {"mean": 5.0, "hdi_3%": 4.0, "hdi_97%": 6.0, "r_hat": 1.2},
             {"mean": 0.0, "hdi_3%": -1.0, "hdi_97%": 1.0, "r_hat": float("nan")}]
    f = prepare.forest(stats)
    np.testing.assert_array_equal(f["y"], [2, 1, 0])
    np.testing.assert_array_equal(f["mean"], [1, 5, 0])
    np.testing.assert_array_equal(f["low"], [0, 4, -1])
    np.testing.assert_array_equal(f["flag"], [0, 1, 0])


def test_pair_scatter_thins_evenly_and_keeps_divergent_draws():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 2000)), rng.normal(size=(4, 2000))
    diverging = np.zeros((4, 2000), dtype=bool)
    diverging[2, [10, 500, 1999]] = True
    cell = prepare.pair_scatter(x, y, diverging, max_points=1000)
    assert len(cell["x"]) == 1000
    np.testing.assert_array_equal(cell["x"], x[:, ::8].ravel())
    np.testing.assert_array_equal(cell["dx"], x[2, [10, 500, 1999]])
    np.testing.assert_array_equal(cell["dy"], y[2, [10, 500, 1999]])


def test_correlation_matches_numpy():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 300))
    y = 0.6 * x + rng.normal(size=(4, 300))
    assert prepare.correlation(x, y) == pytest.approx(np.corrcoef(x.ravel(), y.ravel())[0, 1], rel=1e-12)
    assert math.isnan(prepare.correlation(x, np.ones((4, 300))))


def test_energy_bfmi_equals_arviz():
    energy = ar1(0.8, seed=7, loc=50.0)
    np.testing.assert_allclose(prepare.energy(energy)["bfmi"], az.bfmi(energy), rtol=1e-12)


def test_energy_transitions_stay_within_chains_and_share_bins():
    energy = np.stack([np.linspace(0, 1, 100), np.linspace(0, 1, 100) + 1000.0])
    plot = prepare.energy(energy, bins=20)
    # successive draws differ by 1/99 within each chain; the jump between chains is no transition
    t = plot["transition"]
    assert np.sum(t["top"] * (t["right"] - t["left"])) == pytest.approx(1.0)
    occupied = t["top"] > 0
    assert t["left"][occupied].min() <= 1 / 99 <= t["right"][occupied].max() < 100
    np.testing.assert_array_equal(plot["marginal"]["left"], plot["transition"]["left"])
