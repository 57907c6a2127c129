"""Show and Tell image captioner (Vinyals, Toshev, Bengio & Erhan 2015; lectures 001, 004).

A CNN encodes the image; its pooled features, projected to the word-embedding size, are the
LSTM's input at step -1 (x_{-1} = W_I CNN(I)), and the caption's words follow
(x_t = W_e S_t, S_0 the start word). The LSTM then predicts each next word:
p(S_{t+1} | I, S_0..S_t). The same LSTM reads the image and the words (the image sets its
state), as in the paper, where feeding the image only once worked best.

Any registered image backbone serves as the CNN (``include_top=False``, global average
pooling); the default is MobileNet. `caption` decodes greedily.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.models import _registry as registry
from zoo.models import _sequence as sequence
from zoo.models._registry import register
from zoo.models._sequence import START_ID
from zoo.models._spec import BuildSpec
from zoo.validation import check_choice, check_positive_int, check_size


def _backbone(name, config, spec: BuildSpec) -> keras.Model:
    if not isinstance(name, str):
        raise ValueError(f"backbone must be a registered model name, got {name!r}.")
    try:
        info = registry.info(name)
    except ValueError as error:
        raise ValueError(f"backbone: {error}") from None
    if info.task != "image_classification":
        raise ValueError(
            f"backbone must be an image model (task 'image_classification'), got {name!r} "
            f"(task {info.task!r})."
        )
    if config is not None and not isinstance(config, dict):
        raise ValueError(f"backbone_config must be a dict of the backbone's knobs, got {config!r}.")
    try:
        return registry.build(
            info.name,
            input_shape=spec.input_shape,
            include_top=False,
            pooling="avg",
            name="backbone",
            **(config or {}),
        )
    except ValueError as error:
        raise ValueError(
            f"backbone {info.name!r} with backbone_config={config!r}: {error}"
        ) from None


@register(
    "show_and_tell",
    aliases=("neural_image_caption",),
    family="show_and_tell",
    task="language_model",
    paper="Vinyals, Toshev, Bengio & Erhan 2015, Show and tell: a neural image caption generator",
    year=2015,
    default_input_shape=(224, 224, 3),
)
def show_and_tell(
    spec: BuildSpec,
    *,
    backbone: str = "mobilenet",
    backbone_config: dict | None = None,
    vocab_size: int = 10_000,
    embedding_dim: int = 512,
    units: int = 512,
    num_layers: int = 1,
    cell: str = "lstm",
    dropout: float = 0.0,
    max_length: int = 20,
) -> keras.Model:
    """CNN image encoder feeding an LSTM caption decoder: ``[image, caption]`` -> per-step softmax.

    Args:
        backbone: a registered image model, built with ``include_top=False, pooling="avg"``.
        backbone_config: the backbone's own knobs, e.g. ``{"alpha": 0.25}`` for MobileNet.
        vocab_size: word ids 0..vocab_size-1, 0 padding (masked), 1 the start word.
        embedding_dim: size of the word embedding and of the projected image features (512
            in the paper).
        units: LSTM state size (512 in the paper).
        num_layers: recurrent layers stacked (at most 100).
        cell: ``"lstm"`` (the paper's), ``"gru"``, ``"simple_rnn"`` or ``"peephole_lstm"``.
        dropout: rate of the Dropout after every recurrent layer, in [0, 1).
        max_length: caption length L of the decoder input and output.

    Inputs: the image (``input_shape``, the first input) and the caption input
    ``[start, w_1, ..., w_{L-1}]`` (L,) of ints; output (L, vocab_size), the distribution of
    ``w_1 .. w_L``.

    Example: ``zoo.build("show_and_tell", input_shape=(32, 32, 3), backbone_config={"alpha":
    0.25}, vocab_size=100, embedding_dim=32, units=32, max_length=8)``.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size, minimum=2)
    embedding_dim = check_positive_int("embedding_dim", embedding_dim)
    max_length = check_size("max_length", max_length)
    check_choice("cell", cell, tuple(sequence.CELLS))
    if not spec.include_top:
        raise ValueError(
            "include_top=False does not apply to show_and_tell; build the backbone by name "
            "for image features."
        )
    cnn = _backbone(backbone, backbone_config, spec)

    image, x = spec.inputs()
    features = keras.layers.Dense(embedding_dim, name="image_embedding")(cnn(x))
    image_step = keras.layers.Reshape((1, embedding_dim), name="image_step")(features)
    caption_input = keras.Input((max_length,), dtype="int32", name="caption")
    decoder = sequence.recurrent_stack(cell, units, num_layers, dropout=dropout, prefix="decoder_")
    _, states = sequence.run_stack(decoder, image_step)
    outputs = sequence.teacher_forced_decoder(
        spec, caption_input, decoder, states, vocab_size, embedding_dim, "word_embedding"
    )
    return spec.model_from([image, caption_input], outputs)


def caption(
    model: keras.Model,
    images,
    length: int | None = None,
    *,
    start_id: int = START_ID,
    end_id: int | None = None,
) -> np.ndarray:
    """Greedy captions: int32 word ids of shape (batch, length).

    The image sets the decoder's state, then the start word and each most likely word are fed
    back in. ``length`` defaults to the model's ``max_length`` and may not exceed it; with
    ``end_id``, positions after the first end word are padding (0).

    Example: ``caption(model, images, 8)``.
    """
    length = sequence.decoding_length(length, model.inputs[1].shape[1])
    image_features = keras.Model(model.inputs[0], model.get_layer("image_step").output)
    _, states = sequence.run_stack(
        sequence.stack_of(model, "decoder_"), image_features(np.asarray(images, dtype="float32"))
    )
    return sequence.greedy_decode(
        model, states, length, embedding="word_embedding", start_id=start_id, end_id=end_id
    )
