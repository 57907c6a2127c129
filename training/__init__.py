"""Training recipes (imported as ``zoo.training``): `fit` and its modules.

- ``zoo.training.schedules``: the lectures' learning-rate schedules (step, fractional,
  exponential, cosine/SGDR, cyclic, warmup, one-cycle) and ``get(name)``;
- ``zoo.training.callbacks``: ``ScheduleCallback``, ``LearningRateLogger``, ``LRFinder`` and the
  ``ResumableCheckpoint`` behind ``fit(checkpoint_dir=...)``;
- ``zoo.training.data``: ``load(name)`` for digits, MNIST, Fashion-MNIST, CIFAR-10/100, IMDB
  reviews and Tiny Shakespeare as tf.data pipelines, ``holdout`` (a validation split) and
  ``transform`` (a per-epoch transformation that keeps exact resume);
- ``zoo.training.recipe``: the one compile-and-schedule recipe (optimizer by name, matched loss,
  schedule from the run length, warmup, the safety callbacks) that `fit`, the tuner's hypermodel
  and ``zoo train`` share;
- ``zoo.training.checks``: the data checks `fit` runs before the first step;
- ``zoo.training.fit``: the training run around ``model.fit``;
- ``zoo.training.transfer``: transfer learning: ``freeze``, ``unfreeze`` (BatchNormalization
  kept in inference mode) and ``fine_tune``, the two-phase recipe (new head, then fine-tuning).

``zoo.training.data`` imports TensorFlow (tf.data) on first use, so ``import zoo.training``
stays as light as ``import keras``.
"""

from zoo.training.fit import TrainingDiverged, fit
from zoo.training.transfer import fine_tune, freeze, unfreeze

__all__ = ["TrainingDiverged", "fine_tune", "fit", "freeze", "unfreeze"]
