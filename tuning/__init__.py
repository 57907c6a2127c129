"""keras-tuner hypermodels and search for the zoo's models (imported as ``zoo.tuning``).

from zoo.tuning import hypermodel, search
result = search("mlp", train, validation, tuner="random", max_trials=10, directory="tuning")
result.best_hyperparameters.values, result.best_score
"""

from zoo.tuning.hypermodel import hypermodel
from zoo.tuning.search import TUNERS, SearchResult, search

__all__ = ["TUNERS", "SearchResult", "hypermodel", "search"]
