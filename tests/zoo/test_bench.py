"""zoo.bench: interleaved timing, statistics, compiled-step throughput and the keras twins
(tiny sizes; no timing asserts)."""

from __future__ import annotations

import keras
import pytest

import zoo
from zoo import bench


def test_time_interleaved_alternates_the_order():
    order = []
    times = bench.time_interleaved(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeats=3, warmup=1
    )
    assert order == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert [len(v) for v in times.values()] == [3, 3]
    with pytest.raises(ValueError, match="repeats >= 1"):
        bench.time_interleaved({"a": lambda: None}, repeats=0)


def test_describe_and_paired_ratio():
    stats = bench.describe([1.0, 2.0, 3.0, 4.0])
    assert stats["median"] == 2.5 and stats["iqr"] == 1.5 and stats["n"] == 4
    assert bench.describe([2.0])["iqr"] == 0.0
    ratio = bench.paired_ratio([2.0, 4.0], [1.0, 2.0])
    assert ratio["median"] == 2.0 and ratio["ratio_of_medians"] == 2.0


def test_synthetic_batch_matches_the_model():
    model = zoo.build("lenet5", num_classes=3)
    x, y = bench.synthetic_batch(model, 2)
    assert tuple(x.shape) == (2, 32, 32, 1) and tuple(y.shape) == (2, 3)
    tokens = keras.Input((5,), dtype="int32")
    embedded = keras.layers.Embedding(10, 2)(tokens)
    x, _ = bench.synthetic_batch(keras.Model(tokens, embedded), 3)
    values = keras.ops.convert_to_numpy(x)
    assert "int" in str(values.dtype) and values.min() >= 1 and values.max() < 10


@pytest.mark.parametrize("mode", bench.MODES)
def test_throughput_runs_every_mode(mode):
    model = zoo.build("mlp", input_shape=(6,), num_classes=3)
    result = bench.throughput(model, batch_size=4, steps=2, warmup=1, mode=mode)
    assert result["mode"] == mode and result["step_seconds"]["n"] == 2
    assert result["samples_per_second"] > 0


def test_throughput_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="mode must be one of"):
        bench.throughput(zoo.build("mlp"), batch_size=1, mode="fit")


def test_keras_twins_have_our_parameter_count():
    for name, constructor in bench.KERAS_APPLICATIONS.items():
        assert zoo.info(name).name == name
        assert hasattr(keras.applications, constructor)
    ours, theirs = bench.build_pair("mobilenet", input_shape=(32, 32, 3), num_classes=4)
    assert ours.count_params() == theirs.count_params()


def test_compare_gives_both_sides_and_the_ratio():
    result = bench.compare(
        "vgg16", input_shape=(32, 32, 3), batch_size=1, steps=2, warmup=1, mode="predict"
    )
    assert result["model"] == "vgg_d" and result["keras_model"] == "vgg16"
    assert set(result["step_seconds"]) == {"ours", "keras"}
    assert result["ratio"]["n"] == 2 and result["ratio"]["median"] > 0


def test_compare_refuses_a_model_without_twin():
    with pytest.raises(ValueError, match=r"no keras\.applications twin"):
        bench.compare("resnet50", input_shape=(32, 32, 3), batch_size=1)
