"""Train, export a SavedModel with `zoo.export`, reload it with TensorFlow and serve from it.

What it shows: the path from a trained Keras model to a serving artifact. LeNet-5 trains briefly
on scikit-learn's digits (resized to its 32x32 input), `zoo.export` writes a TensorFlow
SavedModel atomically (Keras' ``model.export``, then a reload check before the directory is
renamed into place), and the script loads it back with plain ``tf.saved_model.load``, the way a
serving process without the zoo (or Keras) would, calls its ``serve`` endpoint (a
``tf.function``) and its ``serve`` signature (keyword inputs, a dict of outputs) on the test
images, and prints the largest absolute difference from
the Keras model's predictions and the accuracy of the served predictions.

Reference: LeCun, Bottou, Bengio & Haffner 1998 (LeNet-5); TensorFlow's SavedModel format; the
README's `make demo` (``zoo train lenet5 --dataset digits --export artifacts/lenet5``).

Run:
    python examples/export_and_serve.py --out artifacts/lenet5   # 5 epochs
    python examples/export_and_serve.py --quick                  # 1 epoch; in a temporary folder
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

import keras
import numpy as np

import zoo
from zoo.training import data, fit


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch instead of 5")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs")
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        help="SavedModel directory, new or empty (default: a temporary folder)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = args.epochs or (1 if args.quick else 5)
    out = args.out or pathlib.Path(tempfile.mkdtemp(prefix="export_and_serve_")) / "lenet5"

    import tensorflow as tf

    keras.utils.set_random_seed(args.seed)
    train = data.load("digits", "train", batch_size=32, seed=args.seed)
    x_test, y_test = data.digits_arrays(32)[2:]
    model = zoo.build("lenet5")
    fit(model, train, epochs=epochs, optimizer="momentum", learning_rate=0.05, verbose=0)
    expected = model.predict(x_test, verbose=0)
    accuracy = np.mean(expected.argmax(axis=1) == y_test)
    print(f"lenet5 trained {epochs} epoch(s): Keras test accuracy {accuracy:.4f}")

    path = zoo.export(model, out)
    print(f"exported SavedModel to {path}")

    loaded = tf.saved_model.load(str(path))
    served = loaded.serve(tf.constant(x_test)).numpy()
    signature = loaded.signatures["serve"]
    (signed,) = signature(tf.constant(x_test)).values()
    print(f"signatures: {sorted(loaded.signatures)}")
    print(f"serve endpoint vs Keras: max abs difference {np.max(np.abs(served - expected)):.3e}")
    print(
        "serve signature vs Keras: max abs difference "
        f"{np.max(np.abs(signed.numpy() - expected)):.3e}"
    )
    print(f"served test accuracy {np.mean(served.argmax(axis=1) == y_test):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
