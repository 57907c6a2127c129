"""Load a tag into a model `zoo.build` has just built: the arrays, converted, then assigned.

The tag's file, fetched before the build (`zoo.weights._fetch`), is read into the zoo's layout
by its source's converter: torchvision's ``.pth`` (`zoo.weights._torchvision`),
keras.applications' ``.h5`` (`zoo.weights._keras_applications`, through the keras.applications
model it belongs to) or the zoo's own ``.weights.h5`` (through a model of the tag's
configuration). Then every layer is set by name (`zoo.weights._assign`). Without the top the
head's arrays are left out; with another ``num_classes`` the classifier keeps its fresh
initialisation, everything else is the tag's (keras.applications' ``include_top=False`` plus a
new classifier, in one call).
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from zoo.weights._assign import assign, layer_arrays, weighted_layers
from zoo.weights._records import Weights


def tag_arrays(record: Weights, path, reference: Callable[[], keras.Model]) -> dict[str, list]:
    """The arrays of ``record`` (its file at ``path``, `zoo.weights._fetch.fetch`) in the zoo's
    layout. ``reference()`` builds the zoo model of the tag's configuration, with its top: the
    layer names the arrays are read into (keras.applications' and the zoo's own files)."""
    if record.source == "torchvision":
        from zoo.weights import _torchvision

        return _torchvision.arrays_from_torchvision(record.model, _torchvision.read_pth(path))
    if record.source == "keras.applications":
        from zoo.weights import _keras_applications

        source = _keras_applications.source_model(record.model, include_top=True)
        source.load_weights(str(path))
        return _keras_applications.arrays_for(record.model, source, reference())
    model = reference()
    model.load_weights(str(path))
    return layer_arrays(model)


def load(
    model: keras.Model,
    record: Weights,
    path,
    reference: Callable[[], keras.Model],
    *,
    include_top: bool,
    new_head: bool,
) -> None:
    """Set ``model``'s weights from ``record`` (its checked file at ``path``): all of them,
    except the top's arrays without the top and the classifier (the last layer with weights)
    when ``new_head``."""
    arrays = tag_arrays(record, path, reference)
    layers = weighted_layers(model)
    skip = set()
    if not include_top:
        skip |= {name for name in arrays if name not in layers}
    if new_head:
        skip.add(list(layers)[-1])
    shape = tuple(model.inputs[0].shape[1:])
    try:
        assign(model, arrays, what=f"weights {record.tag!r} of {record.model!r}", skip=skip)
    except ValueError as error:
        if shape == tuple(record.input_shape):
            raise
        raise ValueError(
            f"{error} The weights were trained at input_shape={tuple(record.input_shape)}; "
            f"this model takes {shape}."
        ) from None
