"""Small configurations of every registered model, for tests that must touch them all.

`SMALL_CONFIGS` maps each name of ``zoo.list_models()`` to build kwargs: the smallest input the
architecture allows (``zoo.info(name).min_input_size``), 3 classes, narrow widths and short
sequences. A test checks that the table covers exactly the registry, so a new model must be
added here. Example: ``small_model("mobilenet")``.
"""

from __future__ import annotations

import zoo

_RNN = {"input_shape": (6,), "units": 4, "vocab_size": 20, "embedding_dim": 4}


def _image(size: int, channels: int = 3, **config) -> dict:
    return {"input_shape": (size, size, channels), "num_classes": 3, **config}


SMALL_CONFIGS: dict[str, dict] = {
    "alexnet": _image(67),
    "autoencoder": {"input_shape": (8, 8, 1), "layer_sizes": [16, 8, 2]},
    "char_rnn": {
        "input_shape": (6,),
        "vocab_size": 12,
        "embedding_dim": 4,
        "units": 4,
        "num_layers": 1,
    },
    "dqn": {"input_shape": (36, 36, 4), "num_actions": 3},
    "googlenet": _image(32),
    "gru": {**_RNN, "bidirectional": True},
    "inception_v3": _image(75),
    "lenet5": _image(16, 1),
    "logistic_regression": {"input_shape": (8, 8, 1)},  # binary: one sigmoid unit
    "lstm": dict(_RNN),
    "maxout_mlp": _image(8, 1, hidden_units=[8, 8], num_pieces=2),
    "mlp": _image(8, 1, hidden_units=[8]),
    "mnist_cnn": _image(4, 1),
    "mobilenet": _image(32, alpha=0.25),
    "nin": _image(4),
    "peephole_lstm": dict(_RNN),
    "resnet101": _image(32),
    "resnet110": _image(4),
    "resnet1202": _image(4),
    "resnet152": _image(32),
    "resnet18": _image(32),
    "resnet20": _image(4),
    "resnet32": _image(4),
    "resnet34": _image(32),
    "resnet44": _image(4),
    "resnet50": _image(32),
    "resnet56": _image(4),
    "seq2seq": {
        "input_shape": (6,),
        "source_vocab_size": 12,
        "target_vocab_size": 9,
        "embedding_dim": 4,
        "units": 4,
        "num_layers": 1,
        "target_length": 5,
    },
    "show_and_tell": {
        "input_shape": (16, 16, 3),
        "backbone": "lenet5",
        "vocab_size": 20,
        "embedding_dim": 4,
        "units": 4,
        "max_length": 5,
    },
    "simple_rnn": dict(_RNN),
    "softmax_regression": _image(8, 1),
    "style_transfer_net": {
        "input_shape": (4, 4, 3),
        "filters": [4, 8, 8],
        "num_residual_blocks": 1,
    },
    "text_cnn": {
        "input_shape": (6,),
        "vocab_size": 20,
        "embedding_dim": 4,
        "filter_sizes": [2, 3],
        "num_filters": 2,
    },
    "vgg_a": _image(32),
    "vgg_a_lrn": _image(32),
    "vgg_b": _image(32),
    "vgg_c": _image(32),
    "vgg_d": _image(32),
    "vgg_e": _image(32),
    "xception": _image(71),
}


# Deeper members of a family -> the member that stands in for them in the costliest sweeps
# (exports, other backends): the same family and the same layer types, more or bigger blocks
# (tests/zoo/test_export.py checks the layer types are the same). ResNet-50's bottleneck blocks
# are made of ResNet-18's layer types (1x1 and 3x3 convolutions, batch norm, ReLU, add).
SAME_LAYERS_AS = {
    **dict.fromkeys(("resnet34", "resnet50", "resnet101", "resnet152"), "resnet18"),
    **dict.fromkeys(("resnet32", "resnet44", "resnet56", "resnet110"), "resnet20"),
    **dict.fromkeys(("vgg_b", "vgg_c", "vgg_d", "vgg_e"), "vgg_a"),
    # Not deeper, but the same builder path (flatten, one float32 Dense) and layer types.
    "logistic_regression": "softmax_regression",
}


def small_model(name: str):
    """``zoo.build(name, **SMALL_CONFIGS[name])``."""
    return zoo.build(name, **SMALL_CONFIGS[name])
