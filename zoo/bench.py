"""Speed as ratios: time compiled steps of zoo models, and ours against keras.applications.

    throughput(model, batch_size=8, steps=10)          # compiled predict step, samples/s
    compare("mobilenet", input_shape=(96, 96, 3), batch_size=4, mode="train")

Speed is only ever reported as a ratio taken in one process on one machine: both sides run in
interleaved rounds (A, B, B, A, ...) so drift (clock speed, other load) hits both alike. The
steps timed are the compiled ones (``predict_on_batch`` / ``train_on_batch``: one call of the
model's compiled predict or train function on data already in memory); ``"model_predict"``
times ``model.predict`` over the same batches, which adds Keras' data handling and host copies.
Uses keras only (any backend); `benchmarks/` builds its reports on these functions.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import keras
import numpy as np

from zoo.inputs import example_inputs

MODES = ("predict", "train", "model_predict")

# zoo name -> keras.applications constructor with the same layers and parameter count.
# ResNets are not paired: keras' ResNet50/101/152 are v1 with a bias in every convolution
# (26,560 more parameters in ResNet50) and the stride on the first 1x1, so not the same work.
KERAS_APPLICATIONS = {
    "mobilenet": "MobileNet",
    "inception_v3": "InceptionV3",
    "xception": "Xception",
    "vgg_d": "VGG16",
    "vgg_e": "VGG19",
}

# Our knobs that give keras.applications' exact graph (keras' VGG has no dropout in its top,
# its MobileNet uses ReLU6).
KERAS_EQUIVALENT_CONFIG = {
    "mobilenet": {"activation": "relu6"},
    "vgg_d": {"dropout": 0.0},
    "vgg_e": {"dropout": 0.0},
}


def block(value):
    """Wait for an asynchronously computed result (JAX dispatch is async)."""
    ready = getattr(value, "block_until_ready", None)
    if callable(ready):
        ready()
        return value
    if isinstance(value, dict):
        for item in value.values():
            block(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            block(item)
    return value


def time_interleaved(
    workloads: dict[str, Callable[[], object]],
    *,
    repeats: int = 20,
    warmup: int = 3,
    number: int = 1,
) -> dict[str, list[float]]:
    """Seconds per call of each workload, measured in interleaved rounds.

    Every workload is first called ``warmup`` times (compilation, caches). Then each of the
    ``repeats`` rounds times every workload once (``number`` calls, averaged), alternating the
    order between rounds so that neither side always runs first.
    """
    if repeats < 1 or warmup < 0 or number < 1:
        raise ValueError(
            f"need repeats >= 1, warmup >= 0, number >= 1; got {repeats, warmup, number}"
        )
    names = list(workloads)
    for name in names:
        for _ in range(warmup):
            block(workloads[name]())
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            fn = workloads[name]
            start = time.perf_counter()
            for _ in range(number):
                block(fn())
            times[name].append((time.perf_counter() - start) / number)
    return times


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def describe(values: list[float]) -> dict[str, float]:
    """Median, min, max, inter-quartile range and relative spread (IQR / median)."""
    median = statistics.median(values)
    iqr = _quantile(values, 0.75) - _quantile(values, 0.25)
    return {
        "median": median,
        "min": min(values),
        "max": max(values),
        "iqr": iqr,
        "relative_spread": iqr / median if median else float("nan"),
        "n": len(values),
    }


def paired_ratio(ours: list[float], reference: list[float]) -> dict[str, float]:
    """Statistics of the per-round ratios ours / reference (rounds are interleaved pairs)."""
    ratios = [a / b for a, b in zip(ours, reference, strict=True)]
    stats = describe(ratios)
    stats["ratio_of_medians"] = statistics.median(ours) / statistics.median(reference)
    return stats


def synthetic_batch(model: keras.Model, batch_size: int, *, seed: int = 0):
    """Inputs (`zoo.inputs.example_inputs`: floats in [0, 1), token ids valid for every
    embedding and never the padding id 0) and zero targets for ``model``, materialized as
    backend tensors."""

    def tensors(arrays):
        values = [keras.ops.convert_to_tensor(array) for array in arrays]
        return values[0] if len(values) == 1 else values

    targets = [np.zeros((batch_size, *t.shape[1:]), "float32") for t in model.outputs]
    return tensors(example_inputs(model, batch_size, seed=seed)), tensors(targets)


def step_function(model: keras.Model, *, batch_size: int, steps: int = 1, mode: str = "predict"):
    """A no-argument callable running ``steps`` batches of ``mode`` on synthetic data.

    ``"train"`` needs a compiled model; an uncompiled one is compiled with SGD and mean squared
    error (any outputs, zero targets). ``"model_predict"`` calls ``model.predict`` once on
    ``steps`` batches; the other modes call the compiled step ``steps`` times.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}.")
    x, y = synthetic_batch(model, batch_size)
    if mode == "model_predict":
        many = keras.tree.map_structure(lambda t: keras.ops.concatenate([t] * steps), x)
        return lambda: model.predict(many, batch_size=batch_size, verbose=0)
    if mode == "predict":
        return lambda: [model.predict_on_batch(x) for _ in range(steps)]
    if not model.compiled:
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    return lambda: [model.train_on_batch(x, y) for _ in range(steps)]


def throughput(
    model: keras.Model,
    *,
    batch_size: int,
    steps: int = 10,
    warmup: int = 2,
    mode: str = "predict",
) -> dict:
    """Samples per second of ``model``'s compiled ``mode`` step on synthetic data.

    ``warmup`` untimed steps (compilation) come first, then ``steps`` steps are timed one by
    one; the median step time gives ``samples_per_second``.

    Example: ``throughput(zoo.build("lenet5"), batch_size=32, mode="train")``.
    """
    run = step_function(model, batch_size=batch_size, mode=mode)
    times = time_interleaved({mode: run}, repeats=steps, warmup=warmup)[mode]
    stats = describe(times)
    return {
        "mode": mode,
        "batch_size": batch_size,
        "steps": steps,
        "step_seconds": stats,
        "samples_per_second": batch_size / stats["median"],
    }


def build_pair(name: str, *, input_shape, num_classes: int = 10, **config):
    """Ours and the keras.applications model of the same architecture (same parameters)."""
    import zoo

    canonical = zoo.info(name).name
    if canonical not in KERAS_APPLICATIONS:
        raise ValueError(
            f"{name!r} has no keras.applications twin; choose one of {sorted(KERAS_APPLICATIONS)}."
        )
    config = {**KERAS_EQUIVALENT_CONFIG.get(canonical, {}), **config}
    ours = zoo.build(canonical, input_shape=input_shape, num_classes=num_classes, **config)
    constructor = getattr(keras.applications, KERAS_APPLICATIONS[canonical])
    theirs = constructor(weights=None, input_shape=input_shape, classes=num_classes)
    if ours.count_params() != theirs.count_params():
        raise ValueError(
            f"{canonical} has {ours.count_params()} parameters, keras.applications."
            f"{constructor.__name__} {theirs.count_params()}: not the same network."
        )
    return ours, theirs


def compare(
    name: str,
    *,
    input_shape,
    batch_size: int,
    steps: int = 10,
    warmup: int = 2,
    mode: str = "predict",
    **config,
) -> dict:
    """Our ``name`` against its keras.applications twin on the same ``mode`` step, interleaved.

    ``ratio`` is our throughput over keras' (the median of the per-round ratios keras step
    time / ours), so above 1 means ours is faster. ``config`` overrides our builder's knobs
    (`KERAS_EQUIVALENT_CONFIG` by default, which reproduces keras' graph).

    Example: ``compare("xception", input_shape=(96, 96, 3), batch_size=4, mode="train")``.
    """
    ours, theirs = build_pair(name, input_shape=input_shape, **config)
    workloads = {
        "ours": step_function(ours, batch_size=batch_size, mode=mode),
        "keras": step_function(theirs, batch_size=batch_size, mode=mode),
    }
    times = time_interleaved(workloads, repeats=steps, warmup=warmup)
    ratio = paired_ratio(times["keras"], times["ours"])
    return {
        "model": ours.name,
        "keras_model": theirs.name,
        "mode": mode,
        "input_shape": list(input_shape),
        "batch_size": batch_size,
        "parameters": ours.count_params(),
        "step_seconds": {side: describe(values) for side, values in times.items()},
        "ratio": ratio,
    }
