"""Vanishing and exploding gradients in an RNN, with back-propagation through time by hand.

What it shows:
    1. `zoo.layers.gradient_norms` on `zoo.layers.ExplicitSimpleRNN`: the norm of dL/dh_t for
       every step t when the loss is the sum of the last state. With a linear activation
       dL/dh_t = dL/dh_T (U^T)^(T-t) (seed 000 eq. 37-38), so for a recurrent matrix U of
       spectral radius 0.5 (contracting) the norm halves with every step back in time, and for
       1.5 (expanding) it grows by half each step. tanh and sigmoid multiply each step by
       act'(s_t) <= 1 more (sigmoid: <= 1/4, seed 004's chain of sigmoids), so even an
       expanding U can vanish. The script prints the per-step norms side by side.
    2. The hand-written BPTT (`ExplicitSimpleRNN.backward`) against the vector-Jacobian product
       the backend's autodiff takes of the plain forward pass, in float64; the script exits
       with status 1 if they differ by more than 1e-8.
    3. A short training (`fit`, through the hand-written BPTT) on a toy memory task: the
       target is the first input of a sequence of random +-1, so its gradient must travel back
       through every step. A tanh RNN whose U starts as an orthogonal matrix times 0.5
       (contracting: the gradient at t = 1 is ~1e-10 of that at t = T for T = 30) stays at the
       chance loss ~1; with Keras' default orthogonal U (radius 1, seed 000's "constrain
       ||W|| ~ 1") it learns the task. The script prints both losses and norm ratios.

Lectures: seed 000 eq. 30-38 (RNN, BPTT, gradient vanishing/exploding), seed 004 (vanilla RNN,
BPTT, vanishing gradient over time, exploding gradients).

Run:
    python examples/vanishing_gradients.py                   # full budget
    python examples/vanishing_gradients.py --quick           # a few seconds
    python examples/vanishing_gradients.py --plot norms.png  # also draw the norms (matplotlib)
"""

from __future__ import annotations

import argparse
import pathlib

import keras
import numpy as np

from zoo.layers import ExplicitSimpleRNN, gradient_norms
from zoo.layers.gradcheck import float64_mode, vjp

TOLERANCE = 1e-8


def orthogonal(n: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    """``radius`` times a random orthogonal matrix: spectral radius and norm both ``radius``."""
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return radius * q


def rnn_with(activation, recurrent, d: int, rng: np.random.Generator) -> ExplicitSimpleRNN:
    n = recurrent.shape[0]
    layer = ExplicitSimpleRNN(n, activation=activation, use_bias=False)
    layer.build((None, None, d))
    kernel = rng.normal(size=(d, n)) / np.sqrt(d)
    layer.set_weights([kernel.astype("float32"), recurrent.astype("float32")])
    return layer


def norms_table(steps: int, units: int, seed: int) -> dict:
    """Per-step gradient norms for four recurrent set-ups (the loss: sum of h_T)."""
    rng = np.random.default_rng(seed)
    d = 3
    x = rng.normal(size=(4, steps, d)).astype("float32")
    cases = {
        "linear, radius 0.5": (None, 0.5),
        "linear, radius 1.5": (None, 1.5),
        "tanh, radius 1.5": ("tanh", 1.5),
        "sigmoid, radius 1.5": ("sigmoid", 1.5),
    }
    return {
        name: gradient_norms(rnn_with(act, orthogonal(units, radius, rng), d, rng), x)
        for name, (act, radius) in cases.items()
    }


def bptt_check(activation: str, rng: np.random.Generator) -> float:
    """Max |BPTT by hand - autodiff| over dx, dW, dU, db for ExplicitSimpleRNN(5, activation),
    with a loss on every state and masked steps."""
    layer = ExplicitSimpleRNN(5, activation=activation)
    layer.build((None, 6, 3))
    x = rng.normal(size=(2, 6, 3))
    weights = [rng.normal(size=(3, 5)), rng.normal(size=(5, 5)) * 0.5, rng.normal(size=(5,))]
    upstream = rng.normal(size=(2, 6, 5))
    mask = np.ones((2, 6), bool)
    mask[0, 4:] = False
    mask[1, 2] = False

    def forward(x_, w_, u_, b_):
        return layer.forward(x_, mask=mask, kernel=w_, recurrent_kernel=u_, bias=b_)

    with float64_mode():
        hand = layer.backward(
            x, upstream, mask=mask, kernel=weights[0], recurrent_kernel=weights[1], bias=weights[2]
        )
        hand = [keras.ops.convert_to_numpy(h) for h in hand]
        auto = vjp(forward, [x, *weights], upstream)
    return max(float(np.max(np.abs(h - a))) for h, a in zip(hand, auto, strict=True))


def memory_task(steps: int, samples: int, rng: np.random.Generator):
    """x: (samples, steps, 1) of +-1; the target is the first input."""
    x = rng.choice([-1.0, 1.0], size=(samples, steps, 1)).astype("float32")
    return x, x[:, 0, :]


def train_memory(steps: int, gain: float, epochs: int, samples: int, seed: int):
    """Loss per epoch and ||dL/dh_1|| / ||dL/dh_T|| at the start, for U orthogonal x gain."""
    keras.utils.set_random_seed(seed)
    x, y = memory_task(steps, samples, np.random.default_rng(seed))
    rnn = ExplicitSimpleRNN(
        16, activation="tanh", recurrent_initializer=keras.initializers.Orthogonal(gain)
    )
    model = keras.Sequential([keras.Input((steps, 1)), rnn, keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    norms = gradient_norms(rnn, x[:32])
    losses = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0).history["loss"]
    return losses, norms[0] / norms[-1]


def draw(table: dict, path: pathlib.Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    for name, norms in table.items():
        axes.semilogy(np.arange(1, len(norms) + 1), norms, marker="o", markersize=3, label=name)
    axes.set_xlabel("time step t")
    axes.set_ylabel("||dL/dh_t||  (loss on h_T)")
    axes.set_title("Gradient norms through time")
    axes.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter sequences, less training")
    parser.add_argument("--steps", type=int, default=None, help="sequence length T")
    parser.add_argument("--units", type=int, default=8, help="state size of the RNNs")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the memory task")
    parser.add_argument("--plot", type=pathlib.Path, default=None, help="PNG of the norms")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = args.steps or (12 if args.quick else 30)
    epochs = args.epochs or (2 if args.quick else 10)
    samples = 256 if args.quick else 1024

    print(f"backend: {keras.backend.backend()}")
    table = norms_table(steps, args.units, args.seed)
    names = list(table)
    print(f"per-step gradient norms ||dL/dh_t||, T = {steps}, {args.units} units, L = sum(h_T):")
    print("    t  " + "  ".join(f"{name:>19s}" for name in names))
    for t in range(steps, 0, -1):
        print(f"  {t:3d}  " + "  ".join(f"{table[name][t - 1]:19.3e}" for name in names))
    for name, norms in table.items():
        ratio = norms[0] / norms[-1]
        per_step = ratio ** (1 / (steps - 1))
        trend = "vanishes" if ratio < 1 else "explodes"
        print(
            f"{name}: ||dL/dh_1|| / ||dL/dh_T|| = {ratio:.3e}, {per_step:.3f} per step "
            f"back ({trend})"
        )

    rng = np.random.default_rng(args.seed)
    activations = ["linear", "sigmoid", "relu", "elu"]
    if keras.backend.backend() != "jax":  # Keras' tanh demotes float64 to float32 under JAX
        activations.insert(1, "tanh")
    worst = 0.0
    for activation in activations:
        difference = bptt_check(activation, rng)
        worst = max(worst, difference)
        print(f"  {activation:8s} max |BPTT by hand - autodiff| = {difference:.3e}")
    print(f"hand-written BPTT vs autodiff (float64): max abs difference {worst:.3e}")

    for gain in (0.5, 1.0):
        losses, ratio = train_memory(steps, gain, epochs, samples, args.seed)
        print(
            f"memory task, T = {steps}, U orthogonal x {gain}: initial ||dL/dh_1|| / "
            f"||dL/dh_T|| = {ratio:.2e}, loss {losses[0]:.3f} -> {losses[-1]:.3f} "
            f"in {epochs} epochs (chance: 1)"
        )

    if args.plot is not None:
        draw(table, args.plot)
        print(f"wrote the gradient norms to {args.plot}")
    if worst > TOLERANCE:
        print(f"FAILED: the hand-written BPTT differs from autodiff by more than {TOLERANCE:g}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
