"""Maxout, CReLU and RReLU against plain ReLU in the same small network on digits.

What it shows: one hidden layer of 64 units on scikit-learn's 8x8 digits, with the hidden
nonlinearity swapped between the lectures' rectifier variants, each trained from the same seed
with the same optimizer and epochs; it prints parameters and test accuracy of each:

- relu:    Dense(64, relu), the baseline;
- maxout:  `zoo.build("maxout_mlp")` with one `MaxoutDense(64, num_pieces=2)` layer
           (Goodfellow et al. 2013: each unit the max of k = 2 affine pieces), no dropout;
- maxout (layer): Dense(128) then `Maxout(64)`, the weight-free layer (TF Addons' channel order);
- crelu:   Dense(32) then `CReLU()`: concat(relu(x), relu(-x)), 64 outputs from 32 filters
           (Shang et al. 2016);
- rrelu:   Dense(64) then `RReLU()`: a random negative slope from U(1/8, 1/3) in training,
           their mean at inference (Xu et al. 2015).

Lectures: seed 003 "activations" (maxout worked example, k = 2, N = 5); seed 004 "ReLU family"
(Leaky, PReLU, RReLU, CReLU).

Run:
    python examples/maxout_and_rectifiers.py            # 15 epochs each
    python examples/maxout_and_rectifiers.py --quick    # 1 epoch each
"""

from __future__ import annotations

import argparse

import keras

import zoo
from zoo.layers import CReLU, Maxout, RReLU
from zoo.training import data, fit

INPUT_SHAPE = (8, 8, 1)


def small_net(name: str, *hidden: keras.layers.Layer) -> keras.Model:
    layers = [keras.Input(INPUT_SHAPE), keras.layers.Flatten(), *hidden]
    layers.append(keras.layers.Dense(10, activation="softmax", name="predictions"))
    return keras.Sequential(layers, name=name)


VARIANTS = {
    "relu": lambda: small_net("relu", keras.layers.Dense(64, activation="relu")),
    "maxout": lambda: zoo.build(
        "maxout_mlp",
        input_shape=INPUT_SHAPE,
        hidden_units=[64],
        num_pieces=2,
        dropout=0.0,
        input_dropout=0.0,
    ),
    "maxout (layer)": lambda: small_net("maxout_layer", keras.layers.Dense(128), Maxout(64)),
    "crelu": lambda: small_net("crelu", keras.layers.Dense(32), CReLU()),
    "rrelu": lambda: small_net("rrelu", keras.layers.Dense(64), RReLU(seed=0)),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch instead of 15")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = args.epochs or (1 if args.quick else 15)

    test = data.load("digits", "test", shuffle=False, image_size=8)
    print(f"64 hidden units on digits (8x8), SGD momentum 0.9, lr 0.05, {epochs} epoch(s)")
    for label, build in VARIANTS.items():
        keras.utils.set_random_seed(args.seed)
        train = data.load("digits", "train", batch_size=32, seed=args.seed, image_size=8)
        model = build()
        fit(model, train, epochs=epochs, optimizer="momentum", learning_rate=0.05, verbose=0)
        _, accuracy = model.evaluate(test, verbose=0)
        print(f"{label:15s}: {model.count_params():6,} parameters, test accuracy {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
