"""`BuildSpec`: what every registered builder receives, and the pieces shared by their tops.

`zoo.build` checks the keras.applications arguments once (num_classes, input_shape, include_top,
pooling, classifier_activation, name) and hands them to the builder as one frozen object, so each
builder only composes its own blocks and validates its own knobs. `require_channels_last` refuses
to build a model whose layers read ``keras.config.image_data_format()`` under channels_first.
"""

from __future__ import annotations

import dataclasses

import keras

from zoo.layers import ReverseChannels
from zoo.validation import check_fits_in_memory
from zoo.weights._records import UNIT, Preprocessing


def require_channels_last(model: str) -> None:
    """ValueError unless ``keras.config.image_data_format()`` is ``"channels_last"``: the
    models whose layers read it (convolutions, pooling) are built channels-last only."""
    data_format = keras.config.image_data_format()
    if data_format != "channels_last":
        raise ValueError(
            f"zoo builds image models channels-last; keras.config.image_data_format() is "
            f"{data_format!r} (set by keras.config.set_image_data_format or "
            f"~/.keras/keras.json): set it to 'channels_last' to build {model!r}."
        )


@dataclasses.dataclass(frozen=True)
class BuildSpec:
    model: str
    input_shape: tuple
    num_classes: int | None
    include_top: bool
    pooling: str | None
    classifier_activation: str | None
    name: str
    include_preprocessing: bool = False
    preprocessing: Preprocessing = UNIT  # what include_preprocessing puts in (the weights')

    def inputs(self, dtype: str = "float32"):
        """The model input and the tensor builders start from: with ``include_preprocessing``,
        raw 0-255 RGB mapped the way the weights expect (`Preprocessing`; [0, 1] by default)."""
        inputs = keras.Input(shape=self.input_shape, dtype=dtype, name="input")
        x = inputs
        if self.include_preprocessing:
            x = self._preprocess(x)
        return inputs, x

    def _preprocess(self, x):
        """`Preprocessing` as layers: ReverseChannels for BGR weights, Rescaling, then the
        per-channel mean and std as a Normalization with fixed statistics."""
        steps = self.preprocessing
        if steps.channel_order == "bgr":
            x = ReverseChannels(name="rgb_to_bgr")(x)
        x = keras.layers.Rescaling(steps.scale, offset=steps.offset, name="rescaling")(x)
        if steps.mean is not None:
            std = steps.std or (1.0,) * len(steps.mean)
            x = keras.layers.Normalization(
                mean=list(steps.mean), variance=[s * s for s in std], name="normalization"
            )(x)
        return x

    def classifier(self, x, name: str = "predictions"):
        """The last Dense layer; computed in float32 so softmax is never rounded to 16 bits.

        Its weights are counted first: a ``num_classes`` too large for this machine's memory is
        refused before they are allocated."""
        check_fits_in_memory(
            x.shape[-1] * self.num_classes,
            f"the classifier {name!r} of {self.model!r} ({x.shape[-1]:,} features x "
            f"{self.num_classes:,} classes)",
            "num_classes",
        )
        return keras.layers.Dense(
            self.num_classes, activation=self.classifier_activation, dtype="float32", name=name
        )(x)

    def pool(self, x):
        """keras.applications' ``pooling`` on feature maps of any rank (no-op for None), over the
        spatial or time axes whatever ``keras.config.image_data_format()`` says."""
        if self.pooling is None or len(x.shape) <= 2:
            return x
        spatial = len(x.shape) - 2
        kinds = {
            "avg": (
                keras.layers.GlobalAveragePooling1D,
                keras.layers.GlobalAveragePooling2D,
                keras.layers.GlobalAveragePooling3D,
            ),
            "max": (
                keras.layers.GlobalMaxPooling1D,
                keras.layers.GlobalMaxPooling2D,
                keras.layers.GlobalMaxPooling3D,
            ),
        }
        pool = kinds[self.pooling][spatial - 1]
        return pool(data_format="channels_last", name=f"{self.pooling}_pool")(x)

    def model_from(self, inputs, outputs) -> keras.Model:
        return keras.Model(inputs, outputs, name=self.name)
