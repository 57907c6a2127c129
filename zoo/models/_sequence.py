"""The recurrent toolkit of the sequence families (rnn, char_rnn, seq2seq, show_and_tell, text_cnn).

- `CELLS`: the four recurrent cells by name (Elman RNN, LSTM, GRU, peephole LSTM), and
  `recurrent_layer` (the cell as a parameter); Keras' LSTM and GRU get ``use_cudnn=False``
  exactly on JAX under a bfloat16 policy (`cudnn_choice`), where the fused kernel fails to
  compile;
- `recurrent_stack` and `run_stack`: a stack of layers that return their states, run in a
  functional graph or one step at a time;
- `teacher_forced_decoder`, and `autoregress` / `greedy_decode` (feed back the chosen token, for
  sampling and greedy decoding);
- the token conventions (`PAD_ID` pads and is masked, `START_ID` starts a decoder input),
  `check_token_input`, `sequence_inputs` and `vocabulary_softmax`.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.layers import PeepholeLSTM
from zoo.models._blocks import check_repeats
from zoo.models._spec import BuildSpec
from zoo.validation import check_bool, check_choice, check_positive_int, check_rate

CELLS = {
    "simple_rnn": keras.layers.SimpleRNN,
    "lstm": keras.layers.LSTM,
    "gru": keras.layers.GRU,
    "peephole_lstm": PeepholeLSTM,
}

SEQUENCE_TASKS = ("sequence_classification", "sequence_tagging")

# Token conventions of the sequence families: 0 pads (and is masked), 1 starts a decoder input.
PAD_ID = 0
START_ID = 1


def cudnn_choice(backend: str | None = None, compute_dtype: str | None = None):
    """``use_cudnn`` for Keras' LSTM and GRU: ``False`` on JAX under bfloat16, else ``"auto"``.

    With ``KERAS_BACKEND=jax`` on a GPU under the ``mixed_bfloat16`` policy, Keras 3.15's cuDNN
    path (jaxlib's gpu_rnn) fails when XLA compiles the step ("Unknown output type bfloat16"),
    although building the model succeeds. Everywhere else ``"auto"`` keeps the fused kernel
    where one applies. Defaults: the current backend and global dtype policy. Keras does not
    save ``use_cudnn`` in a layer's config, so a ``.keras`` file reloads with ``"auto"``:
    rebuild with ``zoo.build`` (and load the weights) to train under that policy on JAX.
    """
    backend = backend or keras.backend.backend()
    compute_dtype = compute_dtype or keras.config.dtype_policy().compute_dtype
    if backend == "jax" and compute_dtype == "bfloat16":
        return False
    return "auto"


def recurrent_layer(
    cell: str,
    units: int,
    *,
    return_sequences: bool = False,
    return_state: bool = False,
    reset_after: bool = False,
    name: str | None = None,
) -> keras.layers.RNN:
    """One recurrent layer of the given ``cell`` (a key of `CELLS`).

    Example: ``recurrent_layer("gru", 64, return_sequences=True)``.
    """
    check_choice("cell", cell, tuple(CELLS))
    units = check_positive_int("units", units)
    kwargs = {"return_sequences": return_sequences, "return_state": return_state, "name": name}
    if cell in ("lstm", "gru"):
        kwargs["use_cudnn"] = cudnn_choice()
    if cell == "gru":
        reset_after = check_bool("reset_after", reset_after)
        kwargs["reset_after"] = reset_after
    return CELLS[cell](units, **kwargs)


def recurrent_stack(
    cell: str, units: int, num_layers: int, *, dropout: float = 0.0, prefix: str = ""
) -> list[keras.layers.Layer]:
    """``num_layers`` recurrent layers returning sequences and states, each followed by Dropout.

    Layers are named ``f"{prefix}{cell}{i}"`` (and ``f"{prefix}dropout{i}"``), i from 1.
    """
    num_layers = check_repeats("num_layers", num_layers)
    dropout = check_rate("dropout", dropout)
    layers = []
    for index in range(1, num_layers + 1):
        layers.append(
            recurrent_layer(
                cell,
                units,
                return_sequences=True,
                return_state=True,
                name=f"{prefix}{cell}{index}",
            )
        )
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"{prefix}dropout{index}"))
    return layers


def run_stack(layers, x, states=None, *, mask=None):
    """Run a `recurrent_stack` on ``x``: returns (last layer's sequence, final states per layer).

    ``states`` holds one initial-state list per recurrent layer (``None``: zeros). Works on
    symbolic tensors (functional graphs) and eagerly (step-by-step decoding), where ``mask``
    passes the padding mask explicitly.
    """
    recurrent = [layer for layer in layers if isinstance(layer, keras.layers.RNN)]
    initial = iter(states if states is not None else [None] * len(recurrent))
    final = []
    for layer in layers:
        if not isinstance(layer, keras.layers.RNN):
            x = layer(x)
            continue
        kwargs = {"mask": mask} if mask is not None else {}
        state = next(initial)
        if state is not None:
            kwargs["initial_state"] = state
        outputs = layer(x, **kwargs)
        x = outputs[0]
        final.append(list(outputs[1:]))
    return x, final


def stack_of(model: keras.Model, prefix: str = "") -> list[keras.layers.RNN]:
    """The recurrent layers of ``model`` whose names start with ``prefix``, in graph order."""
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.RNN) and layer.name.startswith(prefix)
    ]


def autoregress(layers, embedding, predictions, first_tokens, length: int, choose, states=None):
    """Feed ``first_tokens`` (batch, P), then ``length`` times choose a token and feed it back.

    ``choose`` maps the last step's output (batch, vocab) as numpy to token ids (batch,). Returns
    the chosen ids, shape (batch, length). Eager: each step runs the layers once, carrying the
    recurrent states, so decoding costs O(length).
    """
    x, states = run_stack(layers, embedding(np.asarray(first_tokens, dtype="int32")), states)
    chosen = []
    for step in range(length):
        scores = keras.ops.convert_to_numpy(predictions(x[:, -1])).astype("float64")
        token = np.asarray(choose(scores), dtype="int32")
        chosen.append(token)
        if step + 1 < length:
            x, states = run_stack(layers, embedding(token[:, None]), states)
    return np.stack(chosen, axis=1) if chosen else np.zeros((len(first_tokens), 0), "int32")


def vocabulary_softmax(spec: BuildSpec, vocab_size: int, name: str = "predictions"):
    """Per-step distribution over a vocabulary, in float32 (``classifier_activation`` applies)."""
    return keras.layers.Dense(
        vocab_size, activation=spec.classifier_activation, dtype="float32", name=name
    )


def teacher_forced_decoder(
    spec: BuildSpec, tokens, stack, states, vocab_size: int, embedding_dim: int, embedding: str
):
    """Decoder outputs for teacher forcing: embed ``tokens`` (0 masked) into the layer named
    ``embedding``, run ``stack`` from ``states``, a softmax over the vocabulary at every step."""
    y = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name=embedding)(tokens)
    y, _ = run_stack(stack, y, states)
    return vocabulary_softmax(spec, vocab_size)(y)


def decoding_length(length: int | None, max_length: int | None) -> int:
    """``length`` to generate: by default the model's decoder length, never longer than it."""
    if length is None:
        if max_length is None:
            raise ValueError("length is required: the model's decoder length is free (None).")
        return max_length
    length = check_positive_int("length", length)
    if max_length is not None and length > max_length:
        raise ValueError(
            f"length={length} is longer than the model's decoder length (max_length={max_length})."
        )
    return length


def greedy_decode(model, states, length: int, *, embedding: str, start_id=START_ID, end_id=None):
    """Greedy decoding of the ``decoder_`` stack of ``model`` started from ``states``: the most
    likely token at each step is fed back in. Returns int32 ids (batch, length); with ``end_id``,
    positions after the first end token are padding."""
    batch = int(keras.ops.shape(states[0][0])[0])
    tokens = autoregress(
        stack_of(model, "decoder_"),
        model.get_layer(embedding),
        model.get_layer("predictions"),
        np.full((batch, 1), start_id, dtype="int32"),
        length,
        lambda scores: scores.argmax(axis=-1),
        states=states,
    )
    if end_id is None:
        return tokens
    ended = np.cumsum(tokens == end_id, axis=1) - (tokens == end_id) > 0
    return np.where(ended, PAD_ID, tokens).astype("int32")


def check_token_input(spec: BuildSpec, what: str = "token ids") -> None:
    """Token-id models take ``input_shape=(T,)`` (T may be None) and no image preprocessing."""
    if len(spec.input_shape) != 1:
        raise ValueError(f"input_shape must be (T,) ({what}), got {spec.input_shape!r}.")
    if spec.include_preprocessing:
        raise ValueError(f"include_preprocessing applies to image inputs, not to {what}.")


def sequence_inputs(spec: BuildSpec, vocab_size: int, embedding_dim: int, *, name="embedding"):
    """(inputs, x) for token ids of shape (T,) embedded with padding id 0 masked, or for feature
    vectors of shape (T, F) used as they are (``vocab_size`` and ``embedding_dim`` unused)."""
    rank = len(spec.input_shape)
    if rank == 2:
        if spec.input_shape[-1] is None:
            raise ValueError(
                f"input_shape {spec.input_shape!r} needs a known feature size F in (T, F)."
            )
        return spec.inputs()
    if rank != 1:
        raise ValueError(
            "input_shape must be (T,) for token ids or (T, F) for feature vectors "
            f"(T may be None), got {spec.input_shape!r}."
        )
    check_token_input(spec)
    vocab_size = check_positive_int("vocab_size", vocab_size, minimum=2)
    embedding_dim = check_positive_int("embedding_dim", embedding_dim)
    inputs, x = spec.inputs(dtype="int32")
    x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name=name)(x)
    return inputs, x
