"""Backpropagation by hand: ExplicitDense's delta recursion against the backend's autodiff.

What it shows:
    1. `zoo.layers.ExplicitDense.backward(x, upstream)` computes the lectures' delta recursion
       (delta = g * h'(s), dW = x^T delta, db = sum delta, dx = delta W^T; softmax through its
       Jacobian-vector product). For several activations the script compares it, in float64,
       with the vector-Jacobian product that the backend's autodiff (TensorFlow's GradientTape,
       jax.vjp or torch.autograd) takes of the plain forward pass, and prints the largest
       difference.
    2. A small MLP of ExplicitDense layers, which `fit` trains through the hand-written
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

import keras
import numpy as np

from zoo.layers import ExplicitDense
from zoo.training import data, fit

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softmax")


def autodiff_vjp(function, inputs, upstream):
    """Gradients of sum(function(*inputs) * upstream) with respect to every input."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        variables = [tf.convert_to_tensor(v) for v in inputs]
        with tf.GradientTape() as tape:
            tape.watch(variables)
            outputs = function(*variables)
        return [g.numpy() for g in tape.gradient(outputs, variables, output_gradients=upstream)]
    if backend == "jax":
        import jax

        _, pullback = jax.vjp(function, *inputs)
        return [np.asarray(g) for g in pullback(upstream)]
    if backend == "torch":
        import torch

        variables = [torch.tensor(v, requires_grad=True) for v in inputs]
        function(*variables).backward(torch.tensor(upstream))
        return [v.grad.numpy() for v in variables]
    raise SystemExit(f"backend {backend!r} has no autodiff comparison in this example")


def gradient_check(activation: str, rng: np.random.Generator) -> float:
    """Max |hand - autodiff| over dx, dW and db for one ExplicitDense(7, activation)."""
    layer = ExplicitDense(7, activation=activation)
    layer.build((None, 5))
    x = rng.normal(size=(4, 5))
    kernel = rng.normal(size=(5, 7))
    bias = rng.normal(size=(7,))
    upstream = rng.normal(size=(4, 7))
    hand = layer.backward(x, upstream, kernel=kernel, bias=bias)
    auto = autodiff_vjp(
        lambda x_, k_, b_: layer.forward(x_, kernel=k_, bias=b_), [x, kernel, bias], upstream
    )
    return max(
        float(np.max(np.abs(keras.ops.convert_to_numpy(h) - a)))
        for h, a in zip(hand, auto, strict=True)
    )


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
    for activation in ACTIVATIONS:
        difference = gradient_check(activation, rng)
        worst = max(worst, difference)
        print(f"  {activation:8s} max |backward - autodiff| = {difference:.3e}")
    print(f"hand-written backward vs autodiff (float64): max abs difference {worst:.3e}")

    train = data.load("digits", "train", batch_size=32, seed=args.seed, image_size=8)
    test = data.load("digits", "test", shuffle=False, image_size=8)
    model = build_mlp(64)
    history = fit(model, train, epochs=epochs, optimizer="sgd", learning_rate=0.5, verbose=0)
    _, accuracy = model.evaluate(test, verbose=0)
    losses = history.history["loss"]
    print(
        f"ExplicitDense MLP 64-64-10 (sigmoid, softmax), {epochs} epochs of SGD: "
        f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, test accuracy {accuracy:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
