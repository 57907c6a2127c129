"""keras-tuner hypermodels and search for the zoo's models (imported as ``zoo.tuning``).

Example::

    from zoo.tuning import hypermodel, search
    result = search("mlp", train, validation, tuner="random", max_trials=10, directory="tuning")
    result.best_hyperparameters.values, result.best_score

Where things live: `zoo.tuning.spaces` (the search spaces as data), `zoo.tuning.hypermodel`
(a keras-tuner ``HyperModel`` per model), ``zoo.tuning.tuners`` (keras-tuner's oracles and
tuners as the zoo uses them, ``make_tuner``, ``run_search`` for one process, `SearchResult`,
`TUNERS`), ``zoo.tuning.parallel`` (a chief and N workers on one machine),
``zoo.tuning.cluster`` (each task's keras-tuner role from SLURM's or Kubernetes' variables) and
the module
``zoo.tuning.search`` (the checked entry point `search`, which runs through ``tuners`` or
``parallel``). The package's ``search`` and ``hypermodel`` are the functions of those names.
Imports among them: search -> parallel -> tuners, search -> tuners; no cycle.
"""

from zoo.tuning.hypermodel import hypermodel
from zoo.tuning.search import search
from zoo.tuning.tuners import TUNERS, SearchResult

__all__ = ["TUNERS", "SearchResult", "hypermodel", "search"]
