"""The lectures' learning-rate schedules, side by side in one figure.

What it shows: every schedule `zoo.training.schedules.get` knows (constant, step, fractional,
exponential, cosine, sgdr, cyclic, one_cycle), built by name with the same peak rate and the
same training length, plus cosine behind a linear warmup, evaluated per optimizer step
(`schedules.evaluate`) and drawn in a grid of panels (matplotlib, Agg backend) into a PNG. It
prints the rate of each at the first, middle and last step.

Lectures: seed 003 "Learning Rate Schedules" (fractional eta0/(1+kt), step, exponential
eta0 e^(-kt), warmup, cosine and SGDR, triangular/cyclic); Loshchilov & Hutter 2017 (SGDR),
Smith 2015 (cyclic), Smith 2018 (1cycle), Goyal et al. 2017 (warmup).

Run:
    python examples/lr_schedules.py --out lr_schedules.png
    python examples/lr_schedules.py --quick        # fewer steps; PNG in a temporary folder
"""

from __future__ import annotations

import argparse
import math
import pathlib
import tempfile

import keras

from zoo.training import schedules


def curves(total_steps: int, learning_rate: float):
    """{label: rates of steps 0..total_steps-1} for every named schedule, and cosine + warmup."""
    result = {}
    for name in schedules.NAMES:
        schedule = schedules.get(name, learning_rate=learning_rate, total_steps=total_steps)
        result[name] = schedules.evaluate(schedule, total_steps)
    warmup = max(1, total_steps // 10)
    schedule = schedules.get("cosine", warmup, learning_rate=learning_rate, total_steps=total_steps)
    result[f"cosine + warmup {warmup}"] = schedules.evaluate(schedule, total_steps)
    return result


def draw(rates: dict, path: pathlib.Path, learning_rate: float) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = 3
    rows = math.ceil(len(rates) / columns)
    figure = Figure(figsize=(4 * columns, 2.6 * rows))
    FigureCanvasAgg(figure)
    for index, (label, values) in enumerate(rates.items(), start=1):
        axes = figure.add_subplot(rows, columns, index)
        axes.plot(values)
        axes.set_title(label)
        axes.set_ylim(0, learning_rate * 1.05)
        axes.set_xlabel("step")
        axes.set_ylabel("learning rate")
        axes.grid(True, alpha=0.3)
    figure.suptitle(f"zoo.training.schedules.get(name, learning_rate={learning_rate})")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 steps instead of 2000")
    parser.add_argument("--steps", type=int, default=None, help="training length in steps")
    parser.add_argument("--lr", type=float, default=0.1, help="peak learning rate (0.1)")
    parser.add_argument(
        "--out", type=pathlib.Path, default=None, help="PNG to write (default: a temporary folder)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = args.steps or (200 if args.quick else 2000)
    out = args.out or pathlib.Path(tempfile.mkdtemp(prefix="lr_schedules_")) / "lr_schedules.png"
    keras.utils.set_random_seed(args.seed)  # nothing random here; kept for uniformity

    rates = curves(steps, args.lr)
    middle = steps // 2
    print(f"{'schedule':22s} {'step 0':>10s} {f'step {middle}':>10s} {f'step {steps - 1}':>10s}")
    for label, values in rates.items():
        print(f"{label:22s} {values[0]:10.5f} {values[middle]:10.5f} {values[-1]:10.5f}")
    draw(rates, out, args.lr)
    print(f"wrote {len(rates)} schedules over {steps} steps to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
