"""The ``zoo`` command (also ``python -m zoo``).

    zoo list [PATTERN] [--family F] [--task T] [--markdown | --json]
    zoo info NAME [--json]
    zoo train NAME [--dataset digits] [--epochs N] [--batch-size B] [--optimizer O] [--lr LR]
                   [--seed S] [--export DIR]

A user mistake (unknown name, bad value) prints one line to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

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
    train.add_argument("--optimizer", default="sgd")
    train.add_argument("--lr", type=float, default=0.05, help="learning rate (default 0.05)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--export", metavar="DIR", help="write a verified SavedModel here")


def _info_dict(info) -> dict:
    return {
        "name": info.name,
        "aliases": list(info.aliases),
        "family": info.family,
        "task": info.task,
        "paper": info.paper,
        "year": info.year,
        "default_input_shape": list(info.default_input_shape),
        "min_input_size": info.min_input_size,
        "default_num_classes": info.default_num_classes,
        "description": info.description,
        "num_params": info.num_params,
        "config_arguments": list(info.config_arguments),
    }


def markdown_table(names) -> str:
    """The README's table of models: name, aliases, task, paper, year, parameters."""
    import zoo

    rows = [
        "| model | aliases | task | paper | year | parameters |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for name in names:
        info = zoo.info(name)
        aliases = ", ".join(f"`{a}`" for a in info.aliases)
        rows.append(
            f"| `{info.name}` | {aliases} | {info.task} | {info.paper} | {info.year} "
            f"| {info.num_params:,} |"
        )
    return "\n".join(rows)


def _list(args) -> None:
    import zoo

    names = zoo.list_models(args.pattern, family=args.family, task=args.task)
    if args.markdown:
        print(markdown_table(names))
    elif args.json:
        print(json.dumps([_info_dict(zoo.info(n)) for n in names], indent=2))
    else:
        for name in names:
            info = zoo.info(name)
            aliases = f" (aliases: {', '.join(info.aliases)})" if info.aliases else ""
            print(f"{name:24s} {info.task:24s} {info.description}{aliases}")


def _info(args) -> None:
    import zoo

    card = _info_dict(zoo.info(args.name))
    if args.json:
        print(json.dumps(card, indent=2))
        return
    for key, value in card.items():
        print(f"{key:20s} {value}")


def _train(args) -> None:
    import keras

    import zoo
    from zoo.training import data, fit

    info = zoo.info(args.name)
    if info.task != "image_classification":
        raise UsageError(
            f"zoo train: {info.name!r} is a {info.task} model; only image classifiers "
            "train on the image data sets."
        )
    dataset = data.spec(args.dataset)
    size = info.default_input_shape[0]
    keras.utils.set_random_seed(args.seed)
    train = data.load(
        dataset.name, "train", batch_size=args.batch_size, seed=args.seed, image_size=size
    )
    test = data.load(
        dataset.name, "test", batch_size=args.batch_size, shuffle=False, image_size=size
    )
    model = zoo.build(
        info.name, input_shape=(size, size, dataset.channels), num_classes=dataset.num_classes
    )
    started = time.perf_counter()
    fit(model, train, epochs=args.epochs, optimizer=args.optimizer, learning_rate=args.lr)
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


_COMMANDS = {"list": _list, "info": _info, "train": _train}


def _import_keras_quietly() -> None:
    """Import Keras (and its TensorFlow backend) with the native start-up log silenced.

    TensorFlow prints oneDNN/CUDA notices on the C++ side before its logging is configured;
    they would bury the one line a user mistake deserves. Python-level errors still surface.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv=None) -> int:
    parser = _Parser(prog="zoo", description="The keras-lecture-zoo model zoo.")
    _add_subcommands(parser)
    try:
        args = parser.parse_args(argv)
        _import_keras_quietly()
        _COMMANDS[args.command](args)
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, FileExistsError) as error:
        print(f"zoo: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
