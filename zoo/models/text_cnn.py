"""Convolutional neural network for sentence classification (Kim 2014; lecture "CNN in NLP").

Word embeddings (k = 300) -> parallel 1-D convolutions of widths 3, 4 and 5 with 100 ReLU
feature maps each -> max-over-time pooling -> dropout 0.5 -> softmax whose weight vectors have an
l2 norm of at most s = 3. Parameters: V k + sum_w (w k F + F) + (3F C + C).

Padding (id 0) is masked as in Kim's code, where sentences are padded with w - 1 zero vectors on
each side: padded words are zero vectors, the convolution is wide (every real word is seen at
every window position) and the max runs only over windows that touch a real word. Adding or
removing padding therefore never changes the output.
"""

from __future__ import annotations

import keras

from zoo.layers import MaskedMaxOverTime, PaddingMask
from zoo.models._registry import register
from zoo.models._sequence import check_token_input
from zoo.models._spec import BuildSpec, require_channels_last
from zoo.validation import check_number, check_positive_int, check_positive_int_list, check_rate


@register(
    "text_cnn",
    aliases=("kim_cnn",),
    family="text_cnn",
    task="sequence_classification",
    paper="Kim 2014, Convolutional neural networks for sentence classification",
    year=2014,
    default_input_shape=(56,),
    default_num_classes=2,
)
def text_cnn(
    spec: BuildSpec,
    *,
    vocab_size: int = 18_765,
    embedding_dim: int = 300,
    filter_sizes=(3, 4, 5),
    num_filters: int = 100,
    dropout: float = 0.5,
    max_norm: float | None = 3.0,
) -> keras.Model:
    """Kim's CNN: embeddings, parallel wide 1-D convolutions, max-over-time pooling, softmax.

    The default is CNN-rand on the MR data set (vocabulary 18,765, sentences up to 56 words,
    2 classes): 5,990,402 parameters.

    Args:
        vocab_size: token ids 0..vocab_size-1, 0 being padding.
        embedding_dim: word vector size k.
        filter_sizes: convolution widths, one branch each.
        num_filters: feature maps F per width.
        dropout: rate of the Dropout on the pooled features, in [0, 1).
        max_norm: l2 bound s on each class's weight vector (``None``: unconstrained).

    With ``include_top=False`` the model returns the pooled features (len(filter_sizes) * F).

    Example: ``zoo.build("text_cnn", vocab_size=5000, embedding_dim=64, input_shape=(40,))``.
    """
    vocab_size = check_positive_int("vocab_size", vocab_size, minimum=2)
    embedding_dim = check_positive_int("embedding_dim", embedding_dim)
    filter_sizes = check_positive_int_list("filter_sizes", filter_sizes)
    if not filter_sizes or len(set(filter_sizes)) != len(filter_sizes):
        raise ValueError(
            f"filter_sizes must be distinct widths, at least one, got {filter_sizes!r}."
        )
    num_filters = check_positive_int("num_filters", num_filters)
    dropout = check_rate("dropout", dropout)
    if max_norm is not None:
        max_norm = check_number("max_norm", max_norm, low=0.0, low_open=True)
    check_token_input(spec)
    require_channels_last(spec.model)  # its convolutions and max-over-time pool read the setting

    inputs, tokens = spec.inputs(dtype="int32")
    mask = PaddingMask(name="padding_mask")(tokens)
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(tokens)
    x = keras.layers.Multiply(name="zero_padding_vectors")([x, mask])
    branches = []
    for width in filter_sizes:
        wide = keras.layers.ZeroPadding1D(width - 1, name=f"wide_padding{width}")(x)
        features = keras.layers.Conv1D(num_filters, width, activation="relu", name=f"conv{width}")(
            wide
        )
        branches.append(MaskedMaxOverTime(width, name=f"max_over_time{width}")([features, mask]))
    x = branches[0] if len(branches) == 1 else keras.layers.Concatenate(name="concat")(branches)
    if spec.include_top:
        if dropout:
            x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = keras.layers.Dense(
            spec.num_classes,
            activation=spec.classifier_activation,
            kernel_constraint=None if max_norm is None else keras.constraints.MaxNorm(max_norm),
            dtype="float32",
            name="predictions",
        )(x)
    return spec.model_from(inputs, x)
