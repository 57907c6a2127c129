"""keras-lecture-zoo: the classic deep-learning lectures' networks as Keras 3 building blocks.

    import zoo
    model = zoo.build("lenet5")          # any name from zoo.list_models()
    zoo.info("lenet").num_params         # 61706
    zoo.info("ResNet-50").macs           # 4091090944: recorded cards, no build and no Keras

The package gathers four folders of the repository: the services here (``zoo.cli``,
``zoo.export``, ``zoo.loading``, ``zoo.profile``, ``zoo.bench``, ``zoo.inputs``,
``zoo.validation``), the architectures in ``zoo.models`` (one module per family plus the
registry), ``zoo.weights`` (pretrained weights: the tags, converters and presets), and the
subpackages ``zoo.layers``, ``zoo.training`` and ``zoo.tuning``.

The public names and the five subpackages are loaded on first use (PEP 562): ``zoo.build`` comes
from ``zoo.models._registry``, and ``zoo.tuning.hypermodel(...)`` works after a plain ``import
zoo``. So ``import zoo.cli`` or ``import zoo.layers`` does not pay for the registry, and the
command line can quiet TensorFlow's start-up messages before Keras loads it.
"""

import importlib

from zoo.export import export  # noqa: F401  (light: Keras and TF load when an export runs)

__version__ = "0.1.0"

_PUBLIC = {
    "TASKS": "zoo.models._registry",
    "ModelInfo": "zoo.models._registry",
    "Profile": "zoo.profile",
    "build": "zoo.models._registry",
    "decode_predictions": "zoo.weights._decode",
    "feature_info": "zoo.models._registry",
    "info": "zoo.models._registry",
    "list_models": "zoo.models._registry",
    "load": "zoo.loading",
    "register": "zoo.models._registry",
    "summary": "zoo.profile",
}

_SUBPACKAGES = ("layers", "models", "training", "tuning", "weights")

__all__ = sorted([*_PUBLIC, "export"])


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"zoo.{name}")
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_PUBLIC, *_SUBPACKAGES])
