"""Recurrent networks of the lectures (seed 003): Elman RNN, LSTM, GRU and peephole LSTM.

One builder, `sequence_model`, serves the four registered names; the name picks the cell (one
row of `MODELS`, registered by `zoo.models._registry.register_variant`). The recurrent layer of
each cell has the lecture's parameter count for input size m and n units:

    simple_rnn     h_t = tanh(W x_t + V h_{t-1} + b)                   n(m + n + 1)
    lstm           gates i, f, c~, o from [x_t, h_{t-1}]                4n(m + n + 1)
    peephole_lstm  LSTM whose i, f see c_{t-1} and o sees c_t          4n(m + n + 1) + 3n
    gru            update z, reset r, candidate from [x_t, r * h_{t-1}]  3n(m + n + 1)

The GRU count holds for ``reset_after=False``, the lecture's (and Cho et al.'s) GRU, which
applies the reset gate before the recurrent matmul. Keras' default, ``reset_after=True`` (the
cuDNN variant), applies it after and keeps a second bias vector: 3n(m + n + 2).

The four are registered with the task ``sequence_classification`` (many-to-one), their
default; the builder's ``task`` knob switches a model to ``sequence_tagging`` (a softmax at
every step). The recurrent toolkit they share with char_rnn, seq2seq and show_and_tell is
`zoo.models._sequence`.
"""

from __future__ import annotations

import inspect

import keras

from zoo.models._blocks import check_repeats
from zoo.models._registry import register_variant
from zoo.models._sequence import CELLS, SEQUENCE_TASKS, recurrent_layer, sequence_inputs
from zoo.models._spec import BuildSpec
from zoo.validation import check_bool, check_choice, check_positive_int, check_rate


def sequence_model(
    spec: BuildSpec,
    *,
    cell: str = "lstm",
    units: int = 128,
    num_layers: int = 1,
    bidirectional: bool = False,
    dropout: float = 0.0,
    vocab_size: int = 20_000,
    embedding_dim: int = 128,
    task: str = "sequence_classification",
    reset_after: bool = False,
) -> keras.Model:
    """Stacked (optionally bidirectional) recurrent network over token ids or feature vectors.

    Args:
        cell: ``"simple_rnn"``, ``"lstm"``, ``"gru"`` or ``"peephole_lstm"`` (set by the name).
        units: state size n of every recurrent layer.
        num_layers: recurrent layers stacked (at most 100); each but the last returns its
            whole sequence.
        bidirectional: wrap every layer in `keras.layers.Bidirectional` (outputs concatenated).
        dropout: rate of the Dropout after every recurrent layer, in [0, 1).
        vocab_size: token ids 0..vocab_size-1, 0 being padding (masked), for input (T,).
        embedding_dim: size of the token embedding, for input (T,).
        task: ``"sequence_classification"`` (many-to-one: the last state feeds the softmax) or
            ``"sequence_tagging"`` (many-to-many: a softmax at every step).
        reset_after: GRU only; ``False`` is the lecture's GRU, 3n(m+n+1) parameters, ``True``
            Keras' default (cuDNN-compatible), 3n(m+n+2).

    ``input_shape=(T,)`` takes token ids, ``(T, F)`` feature vectors. With ``include_top=False``
    the model returns the last state (classification) or the state sequence (tagging), or,
    with ``pooling``, the state sequence pooled over time.

    Example: ``zoo.build("gru", units=64, num_layers=2, task="sequence_tagging", num_classes=9)``.
    """
    units = check_positive_int("units", units)
    num_layers = check_repeats("num_layers", num_layers)
    bidirectional = check_bool("bidirectional", bidirectional)
    dropout = check_rate("dropout", dropout)
    check_choice("task", task, SEQUENCE_TASKS)
    check_choice("cell", cell, tuple(CELLS))
    inputs, x = sequence_inputs(spec, vocab_size, embedding_dim)
    many_to_one = task == "sequence_classification" and spec.pooling is None
    for index in range(1, num_layers + 1):
        layer = recurrent_layer(
            cell,
            units,
            return_sequences=index < num_layers or not many_to_one,
            reset_after=reset_after,
            name=f"{cell}{index}",
        )
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional{index}")
        x = layer(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{index}")(x)
    x = spec.classifier(x) if spec.include_top else spec.pool(x)
    return spec.model_from(inputs, x)


# One row per registered cell model: (summary, aliases, paper, year).
MODELS = {
    "simple_rnn": (
        "Elman recurrent network, h_t = tanh(W x_t + V h_{t-1} + b): n(m+n+1) parameters a layer.",
        ("elman_rnn",),
        "Elman 1990, Finding structure in time",
        1990,
    ),
    "lstm": (
        "Long short-term memory network (forget-gate LSTM): 4n(m+n+1) parameters a layer.",
        (),
        "Hochreiter & Schmidhuber 1997, Long short-term memory; forget gate: Gers, "
        "Schmidhuber & Cummins 2000",
        1997,
    ),
    "gru": (
        "Gated recurrent unit network: 3n(m+n+1) parameters a layer (3n(m+n+2) with reset_after).",
        (),
        "Cho et al. 2014, Learning phrase representations using RNN encoder-decoder for "
        "statistical machine translation",
        2014,
    ),
    "peephole_lstm": (
        "Peephole LSTM network, gates reading the cell state: 4n(m+n+1)+3n parameters a layer.",
        (),
        "Gers & Schmidhuber 2000, Recurrent nets that time and count",
        2000,
    ),
}


for _cell, (_summary, _aliases, _paper, _year) in MODELS.items():
    register_variant(
        _cell,
        sequence_model,
        bind={"cell": _cell},
        hide=() if _cell == "gru" else ("reset_after",),
        doc=f"{_summary}\n\n{inspect.getdoc(sequence_model)}",
        aliases=_aliases,
        family="rnn",
        task="sequence_classification",
        paper=_paper,
        year=_year,
        default_input_shape=(200,),
        default_num_classes=2,
    )
