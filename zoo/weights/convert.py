"""Convert models and files users already hold: keras.applications' and torchvision's.

`from_keras_applications` takes a keras.applications model or one of its ``.h5`` weight files,
`from_torchvision` a torchvision ``state_dict`` (`read_pth` reads a ``.pth`` file); each builds
the zoo's twin with `zoo.build` and sets every layer from the source, converted exactly
(`zoo.weights._keras_applications`, `zoo.weights._torchvision`). The same converters load the
ImageNet tags (`zoo.build(name, weights="imagenet")`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import keras

from zoo.models._registry import build, info
from zoo.weights import _keras_applications, _torchvision
from zoo.weights._assign import assign
from zoo.weights._imagenet import KERAS_TWIN_CONFIG


def _keras_name(name: str) -> str:
    """The canonical zoo name of ``name`` (any spelling or alias), if it has a twin."""
    canonical = info(name).name
    if canonical not in _keras_applications.SOURCES:
        raise ValueError(
            f"zoo's {canonical!r} has no keras.applications twin; the converted models are "
            f"{', '.join(_keras_applications.SOURCES)}."
        )
    return canonical


def _keras_twin(name: str, source: keras.Model, build_kwargs: dict) -> keras.Model:
    """The zoo model shaped like ``source``: its top (and classes) and its input shape."""
    head = _keras_applications.source_head(name, source)
    kwargs = {
        **KERAS_TWIN_CONFIG.get(name, {}),
        "input_shape": tuple(source.input_shape[1:]),
        "include_top": head is not None,
        "num_classes": None if head is None else head.weights[-1].shape[-1],
        **build_kwargs,
    }
    return build(name, **kwargs)


def arrays_from_keras_applications(name: str, source: keras.Model, **config) -> dict[str, list]:
    """The weights of the keras.applications model ``source`` in the layout of zoo's ``name``
    (`zoo.weights._assign`: layer name -> arrays in ``layer.weights`` order).

    ``source`` may have its top or not (without it, the zoo's head is left out). ``config`` are
    the `zoo.build` arguments of the zoo model the source must match (its defaults otherwise,
    e.g. MobileNet's ``alpha=1.0``): a source of another architecture or configuration is a
    ValueError naming the first difference.
    """
    name = _keras_name(name)
    return _keras_applications.arrays_for(name, source, _keras_twin(name, source, config))


def from_keras_applications(name: str, source, **build_kwargs) -> keras.Model:
    """Zoo's ``name`` holding the weights of a keras.applications model, exactly.

    Args:
        name: a zoo model of `zoo.weights._keras_applications.SOURCES` (or an alias:
            ``"vgg16"``).
        source: a keras.applications model, or the path of one of its legacy ``.h5`` weight
            files (the official ``*_tf_kernels.h5`` / ``*_notop.h5`` downloads, or
            ``model.save("file.h5")``): the top and the number of classes are read from the
            file, and the keras.applications model is built to load it.
        **build_kwargs: for `zoo.build`; by default the source's top, classes and input shape
            (and MobileNet's ReLU6). The architecture knobs (MobileNet's ``alpha``,
            ``depth_multiplier``) must be the source's: a file is loaded into a source built
            with them, a model of another configuration is refused.

    Example::

        source = keras.applications.MobileNet(weights="imagenet")
        model = from_keras_applications("mobilenet", source)  # same predictions
        model = from_keras_applications("vgg16", "vgg16_weights_tf_dim_ordering_tf_kernels.h5")
    """
    name = _keras_name(name)
    if isinstance(source, (str, os.PathLike)):
        source = _keras_applications.source_from_file(name, source, build_kwargs)
    model = _keras_twin(name, source, build_kwargs)
    arrays = _keras_applications.arrays_for(name, source, model)
    source_class = _keras_applications.SOURCES[name]
    assign(model, arrays, what=f"keras.applications' {source_class} {source.name!r}")
    return model


def _torchvision_name(name: str) -> str:
    """The canonical zoo name of ``name`` (``"vgg16"``, ``"ResNet-50"``), if it has a twin."""
    canonical = info(name).name
    if canonical not in _torchvision.SOURCES:
        raise ValueError(
            f"{canonical!r} has no torchvision twin; the converted models are "
            f"{', '.join(_torchvision.SOURCES)}."
        )
    return canonical


def arrays_from_torchvision(name: str, state_dict: Mapping, *, include_top: bool = True):
    """`zoo.weights._torchvision.arrays_from_torchvision` for any spelling of ``name``."""
    return _torchvision.arrays_from_torchvision(
        _torchvision_name(name), state_dict, include_top=include_top
    )


def from_torchvision(name: str, state_dict: Mapping, *, include_top: bool = True, **build_kwargs):
    """The zoo's twin of a torchvision ResNet or VGG, built and holding ``state_dict``.

    The classifier gets as many classes as ``state_dict``'s (the rows of ``fc.weight`` or
    ``classifier.6.weight``); a VGG-BN state_dict builds ``batch_norm=True``. The other
    ``build_kwargs`` go to `zoo.build` (``input_shape``, ``pooling``, ``classifier_activation``
    ...); a VGG with its top needs 224x224 inputs, where torchvision's adaptive pool to 7x7 is the
    identity. Inputs are preprocessed as for torchvision (`zoo.weights._records.TORCH`: x / 255,
    then the ImageNet mean and standard deviation per channel).

    Example:

        state_dict = read_pth("resnet18-f37072fd.pth")  # torchvision's ImageNet file
        model = from_torchvision("resnet18", state_dict)  # 224x224x3 -> 1000 softmax
        backbone = from_torchvision("resnet18", state_dict, include_top=False, pooling="avg")
    """
    name = _torchvision_name(name)
    arrays = _torchvision.arrays_from_torchvision(name, state_dict, include_top=include_top)
    if include_top:
        classes = arrays["predictions"][0].shape[1]
        if build_kwargs.setdefault("num_classes", classes) != classes:
            raise ValueError(
                f"num_classes={build_kwargs['num_classes']!r} does not fit the state_dict, whose "
                f"classifier has {classes} classes: leave num_classes out."
            )
    if name.startswith("vgg"):
        batch_norm = _torchvision.is_batch_norm_vgg(state_dict)
        if build_kwargs.setdefault("batch_norm", batch_norm) != batch_norm:
            raise ValueError(
                f"batch_norm={build_kwargs['batch_norm']!r} does not fit the state_dict, "
                f"torchvision's {_torchvision.source_name(name, state_dict)}: leave batch_norm "
                "out."
            )
    model = build(name, include_top=include_top, **build_kwargs)
    assign(model, arrays, what=f"the state_dict given for {name!r}")
    return model
