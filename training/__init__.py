"""Training recipes (imported as ``zoo.training``): data pipelines and `fit`.

``zoo.training.data`` imports TensorFlow (tf.data); it is loaded on first use, so
``import zoo.training`` stays as light as ``import keras``.
"""

from zoo.training.fit import fit

__all__ = ["fit"]
