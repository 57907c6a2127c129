"""Step-time ratios of our layers against the Keras built-ins, on the CPU, in one process.

    python -m benchmarks.layers [--tiny] [--json PATH] [--repeats N] [--warmup N]
    KERAS_BACKEND=jax python benchmarks/layers.py --json artifacts/bench_layers_jax.json

Pairs, each timed as one optimizer step (`model.train_on_batch`, the step `fit` runs) with
interleaved repeats (benchmarks/harness.py):

- ``peephole_lstm``: PeepholeLSTM vs keras.layers.LSTM, same units, sequence length and batch
  (target ours/keras <= 1.3);
- ``explicit_dense``: an ExplicitDense MLP vs the same Dense MLP (target <= 1.2);
- ``maxout_dense``: MaxoutDense(units, k) vs Dense(units * k), the same affine map, each before
  the same classifier (target <= 1.1);
- ``rrelu``: RReLU vs LeakyReLU after the same Dense layer (no target: RReLU draws a random slope
  per element in training);
- ``lrn``: LocalResponseNormalization vs TensorFlow's local_response_normalization op, on the
  TensorFlow backend only (no target).

Prints a table and, with ``--json``, writes a record with the machine, backend, library versions
and date. The default sizes run in well under two minutes on two cores.
"""

from __future__ import annotations

import os
import pathlib
import sys

if __name__ == "__main__":  # a benchmark process of its own: CPU only, quiet TensorFlow
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if not __package__:  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import keras
import numpy as np

from benchmarks import harness
from zoo.layers import (
    ExplicitDense,
    LocalResponseNormalization,
    MaxoutDense,
    PeepholeLSTM,
    RReLU,
)

TARGETS = {"peephole_lstm": 1.3, "explicit_dense": 1.2, "maxout_dense": 1.1}

SIZES = {
    "default": {
        "lstm": {"batch": 64, "timesteps": 40, "features": 32, "units": 128},
        "mlp": {"batch": 256, "layers": [784, 512, 512, 10]},
        "maxout": {"batch": 256, "features": 784, "units": 240, "pieces": 5, "classes": 10},
        "activation": {"batch": 256, "features": 784, "units": 512, "classes": 10},
        "lrn": {"batch": 32, "size": 27, "channels": 96},
        "repeats": 30,
        "warmup": 3,
        # steps per timed call: the MLP steps are short, so average a few to steady the ratio
        "number": {"lstm": 1, "mlp": 5, "maxout": 5, "activation": 5, "lrn": 2},
    },
    "tiny": {
        "lstm": {"batch": 4, "timesteps": 3, "features": 3, "units": 4},
        "mlp": {"batch": 8, "layers": [6, 5, 3]},
        "maxout": {"batch": 8, "features": 6, "units": 4, "pieces": 2, "classes": 3},
        "activation": {"batch": 8, "features": 6, "units": 4, "classes": 3},
        "lrn": {"batch": 2, "size": 4, "channels": 8},
        "repeats": 2,
        "warmup": 1,
        "number": {"lstm": 1, "mlp": 1, "maxout": 1, "activation": 1, "lrn": 1},
    },
}


def _compile(model, loss, jit_compile):
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss, jit_compile=jit_compile)
    return model


def lstm_models(batch, timesteps, features, units, *, jit_compile="auto", seed=0):
    """Two models differing only in the recurrent layer, and a batch of data for them."""
    models = {}
    for name, layer_class in (("ours", PeepholeLSTM), ("keras", keras.layers.LSTM)):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((timesteps, features))
        hidden = layer_class(units)(inputs)
        outputs = keras.layers.Dense(1)(hidden)
        models[name] = _compile(keras.Model(inputs, outputs), "mse", jit_compile)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, timesteps, features)).astype("float32")
    y = rng.standard_normal((batch, 1)).astype("float32")
    return models, x, y


def mlp_models(batch, layers, *, jit_compile="auto", seed=0):
    """ExplicitDense and Dense MLPs (relu hidden layers, softmax output) and a batch."""
    models = {}
    for name, layer_class in (("ours", ExplicitDense), ("keras", keras.layers.Dense)):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((layers[0],))
        x = inputs
        for width in layers[1:-1]:
            x = layer_class(width, activation="relu")(x)
        outputs = layer_class(layers[-1], activation="softmax")(x)
        models[name] = _compile(
            keras.Model(inputs, outputs), "categorical_crossentropy", jit_compile
        )
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, layers[0])).astype("float32")
    labels = rng.integers(0, layers[-1], size=batch)
    y = np.eye(layers[-1], dtype="float32")[labels]
    return models, x, y


def _classifier_pair(hidden, batch, features, classes, *, jit_compile, seed):
    """Input -> ``hidden[side]()`` layers -> softmax classifier, for each side; and a batch."""
    models = {}
    for name, make in hidden.items():
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((features,))
        x = inputs
        for layer in make():
            x = layer(x)
        outputs = keras.layers.Dense(classes, activation="softmax")(x)
        models[name] = _compile(
            keras.Model(inputs, outputs), "categorical_crossentropy", jit_compile
        )
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, features)).astype("float32")
    y = np.eye(classes, dtype="float32")[rng.integers(0, classes, size=batch)]
    return models, x, y


def maxout_models(batch, features, units, pieces, classes, *, jit_compile="auto", seed=0):
    """MaxoutDense(units, pieces) vs Dense(units * pieces), each before the classifier."""
    hidden = {
        "ours": lambda: [MaxoutDense(units, num_pieces=pieces)],
        "keras": lambda: [keras.layers.Dense(units * pieces)],
    }
    return _classifier_pair(hidden, batch, features, classes, jit_compile=jit_compile, seed=seed)


def activation_models(batch, features, units, classes, *, jit_compile="auto", seed=0):
    """Dense(units) then RReLU vs the same Dense then LeakyReLU, before the classifier."""
    hidden = {
        "ours": lambda: [keras.layers.Dense(units), RReLU(seed=seed)],
        "keras": lambda: [keras.layers.Dense(units), keras.layers.LeakyReLU(0.23)],
    }
    return _classifier_pair(hidden, batch, features, classes, jit_compile=jit_compile, seed=seed)


def lrn_models(batch, size, channels, *, jit_compile="auto", seed=0):
    """LocalResponseNormalization vs TensorFlow's op (same AlexNet constants), then a head."""
    import tensorflow as tf

    class TensorFlowLRN(keras.layers.Layer):
        def call(self, inputs):
            return tf.nn.local_response_normalization(
                inputs, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75
            )

    models = {}
    for name, layer in (("ours", LocalResponseNormalization()), ("keras", TensorFlowLRN())):
        inputs = keras.Input((size, size, channels))
        pooled = keras.layers.GlobalAveragePooling2D()(layer(inputs))
        models[name] = _compile(
            keras.Model(inputs, keras.layers.Dense(1)(pooled)), "mse", jit_compile
        )
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, size, size, channels)).astype("float32")
    y = rng.standard_normal((batch, 1)).astype("float32")
    return models, x, y


def time_pair(models, x, y, *, repeats, warmup, number=1):
    x = keras.ops.convert_to_tensor(x)
    y = keras.ops.convert_to_tensor(y)
    steps = {name: (lambda m=model: m.train_on_batch(x, y)) for name, model in models.items()}
    times = harness.time_interleaved(steps, repeats=repeats, warmup=warmup, number=number)
    return {
        "step_seconds": harness.summarize(times),
        "ratio": harness.paired_ratio(times["ours"], times["keras"]),
    }


def run(*, tiny=False, repeats=None, warmup=None, jit_compile="auto") -> dict:
    sizes = SIZES["tiny" if tiny else "default"]
    repeats = sizes["repeats"] if repeats is None else repeats
    warmup = sizes["warmup"] if warmup is None else warmup
    pairs = {
        "peephole_lstm": ("lstm", lstm_models),
        "explicit_dense": ("mlp", mlp_models),
        "maxout_dense": ("maxout", maxout_models),
        "rrelu": ("activation", activation_models),
    }
    if keras.backend.backend() == "tensorflow":
        pairs["lrn"] = ("lrn", lrn_models)
    results = {}
    for name, (size_key, make_models) in pairs.items():
        models, x, y = make_models(**sizes[size_key], jit_compile=jit_compile)
        number = sizes["number"][size_key]
        results[name] = {
            "sizes": sizes[size_key],
            "steps_per_timing": number,
            **time_pair(models, x, y, repeats=repeats, warmup=warmup, number=number),
            "target": TARGETS.get(name),
        }
        if name in TARGETS:
            results[name]["meets_target"] = results[name]["ratio"]["median"] <= TARGETS[name]
        keras.backend.clear_session()
    return harness.record(
        "layers",
        mode="tiny" if tiny else "default",
        repeats=repeats,
        warmup=warmup,
        jit_compile=jit_compile,
        results=results,
    )


def format_table(data: dict) -> str:
    lines = [
        f"backend {data['backend']}, {data['mode']} sizes, {data['repeats']} interleaved repeats",
        f"{'pair':<16}{'ours ms':>10}{'keras ms':>10}{'ratio':>8}{'IQR':>8}{'target':>8}",
    ]
    for name, result in data["results"].items():
        steps = result["step_seconds"]
        ratio = result["ratio"]
        ours_ms, keras_ms = (steps[side]["median"] * 1e3 for side in ("ours", "keras"))
        target = "-" if result["target"] is None else f"{result['target']:.2f}"
        lines.append(
            f"{name:<16}{ours_ms:>10.2f}{keras_ms:>10.2f}"
            f"{ratio['median']:>8.3f}{ratio['iqr']:>8.3f}{target:>8}"
            + ("  (missed)" if result.get("meets_target") is False else "")
        )
    return "\n".join(lines)


def _jit(value: str):
    return {"auto": "auto", "true": True, "false": False}[value]


def main(argv=None) -> int:
    parser = harness.argument_parser(__doc__, timing=True)
    parser.add_argument(
        "--jit-compile", choices=("auto", "true", "false"), default="auto", help="model.compile"
    )
    args = parser.parse_args(argv)
    data = run(
        tiny=args.tiny, repeats=args.repeats, warmup=args.warmup, jit_compile=_jit(args.jit_compile)
    )
    return harness.finish(data, format_table(data), args.json)


if __name__ == "__main__":
    sys.exit(main())
