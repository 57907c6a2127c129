"""The ``zoo`` command (also ``python -m zoo``).

    zoo list [PATTERN] [--family F] [--task T] [--markdown | --json]
    zoo info NAME [--json]
    zoo train NAME [--dataset digits] [--epochs N] [--batch-size B] [--optimizer O] [--lr LR]
                   [--schedule S] [--warmup-steps W] [--checkpoint-dir DIR] [--mixed-precision]
                   [--source-dir DIR] [--seed S] [--export DIR]
    zoo schedule NAME --steps N [--lr LR] [--warmup-steps W] [--param KEY=VALUE ...]
                      [--every K] [--plot out.png]
    zoo tune NAME [--dataset digits] [--tuner T] [--max-trials N] [--epochs E]
                  [--directory DIR] [--resume] [--parallel-trials N] [--image-size S] [--seed S]
    zoo summary NAME|MODEL_FILE [--input-shape H,W,C] [--json]
    zoo export NAME|MODEL_FILE DIR [--format F] [--input-shape H,W,C] [--num-classes N]
                                   [--weights FILE] [--unsafe] [--no-verify]
    zoo bench NAME [--input-shape H,W,C] [--batch-size B] [--steps N] [--mode M] [--compare]

A user mistake (unknown name, bad value) prints one line to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time

from zoo.export import FORMATS

EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake in the command line; reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _add_subcommands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser(
        "list", help="list registered models", epilog="example: zoo list 'lenet*'"
    )
    listing.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern (default *)")
    listing.add_argument("--family")
    listing.add_argument("--task")
    fmt = listing.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="the README's model table")
    fmt.add_argument("--json", action="store_true")

    about = commands.add_parser(
        "info", help="show a model's card", epilog="example: zoo info lenet"
    )
    about.add_argument("name")
    about.add_argument("--json", action="store_true")

    train = commands.add_parser(
        "train",
        help="train an image classifier, evaluate it and optionally export it",
        epilog="example: zoo train lenet5 --dataset digits --epochs 15 --export artifacts/lenet5",
    )
    train.add_argument("name")
    train.add_argument("--dataset", default="digits")
    train.add_argument("--epochs", type=int, default=15)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument(
        "--optimizer",
        default="sgd",
        help="sgd, momentum, nesterov, rmsprop, adam, adamax or adadelta (default sgd)",
    )
    train.add_argument(
        "--lr", type=float, default=0.05, help="learning rate, a schedule's peak (default 0.05)"
    )
    train.add_argument(
        "--schedule",
        help="constant, step, fractional, exponential, cosine, sgdr, cyclic or one_cycle "
        "(its lengths follow the run's length)",
    )
    train.add_argument(
        "--warmup-steps", type=int, default=0, help="linear warmup steps before the schedule"
    )
    train.add_argument(
        "--checkpoint-dir",
        metavar="DIR",
        help="resumable checkpoint, best.keras and history.csv (rerun to resume)",
    )
    train.add_argument(
        "--mixed-precision",
        action="store_true",
        help="mixed_float16 on GPU, mixed_bfloat16 otherwise",
    )
    train.add_argument(
        "--source-dir", metavar="DIR", help="read the data set's original files from DIR"
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--export", metavar="DIR", help="write a verified SavedModel here")

    schedule = commands.add_parser(
        "schedule",
        help="print (and plot) a learning-rate schedule",
        epilog="example: zoo schedule sgdr --steps 7000 --lr 0.1 --plot sgdr.png",
    )
    schedule.add_argument("name")
    schedule.add_argument("--steps", type=int, required=True, help="number of steps")
    schedule.add_argument("--lr", type=float, default=0.1, help="peak learning rate (0.1)")
    schedule.add_argument("--warmup-steps", type=int, default=0)
    schedule.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an argument of the schedule's class, e.g. --param drop=0.1 (repeatable)",
    )
    schedule.add_argument(
        "--every", type=int, help="print every K-th step (default: about 20 rows)"
    )
    schedule.add_argument("--plot", metavar="PNG", help="draw the curve into this image file")

    _add_tune(commands)
    _add_summary_export_bench(commands)


def _add_tune(commands) -> None:
    tune = commands.add_parser(
        "tune",
        help="search an image classifier's hyperparameters with keras-tuner",
        epilog="example: zoo tune mlp --dataset digits --tuner random --max-trials 10 --epochs 3",
    )
    tune.add_argument("name")
    tune.add_argument("--dataset", default="digits")
    tune.add_argument("--tuner", default="random", help="random, grid, hyperband or bayesian")
    tune.add_argument("--max-trials", type=int, default=10)
    tune.add_argument("--epochs", type=int, default=5, help="epochs per trial (default 5)")
    tune.add_argument(
        "--directory", default="artifacts/tuning", help="keras-tuner's project folder root"
    )
    tune.add_argument(
        "--resume", action="store_true", help="continue the search saved in --directory"
    )
    tune.add_argument(
        "--parallel-trials",
        type=int,
        metavar="N",
        help="run N trials at once (keras-tuner chief + N workers, one GPU each)",
    )
    tune.add_argument(
        "--image-size", type=int, help="side of the images (default: the model's input)"
    )
    tune.add_argument(
        "--source-dir", metavar="DIR", help="read the data set's original files from DIR"
    )
    tune.add_argument(
        "--seed", type=int, default=1, help="oracle and weight seed (keras-tuner reads 0 as none)"
    )


def _add_model_argument(parser, *, files: bool) -> None:
    parser.add_argument(
        "model",
        metavar="NAME|MODEL_FILE" if files else "NAME",
        help="a registered model name" + (" or a .keras file" if files else ""),
    )
    parser.add_argument(
        "--input-shape",
        type=_shape,
        metavar="H,W,C",
        help="input shape without the batch (default: the model's own); T for sequences",
    )


def _add_summary_export_bench(commands) -> None:
    summary = commands.add_parser(
        "summary",
        help="per-layer output shapes, parameters and multiply-accumulates",
        epilog="example: zoo summary mobilenet --input-shape 160,160,3",
    )
    _add_model_argument(summary, files=True)
    summary.add_argument("--json", action="store_true")
    summary.add_argument("--unsafe", action="store_true", help=_UNSAFE_HELP)

    export = commands.add_parser(
        "export",
        help="write a verified serving artifact (SavedModel, ONNX or LiteRT)",
        epilog="example: zoo export lenet5 artifacts/lenet5 --format onnx",
    )
    _add_model_argument(export, files=True)
    export.add_argument("directory", metavar="DIR", help="destination directory (or file)")
    export.add_argument("--format", default="tf_saved_model", choices=FORMATS)
    export.add_argument("--num-classes", type=int, help="classes of a freshly built model")
    export.add_argument("--weights", metavar="FILE", help="a .weights.h5 file for a built model")
    export.add_argument("--unsafe", action="store_true", help=_UNSAFE_HELP)
    export.add_argument(
        "--no-verify", action="store_true", help="skip reloading and comparing the artifact"
    )

    bench = commands.add_parser(
        "bench",
        help="time a model's compiled predict and train steps (and keras.applications')",
        epilog="example: zoo bench mobilenet --input-shape 128,128,3 --batch-size 8 --compare",
    )
    _add_model_argument(bench, files=False)
    bench.add_argument("--batch-size", type=int, default=8)
    bench.add_argument("--steps", type=int, default=10, help="timed steps per repeat (10)")
    bench.add_argument("--mode", default="both", choices=("predict", "train", "both"))
    bench.add_argument(
        "--compare",
        action="store_true",
        help="also time the keras.applications model of the same architecture (ratio)",
    )


_UNSAFE_HELP = "load a .keras file that carries code (only for files you trust)"


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if not shape or any(size < 1 for size in shape):
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas (e.g. 32,32,3), got {text!r}"
        )
    return shape


def _list(args) -> None:
    import zoo

    names = zoo.list_models(args.pattern, family=args.family, task=args.task)
    if args.markdown:
        from zoo.profile import markdown_table

        print(markdown_table(names))
    elif args.json:
        print(json.dumps([zoo.info(n).to_dict() for n in names], indent=2))
    else:
        for name in names:
            info = zoo.info(name)
            aliases = f" (aliases: {', '.join(info.aliases)})" if info.aliases else ""
            print(f"{name:24s} {info.task:24s} {info.description}{aliases}")


def _info(args) -> None:
    import zoo

    card = zoo.info(args.name).to_dict()
    if args.json:
        print(json.dumps(card, indent=2))
        return
    for key, value in card.items():
        print(f"{key:20s} {value}")


def _image_model_and_dataset(args, command: str):
    """The model's card and the data set's spec, both checked to be about images."""
    import zoo
    from zoo.training import data

    info = zoo.info(args.name)
    try:
        return info, data.image_dataset_for(info.name, info.task, args.dataset, purpose=command)
    except ValueError as error:
        raise UsageError(f"zoo {command}: {error}") from None


def _train(args) -> None:
    import keras

    import zoo
    from zoo.training import data, fit

    info, dataset = _image_model_and_dataset(args, "train")
    size = info.default_input_shape[0]
    keras.utils.set_random_seed(args.seed)
    load = {"image_size": size, "batch_size": args.batch_size, "source_dir": args.source_dir}
    train = data.load(dataset.name, "train", seed=args.seed, **load)
    test = data.load(dataset.name, "test", shuffle=False, **load)
    model = zoo.build(
        info.name, input_shape=(size, size, dataset.channels), num_classes=dataset.num_classes
    )
    started = time.perf_counter()
    fit(
        model,
        train,
        epochs=args.epochs,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        schedule=args.schedule,
        warmup_steps=args.warmup_steps,
        mixed_precision=args.mixed_precision,
        checkpoint_dir=args.checkpoint_dir,
    )
    print(f"training time: {time.perf_counter() - started:.1f} s")
    _, accuracy = model.evaluate(test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")
    if args.export:
        from zoo.export import verify_saved_model

        path = zoo.export(model, args.export)
        print(f"exported SavedModel: {path}")
        difference = verify_saved_model(model, path)
        print(
            "reload check: tf.saved_model.load matches the Keras model "
            f"(max abs diff {difference:.2g})"
        )


def _parameter(text: str):
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise UsageError(f"zoo schedule: --param expects KEY=VALUE, got {text!r}.")
    for convert in (int, float):
        try:
            return key, convert(value)
        except ValueError:
            pass
    return key, value


def _schedule(args) -> None:
    from zoo.training import schedules

    if args.steps < 1:
        raise UsageError(f"zoo schedule: --steps must be an integer >= 1, got {args.steps}.")
    if args.every is not None and args.every < 1:
        raise UsageError(f"zoo schedule: --every must be an integer >= 1, got {args.every}.")
    parameters = dict(_parameter(text) for text in args.param)
    schedule = schedules.get(
        args.name,
        args.warmup_steps,
        learning_rate=args.lr,
        total_steps=args.steps,
        **parameters,
    )
    rates = schedules.evaluate(schedule, args.steps)
    every = args.every or max(1, args.steps // 20)
    shown = sorted({*range(0, args.steps, every), args.steps - 1})
    print(f"{'step':>8s}  learning rate")
    for step in shown:
        print(f"{step:8d}  {rates[step]:.6g}")
    if args.plot:
        schedules.plot(schedule, args.steps, args.plot, title=f"{args.name} ({args.steps} steps)")
        print(f"plot: {args.plot}")


def _tune(args) -> None:
    from zoo.training import data
    from zoo.tuning import search

    info, dataset = _image_model_and_dataset(args, "tune")
    size = info.default_input_shape[0] if args.image_size is None else args.image_size
    load = {"image_size": size, "batch_size": 128, "source_dir": args.source_dir}
    train, validation = data.holdout(dataset.name, seed=args.seed, **load)
    result = search(
        info.name,
        train,
        validation,
        tuner=args.tuner,
        max_trials=args.max_trials,
        epochs=args.epochs,
        directory=args.directory,
        overwrite=not args.resume,
        parallel_trials=args.parallel_trials,
        seed=args.seed,
        input_shape=(size, size, dataset.channels),
        num_classes=dataset.num_classes,
    )
    print()
    print(f"best trials of {result.project_dir}:")
    print(result.table(limit=5))
    for message in result.messages:
        print(f"note: {message}")
    test = data.load(dataset.name, "test", shuffle=False, **load)
    _, accuracy = result.best_model().evaluate(test, verbose=0)
    print(
        f"best trial {result.best_trial.trial_id}: validation {result.objective.name} "
        f"{result.best_score:.4f}, test accuracy {accuracy:.4f}"
    )


def _model(args, command: str):
    """A model from a registry name (built fresh) or from a ``.keras`` file (loaded safely)."""
    import zoo

    if args.model.endswith(".keras") or os.path.sep in args.model:
        for option in ("input_shape", "num_classes", "weights"):
            if getattr(args, option, None) is not None:
                flag = "--" + option.replace("_", "-")
                raise UsageError(f"zoo {command}: {flag} applies to a model name, not a file.")
        return zoo.load(args.model, safe_mode=not args.unsafe)
    return zoo.build(
        args.model,
        input_shape=args.input_shape,
        num_classes=getattr(args, "num_classes", None),
        weights=getattr(args, "weights", None),
    )


def _summary(args) -> None:
    import zoo

    profile = zoo.summary(_model(args, "summary"))
    print(json.dumps(profile.to_dict(), indent=2) if args.json else profile)


def _export(args) -> None:
    import zoo
    from zoo.export import ExportVerificationError

    model = _model(args, "export")
    try:
        path = zoo.export(model, args.directory, format=args.format, verify=not args.no_verify)
    except ExportVerificationError as error:
        print(f"zoo: export failed verification, nothing written: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    checked = "not verified" if args.no_verify else "verified against the Keras model"
    print(f"exported {args.format}: {path} ({checked})")


def _bench(args) -> None:
    import keras

    import zoo
    from zoo import bench
    from zoo.validation import check_positive_int

    check_positive_int("batch_size", args.batch_size)
    check_positive_int("steps", args.steps)
    info = zoo.info(args.model)
    if args.compare and info.name not in bench.KERAS_APPLICATIONS:
        raise UsageError(
            f"zoo bench: --compare needs a keras.applications twin; {info.name!r} has none "
            f"(models with one: {', '.join(sorted(bench.KERAS_APPLICATIONS))})."
        )
    shape = args.input_shape or info.default_input_shape
    model = zoo.build(info.name, input_shape=shape)
    modes = ("predict", "train") if args.mode == "both" else (args.mode,)
    print(
        f"{info.name} at input {shape}, batch {args.batch_size}, {keras.backend.backend()} backend"
    )
    for mode in modes:
        result = bench.throughput(model, batch_size=args.batch_size, steps=args.steps, mode=mode)
        step = result["step_seconds"]
        print(
            f"{mode:8s} {result['samples_per_second']:10,.1f} samples/s  (median step "
            f"{step['median'] * 1e3:.1f} ms, spread {step['relative_spread']:.0%})"
        )
        if args.compare:
            compared = bench.compare(
                info.name,
                input_shape=shape,
                batch_size=args.batch_size,
                steps=args.steps,
                mode=mode,
            )
            ratio = compared["ratio"]
            print(
                f"{'':8s} throughput ratio ours / keras.applications."
                f"{bench.KERAS_APPLICATIONS[info.name]}: {ratio['median']:.3f} "
                f"(interleaved rounds, IQR {ratio['iqr']:.3f})"
            )


_COMMANDS = {
    "list": _list,
    "info": _info,
    "summary": _summary,
    "train": _train,
    "tune": _tune,
    "export": _export,
    "schedule": _schedule,
    "bench": _bench,
}


# Commands that reach TensorFlow (tf.data input pipelines, SavedModel export) whatever the
# Keras backend: under jax or torch they import it themselves, after Keras.
_USES_TENSORFLOW = frozenset({"train", "tune", "export"})


def _import_keras_quietly(command: str | None = None) -> None:
    """Import Keras (and TensorFlow, where the command needs it) with the native log silenced.

    TensorFlow prints oneDNN/CUDA notices on the C++ side before its logging is configured;
    they would bury the one line a user mistake deserves. Python-level errors still surface.
    Under the TensorFlow backend Keras imports TensorFlow; under jax and torch the commands in
    `_USES_TENSORFLOW` import it later, so it is imported here too, with the same silencing.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    modules = ["keras"]
    if command in _USES_TENSORFLOW:
        modules.append("tensorflow")
    missing = [name for name in modules if name not in sys.modules]
    if not missing:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            for name in missing:
                importlib.import_module(name)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_EXAMPLES = """examples:
  zoo list 'resnet*'
  zoo info vgg16 --json
  zoo summary mobilenet --input-shape 160,160,3
  zoo train lenet5 --dataset digits --epochs 15 --export artifacts/lenet5
  zoo tune mlp --tuner random --max-trials 10 --epochs 3
  zoo export lenet5 artifacts/lenet5-onnx --format onnx
  zoo schedule cosine --steps 1000 --plot cosine.png
  zoo bench mobilenet --input-shape 128,128,3 --compare

'zoo COMMAND --help' shows a command's options."""


def main(argv=None) -> int:
    parser = _Parser(
        prog="zoo",
        description="The keras-lecture-zoo model zoo.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_subcommands(parser)
    try:
        args = parser.parse_args(argv)
        _import_keras_quietly(args.command)
        _COMMANDS[args.command](args)
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, FileExistsError, FileNotFoundError, PermissionError) as error:
        print(f"zoo: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
