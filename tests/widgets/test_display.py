"""What the browser ends up holding, replayed in Python: bounded, exact, and the same for a
view that joins late (snapshot) as for one that saw every delta."""

import math

import numpy as np
import pytest

from exmc import Batch
from exmc_widgets import prepare
from exmc_widgets.display import Display, Series, advance
from exmc_widgets.protocol import apply_ops, decode, encode
from exmc_widgets.store import DrawStore

SHAPES = {"mu": (), "theta": (2,)}
CHAINS, TUNE = 3, 40


def batches(draws=3000, seed=0):
    """Warmup then sampling batches of random sizes, with random divergences."""
    rng = np.random.default_rng(seed)
    for phase, total in (("warmup", TUNE), ("sampling", draws)):
        done = 0
        while done < total:
            n = int(min(rng.integers(1, 200), total - done))
            done += n
            yield Batch(
                phase=phase,
                draws={"mu": rng.normal(size=(CHAINS, n)), "theta": rng.normal(size=(CHAINS, n, 2)),
                       "theta_raw": rng.normal(size=(CHAINS, n, 2))},
                stats={"diverging": rng.random((CHAINS, n)) < 0.01, "energy": rng.normal(size=(CHAINS, n)),
                       "step_size": np.full((CHAINS, n), 0.5)},
                done=done, total=total,
            )


def wire(ops):
    """Ops as the browser receives them: through the encoder and back."""
    content, buffers = encode({"ops": ops})
    return decode(content, [bytes(b) for b in buffers])["ops"]


def test_advance_shows_every_stride_th_item_within_the_cap():
    rng = np.random.default_rng(1)
    shown, series, n, replaces = np.zeros(0, dtype=int), Series(), 0, 0
    for _ in range(300):
        n += int(rng.integers(0, 60))
        step = advance(series, n, cap=50)
        if step is None:
            continue
        kind, idx = step
        replaces += kind == "replace"
        shown = idx if kind == "replace" else np.concatenate([shown, idx])
        np.testing.assert_array_equal(shown, np.arange(0, n, series.stride))
        assert len(shown) <= 50
    # one first send, then one per doubling of the stride
    assert replaces == 1 + int(math.log2(series.stride))


def test_traces_in_the_browser_are_the_thinned_draws():
    store = DrawStore(SHAPES, CHAINS)
    display = Display(store, TUNE, trace_cap=64, divergence_cap=16)
    browser = {}
    for batch in batches():
        store.append(batch)
        apply_ops(browser, wire(display.fast_ops()))
        for key, data in browser.items():
            assert len(data["x"]) <= (16 if key.startswith("div/") else 64)
    for name in SHAPES:
        for phase, tag, offset in (("warmup", "w", -TUNE), ("sampling", "s", 0)):
            values = store.values(phase, name, 0)
            stride = prepare.thin_stride(values.shape[1], 64)
            for c in range(CHAINS):
                shown = browser[f"trace/{name}/{tag}{c}"]
                np.testing.assert_array_equal(shown["x"], np.arange(0, values.shape[1], stride) + offset)
                np.testing.assert_array_equal(shown["y"], values[c, ::stride])
        chain, index = store.divergences()
        assert chain.size > 16  # the divergence markers were thinned too
        stride = prepare.thin_stride(chain.size, 16)
        values = store.values("sampling", name, 0)
        np.testing.assert_array_equal(browser[f"div/{name}"]["x"], index[::stride])
        np.testing.assert_array_equal(browser[f"div/{name}"]["y"], values[chain[::stride], index[::stride]])


def test_divergences_are_the_stores_divergent_draws_in_draw_order():
    store = DrawStore(SHAPES, CHAINS)
    seen = []
    for batch in batches(draws=500):
        before = store.n("sampling")
        store.append(batch)
        if batch.phase == "sampling":
            chain, index = np.nonzero(batch.stats["diverging"])
            seen += sorted(zip(index + before, chain))
    chain, index = store.divergences()
    assert list(zip(index, chain)) == seen


def test_a_late_view_sees_what_an_early_view_sees():
    store = DrawStore(SHAPES, CHAINS)
    display = Display(store, TUNE, trace_cap=64, divergence_cap=16)
    early, late = {}, None
    for k, batch in enumerate(batches(seed=2)):
        store.append(batch)
        ops = wire(display.fast_ops() + (display.slow_ops() if k % 5 == 0 else []))
        apply_ops(early, ops)
        if late is not None:
            apply_ops(late, ops)
        if k == 12:  # a view appears: it starts from a snapshot
            late = {}
            apply_ops(late, wire(display.snapshot_ops()))
            assert late.keys() == early.keys()
    assert late.keys() == early.keys()
    for key in early:
        for column in early[key]:
            np.testing.assert_array_equal(late[key][column], early[key][column], err_msg=f"{key}.{column}")


def test_selecting_an_element_replaces_its_row():
    store = DrawStore(SHAPES, CHAINS)
    display = Display(store, TUNE)
    browser = {}
    for batch in batches(draws=300):
        store.append(batch)
        apply_ops(browser, wire(display.fast_ops()))
    apply_ops(browser, wire(display.slow_ops()))
    display.select("theta", 1)
    ops = wire(display.fast_ops() + display.slow_ops(rows_only=["theta"]))
    assert {op["source"] for op in ops} >= {"trace/theta/s0", "trace/theta/w2", "div/theta", "hist/theta", "acf/theta"}
    assert not any(op["source"].startswith(("trace/mu", "hist/mu")) for op in ops)
    apply_ops(browser, ops)
    values = store.values("sampling", "theta", 1)
    np.testing.assert_array_equal(browser["trace/theta/s1"]["y"], values[1])
    np.testing.assert_allclose(browser["hist/theta"]["top"], prepare.histogram(values)["top"])
    with pytest.raises(IndexError):
        display.select("theta", 2)
    with pytest.raises(KeyError):
        display.select("nope", 0)


def test_slow_panels_are_prepares_results_on_the_stores_draws():
    store = DrawStore(SHAPES, CHAINS)
    display = Display(store, TUNE, pair=[("mu", 0), ("theta", 1)])
    for batch in batches(draws=400):
        store.append(batch)
    ops = {op.get("source", "$table"): op for op in wire(display.slow_ops())}
    mu, theta1 = store.values("sampling", "mu", 0), store.values("sampling", "theta", 1)
    np.testing.assert_allclose(ops["acf/mu"]["data"]["acf"], prepare.autocorrelation(mu)["acf"])
    table = prepare.summary_table(["mu", "theta[0]", "theta[1]"],
                                  np.stack([mu, store.values("sampling", "theta", 0), theta1], axis=2))
    assert ops["$table"]["rows"] == table["rows"]
    np.testing.assert_allclose(ops["forest"]["data"]["mean"], [mu.mean(), table["stats"]["theta[0]"]["mean"], theta1.mean()])
    diverging = store.stat("sampling", "diverging").astype(bool)
    cell = prepare.pair_scatter(mu, theta1, diverging)
    np.testing.assert_array_equal(ops["pair/1/0"]["data"]["x"], cell["x"])
    np.testing.assert_array_equal(ops["pairdiv/1/0"]["data"]["y"], cell["dy"])
    assert ops["paircorr/0/1"]["data"]["text"] == [f"{prepare.correlation(theta1, mu):.2f}"]
    energy = prepare.energy(store.stat("sampling", "energy"))
    np.testing.assert_allclose(ops["energy/transition"]["data"]["top"], energy["transition"]["top"])
    assert ops["energy/bfmi"]["data"]["text"][0].startswith("E-BFMI ")
    assert "theta_raw" not in str(ops.keys())
