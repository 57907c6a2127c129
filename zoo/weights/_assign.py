"""Put arrays into a built zoo model by layer name, checking that they cover it exactly.

The converters (`zoo.weights._torchvision`, `zoo.weights._keras_applications`) translate a
source's tensors into the zoo's layout: ``{layer name: [arrays in the order of layer.weights]}``.
`assign` then sets them, refusing a mapping that leaves a layer out, names one the model lacks, or
holds an array of another shape, so nothing is half-loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import keras
import numpy as np


def weighted_layers(model: keras.Model) -> dict[str, keras.Layer]:
    """The layers of ``model`` that hold weights, by name, looking inside nested models."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(weighted_layers(layer))
        elif layer.weights:
            found[layer.name] = layer
    return found


def layer_arrays(model: keras.Model) -> dict[str, list[np.ndarray]]:
    """``model``'s weights in the zoo layout, as NumPy arrays (the inverse of `assign`)."""
    return {
        name: [np.asarray(keras.ops.convert_to_numpy(w)) for w in layer.weights]
        for name, layer in weighted_layers(model).items()
    }


def assign(
    model: keras.Model,
    arrays: Mapping[str, Sequence],
    *,
    what: str,
    skip: Collection[str] = (),
) -> None:
    """Set every weighted layer of ``model`` from ``arrays`` (layer name -> its arrays in
    ``layer.weights`` order), except the layers named in ``skip`` (a fresh head).

    ``what`` names the source in the errors (``"the torchvision state_dict of 'resnet18'"``).
    Everything is checked before the first layer is set: a ValueError names the first layer
    missing, unknown or of another shape, with both shapes.
    """
    layers = weighted_layers(model)
    wanted = [name for name in layers if name not in skip]
    missing = [name for name in wanted if name not in arrays]
    if missing:
        raise ValueError(
            f"{what} has no weights for layer {missing[0]!r} of {model.name!r} "
            f"({len(missing)} of {len(wanted)} layers missing)."
        )
    unknown = [name for name in arrays if name not in layers and name not in skip]
    if unknown:
        raise ValueError(f"{what} holds weights for {unknown[0]!r}, a layer {model.name!r} lacks.")
    values = {}
    for name in wanted:
        layer, given = layers[name], [np.asarray(a) for a in arrays[name]]
        shapes = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in given] != shapes:
            raise ValueError(
                f"{what} does not fit layer {name!r} of {model.name!r}: it holds arrays of "
                f"shapes {[a.shape for a in given]}, the layer needs {shapes}."
            )
        values[name] = given
    for name, given in values.items():
        layers[name].set_weights(given)
