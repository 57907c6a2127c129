"""`example_inputs`: one random batch for any built model (export verification, benchmarks).

The one rule for what a model is fed when no data is at hand: float inputs uniform in [0, 1),
integer inputs token ids uniform in [1, V) where V is the smallest vocabulary among the model's
embeddings (so every id is valid for every embedding and none is the padding id 0, which a
masking model would skip; 2 without embeddings), and free dimensions (``None``) of length 8.
"""

from __future__ import annotations

import numpy as np

FREE_DIMENSION = 8
"""The length given to a dimension the model leaves free (a sequence length, an image side)."""


def token_limit(model) -> int:
    """Ids below this are valid for every embedding in ``model`` (2 if it has none)."""
    import keras

    sizes = [
        layer.input_dim
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, keras.layers.Embedding)
    ]
    return max(2, min(sizes)) if sizes else 2


def example_inputs(model, batch_size: int = 2, seed: int = 0) -> list[np.ndarray]:
    """One random numpy array per input of ``model``, batch first (see the module doc).

    Example: ``[x] = example_inputs(zoo.build("lenet5"), batch_size=4)`` -> x.shape (4, 32, 32, 1).
    """
    rng = np.random.default_rng(seed)
    limit = token_limit(model)
    examples = []
    for tensor in model.inputs:
        shape = [batch_size] + [FREE_DIMENSION if d is None else d for d in tensor.shape[1:]]
        dtype = np.dtype(str(tensor.dtype))
        if np.issubdtype(dtype, np.integer) or dtype == np.bool_:
            examples.append(rng.integers(1, limit, size=shape).astype(dtype))
        else:
            examples.append(rng.random(shape, dtype=np.float32).astype(dtype))
    return examples
