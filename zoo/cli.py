"""The ``zoo`` command (also ``python -m zoo``).

    zoo list [PATTERN] [--family F] [--task T] [--markdown | --json]
    zoo info NAME [--json]
    zoo train NAME [--dataset digits] [--epochs N] [--batch-size B] [--optimizer O] [--lr LR]
                   [--momentum M] [--weight-decay L] [--l2 L] [--l1 L] [--clipnorm C]
                   [--schedule S] [--warmup-steps W] [--checkpoint-dir DIR] [--mixed-precision]
                   [--source-dir DIR] [--seed S] [--export DIR] [--input-shape H,W,C |
                   --image-size S] [--set KEY=VALUE ...] [--validation-split F]
                   [--output PATH | --no-save]
    zoo schedule NAME --steps N [--lr LR] [--warmup-steps W] [--param KEY=VALUE ...]
                      [--every K] [--plot out.png]
    zoo tune NAME [--dataset digits] [--tuner T] [--optimizer O] [--max-trials N] [--epochs E]
                  [--directory DIR] [--resume | --overwrite] [--parallel-trials N]
                  [--cluster slurm|kubernetes [--oracle-host H] [--oracle-port P]]
                  [--image-size S] [--seed S]
    zoo summary NAME|MODEL_FILE [--input-shape H,W,C] [--json]
    zoo export NAME|MODEL_FILE DIR [--format F] [--input-shape H,W,C] [--num-classes N]
                                   [--weights FILE] [--unsafe] [--no-verify]
    zoo bench NAME [--input-shape H,W,C] [--batch-size B] [--steps N] [--mode M] [--compare]

    zoo --version

Exit status: 0 done; 1 a failed run (training diverged to NaN, an export that failed its
verification, an internal error); 2 a mistake (unknown name, bad value, a path that cannot be
read or written, a damaged or refused file, not enough memory for the sizes asked); 130
interrupted (Ctrl-C: what ``--checkpoint-dir`` or the tuning folder holds is kept, and the same
command resumes). Every failure prints one line, ``zoo COMMAND: error: MESSAGE``, to stderr;
``--debug`` (anywhere on the line) prints the traceback too. Every command's ``--help`` shows
its options' defaults. A ``.keras`` file with code and every SavedModel directory are refused
unless ``--unsafe`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib
import json
import os
import pathlib
import re
import signal
import sys
import tempfile
import threading
import time
import traceback

from zoo import __version__
from zoo.export import FORMATS

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEBUG_FLAG = "--debug"
# Commands that answer from the recorded cards: no Keras, no TensorFlow (`zoo list --markdown`
# renders through zoo.profile, which does import Keras).
_CARD_COMMANDS = frozenset({"list", "info"})


class UsageError(Exception):
    """A mistake in the command line: one line ``zoo COMMAND: error: MESSAGE`` on stderr, exit
    status 2 (`main` adds the prefix: raise it with the message alone).

    ``prog`` is the parser's (``zoo train``) when argparse reports the mistake; `main` uses the
    running command's otherwise."""

    def __init__(self, message: str, *, prog: str | None = None):
        super().__init__(message)
        self.prog = prog


def _shows_default(action: argparse.Action) -> bool:
    default = action.default
    if default is None or default is False or default == [] or default is argparse.SUPPRESS:
        return False
    return bool(action.option_strings) or action.nargs in ("?", "*")


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps descriptions and examples as written, and ends each option's help with its default,
    ``(default: X)``, unless the help states it already (``(default: the model's)``; a bare
    ``(%(default)s)`` is spelled out the same way). Options without a default, and flags, show
    none."""

    def _format_action(self, action):
        text = action.help or ""
        if _shows_default(action) and "(default" not in text.replace("%(default)s", ""):
            action = copy.copy(action)
            if "(%(default)s)" in text:
                action.help = text.replace("(%(default)s)", "(default: %(default)s)")
            else:
                action.help = f"{text} (default: %(default)s)".strip()
        return super()._format_action(action)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(message, prog=self.prog)


SEED_HELP = (
    "random seed of the data order, the initial weights and keras-tuner's oracle: an integer "
    ">= 1, as keras-tuner reads 0 as no seed; every command has the same default"
)


def _seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        seed = 0
    if seed < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return seed


def _add_subcommands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser(
        "list", help="list registered models", epilog="example: zoo list 'lenet*'"
    )
    listing.add_argument(
        "pattern", nargs="?", default="*", help="fnmatch pattern over names and aliases"
    )
    listing.add_argument("--family", help="only this family (e.g. resnet)")
    listing.add_argument("--task", help="only this task (e.g. image_classification)")
    listing.add_argument(
        "--features-only",
        action="store_true",
        help="only the models with feature stages (zoo.build(NAME, features_only=True))",
    )
    listing.add_argument(
        "--pretrained",
        action="store_true",
        help="only the models with weights tags (zoo.build(NAME, weights=TAG))",
    )
    listing.add_argument(
        "--weights",
        action="store_true",
        help="list the weights tags of the matching models instead (--markdown: the README's "
        "table of weights)",
    )
    fmt = listing.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="the README's model table")
    fmt.add_argument("--json", action="store_true", help="every matching card as JSON")

    about = commands.add_parser(
        "info", help="show a model's card", epilog="example: zoo info ResNet-50"
    )
    about.add_argument("name", help="a model name or alias, any case ('VGG-16' finds vgg_d)")
    shown = about.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="the card as JSON")
    shown.add_argument(
        "--stages",
        action="store_true",
        help="the feature stages as a markdown table (the README's stage tables)",
    )

    train = commands.add_parser(
        "train",
        help="train an image classifier, evaluate it, save it and optionally export it",
        epilog="example: zoo train lenet5 --dataset digits --epochs 15 --export artifacts/lenet5",
    )
    _add_train_options(train)

    schedule = commands.add_parser(
        "schedule",
        help="print (and plot) a learning-rate schedule",
        epilog="example: zoo schedule sgdr --steps 7000 --lr 0.1 --plot sgdr.png",
    )
    schedule.add_argument("name")
    schedule.add_argument("--steps", type=int, required=True, help="number of steps")
    schedule.add_argument("--lr", type=float, default=0.1, help="peak learning rate")
    schedule.add_argument(
        "--warmup-steps", type=int, default=0, help="linear warmup steps before the schedule"
    )
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


def _add_train_options(train) -> None:
    train.add_argument("name")
    train.add_argument("--dataset", default="digits", help="an image data set (%(default)s)")
    train.add_argument("--epochs", type=int, default=15, help="epochs (%(default)s)")
    train.add_argument(
        "--batch-size", type=int, default=32, help="examples per batch (%(default)s)"
    )
    train.add_argument(
        "--optimizer",
        default="sgd",
        help="sgd (plain SGD), momentum, nesterov, rmsprop, adam, adamax or adadelta (%(default)s)",
    )
    train.add_argument(
        "--lr",
        type=float,
        default=None,
        help="learning rate, a schedule's peak (default: the optimizer's: 0.01 for sgd, "
        "momentum and nesterov, 0.001 for rmsprop and adam, 0.002 for adamax, 1.0 for adadelta)",
    )
    train.add_argument(
        "--momentum",
        type=float,
        default=0.9,
        help="gamma of momentum and nesterov (%(default)s)",
    )
    train.add_argument(
        "--weight-decay",
        type=float,
        default=0.0,
        metavar="LAMBDA",
        help="Keras' decoupled weight decay of the kernels (%(default)s)",
    )
    train.add_argument(
        "--l2",
        type=float,
        default=0.0,
        metavar="LAMBDA",
        help="the lectures' penalty LAMBDA/2 ||W||^2 on the weights, not biases (%(default)s)",
    )
    train.add_argument(
        "--l1",
        type=float,
        default=0.0,
        metavar="LAMBDA",
        help="the L1 penalty LAMBDA ||W||_1 on the weights, not biases (%(default)s)",
    )
    train.add_argument(
        "--clipnorm",
        type=float,
        metavar="NORM",
        help="clip each weight's gradient to this norm (default: no clipping)",
    )
    train.add_argument(
        "--schedule",
        help="constant, step, fractional, exponential, cosine, sgdr, cyclic or one_cycle "
        "(its lengths follow the run's length)",
    )
    train.add_argument(
        "--warmup-steps",
        type=int,
        default=0,
        help="linear warmup steps before the schedule (%(default)s)",
    )
    size = train.add_mutually_exclusive_group()
    size.add_argument(
        "--input-shape",
        type=_shape,
        metavar="H,W,C",
        help="the model's input (H = W, C the data set's channels; default: the model's side)",
    )
    size.add_argument(
        "--image-size",
        type=int,
        metavar="S",
        help="side of the square input images (default: the model's)",
    )
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a builder knob (zoo info NAME lists them), e.g. --set alpha=0.25; VALUE reads as "
        "an int, float, true/false, none or a list (64,32) (repeatable)",
    )
    train.add_argument(
        "--validation-split",
        type=float,
        metavar="F",
        help="hold out the train split's last fraction F (0 < F < 1) and validate on it "
        "every epoch (zoo.training.data.holdout, as zoo tune)",
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
    train.add_argument("--seed", type=_seed, default=1, help=SEED_HELP)
    saving = train.add_mutually_exclusive_group()
    saving.add_argument(
        "--output",
        metavar="PATH",
        help="where the trained model is saved, a .keras file (default: "
        "artifacts/NAME/model.keras)",
    )
    saving.add_argument("--no-save", action="store_true", help="do not save the trained model")
    train.add_argument("--export", metavar="DIR", help="also write a verified SavedModel here")


def _add_tune(commands) -> None:
    tune = commands.add_parser(
        "tune",
        help="search an image classifier's hyperparameters with keras-tuner",
        epilog="example: zoo tune mlp --dataset digits --tuner random --max-trials 10 --epochs 3",
    )
    tune.add_argument("name")
    tune.add_argument("--dataset", default="digits")
    tune.add_argument("--tuner", default="random", help="random, grid, hyperband or bayesian")
    tune.add_argument(
        "--optimizer",
        help="fix the optimizer (sgd, momentum, nesterov, rmsprop, adam, adamax, adadelta; "
        "default: searched, each with its own learning-rate range)",
    )
    tune.add_argument("--max-trials", type=int, default=10)
    tune.add_argument("--epochs", type=int, default=5, help="epochs per trial")
    tune.add_argument(
        "--directory", default="artifacts/tuning", help="keras-tuner's project folder root"
    )
    kept = tune.add_mutually_exclusive_group()
    kept.add_argument(
        "--resume",
        action="store_true",
        help="continue the search saved in --directory (the default; kept for scripts)",
    )
    kept.add_argument(
        "--overwrite",
        action="store_true",
        help="delete the search saved in --directory and start over",
    )
    tune.add_argument(
        "--parallel-trials",
        type=int,
        metavar="N",
        help="run N trials at once (keras-tuner chief + N workers, one GPU each)",
    )
    tune.add_argument(
        "--cluster",
        choices=("slurm", "kubernetes"),
        help="be one task of a search over a cluster: every task runs the same command (srun, "
        "or an Indexed Job's pods), task 0 serves keras-tuner's oracle and the others run "
        "trials; --directory must be shared (zoo.tuning.cluster)",
    )
    tune.add_argument(
        "--oracle-host",
        metavar="HOST",
        help="with --cluster: the chief's host (default: the first node of "
        "SLURM_JOB_NODELIST; Kubernetes: pod <job>-0 of this pod's subdomain)",
    )
    tune.add_argument(
        "--oracle-port",
        type=int,
        metavar="PORT",
        help="with --cluster: the chief's port (default: 20000 + SLURM_JOB_ID %% 10000; "
        "Kubernetes: 8000)",
    )
    tune.add_argument(
        "--image-size", type=int, help="side of the images (default: the model's input)"
    )
    tune.add_argument(
        "--source-dir", metavar="DIR", help="read the data set's original files from DIR"
    )
    tune.add_argument("--seed", type=_seed, default=1, help=SEED_HELP)


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
    summary.add_argument("--json", action="store_true", help="the profile as JSON")
    summary.add_argument("--unsafe", action="store_true", help=_UNSAFE_HELP)

    export = commands.add_parser(
        "export",
        help="write a verified serving artifact (SavedModel, ONNX or LiteRT)",
        epilog="example: zoo export lenet5 artifacts/lenet5 --format onnx",
    )
    _add_model_argument(export, files=True)
    export.add_argument("directory", metavar="DIR", help="destination directory (or file)")
    export.add_argument("--format", default="tf_saved_model", choices=FORMATS, help="format")
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
    bench.add_argument("--batch-size", type=int, default=8, help="examples per step")
    bench.add_argument("--steps", type=int, default=10, help="timed steps per repeat")
    bench.add_argument(
        "--mode", default="both", choices=("predict", "train", "both"), help="what to time"
    )
    bench.add_argument(
        "--compare",
        action="store_true",
        help="also time the keras.applications model of the same architecture (ratio)",
    )


_UNSAFE_HELP = (
    "load a .keras file that carries code or a SavedModel directory (a TensorFlow program): "
    "only files you trust"
)


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

    features = True if args.features_only else None
    pretrained = True if args.pretrained else None
    names = zoo.list_models(
        args.pattern,
        family=args.family,
        task=args.task,
        pretrained=pretrained,
        features_only=features,
    )
    if args.weights:
        from zoo.weights import _table

        if args.markdown:
            print(_table.markdown_table(names))
        elif args.json:
            print(json.dumps([w.to_dict() for n in names for w in _table.tags(n)], indent=2))
        else:
            for tag in (w for n in names for w in _table.tags(n)):
                print(f"{tag.model:16s} {_weights_line(tag.to_dict())}")
    elif args.markdown:
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
    if args.stages:
        from zoo.models._cards import stage_table  # no Keras: the card holds the stages

        print(stage_table(card["name"], zoo.feature_info(card["name"]).to_list()))
        return
    for key, value in card.items():
        print(f"{key:20s} {_readable(key, value)}")


def _readable(key: str, value) -> str:
    """A card value as ``zoo info`` prints it: ``224x224x3``, ``25,557,032``, ``4.1G``,
    lists joined with ``, ``, ``-`` for none."""
    from zoo.models._cards import human_units  # no Keras: a card reads without it

    if value is None or value == []:
        return "-"
    if key == "default_input_shape":
        return "x".join(str(size) for size in value)
    if key == "num_params":
        return f"{value:,}"
    if key == "macs":
        return human_units(value)
    if key == "stages":
        return ", ".join(f"{s['layer']} {s['channels']}@/{s['reduction']}" for s in value)
    if key == "weights":
        return "; ".join(_weights_line(tag) for tag in value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _weights_line(tag: dict) -> str:
    """One tag as ``zoo info`` prints it: ``imagenet1k_v1 (torchvision, ImageNet-1K ..., top1
    69.758)``."""
    metrics = ", ".join(f"{m['name']} {m['value']:g}" for m in tag["metrics"])
    return f"{tag['tag']} ({tag['source']}, {tag['dataset']}, {metrics})"


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
    from zoo.training.callbacks import ResumableCheckpoint

    info, dataset = _image_model_and_dataset(args, "train")
    config = _knobs(info, args.set)
    shape = _train_input_shape(args, info, dataset)
    split = args.validation_split
    if split is not None and not 0.0 < split < 1.0:
        raise UsageError(f"--validation-split must be in (0, 1), got {split}.")
    outputs = _train_outputs(args, info.name)
    keras.utils.set_random_seed(args.seed)
    load = {"image_size": shape[0], "batch_size": args.batch_size, "source_dir": args.source_dir}
    validation = None
    if args.validation_split is None:
        train = data.load(dataset.name, "train", seed=args.seed, **load)
    else:
        train, validation = data.holdout(
            dataset.name, fraction=args.validation_split, seed=args.seed, **load
        )
    test = data.load(dataset.name, "test", shuffle=False, **load)
    model = zoo.build(info.name, input_shape=shape, num_classes=dataset.num_classes, **config)
    if outputs.checkpoint is not None:
        done = ResumableCheckpoint(outputs.checkpoint).epochs_done()
        if done >= args.epochs:
            print(f"already finished: {done} of {args.epochs} epochs ({outputs.checkpoint})")
        elif done:
            print(
                f"resumed at epoch {done + 1} of {args.epochs} ({done} done in "
                f"{outputs.checkpoint})"
            )
    started = time.perf_counter()
    fit(
        model,
        train,
        validation_data=validation,
        epochs=args.epochs,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        l2=args.l2,
        l1=args.l1,
        clipnorm=args.clipnorm,
        schedule=args.schedule,
        warmup_steps=args.warmup_steps,
        mixed_precision=args.mixed_precision,
        checkpoint_dir=outputs.checkpoint,
        callbacks=[_PendingInterrupt.callback()],
        # A progress bar redraws its line with \r: on a terminal only; one line per epoch in a
        # file or a pipe (Keras' verbose=2).
        verbose=1 if sys.stdout.isatty() else 2,
    )
    print(f"training time: {time.perf_counter() - started:.1f} s", flush=True)
    nested = outputs.save is not None and outputs.save_inside_export
    if outputs.save is not None and not nested:
        _save_model(model, outputs.save)
        print(f"saved model: {outputs.save}", flush=True)
    staged = _stage_nested_save(model, outputs) if nested else None
    _, accuracy = model.evaluate(test, verbose=0)
    print(f"test accuracy: {accuracy:.4f}")
    if outputs.export is None:
        return
    from zoo.export import verify_saved_model

    try:
        path = zoo.export(model, outputs.export)
    finally:
        if staged is not None:
            outputs.save.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, outputs.save)
            print(f"saved model: {outputs.save}", flush=True)
    print(f"exported SavedModel: {path}")
    difference = verify_saved_model(model, path)
    print(
        f"reload check: tf.saved_model.load matches the Keras model (max abs diff {difference:.2g})"
    )


# `zoo.build` arguments that `zoo train` sets itself, and the option that sets each.
_TRAIN_SETS = {
    "input_shape": "--input-shape or --image-size",
    "num_classes": "--dataset (its number of classes)",
    "weights": "a model file (zoo train starts from fresh weights)",
    "name": "nothing (the model's name is the registry's)",
}


def _setting(text: str):
    """``KEY=VALUE`` of ``zoo train --set`` as ``(key, value)`` (`_value` reads the value)."""
    key, separator, value = text.partition("=")
    key = key.strip()
    if not separator or not key.isidentifier():
        raise UsageError(
            f"--set expects KEY=VALUE with KEY a builder argument (e.g. --set "
            f"alpha=0.25), got {text!r}."
        )
    if key in _TRAIN_SETS:
        raise UsageError(f"--set {key}=... is set by {_TRAIN_SETS[key]}.")
    return key, _value(value)


def _knobs(info, settings) -> dict:
    """The ``--set`` values as builder arguments; a single number given to a list knob (one
    whose default is a list, e.g. ``hidden_units``) becomes a one-element list."""
    import inspect

    defaults = {p.name: p.default for p in inspect.signature(info.builder).parameters.values()}
    config = {}
    for key, value in (_setting(text) for text in settings):
        listed = isinstance(defaults.get(key), (list, tuple))
        config[key] = [value] if listed and not isinstance(value, (list, type(None))) else value
    return config


def _value(text: str):
    """A ``--set`` value: an int, a float, ``true``/``false``, ``none``, a list (``64,32`` or
    ``[64, 32]``; ``[64]`` is a one-element list) or else the string itself."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    if text.startswith("[") and text.endswith("]"):
        return [_value(part) for part in text[1:-1].split(",") if part.strip()]
    if "," in text:
        return [_value(part) for part in text.split(",") if part.strip()]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _train_input_shape(args, info, dataset) -> tuple[int, int, int]:
    """The model's input for ``zoo train``: square images with the data set's channels."""
    channels = dataset.channels
    if args.input_shape is not None:
        shape = args.input_shape
        if len(shape) != 3 or shape[0] != shape[1] or shape[2] != channels:
            raise UsageError(
                f"--input-shape must be S,S,{channels} for {dataset.name} (its "
                f"images are square, with {channels} channel{'s' if channels > 1 else ''}), "
                f"got {','.join(map(str, shape))}."
            )
        return shape
    if args.image_size is not None:
        if args.image_size < 1:
            raise UsageError(f"--image-size must be an integer >= 1, got {args.image_size}.")
        return (args.image_size, args.image_size, channels)
    size = info.default_input_shape[0]
    return (size, size, channels)


class _TrainOutputs:
    """Where ``zoo train`` writes: the saved model, the SavedModel export, the checkpoint."""

    def __init__(self, save, export, checkpoint):
        self.save = save
        self.export = export
        self.checkpoint = checkpoint

    @property
    def save_inside_export(self) -> bool:
        """The saved model lies inside the export folder (``artifacts/NAME/model.keras`` with
        ``--export artifacts/NAME``): it is written there after the export, which replaces
        the folder."""
        return (
            self.save is not None
            and self.export is not None
            and self.export.resolve() in self.save.resolve().parents
        )


def _train_outputs(args, name: str) -> _TrainOutputs:
    """The output paths of ``zoo train``, each checked before the first training step.

    A path must be writable (its nearest existing folder accepts a new file) and not taken by
    something that is not ours: the saved model is a ``.keras`` file (an existing one is
    replaced), the export folder is new, empty or a SavedModel (what ``zoo.export`` replaces),
    the checkpoint folder is a folder; and none of them may sit where another would replace it.
    """
    save = None
    if not args.no_save:
        save = pathlib.Path(args.output or os.path.join("artifacts", name, "model.keras"))
        if save.suffix != ".keras":
            raise UsageError(f"--output must end in .keras, got {str(save)!r}.")
        if save.is_dir():
            raise UsageError(f"the save path {str(save)!r} is a directory.")
        _check_writable(save.parent, "the save path", save)
    export = checkpoint = None
    if args.export:
        export = pathlib.Path(args.export)
        _check_writable(export.parent, "--export", export)
    if args.checkpoint_dir:
        checkpoint = pathlib.Path(args.checkpoint_dir)
        if checkpoint.exists() and not checkpoint.is_dir():
            raise UsageError(f"--checkpoint-dir {str(checkpoint)!r} exists and is not a directory.")
        _check_writable(checkpoint, "--checkpoint-dir", checkpoint)
    outputs = _TrainOutputs(save, export, checkpoint)
    if export is not None:
        _check_export_target(outputs)
    return outputs


def _check_export_target(outputs: _TrainOutputs) -> None:
    """Refuse an ``--export`` folder that ``zoo.export`` would refuse after training, or whose
    replacement would delete the checkpoint or the saved model."""
    export = outputs.export
    if export.exists() and not export.is_dir():
        raise UsageError(f"--export {str(export)!r} exists and is not a directory.")
    resolved = export.resolve()
    if outputs.save is not None:
        save = outputs.save.resolve()
        if save == resolved or save in resolved.parents:
            raise UsageError(
                f"--export {str(export)!r} lies in the save path {str(outputs.save)!r}."
            )
    if outputs.checkpoint is not None:
        checkpoint = outputs.checkpoint.resolve()
        if checkpoint == resolved or resolved in checkpoint.parents:
            raise UsageError(
                f"--checkpoint-dir {str(outputs.checkpoint)!r} lies in --export "
                f"{str(export)!r}, which the export replaces; choose folders apart."
            )
    from zoo.export import check_replaceable

    ours = [outputs.save] if outputs.save_inside_export else []
    try:
        check_replaceable(export, removed=ours)
    except FileExistsError as error:
        raise UsageError(f"--export: {error} zoo.export would refuse it after training.") from None


def _check_writable(folder: pathlib.Path, what: str, target: pathlib.Path) -> None:
    """Whether a file can be created in ``folder`` or, where it does not exist yet, in its
    nearest existing parent (``folder`` is then created): tried with a temporary file."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(
            f"{what} {str(target)!r} cannot be written: {str(existing)!r} is not a directory."
        )
    try:
        handle, probe = tempfile.mkstemp(prefix=".zoo-write-check-", dir=existing)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise UsageError(
            f"{what} {str(target)!r} cannot be written ({error.strerror or error} in "
            f"{str(existing)!r})."
        ) from None


def _save_model(model, path: pathlib.Path) -> None:
    """``model.save(path)`` atomically: written aside in the same folder, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial.keras")
    try:
        model.save(partial)
        with open(partial, "rb") as file:
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _stage_nested_save(model, outputs: _TrainOutputs) -> pathlib.Path:
    """Save the model next to the export folder before the export replaces that folder; the
    caller moves it to its place afterwards. The previous saved model in the folder is
    removed first (the new one is on disk by then), as zoo.export replaces only a folder
    holding nothing but what it wrote."""
    export = outputs.export
    staged = export.parent / f".{export.name}-{outputs.save.stem}.{os.getpid()}.keras"
    _save_model(model, staged)
    outputs.save.unlink(missing_ok=True)
    return staged


def _parameter(text: str):
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise UsageError(f"--param expects KEY=VALUE, got {text!r}.")
    for convert in (int, float):
        try:
            return key, convert(value)
        except ValueError:
            pass
    return key, value


def _schedule(args) -> None:
    from zoo.training import schedules

    if args.steps < 1:
        raise UsageError(f"--steps must be an integer >= 1, got {args.steps}.")
    if args.every is not None and args.every < 1:
        raise UsageError(f"--every must be an integer >= 1, got {args.every}.")
    if args.plot:
        from zoo.validation import check_image_path

        check_image_path("--plot", args.plot)
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


def _join_cluster(args) -> str | None:
    """With ``--cluster``: set keras-tuner's variables for this task; its tuner id."""
    if args.cluster is None:
        for option in ("oracle_host", "oracle_port"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option.replace('_', '-')} applies with --cluster only.")
        return None
    if args.parallel_trials is not None:
        raise UsageError(
            "--cluster and --parallel-trials do not combine: with --cluster every task is "
            "one process of the search."
        )
    already = sorted(name for name in os.environ if name.startswith("KERASTUNER_"))
    if already:
        raise UsageError(
            f"--cluster sets keras-tuner's variables, which are already set here "
            f"({', '.join(already)}): unset them or drop --cluster."
        )
    from zoo.tuning import cluster

    try:
        variables = cluster.tuner_environment(
            args.cluster, port=args.oracle_port, oracle_host=args.oracle_host
        )
    except ValueError as error:
        raise UsageError(f"--cluster {args.cluster}: {error}") from None
    os.environ.update(variables)
    return variables["KERASTUNER_TUNER_ID"]


def _tune(args) -> None:
    from zoo.training import data
    from zoo.tuning import search

    tuner_id = _join_cluster(args)
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
        overwrite=args.overwrite,
        parallel_trials=args.parallel_trials,
        # The trials run here (with --parallel-trials this process only waits, in Python).
        callbacks=() if args.parallel_trials else [_PendingInterrupt.callback()],
        seed=args.seed,
        input_shape=(size, size, dataset.channels),
        num_classes=dataset.num_classes,
        **({} if args.optimizer is None else {"optimizer": args.optimizer}),
    )
    if tuner_id not in (None, "chief"):
        print(f"{tuner_id}: no trial left in {result.project_dir}; the chief reports the search")
        return
    print()
    print(f"best trials of {result.project_dir}:")
    print(result.table(limit=5))
    for message in result.messages:
        print(f"note: {message}")
    test = data.load(dataset.name, "test", shuffle=False, **load)
    _, accuracy = result.best_model().evaluate(test, verbose=0)
    print(
        f"best trial {result.best_trial.number}: validation {result.objective.name} "
        f"{result.best_score:.4f}, test accuracy {accuracy:.4f}"
    )


def _model(args, command: str):
    """A model from a registry name (built fresh) or from a ``.keras`` file (loaded safely)."""
    import zoo

    if args.model.endswith(".keras") or os.path.sep in args.model or os.path.isdir(args.model):
        for option in ("input_shape", "num_classes", "weights"):
            if getattr(args, option, None) is not None:
                flag = "--" + option.replace("_", "-")
                raise UsageError(f"{flag} applies to a model name, not a file.")
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

    model = _model(args, "export")
    path = zoo.export(model, args.directory, format=args.format, verify=not args.no_verify)
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
            f"--compare needs a keras.applications twin; {info.name!r} has none "
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


# A "zoo COMMAND: " (or "zoo: error: ") that a message already starts with: `main` adds the one
# prefix itself.
_OLD_PREFIX = re.compile(r"^zoo(?: [a-z]+)?: (?:error: )?")


def _report(prog: str, error: BaseException) -> None:
    """Print a mistake as one line: ``zoo COMMAND: error: MESSAGE``."""
    message = " ".join(_OLD_PREFIX.sub("", str(error)).split())
    print(f"{prog}: error: {message}", file=sys.stderr)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _os_message(error: OSError) -> str:
    """An OSError as what happened to which file (a read-only folder, a full disk, a name too
    long, a corrupt file that h5py or zipfile could not read)."""
    if error.strerror:
        names = [n for n in (error.filename, error.filename2) if n is not None]
        where = " -> ".join(repr(os.fspath(n)) for n in names)
        return f"{error.strerror}: {where}" if where else error.strerror
    return _first_line(error)


class _PendingInterrupt:
    """Ctrl-C that is never lost: a SIGINT during a command is remembered as well as raised.

    TensorFlow runs Python's signal handlers from inside its C++ calls, and now and then the
    ``KeyboardInterrupt`` raised there is dropped on the way back: ``zoo train`` then ignored
    Ctrl-C (1 of 8 presses on a loaded 2-core machine) and trained on. `guard` installs a
    handler that records the signal before it raises; `callback` raises it again after the
    batch or epoch in progress, from Python, where nothing can drop it (``zoo train``'s fit and
    ``zoo tune``'s trials take it). The handler is only installed over Python's own, in the
    main thread, and put back when the command ends.
    """

    received: list[int] = []

    @classmethod
    @contextlib.contextmanager
    def guard(cls):
        ours = threading.current_thread() is threading.main_thread() and (
            signal.getsignal(signal.SIGINT) is signal.default_int_handler
        )
        cls.received = []
        if not ours:
            yield
            return

        def interrupt(signum, frame):
            cls.received.append(signum)
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, interrupt)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    @classmethod
    def callback(cls):
        """A Keras callback that raises ``KeyboardInterrupt`` once a SIGINT was received."""
        import keras

        class RaisePendingInterrupt(keras.callbacks.Callback):
            def _raise_pending(self, *args, **kwargs):
                if cls.received:
                    raise KeyboardInterrupt

            on_train_batch_end = on_test_batch_end = on_epoch_end = _raise_pending

        return RaisePendingInterrupt()


def _interrupted(args) -> str:
    """What Ctrl-C leaves: the checkpoint or the search that the same command resumes."""
    checkpoint = getattr(args, "checkpoint_dir", None)
    if getattr(args, "command", None) == "train" and checkpoint:
        from zoo.training.callbacks import CheckpointError, ResumableCheckpoint

        try:
            done = ResumableCheckpoint(checkpoint).epochs_done()
        except CheckpointError:
            done = 0
        return (
            f"interrupted; {checkpoint!r} keeps {done} finished epoch(s): rerun the same "
            "command to resume"
        )
    if getattr(args, "command", None) == "tune":
        return (
            f"interrupted; the finished trials in {args.directory!r} are kept: rerun the same "
            "command to resume"
        )
    return "interrupted"


_TF_USER_ERRORS = frozenset(
    {
        "NotFoundError",
        "AlreadyExistsError",
        "PermissionDeniedError",
        "ResourceExhaustedError",
        "OutOfRangeError",
        "FailedPreconditionError",
        "DataLossError",
        "InvalidArgumentError",
    }
)


def _classify(error: BaseException) -> tuple[int, str] | None:
    """Exit status and message for an error `main` reports in one line (None: not one)."""
    from zoo.export import ExportVerificationError

    training = sys.modules.get("zoo.training.fit")
    if training is not None and isinstance(error, training.TrainingDiverged):
        return EXIT_FAILED, str(error)
    if isinstance(error, ExportVerificationError):
        return EXIT_FAILED, f"export failed verification, nothing written: {error}"
    if isinstance(error, (UsageError, ValueError, TypeError, ImportError)):
        return EXIT_USAGE, str(error)
    if isinstance(error, OSError):
        return EXIT_USAGE, _os_message(error)
    kind = type(error).__name__
    if isinstance(error, MemoryError) or (
        kind == "ResourceExhaustedError" and "memory" in str(error).lower()
    ):
        return EXIT_USAGE, (
            f"not enough memory ({_first_line(error)}): use a smaller --batch-size or --input-shape"
        )
    if type(error).__module__.startswith("tensorflow") and kind in _TF_USER_ERRORS:
        # TensorFlow's own file and data errors (a full disk, a file past ulimit -f, a
        # missing or unreadable file, a bad value reaching an op)
        return EXIT_USAGE, _first_line(error)
    return None


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv
    argv = [a for a in argv if a != DEBUG_FLAG]
    parser = _Parser(prog="zoo", description="The keras-lecture-zoo model zoo.", epilog=_EXAMPLES)
    parser.add_argument(
        "--version", action="version", version=f"zoo {__version__}", help="print the version"
    )
    parser.add_argument(
        DEBUG_FLAG,
        action="store_true",
        help="print the full traceback of an error (allowed anywhere on the line)",
    )
    _add_subcommands(parser)
    prog, args = "zoo", None
    try:
        args = parser.parse_args(argv)
        prog = f"zoo {args.command}"
        if args.command not in _CARD_COMMANDS or getattr(args, "markdown", False):
            _import_keras_quietly(args.command)
        with _PendingInterrupt.guard():
            _COMMANDS[args.command](args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        _report(prog, RuntimeError(_interrupted(args)))
        return EXIT_INTERRUPTED
    except Exception as error:  # every failure becomes one line
        if debug:
            traceback.print_exc()
        known = _classify(error)
        if known is None:
            _report(
                prog,
                RuntimeError(
                    f"internal error ({type(error).__name__}: {_first_line(error)}); rerun with "
                    "--debug for the traceback and report it"
                ),
            )
            return EXIT_FAILED
        status, message = known
        prog = getattr(error, "prog", None) or prog
        _report(prog, RuntimeError(message))
        return status
    return 0
