"""Character-level language model (lecture 004's "hello" example; Karpathy's char-rnn, 2015).

Characters become ids through a `Vocabulary` (id 0 is padding and is masked), enter one-hot (the
lecture) or through a learned embedding, run through stacked recurrent layers, and a softmax at
every step gives p(next character | characters so far). `sample` generates text one character
at a time, feeding each choice back in.

    vocab = Vocabulary.from_text("hello")              # h, e, l, o -> ids 1..4
    model = zoo.build("char_rnn", vocab_size=vocab.size, units=16, input_shape=(4,))
    ...                                                 # fit on encode("hell") -> encode("ello")
    sample(model, vocab, "h", 4, temperature=0)         # "hello"
"""

from __future__ import annotations

import json

import keras
import numpy as np

from zoo.models import _sequence as sequence
from zoo.models._registry import register
from zoo.models._sequence import PAD_ID
from zoo.models._spec import BuildSpec
from zoo.validation import check_choice, check_number, check_positive_int


class Vocabulary:
    """Characters <-> ids; id 0 is padding, the characters take ids 1..len.

    Args:
        characters: the distinct characters in id order (a string or a sequence of 1-char
            strings).

    ``get_config()`` / ``from_config()`` (or ``to_json()`` / ``from_json()``) store it next
    to a saved model.
    """

    def __init__(self, characters):
        characters = list(characters)
        if not characters or any(not isinstance(c, str) or len(c) != 1 for c in characters):
            raise ValueError(
                f"characters must be a non-empty sequence of single characters, got {characters!r}."
            )
        if len(set(characters)) != len(characters):
            raise ValueError(f"characters must be distinct, got {characters!r}.")
        self.characters = "".join(characters)
        self._ids = {c: i for i, c in enumerate(self.characters, start=1)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """The characters of ``text`` in order of first appearance ("hello" -> h, e, l, o)."""
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty string, got {text!r}.")
        return cls(dict.fromkeys(text))

    @property
    def size(self) -> int:
        """Number of ids including padding: the ``vocab_size`` of the model."""
        return len(self.characters) + 1

    def encode(self, text: str, max_length: int | None = None) -> np.ndarray:
        """Ids of ``text`` (int32), right-padded with 0 to ``max_length`` when given."""
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(f"text has characters outside the vocabulary: {unknown!r}.")
        ids = [self._ids[c] for c in text]
        if max_length is not None:
            max_length = check_positive_int("max_length", max_length)
            if len(ids) > max_length:
                raise ValueError(
                    f"text is {len(ids)} characters long, longer than max_length={max_length}."
                )
            ids += [PAD_ID] * (max_length - len(ids))
        return np.asarray(ids, dtype="int32")

    def decode(self, ids) -> str:
        """The characters of ``ids``, padding (0) skipped."""
        ids = np.asarray(ids).reshape(-1)
        if np.any((ids < 0) | (ids >= self.size)):
            raise ValueError(f"ids must lie in [0, {self.size}), got {ids.tolist()!r}.")
        return "".join(self.characters[i - 1] for i in ids if i != PAD_ID)

    def get_config(self) -> dict:
        return {"characters": self.characters}

    @classmethod
    def from_config(cls, config: dict) -> Vocabulary:
        return cls(config["characters"])

    def to_json(self) -> str:
        return json.dumps(self.get_config())

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        return cls.from_config(json.loads(text))

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and other.characters == self.characters

    def __hash__(self) -> int:
        return hash(self.characters)

    def __repr__(self) -> str:
        return f"Vocabulary({self.characters!r})"


def with_temperature(probabilities, temperature: float) -> np.ndarray:
    """Re-weight distributions (last axis) as p^(1/T), renormalised; T = 0 puts all on the mode.

    T < 1 sharpens the distribution, T > 1 spreads it towards uniform.
    """
    temperature = check_number("temperature", temperature, low=0.0)
    p = np.asarray(probabilities, dtype="float64")
    if temperature == 0.0:
        return np.eye(p.shape[-1])[np.argmax(p, axis=-1)]
    logits = np.log(np.maximum(p, 1e-300)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


@register(
    "char_rnn",
    family="char_rnn",
    task="language_model",
    paper="Karpathy 2015, The unreasonable effectiveness of recurrent neural networks "
    "(char-rnn); lecture 004, character-level language model on 'hello'",
    year=2015,
    default_input_shape=(50,),
)
def char_rnn(
    spec: BuildSpec,
    *,
    vocab_size: int = 66,
    embedding_dim: int | None = None,
    cell: str = "lstm",
    units: int = 128,
    num_layers: int = 2,
    dropout: float = 0.0,
) -> keras.Model:
    """Character-level language model: stacked recurrent layers, a softmax at every step.

    The default is char-rnn's: 2 LSTM layers of 128 units, sequences of 50 characters, the 65
    characters of tiny-shakespeare (plus padding: vocab_size 66).

    Args:
        vocab_size: ids 0..vocab_size-1 (``Vocabulary.size``), 0 being padding (masked).
        embedding_dim: ``None`` feeds one-hot vectors (a frozen identity embedding, as in the
            lecture); an int learns an embedding of that size.
        cell: ``"simple_rnn"`` (the lecture's), ``"lstm"``, ``"gru"`` or ``"peephole_lstm"``.
        units: state size of every recurrent layer.
        num_layers: recurrent layers stacked (at most 100).
        dropout: rate of the Dropout after every recurrent layer, in [0, 1).

    Input: ids of shape (T,) (T may be None). Output: (T, vocab_size) distributions, step t
    predicting character t+1.

    Example: ``zoo.build("char_rnn", vocab_size=vocab.size, cell="simple_rnn", units=3)``.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size, minimum=2)
    check_choice("cell", cell, tuple(sequence.CELLS))
    sequence.check_token_input(spec, "character ids")
    if embedding_dim is None:
        embedding = keras.layers.Embedding(
            vocab_size,
            vocab_size,
            embeddings_initializer="identity",
            trainable=False,
            mask_zero=True,
            name="embedding",
        )
    else:
        embedding = keras.layers.Embedding(
            vocab_size,
            check_positive_int("embedding_dim", embedding_dim),
            mask_zero=True,
            name="embedding",
        )
    inputs, x = spec.inputs(dtype="int32")
    x, _ = sequence.run_stack(
        sequence.recurrent_stack(cell, units, num_layers, dropout=dropout), embedding(x)
    )
    x = sequence.vocabulary_softmax(spec, vocab_size)(x) if spec.include_top else spec.pool(x)
    return spec.model_from(inputs, x)


def sample(
    model: keras.Model,
    vocab: Vocabulary,
    prefix: str,
    length: int,
    temperature: float = 1.0,
    seed: int | None = None,
) -> str:
    """Generate ``length`` characters after ``prefix``; returns prefix + the new characters.

    Each character is drawn from the model's next-character distribution re-weighted by
    ``temperature`` (`with_temperature`; 0 = greedy, always the most likely character) and fed
    back in; padding is never drawn. The recurrent states are carried from step to step, so the
    text may be longer than the model's training length.

    Example: ``sample(model, vocab, "h", 4, temperature=0)`` -> ``"hello"``.
    """
    length = check_positive_int("length", length, minimum=0)
    check_number("temperature", temperature, low=0.0)
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"prefix must be a non-empty string, got {prefix!r}.")
    rng = np.random.default_rng(seed)
    predictions = model.get_layer("predictions")
    logits = predictions.get_config()["activation"] != "softmax"

    def choose(scores):
        if logits:
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores[:, PAD_ID] = 0.0
        p = with_temperature(scores / scores.sum(axis=-1, keepdims=True), temperature)
        return [rng.choice(p.shape[-1], p=row) for row in p]

    generated = sequence.autoregress(
        sequence.stack_of(model),
        model.get_layer("embedding"),
        predictions,
        vocab.encode(prefix)[None],
        length,
        choose,
    )
    return prefix + vocab.decode(generated[0])
