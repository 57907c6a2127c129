"""What a weights tag is: `Weights`, the `Preprocessing` it expects and the `Metric` it reached.

A tag is a small frozen record, like torchvision's ``Weights`` (url, transforms, meta) and timm's
``pretrained_cfg``: where the file comes from and how it is checked, what the network must be
configured as to take it, what its inputs must look like, and what it scored where. The records
are data (`zoo.weights._imagenet`, `zoo.weights._presets`): reading one imports no Keras and
builds nothing, so `zoo.info(name).weights` stays as cheap as the rest of the card.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """What the weights expect of an RGB image with values 0-255, as one affine map per channel:
    ``x -> (x[..., order] * scale + offset - mean) / std`` (``order``: the channels reversed for
    ``"bgr"``). `zoo.build(..., include_preprocessing=True)` puts exactly this inside the model.

    ``name`` is keras.applications' ``mode`` word where it is one (``"tf"``, ``"caffe"``,
    ``"torch"``) or ``"unit"`` for plain ``x / 255``.
    """

    name: str
    scale: float = 1.0 / 255.0
    offset: float = 0.0
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    channel_order: str = "rgb"

    def apply(self, images):
        """The same map on a NumPy batch (channels last): the reference the tests compare with."""
        import numpy as np

        x = np.asarray(images, dtype=np.float64)
        if self.channel_order == "bgr":
            x = x[..., ::-1]
        x = x * self.scale + self.offset
        if self.mean is not None:
            x = x - np.asarray(self.mean)
        if self.std is not None:
            x = x / np.asarray(self.std)
        return x

    def to_dict(self) -> dict:
        """JSON-ready values (lists for the per-channel tuples)."""
        values = dataclasses.asdict(self)
        for key in ("mean", "std"):
            values[key] = None if values[key] is None else list(values[key])
        return values


# The three conventions of the sources, on 0-255 RGB input.
UNIT = Preprocessing("unit")
TF = Preprocessing("tf", scale=1.0 / 127.5, offset=-1.0)  # [-1, 1]: mobilenet, inception, xception
CAFFE = Preprocessing(  # keras.applications' VGG: BGR, the ImageNet mean subtracted, no scaling
    "caffe", scale=1.0, mean=(103.939, 116.779, 123.68), channel_order="bgr"
)
TORCH = Preprocessing(  # torchvision: [0, 1], then the ImageNet mean and std per channel
    "torch", mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)
)


@dataclasses.dataclass(frozen=True)
class Metric:
    """One reference figure: ``name`` (``"top1"``, ``"accuracy"``, ``"loss_nats_per_char"``) in
    percent or nats, on ``dataset`` (with its split), as reported by ``source``."""

    name: str
    value: float
    dataset: str
    source: str


@dataclasses.dataclass(frozen=True)
class Weights:
    """One registered weights tag of one model.

    Args:
        model: the canonical model name.
        tag: the tag users pass as ``weights=`` (``"imagenet"``: see `zoo.weights.resolve`).
        dataset: what it was trained on.
        num_classes: the classifier's size (``None`` for a model without classes).
        input_shape: the input it was trained at (channels last, no batch).
        preprocessing: what its inputs must look like (`Preprocessing`), ``None`` for tokens.
        metrics: reference figures (`Metric`), each with its source.
        num_params: the parameters of the model it fits (with its top).
        file_name: the file as the source names it.
        file_size: its size in bytes, for the files the zoo ships.
        published_size_mb: the size the source publishes, in MB (downloaded files).
        sha256: its SHA-256, for the files the zoo ships (checked at every load).
        url: where it is downloaded from (``None`` for a file shipped in the package).
        file_hash: the hash the source publishes, checked before the file is read:
            ``"md5:..."`` (keras.applications), ``"sha256-prefix:..."`` (torchvision names its
            files after the first hex digits of their SHA-256), ``"sha256:..."``; ``None`` where
            the source publishes none.
        source: ``"keras.applications"``, ``"torchvision"`` or ``"zoo"``.
        license: the weights' license.
        recipe: where they come from or how they were trained.
        config: the builder knobs the weights need besides their defaults (e.g.
            ``(("batch_norm", True),)``).
    """

    model: str
    tag: str
    dataset: str
    num_classes: int | None
    input_shape: tuple[int, ...]
    preprocessing: Preprocessing | None
    metrics: tuple[Metric, ...]
    num_params: int
    file_name: str
    file_size: int | None
    source: str
    license: str
    recipe: str
    sha256: str | None = None
    url: str | None = None
    file_hash: str | None = None
    published_size_mb: float | None = None
    config: tuple[tuple[str, object], ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready values (what ``zoo info --json`` prints)."""
        values = dataclasses.asdict(self)
        values["input_shape"] = list(self.input_shape)
        values["config"] = dict(self.config)
        values["metrics"] = [dataclasses.asdict(m) for m in self.metrics]
        values["preprocessing"] = self.preprocessing and self.preprocessing.to_dict()
        return values

    def metric(self, name: str) -> float | None:
        """The value of the metric called ``name``, ``None`` if the tag records none."""
        return next((m.value for m in self.metrics if m.name == name), None)
