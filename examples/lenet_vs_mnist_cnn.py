"""LeNet-5 against the lecture's MNIST CNN, both trained on the 8x8 digits like `zoo train` does.

What it shows: the two small CNNs of the lectures side by side on scikit-learn's digits, with the
recipe of the command line `zoo train NAME --dataset digits`: the model's card and the data set's
spec are paired by `zoo.training.data.image_dataset_for` (the CLI's own check), the digits are
resized to the builder's default input (LeNet-5 32x32, the MNIST CNN 28x28) by
`data.load(image_size=)`, the model is built for that shape and the data set's classes, and `fit`
trains it with the CLI's defaults (SGD, momentum 0.9, lr 0.05, batch 32). It prints, for each,
the parameter count, the training time and the test accuracy.

LeNet-5: LeCun, Bottou, Bengio & Haffner 1998 (tanh, average subsampling, 61,706 parameters).
MNIST CNN: lecture 001 "Problem 2" (conv32 5x5, pool, conv64 5x5, pool, fc1024, fc10).
Lectures: seed 001 (LeNet, Problem 2), seed 003 (LeNet, output size O = (W - F + 2P)/S + 1).

Run:
    python examples/lenet_vs_mnist_cnn.py            # 5 epochs each
    python examples/lenet_vs_mnist_cnn.py --quick    # 1 epoch of 12 batches each
"""

from __future__ import annotations

import argparse
import time

import keras

import zoo
from zoo.training import data, fit

MODELS = ("lenet5", "mnist_cnn")


def train_like_zoo_train(name: str, epochs: int, seed: int, batches: int | None = None):
    """(model, seconds, test accuracy) for ``zoo train NAME --dataset digits --epochs E``.

    ``batches`` caps the batches per epoch (the first ones of every shuffled pass).
    """
    info = zoo.info(name)
    dataset = data.image_dataset_for(info.name, info.task, "digits")
    size = info.default_input_shape[0]
    keras.utils.set_random_seed(seed)
    load = {"image_size": size, "batch_size": 32}
    train = data.load(dataset.name, "train", seed=seed, **load)
    test = data.load(dataset.name, "test", shuffle=False, **load)
    if batches is not None:
        train = train.take(batches)
    model = zoo.build(
        info.name, input_shape=(size, size, dataset.channels), num_classes=dataset.num_classes
    )
    started = time.perf_counter()
    fit(model, train, epochs=epochs, optimizer="momentum", learning_rate=0.05, verbose=0)
    seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(test, verbose=0)
    return model, seconds, accuracy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 epoch of 12 batches instead of 5 full epochs"
    )
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs")
    parser.add_argument("--batches", type=int, default=None, help="cap the batches per epoch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = args.epochs or (1 if args.quick else 5)
    batches = args.batches or (12 if args.quick else None)

    per_epoch = "all" if batches is None else f"{batches}"
    print(
        f"digits, {epochs} epoch(s) of {per_epoch} batches, SGD (momentum 0.9, lr 0.05, "
        f"batch 32), seed {args.seed}"
    )
    for name in MODELS:
        model, seconds, accuracy = train_like_zoo_train(name, epochs, args.seed, batches)
        shape = "x".join(str(d) for d in model.input_shape[1:])
        print(
            f"{name:9s}: input {shape}, {model.count_params():,} parameters, "
            f"{seconds:.1f} s training, test accuracy {accuracy:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
