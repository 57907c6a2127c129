"""keras.applications' ImageNet weights in their zoo twins, converted exactly.

| zoo | keras.applications | paper |
| --- | --- | --- |
| ``mobilenet`` | ``MobileNet`` | Howard et al. 2017, MobileNets |
| ``vgg_d``, ``vgg_e`` | ``VGG16``, ``VGG19`` | Simonyan & Zisserman 2015, Very deep ConvNets |
| ``inception_v3`` | ``InceptionV3`` | Szegedy et al. 2016, Rethinking the Inception architecture |
| ``xception`` | ``Xception`` | Chollet 2017, Xception |

Each zoo model is built layer for layer like its source: the same weighted layers, of the same
types and shapes, in the same graph order. A zoo layer takes the source layer of its name where
the source has one (MobileNet, VGG and Xception use keras.applications' names), otherwise the
next unused source layer of its type along the graph (Inception v3's ``conv2d_N`` and
``batch_normalization_N``, Xception's shortcut convolutions): Keras lists a functional model's
layers by a walk of its graph, so two graphs of the same shape list them alike. One layer changes
form: MobileNet's classifier is a 1x1 Conv2D ``conv_preds`` there (kernel (1, 1, C, K)), a Dense
``predictions`` here (C, K). MobileNet's twin uses keras.applications' ReLU6
(``activation="relu6"``, `zoo.weights._imagenet.KERAS_TWIN_CONFIG`); Inception v3's batch
normalizations have no scale on both sides. `zoo.weights.convert` builds the twins.
"""

from __future__ import annotations

import collections

import h5py
import keras
import numpy as np

from zoo.weights._assign import weighted_layers

SOURCES = {
    "mobilenet": "MobileNet",
    "vgg_d": "VGG16",
    "vgg_e": "VGG19",
    "inception_v3": "InceptionV3",
    "xception": "Xception",
}

# The architecture knobs both builders take under the same name: a source built from a weights
# file gets them too, and a source that differs in them is refused naming them.
_SHARED_KNOBS = {"mobilenet": ("alpha", "depth_multiplier")}
# keras.applications' classifier when it is not ``predictions`` (MobileNet's 1x1 convolution).
_SOURCE_HEADS = {"mobilenet": "conv_preds"}
_HEAD = "predictions"


def source_model(name: str, *, include_top: bool = True, input_shape=None, **kwargs):
    """keras.applications' twin of zoo's ``name`` (a canonical name of `SOURCES`) with
    ``weights=None``.

    ``kwargs`` go to the keras.applications function (``classes``, ``pooling``, ``alpha``,
    ``classifier_activation=None`` for logits, ...).

    Example: ``source_model("mobilenet", include_top=False, input_shape=(32, 32, 3))``.
    """
    if name not in SOURCES:
        raise ValueError(
            f"zoo's {name!r} has no keras.applications twin; the converted models are "
            f"{', '.join(SOURCES)}."
        )
    build = getattr(keras.applications, SOURCES[name])
    return build(weights=None, include_top=include_top, input_shape=input_shape, **kwargs)


def source_head(name: str, model: keras.Model):
    """The classifier layer of a keras.applications model, None without the top."""
    layers = weighted_layers(model)
    return layers.get(_SOURCE_HEADS.get(name, _HEAD))


def _arrays(layer) -> list[np.ndarray]:
    return [np.asarray(keras.ops.convert_to_numpy(w)) for w in layer.weights]


def arrays_for(name: str, source: keras.Model, target: keras.Model) -> dict[str, list[np.ndarray]]:
    """``source``'s arrays under the names of the zoo model ``target``'s layers (the layout of
    `zoo.weights._assign`), after checking that the two are the same network (ValueError naming
    the first difference). ``name`` is the canonical zoo name of `SOURCES`."""
    theirs, ours = weighted_layers(source), weighted_layers(target)
    knobs = " and ".join(_SHARED_KNOBS.get(name, ()))
    hint = f" (build the zoo model with the source's {knobs})" if knobs else ""
    what = f"The source {source.name!r} is not keras.applications.{SOURCES[name]} as zoo's {name!r}"
    head, pairs = source_head(name, source), {}
    if head is not None:  # by name, whatever its form (MobileNet's 1x1 convolution)
        del theirs[head.name]
        if _HEAD in ours:
            pairs[_HEAD] = head
    elif _HEAD in ours:
        raise ValueError(f"{what} is built: it has no top; build it with include_top=False.")

    def kinds(layers):
        return collections.Counter(type(layer).__name__ for layer in layers)

    rest = [layer for n, layer in ours.items() if n not in pairs]
    if kinds(theirs.values()) != kinds(rest):
        raise ValueError(
            f"{what} is built{hint}: it has {_count(kinds(theirs.values()))} weighted layers, "
            f"the zoo model {_count(kinds(rest))}."
        )
    for ours_name, layer in ours.items():  # the source's layer of the same name and type
        match = theirs.get(ours_name)
        if ours_name not in pairs and match is not None and type(match) is type(layer):
            pairs[ours_name] = theirs.pop(ours_name)
    for ours_name, layer in ours.items():  # else its next unused layer of the type, in order
        if ours_name not in pairs:
            pairs[ours_name] = theirs.pop(
                next(n for n, match in theirs.items() if type(match) is type(layer))
            )
    arrays = {}
    for ours_name, layer in ours.items():
        given = _arrays(pairs[ours_name])
        if pairs[ours_name] is head:  # (1, 1, C, K) -> (C, K); a Dense kernel stays
            given[0] = given[0].reshape(given[0].shape[-2:])
        needed = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in given] != needed:
            raise ValueError(
                f"{what} is built{hint}: its layer {pairs[ours_name].name!r} holds arrays of "
                f"shapes {[a.shape for a in given]}, the zoo's {ours_name!r} needs {needed}."
            )
        arrays[ours_name] = given
    return arrays


def _count(kinds: collections.Counter) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def _file_classes(path) -> int | None:
    """The classifier size held by a legacy ``.h5`` keras.applications file (None: no top)."""
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "layer_names" not in f.attrs and "model_weights" in f else f
        for layer in ("conv_preds", _HEAD):
            names = group[layer].attrs.get("weight_names", []) if layer in group else []
            if len(names):  # the kernel, (C, K) or (1, 1, C, K)
                kernel = names[0].decode() if isinstance(names[0], bytes) else names[0]
                return group[layer][kernel].shape[-1]
    return None


def source_from_file(name: str, path, build_kwargs: dict) -> keras.Model:
    """`source_model` with the file's top and classes and the knobs it shares with the zoo's
    builder, holding the file's weights."""
    classes = _file_classes(path)
    knobs = {k: build_kwargs[k] for k in _SHARED_KNOBS.get(name, ()) if k in build_kwargs}
    if classes is not None:
        knobs["classes"] = classes
    source = source_model(
        name,
        include_top=classes is not None,
        input_shape=build_kwargs.get("input_shape"),
        **knobs,
    )
    source.load_weights(path)
    return source
