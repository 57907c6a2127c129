"""`BuildSpec`: what every registered builder receives, and the pieces shared by their tops.

`zoo.build` checks the keras.applications arguments once (num_classes, input_shape, include_top,
pooling, classifier_activation, name) and hands them to the builder as one frozen object, so each
builder only composes its own blocks and validates its own knobs.
"""

from __future__ import annotations

import dataclasses

import keras


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

    def inputs(self, dtype: str = "float32"):
        """The model input and the tensor builders start from (rescaled to [0, 1] if asked)."""
        inputs = keras.Input(shape=self.input_shape, dtype=dtype, name="input")
        x = inputs
        if self.include_preprocessing:
            x = keras.layers.Rescaling(1.0 / 255.0, name="rescaling")(x)
        return inputs, x

    def classifier(self, x, name: str = "predictions"):
        """The last Dense layer; computed in float32 so softmax is never rounded to 16 bits."""
        return keras.layers.Dense(
            self.num_classes, activation=self.classifier_activation, dtype="float32", name=name
        )(x)

    def pool(self, x):
        """keras.applications' ``pooling`` on feature maps of any rank (no-op for None)."""
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
        return kinds[self.pooling][spatial - 1](name=f"{self.pooling}_pool")(x)

    def model_from(self, inputs, outputs) -> keras.Model:
        return keras.Model(inputs, outputs, name=self.name)
