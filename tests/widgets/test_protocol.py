"""Messages to the front end: binary buffers, strict JSON, validated payloads."""

import json
import pathlib
import re

import numpy as np
import pytest

from exmc_widgets import protocol
from exmc_widgets.protocol import ProtocolError, apply_ops, decode, encode, replace_op, stream_op, table_op


def test_arrays_travel_as_buffers_and_round_trip():
    x = np.linspace(-1, 1, 7)
    message = {"type": "ops", "ops": [
        replace_op("a", {"x": np.arange(7), "y": x, "flag": x > 0, "label": np.array(list("abcdefg"))}),
        stream_op("b", {"y": x[:3].astype(np.float32)}),
    ]}
    content, buffers = encode(message)
    # strict JSON: no arrays as lists of numbers, no NaN
    text = json.dumps(content, allow_nan=False)
    assert "0.333" not in text
    assert [b.nbytes for b in buffers] == [7 * 4, 7 * 8, 7, 3 * 4]
    assert content["ops"][0]["data"]["x"] == {"$buffer": 0, "dtype": "int32", "shape": [7]}
    assert content["ops"][0]["data"]["label"] == list("abcdefg")
    back = decode(json.loads(text), [bytes(b) for b in buffers])
    np.testing.assert_array_equal(back["ops"][0]["data"]["x"], np.arange(7))
    np.testing.assert_array_equal(back["ops"][0]["data"]["y"], x)
    np.testing.assert_array_equal(back["ops"][0]["data"]["flag"], (x > 0).astype(np.uint8))
    assert back["ops"][1]["data"]["y"].dtype == np.float32


def test_non_finite_scalars_become_null_and_non_finite_arrays_stay_binary():
    content, buffers = encode({"a": float("nan"), "b": np.float64(np.inf), "c": np.array([np.nan, 1.0])})
    assert content["a"] is None and content["b"] is None
    assert np.isnan(decode(content, buffers)["c"][0])
    json.dumps(content, allow_nan=False)


def test_buffers_are_contiguous_even_from_strided_views():
    x = np.arange(20.0).reshape(4, 5)[:, 1]
    content, buffers = encode({"x": x})
    np.testing.assert_array_equal(decode(content, buffers)["x"], [1.0, 6.0, 11.0, 16.0])


@pytest.mark.parametrize("bad", [
    {"x": [1.0, 2.0], "y": [1.0]},
    {"x": np.zeros((2, 2))},
    {},
])
def test_malformed_columns_fail_in_python(bad):
    with pytest.raises(ProtocolError, match="source 's'"):
        stream_op("s", bad)


def test_integers_beyond_int32_and_unknown_types_are_refused():
    with pytest.raises(ProtocolError, match="int32"):
        encode({"x": np.array([2**40])})
    with pytest.raises(ProtocolError, match="object"):
        encode({"x": object()})
    with pytest.raises(ProtocolError, match="complex"):
        encode({"x": np.array([1j])})


def test_table_rows_must_fit_the_columns():
    with pytest.raises(ProtocolError):
        table_op(["", "mean"], [["mu"]], [False])
    with pytest.raises(ProtocolError):
        table_op(["", "mean"], [["mu", "1.0"]], [])


def test_apply_ops_streams_and_replaces_like_a_column_data_source():
    sources = {}
    apply_ops(sources, [stream_op("s", {"x": [0, 1], "y": [5.0, 6.0]})])
    apply_ops(sources, [stream_op("s", {"x": [2], "y": [7.0]})])
    np.testing.assert_array_equal(sources["s"]["y"], [5.0, 6.0, 7.0])
    apply_ops(sources, [replace_op("s", {"x": [0], "y": [1.0]})])
    np.testing.assert_array_equal(sources["s"]["x"], [0])
    with pytest.raises(ProtocolError):
        apply_ops(sources, [{"op": "explode", "source": "s"}])


def test_the_front_end_decodes_the_same_dtypes():
    js = (pathlib.Path(__file__).parents[2] / "js" / "src" / "protocol.js").read_text()
    table = dict(re.findall(r"(\w+): (\w+Array),", js))
    assert table == protocol.DTYPES


def test_merged_ops_leave_the_sources_as_the_ops_in_order_do():
    # what is held back for a page that is behind goes out merged (decision 46): one op per
    # source, streams appended to the replace or stream before them, the last table
    rng = np.random.default_rng(8)
    for trial in range(200):
        ops = []
        for _ in range(rng.integers(1, 12)):
            kind, source = rng.choice(["stream", "replace", "table"]), f"s{rng.integers(3)}"
            n = int(rng.integers(0, 4))
            if kind == "table":
                ops.append(table_op(["mean"], [[f"{trial}.{len(ops)}"]], [False]))
            elif kind == "stream":
                ops.append(stream_op(source, {"x": rng.normal(size=n), "y": rng.normal(size=n)}))
            else:
                ops.append(replace_op(source, {"x": rng.normal(size=n), "y": rng.normal(size=n)}))
        in_order, merged = {"s0": {"x": np.ones(1), "y": np.ones(1)}}, {"s0": {"x": np.ones(1), "y": np.ones(1)}}
        apply_ops(in_order, ops)
        once = protocol.merge_ops(ops)
        apply_ops(merged, once)
        assert len(once) == len({op.get("source", "$table") for op in ops})
        assert in_order.keys() == merged.keys()
        for key, value in in_order.items():
            if key == "$table":
                assert merged[key] == value
            else:
                assert value.keys() == merged[key].keys()
                for column in value:
                    np.testing.assert_array_equal(merged[key][column], value[column])
    with pytest.raises(ProtocolError, match="unknown op"):
        protocol.merge_ops([{"op": "append", "source": "s"}])
