"""The lectures' optimizers on the Rosenbrock function and on two quadratics (kappa 1 and 9).

What it shows: every optimizer of `zoo.training.recipe.make_optimizer` (the one `fit`, the tuner
and ``zoo train`` use: sgd is plain SGD, momentum, nesterov, rmsprop, adam, adamax, adadelta)
minimising three functions of two parameters from the same start, with Keras' own training loop
(``model.fit`` on a model whose only weight is the point p, so the step is compiled):

- seed 003 "Condition": C = (w1 - 2)^2 + (w2 - 3)^2 (kappa = 1, well-conditioned) and
  C = (w1 - 2)^2 + 9 (w2 - 3)^2 (kappa = 9, ill-conditioned), from (0, 0);
- seed 001 "Pathological curvature": the Rosenbrock function f = (1 - x)^2 + 100 (y - x^2)^2,
  a long shallow ravine, from (-1.2, 1) (the classic start), minimum at (1, 1).

For each it prints the steps until the cost is below TOLERANCE (or "-" if never within the
budget) and the final cost. The rates are chosen per problem (printed) so that every optimizer
is stable and moves: the SGD family at the recipe's default 0.01 on the quadratics (1e-3 on
Rosenbrock, whose curvature near the start is about 1300), where momentum 0.9 needs a fraction
of plain SGD's steps; Adam, RMSprop and AdaMax take steps of about their rate whatever the
gradient's size, so they get rates larger than their defaults; Adadelta (no rate: the zoo's
multiplier 1.0) starts with steps of about sqrt(eps) ~ 3e-4 and grows them slowly on these
small problems. Both quadratics have the same slow direction (curvature 2), so plain SGD at a
fixed rate needs as many steps on kappa = 9 as on kappa = 1: the ill-conditioning caps the
stable rate (2 / 18 instead of 2 / 2). ``--plot PATH`` draws the paths over the contours.

Lectures: seed 003 "Optimizers" (Momentum, Nesterov, RMSprop, Adam, AdaMax, Adadelta) and
"Condition"; seed 001 "Pathological curvature" and "Momentum".

Run:
    python examples/optimizer_paths.py --plot paths.png
    python examples/optimizer_paths.py --quick      # fewer steps; draws only with --plot
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib

import keras
import numpy as np

from zoo.training import recipe

TOLERANCE = 1e-6


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    coefficients: tuple[float, float, float]  # (a, b, r) of `cost`
    start: tuple[float, float]
    minimum: tuple[float, float]
    rates: dict  # optimizer -> learning rate
    limits: tuple  # (x0, x1, y0, y1) of the plot

    def cost(self, p):
        """The cost at p (a (2, ...) array)."""
        return cost(self.coefficients, p[0], p[1])


def cost(coefficients, x, y):
    """a (x - 2)^2 + b (y - 3)^2 + r ((1 - x)^2 + 100 (y - x^2)^2): the two quadratics of
    seed 003 (a, b, r) = (1, 1, 0) and (1, 9, 0), and Rosenbrock's function (0, 0, 1)."""
    a, b, r = coefficients[0], coefficients[1], coefficients[2]
    return a * (x - 2) ** 2 + b * (y - 3) ** 2 + r * ((1 - x) ** 2 + 100 * (y - x**2) ** 2)


QUADRATIC_RATES = {
    "sgd": 0.01,
    "momentum": 0.01,
    "nesterov": 0.01,
    "rmsprop": 0.01,
    "adam": 0.1,
    "adamax": 0.1,
    "adadelta": 1.0,
}
ROSENBROCK_RATES = {
    "sgd": 1e-3,
    "momentum": 1e-3,
    "nesterov": 1e-3,
    "rmsprop": 1e-3,
    "adam": 0.02,
    "adamax": 0.02,
    "adadelta": 1.0,
}
QUADRATIC_VIEW = (-0.5, 4.0, -0.5, 4.5)
PROBLEMS = (
    Problem("quadratic kappa=1", (1, 1, 0), (0, 0), (2, 3), QUADRATIC_RATES, QUADRATIC_VIEW),
    Problem("quadratic kappa=9", (1, 9, 0), (0, 0), (2, 3), QUADRATIC_RATES, QUADRATIC_VIEW),
    Problem("rosenbrock", (0, 0, 1), (-1.2, 1), (1, 1), ROSENBROCK_RATES, (-1.6, 1.6, -0.4, 1.6)),
)


class Point(keras.layers.Layer):
    """A layer whose only trainable weight is the point p; its output is the cost C(p).

    The problem is a non-trainable weight (`cost`'s coefficients), so one compiled training
    step serves the three problems. Every call (one per training step, before the optimizer
    moves p) also writes p into row ``count`` of the non-trainable ``trace``: the whole run is
    one compiled loop (``steps_per_execution``) and still gives the path.
    """

    def __init__(self, steps: int, **kwargs):
        super().__init__(dtype="float64", **kwargs)
        self.p = self.add_weight(shape=(2,), initializer="zeros", name="p")
        self.coefficients = self.add_weight(
            shape=(3,), initializer="zeros", trainable=False, name="coefficients"
        )
        self.trace = self.add_weight(
            shape=(steps, 2), initializer="zeros", trainable=False, name="trace"
        )
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
        )

    def call(self, inputs):
        ops = keras.ops
        row = ops.one_hot(self.count, self.trace.shape[0], dtype="float64")
        self.trace.assign(self.trace + row[:, None] * self.p[None, :])
        self.count.assign(self.count + 1)
        value = cost(self.coefficients, self.p[0], self.p[1])
        return ops.zeros_like(inputs[:, :1]) + value

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


class Runner:
    """``optimizer`` (by its lecture name, `zoo.training.recipe.make_optimizer`) compiled once
    into a one-weight model; `path` runs it on a problem from a fresh start."""

    def __init__(self, optimizer: str, steps: int):
        self.name, self.steps = optimizer, steps
        inputs = keras.Input((1,), dtype="float64")
        self.point = Point(steps)
        self.model = keras.Model(inputs, self.point(inputs))
        self.model.compile(
            optimizer=recipe.make_optimizer(optimizer),
            loss=lambda y_true, y_pred: keras.ops.mean(y_pred),
            steps_per_execution=steps,  # the whole run in one compiled loop
            jit_compile=False,
        )

    def path(self, problem: Problem) -> np.ndarray:
        """The iterates p_0 .. p_steps on ``problem`` at its rate for this optimizer."""
        optimizer = self.model.optimizer
        for variable in optimizer.variables:  # a fresh optimizer: every slot and step at 0
            variable.assign(np.zeros(variable.shape, variable.dtype))
        optimizer.learning_rate = problem.rates[self.name]
        self.point.p.assign(np.array(problem.start, np.float64))
        self.point.coefficients.assign(np.array(problem.coefficients, np.float64))
        self.point.trace.assign(np.zeros((self.steps, 2)))
        self.point.count.assign(0)
        zeros = np.zeros((self.steps, 1))
        self.model.fit(zeros, zeros, batch_size=1, epochs=1, shuffle=False, verbose=0)
        final = keras.ops.convert_to_numpy(self.point.p)[None]
        return np.concatenate([keras.ops.convert_to_numpy(self.point.trace), final])


def steps_to_tolerance(problem: Problem, path: np.ndarray):
    costs = problem.cost(path.T)
    below = np.flatnonzero(costs < TOLERANCE)
    return (int(below[0]) if below.size else None), float(costs[-1])


def draw(paths: dict, path: pathlib.Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(15, 5))
    FigureCanvasAgg(figure)
    for index, problem in enumerate(PROBLEMS, start=1):
        axes = figure.add_subplot(1, len(PROBLEMS), index)
        x0, x1, y0, y1 = problem.limits
        grid_x, grid_y = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        costs = problem.cost(np.stack([grid_x, grid_y]))
        levels = np.log10(costs + 1e-3)
        axes.contour(grid_x, grid_y, levels, levels=20, colors="0.8", linestyles="solid")
        for optimizer in recipe.OPTIMIZERS:
            points = paths[problem.name, optimizer]
            axes.plot(points[:, 0], points[:, 1], label=optimizer, linewidth=1.2)
        axes.plot(*problem.start, "ko")
        axes.plot(*problem.minimum, "k*", markersize=10)
        axes.set_xlim(x0, x1)
        axes.set_ylim(y0, y1)
        axes.set_title(problem.name)
        if index == 1:
            axes.legend(fontsize=8)
    figure.suptitle("zoo.training.recipe.make_optimizer(name): paths from the same start")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 steps instead of 3000")
    parser.add_argument("--steps", type=int, default=None, help="steps per optimizer")
    parser.add_argument("--plot", type=pathlib.Path, default=None, help="PNG of the paths")
    args = parser.parse_args(argv)
    steps = args.steps or (300 if args.quick else 3000)

    runners = {name: Runner(name, steps) for name in recipe.OPTIMIZERS}
    paths = {}
    for problem in PROBLEMS:
        print(f"{problem.name}: from {problem.start}, {steps} steps, tolerance {TOLERANCE:g}")
        for optimizer, runner in runners.items():
            path = runner.path(problem)
            paths[problem.name, optimizer] = path
            reached, final = steps_to_tolerance(problem, path)
            shown = "-" if reached is None else str(reached)
            rate = problem.rates[optimizer]
            print(
                f"  {optimizer:9s} lr {rate:<6g} steps to tolerance {shown:>5s}  "
                f"final cost {final:.3e}  at ({path[-1, 0]:.4f}, {path[-1, 1]:.4f})"
            )
    if args.plot is not None:
        draw(paths, args.plot)
        print(f"wrote the paths to {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
