"""The maxout MLP of Goodfellow, Warde-Farley, Mirza, Courville & Bengio 2013 (lecture 003).

A maxout unit outputs ``h_i(x) = max_{j in [1, k]} z_ij`` with ``z_ij = x^T W_ij + b_ij``: the
maximum of k affine pieces, a learned convex piecewise-linear activation (`zoo.layers.MaxoutDense`).
The paper's permutation-invariant MNIST model: the flattened 784 pixels, two maxout layers of
240 units with 5 pieces each, a softmax layer; dropout 0.2 on the input and 0.5 on the hidden
layers. 1,233,610 parameters on 28x28x1 with 10 classes.
"""

from __future__ import annotations

import functools

import keras

from zoo.layers import MaxoutDense
from zoo.models._blocks import dense_stack
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_positive_int, check_positive_int_list, check_rate


def _maxout_dense(x, units: int, *, name: str, num_pieces: int):
    """A hidden layer of `dense_stack`: ``units`` maxout units of ``num_pieces`` pieces."""
    return MaxoutDense(units, num_pieces=num_pieces, name=name)(x)


@register(
    "maxout_mlp",
    family="maxout",
    task="image_classification",
    paper="Goodfellow, Warde-Farley, Mirza, Courville & Bengio 2013, Maxout networks",
    year=2013,
    default_input_shape=(28, 28, 1),
    default_num_classes=10,
)
def maxout_mlp(
    spec: BuildSpec,
    *,
    hidden_units=(240, 240),
    num_pieces: int = 5,
    dropout: float = 0.5,
    input_dropout: float = 0.2,
) -> keras.Model:
    """Maxout MLP: flatten, MaxoutDense hidden layers with dropout, softmax classifier.

    Args:
        hidden_units: maxout units per hidden layer (paper: 240, 240).
        num_pieces: k, the affine pieces each unit maximises over (paper: 5).
        dropout: dropout rate after each hidden layer, in [0, 1) (paper: 0.5).
        input_dropout: dropout rate on the input pixels, in [0, 1) (paper: 0.2).

    Example: ``zoo.build("maxout_mlp", hidden_units=[120], num_pieces=3)``.
    """
    hidden_units = check_positive_int_list("hidden_units", hidden_units)
    num_pieces = check_positive_int("num_pieces", num_pieces)
    dropout = check_rate("dropout", dropout)
    input_dropout = check_rate("input_dropout", input_dropout)
    inputs, x = spec.inputs()
    return dense_stack(
        spec,
        inputs,
        x,
        hidden=[(f"maxout{index}", units) for index, units in enumerate(hidden_units, start=1)],
        layer=functools.partial(_maxout_dense, num_pieces=num_pieces),
        dropout=dropout,
        input_dropout=input_dropout,
        dropout_name="dropout{index}",
        owner="the maxout MLP",
        widths="hidden_units",
    )
