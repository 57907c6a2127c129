"""Every public argument of `zoo.build` (and of `zoo.info`, `zoo.list_models`, `zoo.summary`),
refused clearly when it is wrong.

One table (the machinery is `tests.reliability.table`): wrong types, bools for ints, nan and inf,
sizes too large to build, conflicting arguments, channels-first or free input shapes, weights
files that are not weights of this model, and the global channels-first data format. Each must
raise an error whose message names the argument (or the file), the value and what is allowed,
and write nothing. The rows of `test_bad_inputs.py`'s "zoo" section are not repeated here.
NumPy integers, on the other hand, are accepted wherever an int is, and build the same model.
"""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

import zoo

from .table import Case, ids, run_case

TINY_MLP = {"input_shape": (8, 8, 1), "hidden_units": [4]}
A_SHAPE = "input_shape must be a tuple of positive integers (None for a free dimension)"
NOT_FIT = "does not fit model 'mlp' as configured"


def tiny_mlp(**kwargs) -> keras.Model:
    return zoo.build("mlp", **{**TINY_MLP, **kwargs})


def save_weights(ws, file: str, model: str = "mlp", **kwargs) -> None:
    built = tiny_mlp(**kwargs) if model == "mlp" else zoo.build(model, **kwargs)
    built.save_weights(ws / file)


def write_truncated_weights(ws) -> None:
    save_weights(ws, "cut.weights.h5")
    blob = (ws / "cut.weights.h5").read_bytes()
    (ws / "cut.weights.h5").write_bytes(blob[: len(blob) // 2])


def under_channels_first(call):
    """``call()`` with ``keras.config.image_data_format()`` set to channels_first, restored."""
    keras.config.set_image_data_format("channels_first")
    try:
        return call()
    finally:
        keras.config.set_image_data_format("channels_last")


CASES = [
    # input_shape
    Case("input-shape-int", lambda ws: zoo.build("lenet5", input_shape=32), ValueError, A_SHAPE),
    Case(
        "input-shape-empty",
        lambda ws: zoo.build("mlp", input_shape=()),
        ValueError,
        f"{A_SHAPE}, got ()",
    ),
    Case(
        "input-shape-float-size",
        lambda ws: zoo.build("lenet5", input_shape=(32.0, 32, 1)),
        ValueError,
        "(input_shape[0] is 32.0)",
    ),
    Case(
        "input-shape-string-size",
        lambda ws: zoo.build("lenet5", input_shape=(32, "32", 1)),
        ValueError,
        "(input_shape[1] is '32')",
    ),
    Case(
        "input-shape-zero-size",
        lambda ws: zoo.build("mlp", input_shape=(8, 0, 1)),
        ValueError,
        "(input_shape[1] is 0)",
    ),
    Case(
        "input-shape-bool-size",
        lambda ws: zoo.build("lenet5", input_shape=(True, 32, 1)),
        ValueError,
        "(input_shape[0] is True)",
    ),
    Case(
        "input-shape-channels-first-rgb",
        lambda ws: zoo.build("mobilenet", input_shape=(3, 224, 224)),
        ValueError,
        "looks channels-first (channels, height, width); the zoo builds channels-last "
        "(height, width, channels): for 'mobilenet' pass (224, 224, 3)",
    ),
    Case(
        "input-shape-channels-first-grey",
        lambda ws: zoo.build("lenet5", input_shape=(1, 32, 32)),
        ValueError,
        "for 'lenet5' pass (32, 32, 1)",
    ),
    Case(
        "input-shape-channels-first-frames",
        lambda ws: zoo.build("dqn", input_shape=(4, 84, 84)),
        ValueError,
        "looks channels-first",
    ),
    Case(
        "input-shape-channels-first-free-size",
        lambda ws: zoo.build("resnet20", input_shape=(3, None, None)),
        ValueError,
        "for 'resnet20' pass (None, None, 3)",
    ),
    Case(
        "input-shape-free-channels",
        lambda ws: zoo.build("nin", input_shape=(None, None, None)),
        ValueError,
        "leaves the channels (the last dimension) free",
    ),
    Case(
        "input-shape-free-size-before-flatten",
        lambda ws: zoo.build("lenet5", input_shape=(None, None, 1)),
        ValueError,
        "has a free spatial size, but LeNet-5's flatten before c5 needs a fixed one",
    ),
    Case(
        "input-shape-free-size-mlp",
        lambda ws: zoo.build("mlp", input_shape=(None, 8, 1)),
        ValueError,
        "the MLP's flatten before hidden1 needs a fixed one",
    ),
    Case(
        "input-shape-huge",
        lambda ws: zoo.build("lenet5", input_shape=(99999, 99999, 1)),
        ValueError,
        "input_shape (99999, 99999, 1) holds 9,999,800,001 values per example",
    ),
    Case(
        "input-shape-numpy-too-small",
        lambda ws: zoo.build("lenet5", input_shape=tuple(np.int64(d) for d in (8, 8, 1))),
        ValueError,
        "the minimum spatial size is 16x16",
    ),
    Case(
        "input-shape-sequence-rank",
        lambda ws: zoo.build("lstm", input_shape=(6, 4, 2)),
        ValueError,
        "input_shape must be (T,) for token ids or (T, F) for feature vectors",
    ),
    Case(
        "input-shape-text-cnn-features",
        lambda ws: zoo.build("text_cnn", input_shape=(56, 300)),
        ValueError,
        "input_shape must be (T,) (token ids)",
    ),
    # num_classes
    Case(
        "num-classes-string",
        lambda ws: zoo.build("lenet5", num_classes="10"),
        ValueError,
        "num_classes must be an integer >= 1, got '10'",
    ),
    Case(
        "num-classes-bool",
        lambda ws: zoo.build("lenet5", num_classes=True),
        ValueError,
        "num_classes must be an integer >= 1, got True",
    ),
    Case(
        "num-classes-nan",
        lambda ws: zoo.build("mlp", num_classes=math.nan),
        ValueError,
        "num_classes must be an integer >= 1, got nan",
    ),
    Case(
        "num-classes-not-a-classifier",
        lambda ws: zoo.build("dqn", num_classes=4),
        ValueError,
        "num_classes does not apply to 'dqn' (task 'q_values')",
    ),
    Case(
        "num-classes-without-top",
        lambda ws: zoo.build("mobilenet", include_top=False, num_classes=10),
        ValueError,
        "num_classes=10 applies only with include_top=True",
    ),
    Case(
        "num-classes-huge",
        lambda ws: zoo.build("lenet5", num_classes=10**12),
        ValueError,
        "would hold 84,000,000,000,000 weights",
    ),
    # include_top, pooling, classifier_activation, include_preprocessing
    Case(
        "include-top-int",
        lambda ws: zoo.build("lenet5", include_top=1),
        ValueError,
        "include_top must be True or False, got 1",
    ),
    Case(
        "include-top-string",
        lambda ws: zoo.build("lenet5", include_top="False"),
        ValueError,
        "include_top must be True or False, got 'False'",
    ),
    Case(
        "pooling-bool",
        lambda ws: zoo.build("nin", include_top=False, pooling=True),
        ValueError,
        "pooling must be one of None, 'avg', 'max'; got True",
    ),
    Case(
        "classifier-activation-number",
        lambda ws: zoo.build("mlp", classifier_activation=1),
        ValueError,
        "classifier_activation must be None (logits) or a Keras activation name",
    ),
    Case(
        "include-preprocessing-string",
        lambda ws: zoo.build("lenet5", include_preprocessing="yes"),
        ValueError,
        "include_preprocessing must be True or False, got 'yes'",
    ),
    Case(
        "include-preprocessing-tokens",
        lambda ws: zoo.build("lstm", include_preprocessing=True),
        ValueError,
        "include_preprocessing applies to image inputs",
    ),
    # name
    Case(
        "name-int",
        lambda ws: zoo.build("mlp", name=0),
        ValueError,
        "name must be a non-empty string without '/', got 0",
    ),
    Case("name-empty", lambda ws: zoo.build("mlp", name=""), ValueError, "got ''"),
    Case("name-slash", lambda ws: zoo.build("mlp", name="a/b"), ValueError, "got 'a/b'"),
    # weights
    Case(
        "weights-int",
        lambda ws: zoo.build("mlp", weights=3),
        ValueError,
        "weights must be a path (a non-empty str or os.PathLike), got 3",
    ),
    Case("weights-empty-string", lambda ws: zoo.build("mlp", weights=""), ValueError, "got ''"),
    Case(
        "weights-directory",
        lambda ws: zoo.build("mlp", weights=ws / "saved.weights.h5"),
        ValueError,
        "saved.weights.h5' is a directory, not a '.weights.h5' file",
        setup=lambda ws: (ws / "saved.weights.h5").mkdir(),
    ),
    Case(
        "weights-empty-file",
        lambda ws: zoo.build("mlp", weights=ws / "blank.weights.h5"),
        ValueError,
        "blank.weights.h5' is empty (0 bytes)",
        setup=lambda ws: (ws / "blank.weights.h5").write_bytes(b""),
    ),
    Case(
        "weights-not-hdf5",
        lambda ws: zoo.build("mlp", weights=ws / "notes.weights.h5"),
        ValueError,
        "notes.weights.h5' is not HDF5",
        setup=lambda ws: (ws / "notes.weights.h5").write_text("not weights"),
    ),
    Case(
        "weights-truncated",
        lambda ws: tiny_mlp(weights=ws / "cut.weights.h5"),
        ValueError,
        "cut.weights.h5' cannot be read (damaged or truncated?)",
        setup=write_truncated_weights,
    ),
    Case(
        "weights-other-architecture",
        lambda ws: tiny_mlp(weights=ws / "lenet.weights.h5"),
        ValueError,
        f"{NOT_FIT}: the file holds 10 weight arrays, the model 4",
        setup=lambda ws: save_weights(ws, "lenet.weights.h5", "lenet5"),
    ),
    Case(
        "weights-extra-layers",
        lambda ws: tiny_mlp(weights=ws / "deeper.weights.h5"),
        ValueError,
        f"{NOT_FIT}: the file holds 6 weight arrays, the model 4",
        setup=lambda ws: save_weights(ws, "deeper.weights.h5", hidden_units=[4, 4]),
    ),
    Case(
        "weights-other-width",
        lambda ws: tiny_mlp(hidden_units=[5], weights=ws / "narrow.weights.h5"),
        ValueError,
        "the model's 'hidden1/kernel' has shape (64, 5), which no array in the file has",
        setup=lambda ws: save_weights(ws, "narrow.weights.h5"),
    ),
    Case(
        "weights-keras-file",
        lambda ws: zoo.build("mlp", weights=ws / "model.keras"),
        ValueError,
        "is a whole saved model, not a '.weights.h5' file: open it with zoo.load(",
        setup=lambda ws: tiny_mlp().save(ws / "model.keras"),
    ),
    # sizes too large to build
    Case(
        "hidden-units-huge",
        lambda ws: zoo.build("mlp", hidden_units=[10**9]),
        ValueError,
        "layer 'hidden1' (784 inputs x 1,000,000,000 units) would hold 784,000,000,000 weights",
    ),
    Case(
        "num-layers-huge",
        lambda ws: zoo.build("lstm", num_layers=10**6),
        ValueError,
        "num_layers must be at most 100",
    ),
    Case(
        "residual-blocks-huge",
        lambda ws: zoo.build("style_transfer_net", num_residual_blocks=10**6),
        ValueError,
        "num_residual_blocks must be at most 100",
    ),
    # the architectures' own knobs
    Case(
        "alpha-nan",
        lambda ws: zoo.build("mobilenet", alpha=math.nan),
        ValueError,
        "alpha must be a finite number, got nan",
    ),
    Case(
        "alpha-inf",
        lambda ws: zoo.build("mobilenet", alpha=math.inf),
        ValueError,
        "alpha must be a finite number, got inf",
    ),
    Case(
        "depth-multiplier-bool",
        lambda ws: zoo.build("mobilenet", depth_multiplier=True),
        ValueError,
        "depth_multiplier must be an integer >= 1, got True",
    ),
    Case(
        "dropout-string",
        lambda ws: zoo.build("mlp", dropout="0.5"),
        ValueError,
        "dropout must be a finite number, got '0.5'",
    ),
    Case(
        "hidden-units-float",
        lambda ws: zoo.build("mlp", hidden_units=[4.5]),
        ValueError,
        "hidden_units must be a list of positive integers, got [4.5]",
    ),
    Case(
        "batch-norm-int",
        lambda ws: zoo.build("vgg_d", batch_norm=1),
        ValueError,
        "batch_norm must be True or False, got 1",
    ),
    Case(
        "activation-none",
        lambda ws: zoo.build("lenet5", activation=None),
        ValueError,
        "activation must be one of",
    ),
    Case(
        "bidirectional-string",
        lambda ws: zoo.build("lstm", bidirectional="yes"),
        ValueError,
        "bidirectional must be True or False, got 'yes'",
    ),
    Case(
        "backbone-not-an-image-model",
        lambda ws: zoo.build("show_and_tell", backbone="lstm"),
        ValueError,
        "backbone must be an image model",
    ),
    # the global data format
    Case(
        "data-format-channels-first",
        lambda ws: under_channels_first(lambda: zoo.build("mobilenet")),
        ValueError,
        "zoo builds image models channels-last; keras.config.image_data_format() is "
        "'channels_first'",
    ),
    Case(
        "data-format-channels-first-text-cnn",
        lambda ws: under_channels_first(lambda: zoo.build("text_cnn")),
        ValueError,
        "set it to 'channels_last' to build 'text_cnn'",
    ),
    # zoo.info, zoo.list_models, zoo.summary
    Case(
        "list-pattern-not-a-string",
        lambda ws: zoo.list_models(3),
        ValueError,
        "pattern must be a string such as 'resnet*', got 3",
    ),
    Case(
        "list-unknown-family",
        lambda ws: zoo.list_models(family="transformer"),
        ValueError,
        "family must be one of",
    ),
    Case(
        "info-not-a-string",
        lambda ws: zoo.info(None),
        ValueError,
        "A model name must be a string, got None",
    ),
    Case(
        "summary-channels-first",
        lambda ws: zoo.summary("lenet5", input_shape=(1, 32, 32)),
        ValueError,
        "looks channels-first",
    ),
    Case(
        "summary-not-a-model",
        lambda ws: zoo.summary(3),
        ValueError,
        "name_or_model must be a registered model name or a keras.Model, got 3",
    ),
]


def test_the_table_is_large_and_its_ids_unique():
    names = ids(CASES)
    assert len(names) >= 45
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_build_argument_is_refused_clearly_and_writes_nothing(case, tmp_path, monkeypatch):
    run_case(case, tmp_path, monkeypatch)
    assert keras.config.image_data_format() == "channels_last"


# (model, its arguments as Python ints): each is built once with ints, once with NumPy ints.
INTEGER_ARGUMENTS = [
    ("mlp", {"input_shape": (8, 8, 1), "hidden_units": [4, 3], "num_classes": 5}),
    ("lenet5", {"input_shape": (16, 16, 1), "num_classes": 3}),
    ("mobilenet", {"input_shape": (32, 32, 3), "alpha": 0.25, "depth_multiplier": 2}),
    (
        "lstm",
        {"input_shape": (6,), "units": 3, "num_layers": 2, "vocab_size": 9, "embedding_dim": 2},
    ),
    (
        "text_cnn",
        {
            "input_shape": (7,),
            "vocab_size": 9,
            "embedding_dim": 2,
            "filter_sizes": [2, 3],
            "num_filters": 2,
        },
    ),
    (
        "style_transfer_net",
        {"input_shape": (8, 8, 3), "filters": [2, 3], "num_residual_blocks": 1},
    ),
]


def numpy_ints(value):
    """``value`` with every int (alone, in a list or in a tuple) as an ``np.int64``."""
    if isinstance(value, (list, tuple)):
        return type(value)(numpy_ints(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return np.int64(value)
    return value


@pytest.mark.parametrize(
    ("model", "arguments"), INTEGER_ARGUMENTS, ids=[m for m, _ in INTEGER_ARGUMENTS]
)
def test_numpy_integers_build_the_same_model_as_python_ints(model, arguments):
    keras.backend.clear_session()
    plain = zoo.build(model, **arguments)
    keras.backend.clear_session()
    numpy = zoo.build(model, **{key: numpy_ints(value) for key, value in arguments.items()})
    assert json.dumps(numpy.get_config()) == json.dumps(plain.get_config())
    assert numpy.count_params() == plain.count_params()


@pytest.mark.parametrize(
    ("model", "arguments"),
    [
        ("mlp", TINY_MLP),
        ("autoencoder", {"input_shape": (4, 4, 2), "layer_sizes": [3, 2]}),
        (
            "lstm",
            {
                "input_shape": (5,),
                "units": 3,
                "vocab_size": 9,
                "embedding_dim": 2,
                "include_top": False,
                "pooling": "avg",
            },
        ),
    ],
    ids=["mlp", "autoencoder", "lstm-pooled"],
)
def test_models_without_convolutions_build_the_same_under_channels_first(model, arguments):
    """The flatten and the time pooling read the layout channels-last whatever the setting."""
    keras.backend.clear_session()
    plain = zoo.build(model, **arguments)
    keras.backend.clear_session()
    flipped = under_channels_first(lambda: zoo.build(model, **arguments))
    flipped.set_weights(plain.get_weights())
    assert json.dumps(flipped.get_config()) == json.dumps(plain.get_config())
    x = (
        np.random.default_rng(0).integers(1, 9, (2, 5)).astype("int32")
        if model == "lstm"
        else np.random.default_rng(0).random((2, *arguments["input_shape"]), dtype=np.float32)
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(under_channels_first(lambda: flipped(x))),
        keras.ops.convert_to_numpy(plain(x)),
        rtol=1e-6,
    )
