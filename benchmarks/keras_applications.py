"""Our builders against keras.applications: compiled predict and train steps, in one process.

    python -m benchmarks.keras_applications [--tiny] [--json PATH] [--repeats N] [--models ...]

For mobilenet, inception_v3, xception and vgg_d (`zoo.bench.compare`): the same input shape,
batch and parameters on both sides (our knobs set to keras' graph, `KERAS_EQUIVALENT_CONFIG`),
one compiled predict step (``predict_on_batch``) and one training step (``train_on_batch``, SGD,
mean squared error), timed in interleaved rounds. The ratio is our throughput over keras'
(target >= 0.97). Sizes are small enough for a 2-core CPU (the whole run takes a few minutes).
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

from benchmarks import harness
from zoo import bench

TARGET = 0.97
MODES = ("predict", "train")
OTHER_MODELS = ((96, 96, 3), 4)  # input shape and batch of a model named with --models only

SIZES = {
    # model -> (input shape, batch); the minimum inputs are 75 (inception_v3) and 71 (xception)
    "default": {
        "models": {
            "mobilenet": ((96, 96, 3), 8),
            "inception_v3": ((96, 96, 3), 4),
            "xception": ((80, 80, 3), 4),
            "vgg_d": ((64, 64, 3), 4),
        },
        "repeats": 10,
        "warmup": 2,
    },
    "tiny": {
        "models": {"mobilenet": ((32, 32, 3), 2), "vgg_d": ((32, 32, 3), 1)},
        "repeats": 2,
        "warmup": 1,
    },
}


def run(*, tiny=False, models=None, repeats=None, warmup=None) -> dict:
    sizes = SIZES["tiny" if tiny else "default"]
    repeats = sizes["repeats"] if repeats is None else repeats
    warmup = sizes["warmup"] if warmup is None else warmup
    shapes = sizes["models"]
    results = {}
    for name in models or shapes:
        input_shape, batch_size = shapes.get(name, OTHER_MODELS)
        for mode in MODES:
            result = bench.compare(
                name,
                input_shape=input_shape,
                batch_size=batch_size,
                steps=repeats,
                warmup=warmup,
                mode=mode,
            )
            result["target"] = TARGET
            result["meets_target"] = result["ratio"]["median"] >= TARGET
            results[f"{name}/{mode}"] = result
            keras.backend.clear_session()
    return harness.record(
        "keras_applications",
        mode="tiny" if tiny else "default",
        repeats=repeats,
        warmup=warmup,
        results=results,
    )


def format_table(data: dict) -> str:
    lines = [
        f"backend {data['backend']}, {data['mode']} sizes, {data['repeats']} interleaved repeats;"
        " ratio = our throughput / keras'",
        f"{'model/step':<22}{'input':>12}{'batch':>6}{'ours ms':>10}{'keras ms':>10}"
        f"{'ratio':>8}{'IQR':>8}",
    ]
    for key, result in data["results"].items():
        steps = result["step_seconds"]
        shape = "x".join(map(str, result["input_shape"]))
        lines.append(
            f"{key:<22}{shape:>12}{result['batch_size']:>6}"
            f"{steps['ours']['median'] * 1e3:>10.1f}{steps['keras']['median'] * 1e3:>10.1f}"
            f"{result['ratio']['median']:>8.3f}{result['ratio']['iqr']:>8.3f}"
            + ("" if result["meets_target"] else "  (missed)")
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = harness.argument_parser(__doc__, timing=True)
    parser.add_argument("--models", nargs="+", choices=sorted(bench.KERAS_APPLICATIONS))
    args = parser.parse_args(argv)
    data = run(tiny=args.tiny, models=args.models, repeats=args.repeats, warmup=args.warmup)
    return harness.finish(data, format_table(data), args.json)


if __name__ == "__main__":
    sys.exit(main())
