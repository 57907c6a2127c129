"""Random search over the lectures' hyperparameters with keras-tuner, through `zoo.tuning.search`.

What it shows: a keras-tuner random search (Bergstra & Bengio 2012) over the MLP's space in
`zoo.tuning`: depth and widths, activation, optimizer, learning rate on a log scale, momentum,
L2 weight decay, batch size, schedule. It runs on scikit-learn's 8x8 digits, scoring every trial
on a validation set (the training split's last fifth; the test split only checks the winner, as
the lectures ask), then prints the trials table, the best hyperparameters and the best model's
test accuracy. keras-tuner keeps the project in ``--directory``; rerunning with the same folder
resumes the search instead of repeating finished trials.

Lectures: seed 003 "hyperparameter search" (grid vs random search; learning rate, momentum,
lambda, optimizer, initialisation, batch size, layers, neurons per layer).

Run:
    python examples/tuner_search.py --directory tuning     # 3 trials of 3 epochs
    python examples/tuner_search.py --quick                # 2 trials of 1 epoch, in a temp folder
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

import keras

from zoo.training import data
from zoo.tuning import search


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 trials of 1 epoch")
    parser.add_argument("--max-trials", type=int, default=None, help="trials to run (3)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per trial (3)")
    parser.add_argument(
        "--directory",
        type=pathlib.Path,
        default=None,
        help="keras-tuner's project folder (default: a temporary folder)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    max_trials = args.max_trials or (2 if args.quick else 3)
    epochs = args.epochs or (1 if args.quick else 3)
    directory = args.directory or pathlib.Path(tempfile.mkdtemp(prefix="tuner_search_"))

    keras.utils.set_random_seed(args.seed)
    x_train, y_train, x_test, y_test = data.digits_arrays(8)
    held = len(x_train) // 5
    train = (x_train[:-held], y_train[:-held])
    validation = (x_train[-held:], y_train[-held:])

    result = search(
        "mlp",
        train,
        validation,
        tuner="random",
        max_trials=max_trials,
        epochs=epochs,
        directory=directory,
        seed=args.seed,
        verbose=0,
    )
    print(f"random search, {max_trials} trials of {epochs} epoch(s), in {result.project_dir}")
    print(result.table())
    best = result.best_hyperparameters.values
    print("best hyperparameters: " + ", ".join(f"{k}={v}" for k, v in best.items()))
    _, accuracy = result.best_model().evaluate(x_test, y_test, verbose=0)
    print(
        f"best trial {result.best_trial.number}: val_accuracy {result.best_score:.4f}, "
        f"test accuracy {accuracy:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
