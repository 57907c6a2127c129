"""Convolution and pooling backprop by hand: the Explicit* layers against the backend's autodiff.

What it shows:
    1. `zoo.layers.ExplicitConv2D.backward(x, upstream)` computes a conv layer's local
       sensitivity and gradients by hand (delta = g * h'(s); dW = the sum over positions of
       delta times the input patch; db = the sum of delta; dx = every delta W^T scatter-added
       back onto its patch, i.e. the full correlation with the rotated kernel), and
       `ExplicitMaxPooling2D` / `ExplicitAveragePooling2D.backward` route the upstream gradient
       to each window's arg-max or spread it evenly. For several layers the script compares
       them, in float64, with the vector-Jacobian product the backend's autodiff
       (TensorFlow's GradientTape, jax.vjp or torch.autograd) takes of the plain forward pass,
       and prints the largest difference; it also runs `zoo.layers.gradcheck` (central
       differences) on the layers' training path. It exits with status 1 (one line on stderr)
       if a difference exceeds `TOLERANCE` (1e-8; float64 round-off is about 1e-15).
    2. Seed 001's conv2 example: Keras convolutions are cross-correlations, so the notes'
       conv2(A, B, 'valid') = [[-3, 0], [4, 3]] is ExplicitConv2D with the kernel rotated by
       180 degrees.
    3. A small CNN (ExplicitConv2D, ExplicitMaxPooling2D, ExplicitDense) that `fit` trains
       through the hand-written backward passes (`keras.ops.custom_gradient`) on
       scikit-learn's 8x8 digits; it prints the test accuracy.

Lectures: seed 000 section 4 (CONV/POOL layers, 4.4 back propagation), seed 001 "2D convolution",
"Pooling in local regions" and "Backward computation" (local sensitivity).

Run:
    python examples/conv_backprop_by_hand.py                   # full budget
    python examples/conv_backprop_by_hand.py --quick           # a few seconds of training
    python examples/conv_backprop_by_hand.py --plot grads.png  # also draw the gradients
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import keras
import numpy as np

from zoo.layers import (
    ExplicitAveragePooling2D,
    ExplicitConv2D,
    ExplicitDense,
    ExplicitMaxPooling2D,
    gradcheck,
)
from zoo.layers.gradcheck import float64_mode, vjp
from zoo.training import data, fit

TOLERANCE = 1e-8  # largest |hand-written - autodiff| accepted, in float64

# Seed 001's Matlab example.
A = np.array([[0, 0, 1, 2], [2, 2, 0, 0], [2, 1, 2, 2], [3, 0, 1, 1]], np.float64)
B = np.array([[0, 0, -1], [1, -1, 1], [-1, 1, 1]], np.float64)

LAYERS = {  # name -> a factory of the layer checked on inputs of shape (2, 6, 7, 3)
    "conv 3x3, stride 1, valid, relu": lambda: ExplicitConv2D(4, 3, activation="relu"),
    "conv 2x3, stride 2, same, sigmoid": lambda: ExplicitConv2D(
        4, (2, 3), strides=2, padding="same", activation="sigmoid"
    ),
    "conv 3x3, stride 2, same, softmax": lambda: ExplicitConv2D(
        3, 3, strides=2, padding="same", activation="softmax"
    ),
    "max pooling 2x2": lambda: ExplicitMaxPooling2D(2),
    "max pooling 3x3, stride 2, same": lambda: ExplicitMaxPooling2D(3, 2, "same"),
    "average pooling 3x3, stride 2, same": lambda: ExplicitAveragePooling2D(3, 2, "same"),
}


def to_numpy(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def backward_vs_autodiff(layer, rng: np.random.Generator) -> tuple[float, list]:
    """Max |hand-written - autodiff| over dx (and dW, db) in float64, and the hand gradients."""
    x = rng.normal(size=(2, 6, 7, 3))
    layer.build(x.shape)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))
    if isinstance(layer, ExplicitConv2D):
        kernel = rng.normal(size=tuple(layer.kernel.shape))
        bias = rng.normal(size=tuple(layer.bias.shape))
        hand = layer.backward(x, upstream, kernel=kernel, bias=bias)
        auto = vjp(
            lambda x_, k_, b_: layer.forward(x_, kernel=k_, bias=b_), [x, kernel, bias], upstream
        )
    else:
        hand = [layer.backward(x, upstream)]
        auto = vjp(layer.forward, [x], upstream)
    hand = [to_numpy(h) for h in hand]
    difference = max(float(np.max(np.abs(h - a))) for h, a in zip(hand, auto, strict=True))
    return difference, hand


def seed_001_conv2() -> np.ndarray:
    """conv2(A, B, 'valid') of seed 001 with ExplicitConv2D and the kernel rotated by 180."""
    layer = ExplicitConv2D(1, 3, use_bias=False, kernel_initializer="zeros")
    layer.build((None, 4, 4, 1))
    out = layer.forward(A[None, :, :, None], kernel=np.rot90(B, 2)[:, :, None, None])
    return to_numpy(out)[0, :, :, 0]


def build_cnn(filters: int) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            ExplicitConv2D(filters, 3, padding="same", activation="relu", name="conv"),
            ExplicitMaxPooling2D(2, name="max_pool"),
            keras.layers.Flatten(),
            ExplicitDense(10, activation="softmax", name="predictions"),
        ],
        name="explicit_cnn",
    )


def draw(image: np.ndarray, model: keras.Model, path: pathlib.Path) -> bool:
    """One digit, what max pooling routes back to it, and dL/dW of the conv layer's filters."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print("matplotlib is not installed: no plot")
        return False
    conv, pool = model.get_layer("conv"), model.get_layer("max_pool")
    x = image[None].astype("float32")
    features = to_numpy(conv.forward(x))
    routed = to_numpy(pool.backward(features, np.ones((1, 4, 4, features.shape[-1]))))
    upstream = np.ones(features.shape, "float32")
    _, dkernel, _ = conv.backward(x, upstream)
    dkernel = to_numpy(dkernel)[:, :, 0, :]  # (3, 3, filters)

    figure = Figure(figsize=(9, 3.2))
    FigureCanvasAgg(figure)
    panels = [
        (image[:, :, 0], "digit (8x8)"),
        (routed[0, :, :, 0], "max pooling: gradient routed back\n(filter 0, upstream 1)"),
        (
            np.concatenate([dkernel[:, :, f] for f in range(min(4, dkernel.shape[-1]))], 1),
            "dL/dW of filters 0-3, L = sum(conv)",
        ),
    ]
    for index, (values, title) in enumerate(panels, start=1):
        axes = figure.add_subplot(1, 3, index)
        shown = axes.imshow(values, cmap="viridis")
        figure.colorbar(shown, ax=axes, fraction=0.046)
        axes.set_title(title, fontsize=9)
        axes.set_xticks([])
        axes.set_yticks([])
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced training budget")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs")
    parser.add_argument("--plot", type=pathlib.Path, default=None, help="image of the gradients")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 15)

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    print(f"backend: {keras.backend.backend()}")
    worst, worst_check = 0.0, 0.0
    with float64_mode():
        for name, factory in LAYERS.items():
            difference, _ = backward_vs_autodiff(factory(), rng)
            worst = max(worst, difference)
            print(f"  {name:36s} max |backward - autodiff| = {difference:.3e}")
    for factory in LAYERS.values():
        check = gradcheck(factory(), rng.normal(size=(2, 5, 6, 3)), seed=args.seed)
        worst_check = max(worst_check, check.max_error)
    print(
        f"hand-written backward vs autodiff (float64): max abs difference {worst:.3e}; "
        f"training path vs central differences (gradcheck): max relative error "
        f"{worst_check:.3e}"
    )
    if not worst <= TOLERANCE:  # also catches NaN
        print(
            f"conv_backprop_by_hand: the hand-written backward pass differs from autodiff by "
            f"{worst:.3e} > {TOLERANCE:g}",
            file=sys.stderr,
        )
        return 1

    valid = seed_001_conv2()
    print(
        "seed 001 conv2(A, B, 'valid') = ExplicitConv2D with rot180(B): "
        f"{valid.astype(int).tolist()} (the notes print [[-3, 0], [4, 3]])"
    )

    train = data.load("digits", "train", batch_size=32, seed=args.seed, image_size=8)
    test = data.load("digits", "test", shuffle=False, image_size=8)
    model = build_cnn(8 if args.quick else 16)
    history = fit(model, train, epochs=epochs, optimizer="momentum", learning_rate=0.05, verbose=0)
    _, accuracy = model.evaluate(test, verbose=0)
    losses = history.history["loss"]
    print(
        f"Explicit CNN (conv 3x3 relu, max pool 2x2, softmax), {epochs} epochs of SGD with "
        f"momentum: loss {losses[0]:.3f} -> {losses[-1]:.3f}, test accuracy {accuracy:.4f}"
    )
    if args.plot is not None:
        image = next(iter(test))[0].numpy()[0]
        if draw(image, model, args.plot):
            print(f"wrote the routed and weight gradients to {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
