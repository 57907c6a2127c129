"""GPU throughput: images/s, sequences/s and MFU, for a GPU machine with the JAX backend.

    KERAS_BACKEND=jax python -m benchmarks.gpu [--json PATH] [--policies float32 ...]
    python -m benchmarks.gpu --tiny        # smoke test on the CPU, any backend

Needs only Keras and the backend (no TensorFlow: nothing here imports it or zoo.training.data).
In one process, for each dtype policy (``mixed_bfloat16``, ``float32``):

- ``peak``: the measured bfloat16 matmul rate of this machine (FLOP/s), the MFU denominator;
- ``images``: resnet50 and mobilenet at 224x224, 1000 classes, compiled with
  ``jit_compile=True``: the training step (batch 128), the compiled predict step and
  ``model.predict`` (batch 256), in images/s, with the model FLOPs utilization (the forward
  multiply-accumulates of `zoo.summary`, 2 FLOPs each, a training step 3x the forward pass);
- ``rnn``: sequences/s of a training step, batch 128, 100 steps, 128 features -> 512 units, for
  the zoo's LSTM (`zoo.models._sequence.recurrent_layer`, whose `cudnn_choice` keeps JAX's
  cuDNN kernel off under bfloat16), Keras' LSTM on its generic path (``use_cudnn=False``) and
  PeepholeLSTM, timed interleaved; ``peephole_vs_generic`` is the step-time ratio (target <= 1.3).
"""

from __future__ import annotations

import os
import pathlib
import sys

if __name__ == "__main__":  # quiet TensorFlow where it happens to be the backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if not __package__:  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import keras

import zoo
from benchmarks import harness
from zoo import bench
from zoo.layers import PeepholeLSTM
from zoo.models._sequence import recurrent_layer

POLICIES = ("mixed_bfloat16", "float32")
PEEPHOLE_TARGET = 1.3

SIZES = {
    "default": {
        "models": ("resnet50", "mobilenet"),
        "input_shape": (224, 224, 3),
        "train_batch": 128,
        "predict_batch": 256,
        "rnn": {"batch": 128, "timesteps": 100, "features": 128, "units": 512},
        "matmul": 8192,
        "steps": 20,
        "warmup": 3,
    },
    "tiny": {
        "models": ("lenet5",),
        "input_shape": (32, 32, 3),
        "train_batch": 2,
        "predict_batch": 2,
        "rnn": {"batch": 2, "timesteps": 3, "features": 4, "units": 8},
        "matmul": 64,
        "steps": 2,
        "warmup": 1,
    },
}


def matmul_peak(n: int, *, steps: int, warmup: int) -> dict:
    """FLOP/s of an n x n bfloat16 matmul (2 n^3 FLOPs), the median of ``steps`` timings."""
    a = keras.random.normal((n, n), dtype="bfloat16", seed=0)
    b = keras.random.normal((n, n), dtype="bfloat16", seed=1)
    times = bench.time_interleaved(
        {"matmul": lambda: keras.ops.matmul(a, b)}, repeats=steps, warmup=warmup, number=5
    )["matmul"]
    stats = bench.describe(times)
    return {"n": n, "seconds": stats, "flops_per_second": 2 * n**3 / stats["median"]}


def image_results(name: str, sizes: dict, peak: float) -> dict:
    """Images/s and MFU of ``name``'s training step, compiled predict step and model.predict."""
    model = zoo.build(name, input_shape=sizes["input_shape"], num_classes=1000)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=True)
    macs = zoo.summary(model).total_macs
    results = {"forward_macs_per_image": macs}
    for mode, batch, flops_per_image in (
        ("train", sizes["train_batch"], 6 * macs),
        ("predict", sizes["predict_batch"], 2 * macs),
        ("model_predict", sizes["predict_batch"], 2 * macs),
    ):
        result = bench.throughput(
            model, batch_size=batch, steps=sizes["steps"], warmup=sizes["warmup"], mode=mode
        )
        result["mfu"] = result["samples_per_second"] * flops_per_image / peak
        results[mode] = result
    return results


def rnn_models(batch, timesteps, features, units) -> dict:
    """One-layer sequence regressors: the zoo's LSTM, Keras' generic LSTM, PeepholeLSTM."""
    layers = {
        "lstm": lambda: recurrent_layer("lstm", units),
        "lstm_generic": lambda: keras.layers.LSTM(units, use_cudnn=False),
        "peephole_lstm": lambda: PeepholeLSTM(units),
    }
    models = {}
    for name, make in layers.items():
        inputs = keras.Input((timesteps, features))
        outputs = keras.layers.Dense(1, dtype="float32")(make()(inputs))
        model = keras.Model(inputs, outputs, name=name)
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse", jit_compile=True)
        models[name] = model
    return models


def rnn_results(sizes: dict) -> dict:
    """Sequences/s of a training step of each `rnn_models` model, timed interleaved."""
    rnn = sizes["rnn"]
    models = rnn_models(**rnn)
    steps = {
        name: bench.step_function(model, batch_size=rnn["batch"], mode="train")
        for name, model in models.items()
    }
    times = bench.time_interleaved(steps, repeats=sizes["steps"], warmup=sizes["warmup"])
    results = {
        name: {
            "step_seconds": bench.describe(values),
            "sequences_per_second": rnn["batch"] / bench.describe(values)["median"],
        }
        for name, values in times.items()
    }
    ratio = bench.paired_ratio(times["peephole_lstm"], times["lstm_generic"])
    results["peephole_vs_generic"] = {
        **ratio,
        "target": PEEPHOLE_TARGET,
        "meets_target": ratio["median"] <= PEEPHOLE_TARGET,
    }
    return results


def run(*, tiny=False, policies=POLICIES) -> dict:
    sizes = SIZES["tiny" if tiny else "default"]
    peak = matmul_peak(sizes["matmul"], steps=sizes["steps"], warmup=sizes["warmup"])
    results = {}
    try:
        for policy in policies:
            keras.config.set_dtype_policy(policy)
            images = {}
            for name in sizes["models"]:
                images[name] = image_results(name, sizes, peak["flops_per_second"])
                keras.backend.clear_session()
            results[policy] = {"images": images, "rnn": rnn_results(sizes)}
            keras.backend.clear_session()
    finally:
        keras.config.set_dtype_policy("float32")
    return harness.record(
        "gpu",
        mode="tiny" if tiny else "default",
        devices=[str(d) for d in keras.distribution.list_devices()],
        sizes={k: v for k, v in sizes.items() if k != "models"},
        peak=peak,
        results=results,
    )


def format_table(data: dict) -> str:
    peak = data["peak"]["flops_per_second"]
    lines = [
        f"backend {data['backend']}, devices {', '.join(data['devices'])}",
        f"bf16 matmul peak {peak / 1e12:.2f} TFLOP/s (n={data['peak']['n']})",
        f"{'policy':<16}{'model':<12}{'step':<15}{'images/s':>12}{'MFU':>8}",
    ]
    for policy, result in data["results"].items():
        for name, modes in result["images"].items():
            for mode in ("train", "predict", "model_predict"):
                entry = modes[mode]
                lines.append(
                    f"{policy:<16}{name:<12}{mode:<15}"
                    f"{entry['samples_per_second']:>12.1f}{entry['mfu']:>8.1%}"
                )
    lines += ["", f"{'policy':<16}{'recurrent layer':<16}{'sequences/s':>12}"]
    for policy, result in data["results"].items():
        rnn = result["rnn"]
        for name in ("lstm", "lstm_generic", "peephole_lstm"):
            lines.append(f"{policy:<16}{name:<16}{rnn[name]['sequences_per_second']:>12.1f}")
        ratio = rnn["peephole_vs_generic"]
        lines.append(
            f"{policy:<16}peephole / generic LSTM step time {ratio['median']:.3f} "
            f"(target <= {ratio['target']})"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--policies", nargs="+", choices=POLICIES, default=list(POLICIES))
    args = parser.parse_args(argv)
    data = run(tiny=args.tiny, policies=tuple(args.policies))
    return harness.finish(data, format_table(data), args.json)


if __name__ == "__main__":
    sys.exit(main())
