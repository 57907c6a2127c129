"""Weights for the conversion tests: every array random, and keras.applications' file layout."""

from __future__ import annotations

import h5py
import keras
import numpy as np


def randomise(model, seed=0):
    """Every weight of ``model`` drawn at random: kernels at fan-in scale (the outputs stay of
    order 1), biases and BN betas and means normal, BN scales and variances positive."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for weight in layer.weights:
            shape, kind = tuple(weight.shape), weight.path.rsplit("/", 1)[-1]
            if kind in ("gamma", "moving_variance"):
                value = rng.uniform(0.5, 1.5, shape)
            elif len(shape) == 1:
                value = rng.normal(0.0, 0.1, shape)
            else:
                depthwise = kind == "depthwise_kernel" or isinstance(
                    layer, keras.layers.DepthwiseConv2D
                )
                fan_in = np.prod(shape[:2] if depthwise else shape[:-1])
                value = rng.standard_normal(shape, dtype=np.float32) / np.sqrt(fan_in)
            values.append(value.astype("float32"))
        if values:
            layer.set_weights(values)
    return model


def official_h5_layout(saved, path):
    """The layout of keras.applications' downloads (Keras 2 ``save_weights``): the
    ``model_weights`` group of a ``model.save("file.h5")`` file, at the file's root."""
    with h5py.File(saved, "r") as full, h5py.File(path, "w") as weights:
        group = full["model_weights"]
        for key in group:
            group.copy(key, weights)
        weights.attrs.update(group.attrs)
    return path
