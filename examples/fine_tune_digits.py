"""Transfer learning: LeNet-5 pretrained on MNIST and fine-tuned on a few digits, vs from scratch.

What it shows: features learned on a large data set help on a related small one. LeNet-5 (32x32x1
input) is trained on MNIST (the original IDX files, read by `zoo.training.data.load`), each image
made to look like scikit-learn's digits: the UCI digits are size-normalised bitmaps averaged over
4x4 blocks into 8x8 and `load("digits")` resizes them to 32x32, so MNIST's 20x20 digit box is
cropped, averaged to 8x8 and resized to 32x32 the same way. A second LeNet-5 copies every layer
but the classifier and gets a freshly initialised 10-way one; `zoo.training.fine_tune` trains it
on 100 digits: first the fully connected top with the convolutional backbone (c1-s4, what
``include_top=False`` keeps) frozen, then the whole net at a tenth of the learning rate. The
baseline is the same architecture trained from scratch on the same images for the same total
number of epochs at the same learning rate. It prints both accuracies on the 360 test digits.

Reference: Yosinski, Clune, Bengio & Lipson 2014, "How transferable are features in deep neural
networks?"; Keras' transfer-learning guide (https://keras.io/guides/transfer_learning/); LeCun,
Bottou, Bengio & Haffner 1998 (LeNet-5, MNIST); Alpaydin & Kaynak 1998 (the UCI digits).

The MNIST folder is ``--mnist-dir``, else the ``mnist`` folder of ``$ZOO_SOURCE_DIR``, else
``../shared/data/mnist`` next to the repository; without it the script exits with status 2.

Run:
    python examples/fine_tune_digits.py            # MNIST 2 epochs; digits 3 head + 7 epochs
    python examples/fine_tune_digits.py --quick    # MNIST 300 batches; digits 2 head + 3 epochs
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import keras

import zoo
from zoo.training import data, fine_tune, fit

SHARED_MNIST = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
LEARNING_RATE = 0.05  # SGD with momentum 0.9 (optimizer="momentum")
BATCH_SIZE = 32


def like_digits(images, labels):
    """A batch of MNIST images (28x28, digit in the central 20x20 box) prepared like the digits:
    cropped to the box, averaged to 8x8 and resized to 32x32 as `load("digits")` resizes."""
    import tensorflow as tf

    box = images[:, 4:24, 4:24, :]
    small = tf.image.resize(box, (8, 8), method="area")
    large = tf.image.resize(small, (32, 32), method="bilinear", antialias=True)
    return tf.clip_by_value(large, 0.0, 1.0), labels


def mnist_folder(given: pathlib.Path | None) -> pathlib.Path | None:
    """The folder of MNIST's IDX files: ``given``, ``$ZOO_SOURCE_DIR``'s or the shared one."""
    folder = given or data.source_folder("mnist") or SHARED_MNIST
    if folder.is_dir() and any(folder.glob("train-images-idx3-ubyte*")):
        return folder
    return None


DIGITS_TRAIN = 1437  # the digits train split (zoo.training.data's fixed 80/20 split)


def digits_subset(count: int, seed: int):
    """The first ``count`` images of the digits train split, shuffled every epoch."""
    # holdout sets the train split's last examples aside; its training part is the first ones
    fraction = 1 - count / DIGITS_TRAIN
    train, _ = data.holdout("digits", fraction=fraction, batch_size=BATCH_SIZE, seed=seed)
    return train


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="300 MNIST batches and 2 + 3 digits epochs instead of 2 MNIST epochs and 3 + 7",
    )
    parser.add_argument(
        "--mnist-dir", type=pathlib.Path, default=None, help="folder of MNIST's four IDX files"
    )
    parser.add_argument(
        "--digits-train", type=int, default=100, help="digits training images (default 100)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not 1 <= args.digits_train < DIGITS_TRAIN:
        parser.error(f"--digits-train must be in [1, {DIGITS_TRAIN - 1}], got {args.digits_train}")
    folder = mnist_folder(args.mnist_dir)
    if folder is None:
        print(
            f"fine_tune_digits: no MNIST IDX files in {args.mnist_dir or SHARED_MNIST} (pass "
            "--mnist-dir DIR or set ZOO_SOURCE_DIR).",
            file=sys.stderr,
        )
        return 2
    mnist_epochs, mnist_batches = (1, 300) if args.quick else (2, None)
    head_epochs, tune_epochs = (2, 3) if args.quick else (3, 7)
    started = time.perf_counter()

    # 1. Pretrain on MNIST.
    keras.utils.set_random_seed(args.seed)
    mnist_train = data.load("mnist", "train", batch_size=64, seed=args.seed, source_dir=folder)
    mnist_train = mnist_train.map(like_digits)
    if mnist_batches is not None:
        mnist_train = mnist_train.take(mnist_batches)
    pretrained = zoo.build("lenet5", num_classes=10)
    fit(
        pretrained,
        mnist_train,
        epochs=mnist_epochs,
        optimizer="momentum",
        learning_rate=LEARNING_RATE,
        verbose=0,
    )
    mnist_test = data.load("mnist", "test", batch_size=500, shuffle=False, source_dir=folder)
    mnist_test = mnist_test.map(like_digits)
    _, mnist_accuracy = pretrained.evaluate(mnist_test, verbose=0)
    batches = "all" if mnist_batches is None else mnist_batches
    print(
        f"pretrained on MNIST: {mnist_epochs} epoch(s) of {batches} batches of 64, MNIST test "
        f"accuracy {mnist_accuracy:.4f}"
    )

    # 2. A few digits: fine-tune the MNIST backbone with a new head, or train from scratch.
    digits_train = digits_subset(args.digits_train, args.seed)
    digits_test = data.load("digits", "test", batch_size=360, shuffle=False)
    print(
        f"digits: {args.digits_train} training images, 360 test images; {head_epochs} head + "
        f"{tune_epochs} fine-tuning epochs vs {head_epochs + tune_epochs} from scratch (SGD, "
        f"lr {LEARNING_RATE}, fine-tuning at {LEARNING_RATE / 10:g})"
    )
    keras.utils.set_random_seed(args.seed + 1)
    tuned = zoo.build("lenet5", num_classes=10)
    for layer in tuned.layers:  # every layer but the new (random) classifier
        if layer.name != "predictions":
            layer.set_weights(pretrained.get_layer(layer.name).get_weights())
    fine_tune(
        tuned,
        digits_train,
        # the convolutional backbone, up to its last feature stage (s4); the head: c5, f6 and
        # the new classifier
        backbone=zoo.feature_info("lenet5")[-1],
        head_epochs=head_epochs,
        epochs=tune_epochs,
        optimizer="momentum",
        learning_rate=LEARNING_RATE,
        verbose=0,
    )
    _, tuned_accuracy = tuned.evaluate(digits_test, verbose=0)

    keras.utils.set_random_seed(args.seed + 1)
    scratch = zoo.build("lenet5", num_classes=10)
    fit(
        scratch,
        digits_train,
        epochs=head_epochs + tune_epochs,
        optimizer="momentum",
        learning_rate=LEARNING_RATE,
        verbose=0,
    )
    _, scratch_accuracy = scratch.evaluate(digits_test, verbose=0)
    print(f"fine-tuned from MNIST: test accuracy {tuned_accuracy:.4f}")
    print(f"from scratch: test accuracy {scratch_accuracy:.4f}")
    print(
        f"transfer - scratch: {tuned_accuracy - scratch_accuracy:+.4f} "
        f"({time.perf_counter() - started:.1f} s in all)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
