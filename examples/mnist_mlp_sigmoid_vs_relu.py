"""The lecture's MLP experiment: 500 sigmoid hidden units against 500 ReLU units.

What it shows: lecture 001's "Problem 2" (X. Hu) builds an MLP with one hidden layer of 500
sigmoid units and a cross-entropy loss for MNIST, then redoes it with ReLU and compares. This
script runs that comparison on scikit-learn's bundled 8x8 digits (64-500-10, offline) with
`zoo.build("mlp", ...)`: same seed, same initial-weight draw, same data order, same plain SGD
and the same number of epochs for both; it prints each network's loss curve (first, middle,
last epoch) and test accuracy. Sigmoid saturates (h'(s) <= 1/4), so its loss falls more slowly
under the same learning rate; ReLU's derivative is 1 on its active side. The script checks that
ReLU ends with the higher test accuracy and exits with status 1 (one line on stderr) if it does
not: with seed 0, 0.894 against 0.275 after 3 epochs and 0.953 against 0.878 after 20.

Lectures: seed 001 "Problem 2" (MNIST MLP, sigmoid vs ReLU); seed 000 / seed 004 on vanishing
gradients and the ReLU family.

Run:
    python examples/mnist_mlp_sigmoid_vs_relu.py            # 20 epochs each
    python examples/mnist_mlp_sigmoid_vs_relu.py --quick    # 3 epochs each
"""

from __future__ import annotations

import argparse
import sys

import keras

import zoo
from zoo.training import data, fit


def train_one(activation: str, epochs: int, seed: int, learning_rate: float):
    """(losses per epoch, test accuracy) of the 64-500-10 MLP with ``activation``."""
    keras.utils.set_random_seed(seed)
    train = data.load("digits", "train", batch_size=32, seed=seed, image_size=8)
    test = data.load("digits", "test", shuffle=False, image_size=8)
    model = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[500], activation=activation)
    history = fit(
        model,
        train,
        epochs=epochs,
        optimizer="sgd",
        learning_rate=learning_rate,
        momentum=0.0,
        verbose=0,
    )
    _, accuracy = model.evaluate(test, verbose=0)
    return history.history["loss"], accuracy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 epochs instead of 20")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs")
    parser.add_argument("--lr", type=float, default=0.05, help="plain SGD step size (0.05)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 20)

    print(f"64-500-10 MLP on digits, plain SGD lr={args.lr}, {epochs} epochs, seed {args.seed}")
    results = {}
    for activation in ("sigmoid", "relu"):
        losses, accuracy = train_one(activation, epochs, args.seed, args.lr)
        results[activation] = accuracy
        middle = losses[len(losses) // 2]
        print(
            f"{activation:7s}: loss epoch 1 {losses[0]:.4f}, epoch {len(losses) // 2 + 1} "
            f"{middle:.4f}, epoch {len(losses)} {losses[-1]:.4f}; test accuracy {accuracy:.4f}"
        )
    better = max(results, key=results.get)
    gap = results["relu"] - results["sigmoid"]
    print(f"relu - sigmoid test accuracy: {gap:+.4f} (better: {better})")
    if not results["relu"] > results["sigmoid"]:
        print(
            f"mnist_mlp_sigmoid_vs_relu: ReLU did not beat sigmoid (test accuracy "
            f"{results['relu']:.4f} vs {results['sigmoid']:.4f} after {epochs} epochs, seed "
            f"{args.seed}, lr {args.lr})",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
