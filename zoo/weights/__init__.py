"""Pretrained weights: ImageNet from the official sources, and the zoo's own trained presets.

    import zoo
    [w.tag for w in zoo.info("resnet50").weights]   # ['imagenet1k_v1', 'imagenet1k_v2']
    model = zoo.build("resnet50", weights="imagenet")              # the best ImageNet tag
    model = zoo.build("lenet5", weights="mnist")                   # shipped: no download
    model = zoo.build("mobilenet", weights="imagenet", num_classes=10)  # new head, fine-tune
    zoo.decode_predictions(model.predict(images), top=5)

A tag is a frozen `Weights` record (dataset, classes, input size, `Preprocessing`, `Metric`
with its source, parameters, file size and hash, source, license, recipe), the way
torchvision's ``Weights`` and timm's ``pretrained_cfg`` describe theirs. The ImageNet tags
(`zoo.weights._imagenet`) are converted exactly, layer by layer, from keras.applications'
and torchvision's own files, downloaded by ``keras.utils.get_file`` into Keras' cache and
hash-checked (`zoo.weights._fetch`); the presets (`zoo.weights._presets`) are trained by
``python -m zoo.weights.train TAG`` on the real data and shipped in the package.
`from_keras_applications` and `from_torchvision` convert models or files a user already has.

This package imports no Keras until a model is built or converted.
"""

import importlib

from zoo.weights._records import Metric as Metric
from zoo.weights._records import Preprocessing as Preprocessing
from zoo.weights._records import Weights as Weights
from zoo.weights._table import resolve as resolve
from zoo.weights._table import tags as tags

_LAZY = {
    "decode_predictions": "zoo.weights._decode",
    "imagenet_classes": "zoo.weights._decode",
    "from_keras_applications": "zoo.weights.convert",
    "from_torchvision": "zoo.weights.convert",
    "read_pth": "zoo.weights._torchvision",
}

__all__ = sorted(["Metric", "Preprocessing", "Weights", "resolve", "tags", *_LAZY])


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'zoo.weights' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
