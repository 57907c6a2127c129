"""The recipe of the zoo's own trained presets: ``python -m zoo.weights.train TAG``.

Every tag the zoo ships (`zoo.weights._presets`) is trained here, from a fixed seed, with the
project's own training run (`zoo.training.fit`: optimizer and schedule by their lecture names)
on the data of `zoo.training.data.load`, so that the input a preset expects is exactly what that
pipeline gives:

- mnist (and digits) images are float32 in [0, 1], (N, S, S, 1), S the model's default input side
  (28; LeNet-5's 32: the pipeline resizes bilinearly, as ``zoo train`` does). A user with raw
  0-255 pixels divides by 255 (`zoo.weights._records.UNIT`).
- tiny_shakespeare is cut by the pipeline into windows of the model's default length (50) of
  character ids 0..64 (``zoo.training.data.vocabulary("tiny_shakespeare")``: the 65 sorted
  distinct characters). `zoo.models.char_rnn` keeps id 0 for padding (masked), so the model reads
  those ids plus one: exactly the ids of ``Vocabulary(data.vocabulary("tiny_shakespeare"))``,
  whose ``size`` 66 is char_rnn's default ``vocab_size``. `shakespeare_vocabulary` gives it.

Then each recipe evaluates the trained network on the real held-out data (MNIST's 10,000 test
images, digits' 360, the last 10 % of Tiny Shakespeare: tensorflow-datasets' validation and test
splits), writes the weights of a freshly built default model with ``model.save_weights``, rewrites
their float arrays as float16 where the recipe says so (same HDF5 layout: Keras reads it back
under every backend, rounding to float16 values), loads that file into another fresh model,
evaluates it again (the figure recorded is this one), and only then moves it into place
atomically (a temporary file + ``os.replace``) as ``<model>.<tag>.weights.h5``.

Usage::

    python -m zoo.weights.train lenet5/mnist            # one tag
    python -m zoo.weights.train --all                   # every tag of RECIPES
    python -m zoo.weights.train lenet5/digits --epochs 1 --limit 2 --out /tmp/w   # a smoke run

``--source-dir`` is the folder of the data sets' original files (default: ``$ZOO_SOURCE_DIR``,
else ``../shared/data`` next to the repository), one subfolder per data set as
`zoo.training.data` finds them (``mnist/``, ``tinyshakespeare/``); ``--out`` the folder the files
are written to (default: this package's ``presets/``). ``--epochs N`` replaces the recipe's
epochs and ``--limit N`` trains on the first N batches of every epoch and evaluates on the first
N batches of each held-out split: both are for tests (a run with them does not reproduce the
presets). Exit status 0 done, 2 a bad tag or option, or data that cannot be read (one line
on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import pathlib
import sys
import time

PRESETS_DIR = pathlib.Path(__file__).resolve().parent / "presets"
REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_SOURCE_DIR = REPO.parent / "shared" / "data"
SOURCE_DIR_ENV = "ZOO_SOURCE_DIR"  # zoo.training.data.SOURCE_DIR_ENV (not imported: no TF here)
EVAL_BATCH = 1000


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one tag is trained: the model and its builder knobs, the data set, and the run.

    ``build`` are the builder knobs that differ from the model's defaults (the tag's
    ``config``); ``optimizer``, ``learning_rate`` (the peak of ``schedule``; ``None``: the
    optimizer's default), ``schedule``, ``warmup_steps``, ``weight_decay``, ``l2`` and
    ``clipnorm`` are `zoo.training.fit`'s arguments, ``batch_size`` and ``seed`` those of
    `zoo.training.data.load` (the seed also goes to ``keras.utils.set_random_seed``);
    ``float16`` whether the shipped file holds float16 arrays; ``target`` the figure the tag
    must reach (at least ``target`` percent ``accuracy``, or at most ``target`` nats per
    character for ``loss_nats_per_char``).
    """

    model: str
    tag: str
    dataset: str
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float | None
    schedule: str | None
    float16: bool
    metric: str = "accuracy"
    target: float | None = None
    build: tuple[tuple[str, object], ...] = ()
    warmup_steps: int = 0
    weight_decay: float = 0.0
    l2: float = 0.0
    clipnorm: float | None = None
    seed: int = 1

    @property
    def key(self) -> str:
        return f"{self.model}/{self.tag}"

    @property
    def file_name(self) -> str:
        return f"{self.model}.{self.tag}.weights.h5"

    def describe(self) -> str:
        """The run in one phrase (the ``recipe`` text of the tag's record)."""
        if self.learning_rate is None:
            from zoo.training.recipe import DEFAULT_LEARNING_RATES

            rate = f"lr {DEFAULT_LEARNING_RATES[self.optimizer]:g} (the optimizer's default)"
        elif self.schedule:
            rate = f"peak lr {self.learning_rate:g}"
        else:
            rate = f"lr {self.learning_rate:g}"
        parts = [
            self.optimizer + (" 0.9" if self.optimizer in ("momentum", "nesterov") else ""),
            rate,
            f"{self.schedule} schedule" if self.schedule else "constant rate",
            f"{self.epochs} epochs",
            f"batch {self.batch_size}",
            f"seed {self.seed}",
        ]
        if self.build:
            parts.insert(0, " ".join(f"{k}={v!r}" for k, v in self.build))
        if self.warmup_steps:
            parts.insert(3, f"{self.warmup_steps} warmup steps")
        if self.weight_decay:
            parts.insert(3, f"weight decay {self.weight_decay:g}")
        if self.l2:
            parts.insert(3, f"L2 penalty {self.l2:g}")
        if self.clipnorm:
            parts.insert(3, f"gradients clipped to norm {self.clipnorm:g}")
        parts.append("float16 file" if self.float16 else "float32 file")
        return ", ".join(parts)


_MNIST = {"dataset": "mnist", "batch_size": 128, "optimizer": "adam", "float16": True}

RECIPES: dict[str, Recipe] = {
    recipe.key: recipe
    for recipe in (
        # The default tanh / average-pooling LeNet-5 stays at 98.8 % in this budget (Adam or
        # SGD with an L2 penalty, 8 epochs): the preset takes the modern knobs, ReLU and max.
        Recipe(
            "lenet5",
            "mnist",
            epochs=6,
            learning_rate=0.003,
            schedule="one_cycle",
            target=99.0,
            build=(("activation", "relu"), ("subsampling", "max")),
            **_MNIST,
        ),
        Recipe(
            "mnist_cnn",
            "mnist",
            epochs=2,
            learning_rate=0.002,
            schedule="one_cycle",
            target=99.2,
            **_MNIST,
        ),
        Recipe(
            "mlp",
            "mnist",
            epochs=10,
            learning_rate=0.003,
            schedule="one_cycle",
            target=97.5,
            **_MNIST,
        ),
        Recipe(
            "maxout_mlp",
            "mnist",
            epochs=40,
            learning_rate=0.002,
            schedule="one_cycle",
            target=98.8,
            build=(("dropout", 0.3),),
            **_MNIST,
        ),
        Recipe(
            "char_rnn",
            "tiny_shakespeare",
            dataset="tiny_shakespeare",
            epochs=12,
            batch_size=128,
            optimizer="adam",
            learning_rate=0.01,
            schedule="cosine",
            clipnorm=5.0,
            float16=True,
            metric="loss_nats_per_char",
            target=1.7,
            build=(("vocab_size", 66),),
        ),
        # `make demo`: zoo train lenet5 --dataset digits --epochs 15 --optimizer momentum (the
        # CLI's defaults: batch 32, lr 0.01, momentum 0.9, no schedule, seed 1).
        Recipe(
            "lenet5",
            "digits",
            dataset="digits",
            epochs=15,
            batch_size=32,
            optimizer="momentum",
            learning_rate=None,
            schedule=None,
            float16=True,
        ),
    )
}
"""One `Recipe` per shipped tag, by ``model/tag``."""


@dataclasses.dataclass(frozen=True)
class Result:
    """What a recipe run reached: the recorded figures of its tag."""

    tag: str
    metric: str
    value: float  # of the stored file (after the float16 round trip where chosen)
    value_float32: float  # of the trained weights before storing
    target: float | None
    met: bool | None
    evaluated_on: str
    path: str
    file_size: int
    sha256: str
    float16: bool
    num_params: int
    epochs: int
    train_seconds: float
    total_seconds: float
    recipe: str
    config: tuple

    def lines(self) -> list[str]:
        unit = "%" if self.metric == "accuracy" else " nats/char"
        target = ""
        if self.target is not None:
            bound = ">=" if self.metric == "accuracy" else "<="
            target = f" (target {bound} {self.target:g}: {'met' if self.met else 'NOT met'})"
        return [
            f"{self.tag}: {self.metric} {self.value:.4f}{unit} on {self.evaluated_on}{target}",
            f"  before storing: {self.value_float32:.4f}{unit}; "
            f"{'float16' if self.float16 else 'float32'} file {self.path}",
            f"  size {self.file_size} bytes, sha256 {self.sha256}, {self.num_params} parameters",
            f"  {self.epochs} epochs, training {self.train_seconds:.1f} s, "
            f"total {self.total_seconds:.1f} s; {self.recipe}",
        ]


# ---------------------------------------------------------------------------------------------
# Data.


@contextlib.contextmanager
def _source_root(root):
    """``$ZOO_SOURCE_DIR`` set to ``root`` for the block (how zoo.training.data finds folders)."""
    old = os.environ.get(SOURCE_DIR_ENV)
    os.environ[SOURCE_DIR_ENV] = str(root)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(SOURCE_DIR_ENV, None)
        else:
            os.environ[SOURCE_DIR_ENV] = old


def default_source_dir() -> pathlib.Path:
    """``$ZOO_SOURCE_DIR`` if set, else ``../shared/data`` next to the repository."""
    return pathlib.Path(os.environ.get(SOURCE_DIR_ENV) or DEFAULT_SOURCE_DIR)


def source_folder(dataset: str, root=None):
    """The folder of ``dataset``'s original files inside ``root`` (zoo.training.data's lookup),
    ``None`` for digits (bundled with scikit-learn) or where ``root`` has none (then
    tensorflow-datasets is asked)."""
    from zoo.training import data

    if dataset == "digits":
        return None
    with _source_root(default_source_dir() if root is None else root):
        return data.source_folder(dataset)


def shakespeare_vocabulary(source_dir=None):
    """The `zoo.models.char_rnn.Vocabulary` of the tiny_shakespeare preset: the pipeline's
    characters (``zoo.training.data.vocabulary``), so that its ids are the pipeline's plus one
    (id 0 is char_rnn's padding); ``size`` 66.

    ``source_dir`` is the ``tinyshakespeare/`` folder (``None``: found as `source_folder` does).
    """
    from zoo.models.char_rnn import Vocabulary
    from zoo.training import data

    folder = source_folder("tiny_shakespeare") if source_dir is None else source_dir
    return Vocabulary(data.vocabulary("tiny_shakespeare", source_dir=folder))


def _model_ids(dataset):
    """Pipeline character ids (0..64) -> the model's (1..65), on every pass (keeps exact
    resume: `zoo.training.data.transform`)."""
    from zoo.training import data

    def shifted(one_pass):
        return one_pass.map(lambda x, y: (x + 1, y + 1))

    return data.transform(dataset, shifted)


def _limited(dataset, limit):
    if limit is None:
        return dataset
    from zoo.training import data

    return data.transform(dataset, lambda one_pass: one_pass.take(limit))


def input_side(model: str) -> int:
    """The side of the images the preset of ``model`` takes: the model's default input (what
    ``zoo train`` loads)."""
    import zoo

    return zoo.info(model).default_input_shape[0]


def sequence_length(model: str = "char_rnn") -> int:
    import zoo

    return zoo.info(model).default_input_shape[0]


def train_data(recipe: Recipe, folder, *, limit=None):
    from zoo.training import data

    options = {"batch_size": recipe.batch_size, "seed": recipe.seed, "source_dir": folder}
    if recipe.dataset == "tiny_shakespeare":
        train = _model_ids(
            data.load(recipe.dataset, "train", sequence_length=sequence_length(), **options)
        )
    else:
        train = data.load(recipe.dataset, "train", image_size=input_side(recipe.model), **options)
    return _limited(train, limit)


def held_out(recipe: Recipe, folder, *, limit=None, batch_size=EVAL_BATCH):
    """The held-out splits of ``recipe``'s data set, unshuffled, as the model reads them:
    ``[(name, dataset)]`` (MNIST/digits: test; tiny_shakespeare: validation and test, the last
    10 % of the text)."""
    from zoo.training import data

    options = {"batch_size": batch_size, "shuffle": False, "source_dir": folder}
    if recipe.dataset == "tiny_shakespeare":
        length = sequence_length()
        splits = [
            (s, _model_ids(data.load(recipe.dataset, s, sequence_length=length, **options)))
            for s in ("validation", "test")
        ]
    else:
        side = input_side(recipe.model)
        splits = [("test", data.load(recipe.dataset, "test", image_size=side, **options))]
    return [(name, _limited(split, limit)) for name, split in splits]


# ---------------------------------------------------------------------------------------------
# Evaluation.


def accuracy(model, dataset) -> tuple[float, int]:
    """Percent of correctly classified examples of ``dataset`` and their count."""
    import numpy as np

    correct = count = 0
    for x, y in dataset.as_numpy_iterator():
        predicted = np.argmax(np.asarray(model.predict_on_batch(x)), axis=-1)
        correct += int(np.sum(predicted == y))
        count += len(y)
    return 100.0 * correct / count, count


def loss_nats_per_char(model, datasets) -> tuple[float, int]:
    """Mean cross-entropy -ln p(next character), in nats, over every predicted character of
    ``datasets`` (each window predicts its characters 2..L+1 from the ones before, within the
    window) and the number of characters."""
    import numpy as np

    total, count = 0.0, 0
    for dataset in datasets:
        for x, y in dataset.as_numpy_iterator():
            p = np.asarray(model.predict_on_batch(x), dtype=np.float64)
            picked = np.take_along_axis(p, y[..., None].astype(np.int64), axis=-1)[..., 0]
            total += float(-np.log(np.maximum(picked, 1e-12)).sum())
            count += y.size
    return total / count, count


def evaluate(recipe: Recipe, model, splits) -> tuple[float, str]:
    """The recipe's metric of ``model`` on ``splits`` (`held_out`) and what it was measured on."""
    if recipe.metric == "accuracy":
        value, count = accuracy(model, splits[0][1])
        return value, f"{recipe.dataset} test ({count:,})"
    value, count = loss_nats_per_char(model, [split for _, split in splits])
    names = "+".join(name for name, _ in splits)
    return value, f"{recipe.dataset} {names}, the last 10% ({count:,} characters)"


def met(recipe: Recipe, value: float) -> bool | None:
    if recipe.target is None:
        return None
    return value >= recipe.target if recipe.metric == "accuracy" else value <= recipe.target


# ---------------------------------------------------------------------------------------------
# Files.


def build(recipe: Recipe):
    """A fresh model as the preset fits it: the default configuration plus ``recipe.build``."""
    import zoo

    return zoo.build(recipe.model, **dict(recipe.build))


def copy_as_float16(source, target) -> list[str]:
    """Write ``target``: the HDF5 file ``source`` (a ``.weights.h5``) with the same groups,
    attributes and datasets, its floating-point datasets stored as float16. Returns the names
    of the datasets converted."""
    import h5py
    import numpy as np

    converted = []
    with h5py.File(source, "r") as src, h5py.File(target, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value

        def copy(name, item):
            if isinstance(item, h5py.Group):
                group = dst.require_group(name)
                for key, value in item.attrs.items():
                    group.attrs[key] = value
                return
            values = item[()]
            if np.issubdtype(values.dtype, np.floating):
                values = np.asarray(values, dtype=np.float16)
                converted.append(name)
            dataset = dst.create_dataset(name, data=values)
            for key, value in item.attrs.items():
                dataset.attrs[key] = value

        src.visititems(copy)
    return converted


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def store(recipe: Recipe, trained, out: pathlib.Path) -> pathlib.Path:
    """Write ``trained``'s weights as a fresh default model's ``.weights.h5`` (no optimizer
    state) into a temporary file in ``out`` (float16 where the recipe says); returns its path.
    """
    fresh = build(recipe)
    fresh.set_weights(trained.get_weights())
    stem = f".{recipe.model}.{recipe.tag}.{os.getpid()}"
    raw = out / f"{stem}.float32.weights.h5"
    fresh.save_weights(raw)
    if not recipe.float16:
        return raw
    half = out / f"{stem}.float16.weights.h5"
    try:
        copy_as_float16(raw, half)
    finally:
        raw.unlink(missing_ok=True)
    return half


# ---------------------------------------------------------------------------------------------
# The run.


def run(
    recipe: Recipe, *, source_dir=None, out=None, epochs=None, limit=None, verbose="auto"
) -> Result:
    """Train, evaluate, store and re-evaluate one tag; returns its `Result`."""
    import keras

    from zoo.training import fit

    started = time.perf_counter()
    if epochs is not None:
        recipe = dataclasses.replace(recipe, epochs=epochs)
    out = pathlib.Path(PRESETS_DIR if out is None else out)
    out.mkdir(parents=True, exist_ok=True)
    folder = source_folder(recipe.dataset, source_dir)
    keras.utils.set_random_seed(recipe.seed)
    train = train_data(recipe, folder, limit=limit)
    splits = held_out(recipe, folder, limit=limit)
    model = build(recipe)
    fitted = time.perf_counter()
    fit(
        model,
        train,
        epochs=recipe.epochs,
        optimizer=recipe.optimizer,
        learning_rate=recipe.learning_rate,
        schedule=recipe.schedule,
        warmup_steps=recipe.warmup_steps,
        weight_decay=recipe.weight_decay,
        l2=recipe.l2,
        clipnorm=recipe.clipnorm,
        verbose=verbose,
    )
    train_seconds = time.perf_counter() - fitted
    value_float32, _ = evaluate(recipe, model, splits)
    temporary = store(recipe, model, out)
    try:
        stored = build(recipe)
        stored.load_weights(temporary)
        value, evaluated_on = evaluate(recipe, stored, splits)
        final = out / recipe.file_name
        size, digest = temporary.stat().st_size, sha256(temporary)
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    return Result(
        tag=recipe.key,
        metric=recipe.metric,
        value=value,
        value_float32=value_float32,
        target=recipe.target,
        met=met(recipe, value),
        evaluated_on=evaluated_on,
        path=str(final),
        file_size=size,
        sha256=digest,
        float16=recipe.float16,
        num_params=stored.count_params(),
        epochs=recipe.epochs,
        train_seconds=train_seconds,
        total_seconds=time.perf_counter() - started,
        recipe=recipe.describe(),
        config=recipe.build,
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m zoo.weights.train",
        description="Train the zoo's presets (see the module's doc).",
    )
    parser.add_argument("tags", nargs="*", metavar="TAG", help=f"one of {', '.join(RECIPES)}")
    parser.add_argument("--all", action="store_true", help="train every tag")
    parser.add_argument(
        "--source-dir",
        type=pathlib.Path,
        default=None,
        help=f"the data sets' original files, one folder per data set (default: "
        f"${SOURCE_DIR_ENV}, else {DEFAULT_SOURCE_DIR})",
    )
    parser.add_argument(
        "--out", type=pathlib.Path, default=None, help=f"output folder (default: {PRESETS_DIR})"
    )
    parser.add_argument(
        "--epochs", type=_positive, default=None, help="replace the recipe's epochs (tests)"
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        default=None,
        metavar="N",
        help="train on the first N batches of each epoch, evaluate on the first N batches of "
        "each held-out split (tests)",
    )
    parser.add_argument("--json", action="store_true", help="print each result as JSON too")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    wanted = list(RECIPES) if args.all else [t.strip().lower() for t in args.tags]
    unknown = [t for t in wanted if t not in RECIPES]
    if not wanted or unknown:
        what = f"unknown tag {unknown[0]!r}" if unknown else "no TAG given (or --all)"
        print(f"zoo.weights.train: {what}; the tags are {', '.join(RECIPES)}.", file=sys.stderr)
        return 2
    if args.source_dir is not None and not args.source_dir.is_dir():
        print(
            f"zoo.weights.train: --source-dir {args.source_dir} is not a folder.", file=sys.stderr
        )
        return 2
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    verbose = "auto" if sys.stdout.isatty() else 2
    for tag in dict.fromkeys(wanted):
        try:
            result = run(
                RECIPES[tag],
                source_dir=args.source_dir,
                out=args.out,
                epochs=args.epochs,
                limit=args.limit,
                verbose=verbose,
            )
        except ValueError as error:  # the data cannot be read (no files, offline tfds, ...)
            print(f"zoo.weights.train: {tag}: {error}", file=sys.stderr)
            return 2
        print("\n".join(result.lines()), flush=True)
        if args.json:
            print(json.dumps(dataclasses.asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
