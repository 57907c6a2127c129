"""Backpropagation by hand: ExplicitDense's delta recursion against the backend's autodiff.

What it shows:
    1. `zoo.layers.ExplicitDense.backward(x, upstream)` computes the lectures' delta recursion
       (delta = g * h'(s), dW = x^T delta, db = sum delta, dx = delta W^T; softmax through its
       Jacobian-vector product). For several activations the script compares it, in float64,
       with the vector-Jacobian product that the backend's autodiff (TensorFlow's GradientTape,
       jax.vjp or torch.autograd) takes of the plain forward pass, and prints the largest
       difference.
       It exits with status 1 (one line on stderr) if any difference exceeds `TOLERANCE`
       (1e-8; float64 round-off is about 1e-15).
    2. Seed 004's worked example (KAIST AI602, "DNN: Forward Propagation (Example)" and the
       backward slides): x = (1, -0.5), y = 1, a 2-3-1 sigmoid network without biases, squared
       error; one ExplicitDense step gives the loss 0.0703, dE/dy_hat = -0.375, dE/dTheta2 =
       (-0.0698, -0.0809, -0.0142) and Theta2 = (-0.130, 0.581, 1.314) after a step of size 1.
       The slides print 0.072, -0.38, (0.02, -0.05, -0.12) and (-0.22, 0.55, 1.42): their
       gradient is wrong, and their Theta1 shows +1.5 where its arithmetic uses -1.5
       (tests/lectures/test_worked_examples.py records both).
    3. A small MLP of ExplicitDense layers, which `fit` trains through the hand-written
       backward pass (`keras.ops.custom_gradient`), on scikit-learn's 8x8 digits; it prints the
       test accuracy.

Lectures: seed 000 eq. 16-29 (MLP forward/backprop), seed 001 "local sensitivity",
seed 003 "backprop summary"; Rumelhart, Hinton & Williams 1986.

Run:
    python examples/backprop_by_hand.py            # full budget
    python examples/backprop_by_hand.py --quick    # a few seconds of training
"""

from __future__ import annotations

import argparse
import sys

import keras
import numpy as np

from zoo.layers import ExplicitDense
from zoo.layers.gradcheck import float64_mode, vjp
from zoo.training import data, fit

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softmax")
TOLERANCE = 1e-8  # largest |hand-written - autodiff| accepted, in float64

# Seed 004's example: Theta1 as its arithmetic uses it (the slide prints +1.5 for -1.5).
X = np.array([[1.0, -0.5]])
Y = np.array([[1.0]])
THETA1 = np.array([[1.2, 2.1, -1.5], [-0.3, -0.7, 0.3]])
THETA2 = np.array([[-0.2], [0.5], [1.3]])


def gradient_check(activation: str, rng: np.random.Generator) -> float:
    """Max |hand - autodiff| over dx, dW and db for one ExplicitDense(7, activation)."""
    layer = ExplicitDense(7, activation=activation)
    layer.build((None, 5))
    x = rng.normal(size=(4, 5))
    kernel = rng.normal(size=(5, 7))
    bias = rng.normal(size=(7,))
    upstream = rng.normal(size=(4, 7))
    hand = layer.backward(x, upstream, kernel=kernel, bias=bias)
    auto = vjp(
        lambda x_, k_, b_: layer.forward(x_, kernel=k_, bias=b_), [x, kernel, bias], upstream
    )
    return max(
        float(np.max(np.abs(keras.ops.convert_to_numpy(h) - a)))
        for h, a in zip(hand, auto, strict=True)
    )


def worked_example() -> tuple[float, float]:
    """Seed 004's forward and backward example with ExplicitDense: prints the numbers and
    returns (loss, max |hand-written - autodiff| of dE/dTheta1 and dE/dTheta2)."""
    # Zero-initialised (the kernels are given): no draw from Keras' seed, so the MLP below
    # starts from the same weights with or without this example.
    hidden = ExplicitDense(3, activation="sigmoid", use_bias=False, kernel_initializer="zeros")
    output = ExplicitDense(1, activation="sigmoid", use_bias=False, kernel_initializer="zeros")
    hidden.build((None, 2))
    output.build((None, 3))
    h1 = hidden.forward(X, kernel=THETA1)
    y_hat = output.forward(h1, kernel=THETA2)
    loss = float(0.5 * np.sum((Y - keras.ops.convert_to_numpy(y_hat)) ** 2))
    upstream = keras.ops.convert_to_numpy(y_hat) - Y  # dE/dy_hat for E = 1/2 (y - y_hat)^2
    dh1, d_theta2, _ = output.backward(h1, upstream, kernel=THETA2)
    _, d_theta1, _ = hidden.backward(X, dh1, kernel=THETA1)

    def network(theta1, theta2):
        return output.forward(hidden.forward(X, kernel=theta1), kernel=theta2)

    auto = vjp(network, [THETA1, THETA2], upstream)
    hand = [keras.ops.convert_to_numpy(d_theta1), keras.ops.convert_to_numpy(d_theta2)]
    difference = max(float(np.max(np.abs(h - a))) for h, a in zip(hand, auto, strict=True))
    updated = THETA2 - 1.0 * hand[1]

    def vector(values) -> str:
        return "(" + ", ".join(f"{v:.4f}" for v in np.ravel(values)) + ")"

    print(
        f"seed 004 worked example: h1 {vector(h1)}, y_hat {float(np.ravel(y_hat)[0]):.4f}, "
        f"loss {loss:.4f}, dE/dy_hat {float(upstream[0, 0]):.4f}"
    )
    print(
        f"  dE/dTheta2 {vector(hand[1])} (the slides print (0.02, -0.05, -0.12)); "
        f"Theta2 after a step of 1: {vector(updated)}"
    )
    print(f"  dE/dTheta1 {vector(hand[0])}; max |backward - autodiff| = {difference:.3e}")
    return loss, difference


def build_mlp(hidden_units: int) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            ExplicitDense(hidden_units, activation="sigmoid", name="hidden"),
            ExplicitDense(10, activation="softmax", name="predictions"),
        ],
        name="explicit_mlp",
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced training budget")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 30)

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    print(f"backend: {keras.backend.backend()}")
    worst = 0.0
    with float64_mode():
        for activation in ACTIVATIONS:
            difference = gradient_check(activation, rng)
            worst = max(worst, difference)
            print(f"  {activation:8s} max |backward - autodiff| = {difference:.3e}")
        _, difference = worked_example()
    worst = max(worst, difference)
    print(f"hand-written backward vs autodiff (float64): max abs difference {worst:.3e}")
    if not worst <= TOLERANCE:  # also catches NaN
        print(
            f"backprop_by_hand: the hand-written backward pass differs from autodiff by "
            f"{worst:.3e} > {TOLERANCE:g}",
            file=sys.stderr,
        )
        return 1

    train = data.load("digits", "train", batch_size=32, seed=args.seed, image_size=8)
    test = data.load("digits", "test", shuffle=False, image_size=8)
    model = build_mlp(64)
    history = fit(model, train, epochs=epochs, optimizer="momentum", learning_rate=0.5, verbose=0)
    _, accuracy = model.evaluate(test, verbose=0)
    losses = history.history["loss"]
    print(
        f"ExplicitDense MLP 64-64-10 (sigmoid, softmax), {epochs} epochs of SGD with momentum "
        "0.9: "
        f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, test accuracy {accuracy:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
