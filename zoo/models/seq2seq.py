"""Sequence to sequence learning (Sutskever, Vinyals & Le 2014): an LSTM encoder-decoder.

The encoder reads the source and hands its final states, layer by layer, to the decoder, which
models p(y_t | y_<t, source). Training uses teacher forcing: the decoder input is the target
shifted right behind a start token, ``[start, y_1, ..., y_{T-1}]``, and the model outputs the
distribution of ``y_1 .. y_T``. `decode` generates greedily, one token at a time, feeding each
choice back in. Id 0 is padding (masked) in both vocabularies.

The paper used 4 layers of 1000 LSTM units, 1000-dimensional embeddings and vocabularies of
160,000 source and 80,000 target words (`PAPER_CONFIG`, 384M parameters) and fed the source
reversed (reverse the source ids in the input pipeline to do the same). The default here is a
2 x 256 model over 10,000-word vocabularies.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.models import _sequence as sequence
from zoo.models._registry import register
from zoo.models._sequence import PAD_ID, START_ID
from zoo.models._spec import BuildSpec
from zoo.validation import check_choice, check_positive_int, check_size

PAPER_CONFIG = {
    "source_vocab_size": 160_000,
    "target_vocab_size": 80_000,
    "embedding_dim": 1000,
    "units": 1000,
    "num_layers": 4,
}


@register(
    "seq2seq",
    aliases=("encoder_decoder",),
    family="seq2seq",
    task="language_model",
    paper="Sutskever, Vinyals & Le 2014, Sequence to sequence learning with neural networks",
    year=2014,
    default_input_shape=(50,),
)
def seq2seq(
    spec: BuildSpec,
    *,
    source_vocab_size: int = 10_000,
    target_vocab_size: int = 10_000,
    embedding_dim: int = 256,
    units: int = 256,
    num_layers: int = 2,
    cell: str = "lstm",
    dropout: float = 0.0,
    target_length: int | None = 50,
) -> keras.Model:
    """LSTM encoder-decoder with teacher forcing: ``[source, decoder_input]`` -> per-step softmax.

    Args:
        source_vocab_size, target_vocab_size: ids 0..size-1, 0 being padding (>= 2).
        embedding_dim: size of both token embeddings.
        units: state size of every recurrent layer (encoder and decoder alike).
        num_layers: recurrent layers in the encoder and in the decoder (at most 100);
            decoder layer i starts from the final states of encoder layer i.
        cell: ``"lstm"`` (the paper's), ``"gru"``, ``"simple_rnn"`` or ``"peephole_lstm"``.
        dropout: rate of the Dropout after every recurrent layer, in [0, 1).
        target_length: length of the decoder input and output, or ``None`` for any length.

    ``input_shape`` is the source's, (S,). Inputs: ``source`` (S,) and ``decoder_input``
    (target_length,), both int; output (target_length, target_vocab_size).

    Example: ``zoo.build("seq2seq", input_shape=(8,), source_vocab_size=12,
    target_vocab_size=12, units=64, num_layers=1, target_length=8)``.
    """
    source_vocab_size = check_positive_int("source_vocab_size", source_vocab_size, minimum=2)
    target_vocab_size = check_positive_int("target_vocab_size", target_vocab_size, minimum=2)
    embedding_dim = check_positive_int("embedding_dim", embedding_dim)
    check_choice("cell", cell, tuple(sequence.CELLS))
    if target_length is not None:
        target_length = check_size("target_length", target_length)
    sequence.check_token_input(spec, "source ids")

    source = keras.Input(spec.input_shape, dtype="int32", name="source")
    decoder_input = keras.Input((target_length,), dtype="int32", name="decoder_input")
    x = keras.layers.Embedding(
        source_vocab_size, embedding_dim, mask_zero=True, name="encoder_embedding"
    )(source)
    encoder = sequence.recurrent_stack(cell, units, num_layers, dropout=dropout, prefix="encoder_")
    _, states = sequence.run_stack(encoder, x)
    if not spec.include_top:
        pooled = keras.layers.Concatenate(name="encoder_states")(
            [s for layer_states in states for s in layer_states]
        )
        return spec.model_from(source, pooled)
    decoder = sequence.recurrent_stack(cell, units, num_layers, dropout=dropout, prefix="decoder_")
    outputs = sequence.teacher_forced_decoder(
        spec, decoder_input, decoder, states, target_vocab_size, embedding_dim, "decoder_embedding"
    )
    return spec.model_from([source, decoder_input], outputs)


def decode(
    model: keras.Model,
    sources,
    length: int | None = None,
    *,
    start_id: int = START_ID,
    end_id: int | None = None,
) -> np.ndarray:
    """Greedy decoding: the most likely token at each step, fed back in.

    Args:
        model: a `seq2seq` model (trained with teacher forcing).
        sources: int array (batch, S') of source ids, right-padded with 0; S' may be shorter
            than the model's source length, never longer.
        length: tokens to generate (default: the model's ``target_length``, which it may not
            exceed).
        start_id: the start token the decoder input begins with.
        end_id: optional end token; positions after the first one are set to padding (0).

    Returns int32 ids, shape (batch, length).

    Example: ``decode(model, [[3, 4, 5, 6]], length=4)``.
    """
    sources = np.asarray(sources)
    if sources.ndim != 2 or not np.issubdtype(sources.dtype, np.integer):
        raise ValueError(f"sources must be a 2-D int array (batch, S), got shape {sources.shape}.")
    max_source = model.inputs[0].shape[1]
    if max_source is not None and sources.shape[1] > max_source:
        raise ValueError(
            f"sources are {sources.shape[1]} tokens long, longer than the model's source "
            f"length (max_length={max_source})."
        )
    length = sequence.decoding_length(length, model.inputs[1].shape[1])
    _, states = sequence.run_stack(
        sequence.stack_of(model, "encoder_"),
        model.get_layer("encoder_embedding")(sources.astype("int32")),
        mask=sources != PAD_ID,
    )
    return sequence.greedy_decode(
        model, states, length, embedding="decoder_embedding", start_id=start_id, end_id=end_id
    )
