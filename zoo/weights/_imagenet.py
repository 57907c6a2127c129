"""The ImageNet tags: official weights of keras.applications and torchvision, converted exactly.

Each row names the source file as its publisher does: the URL, the hash it publishes (md5 for
keras.applications' files, as ``keras.utils.get_file`` checks them; the first 8 hex digits of
the SHA-256 for torchvision's, the part of the file name ``torch.hub`` checks; keras publishes
none for MobileNet), its size in MB and the top-1 / top-5 accuracy on the ImageNet-1K validation
set (single 224 crop, 299 for Inception-v3 and Xception) with the page they come from.
``weights="imagenet"`` means, among the model's tags that fit the knobs given, those that change
the fewest other knobs from their defaults, and of those the one with the highest published
top-1 (torchvision's ``DEFAULT`` picks by accuracy too): ``vgg_d`` gets torchvision's VGG-16,
``vgg_d`` with ``batch_norm=True`` its VGG-16-BN, ``mobilenet`` keras.applications' MobileNet
(which needs ReLU6, so that tag sets ``activation="relu6"``).

Sources: https://keras.io/api/applications/ (keras.applications' table and
``keras/src/applications/*.py``), torchvision 0.28 ``torchvision/models/resnet.py`` and
``vgg.py`` (``Weights.meta``).
"""

from __future__ import annotations

from zoo.weights._records import CAFFE, TF, TORCH, Metric, Weights

IMAGENET = "ImageNet-1K (ILSVRC 2012)"
_KERAS_PAGE = "https://keras.io/api/applications/"
_KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
_KERAS_LICENSE = "as published by keras-applications (MIT); the ImageNet terms of access apply"
_TORCH_BASE = "https://download.pytorch.org/models/"
_TORCH_LICENSE = "as published by torchvision (BSD-3-Clause); the ImageNet terms of access apply"
_TORCH_V1 = "https://github.com/pytorch/vision/tree/main/references/classification"
_TORCH_V2 = "https://github.com/pytorch/vision/issues/3995"

# model, keras.applications file (under _KERAS_BASE), md5 or None, MB, top-1, top-5, size, params
_KERAS = (
    ("mobilenet", "mobilenet/mobilenet_1_0_224_tf.h5", None, 16, 70.4, 89.5, 224, 4253864),
    (
        "vgg_d",
        "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "64373286793e3c8b2b4e3219cbf3544b",
        528,
        71.3,
        90.1,
        224,
        138357544,
    ),
    (
        "vgg_e",
        "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5",
        "cbe5617147190e668d6c5d5026f83318",
        549,
        71.3,
        90.0,
        224,
        143667240,
    ),
    (
        "inception_v3",
        "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "9a0d58056eeedaa3f26cb7ebd46da564",
        92,
        77.9,
        93.7,
        299,
        23851784,
    ),
    (
        "xception",
        "xception/xception_weights_tf_dim_ordering_tf_kernels.h5",
        "0a58e3b7378bc2990ea3b43d5981f1f6",
        88,
        79.0,
        94.5,
        299,
        22910480,
    ),
)

# model, tag, torchvision file (under _TORCH_BASE), MB, top-1, top-5
_TORCHVISION = (
    ("resnet18", "imagenet1k_v1", "resnet18-f37072fd.pth", 44.661, 69.758, 89.078),
    ("resnet34", "imagenet1k_v1", "resnet34-b627a593.pth", 83.275, 73.314, 91.42),
    ("resnet50", "imagenet1k_v1", "resnet50-0676ba61.pth", 97.781, 76.13, 92.862),
    ("resnet50", "imagenet1k_v2", "resnet50-11ad3fa6.pth", 97.79, 80.858, 95.434),
    ("resnet101", "imagenet1k_v1", "resnet101-63fe2227.pth", 170.511, 77.374, 93.546),
    ("resnet101", "imagenet1k_v2", "resnet101-cd907fc2.pth", 170.53, 81.886, 95.78),
    ("resnet152", "imagenet1k_v1", "resnet152-394f9c45.pth", 230.434, 78.312, 94.046),
    ("resnet152", "imagenet1k_v2", "resnet152-f82ba261.pth", 230.474, 82.284, 96.002),
    ("vgg_a", "imagenet1k_v1", "vgg11-8a719046.pth", 506.84, 69.02, 88.628),
    ("vgg_b", "imagenet1k_v1", "vgg13-19584684.pth", 507.545, 69.928, 89.246),
    ("vgg_d", "imagenet1k_v1", "vgg16-397923af.pth", 527.796, 71.592, 90.382),
    ("vgg_e", "imagenet1k_v1", "vgg19-dcbb9e9d.pth", 548.051, 72.376, 90.876),
    ("vgg_a", "imagenet1k_bn_v1", "vgg11_bn-6002323d.pth", 506.881, 70.37, 89.81),
    ("vgg_b", "imagenet1k_bn_v1", "vgg13_bn-abd245e5.pth", 507.59, 71.586, 90.374),
    ("vgg_d", "imagenet1k_bn_v1", "vgg16_bn-6c64b313.pth", 527.866, 73.36, 91.516),
    ("vgg_e", "imagenet1k_bn_v1", "vgg19_bn-c79401a0.pth", 548.143, 74.218, 91.842),
)

# The knobs a twin needs besides its defaults: keras.applications' MobileNet uses ReLU6.
KERAS_TWIN_CONFIG = {"mobilenet": {"activation": "relu6"}}

# The zoo models' parameter counts with the top (moving statistics included, as Keras counts).
_NUM_PARAMS = {
    "resnet18": 11699112,
    "resnet34": 21814696,
    "resnet50": 25610152,
    "resnet101": 44654504,
    "resnet152": 60344232,
    "vgg_a": 132863336,
    "vgg_b": 133047848,
    "vgg_d": 138357544,
    "vgg_e": 143667240,
}
# ... and the VGGs with batch_norm=True (torchvision's vgg11_bn ...: their convolutions' biases,
# which batch normalization cancels, are folded into the moving means).
_NUM_PARAMS_BN = {"vgg_a": 132871592, "vgg_b": 133056680, "vgg_d": 138370216, "vgg_e": 143683752}


def _metrics(top1: float, top5: float, source: str) -> tuple[Metric, ...]:
    return (
        Metric("top1", top1, f"{IMAGENET} validation", source),
        Metric("top5", top5, f"{IMAGENET} validation", source),
    )


def _keras_tag(model, path, md5, megabytes, top1, top5, size, params) -> Weights:
    return Weights(
        model=model,
        tag="imagenet1k_keras",
        dataset=IMAGENET,
        num_classes=1000,
        input_shape=(size, size, 3),
        preprocessing=CAFFE if model.startswith("vgg") else TF,
        metrics=_metrics(top1, top5, _KERAS_PAGE),
        num_params=params,
        file_name=path.split("/")[-1],
        file_size=None,
        published_size_mb=float(megabytes),
        source="keras.applications",
        license=_KERAS_LICENSE,
        recipe="the keras.applications release, converted layer by layer "
        "(zoo.weights.from_keras_applications)",
        url=_KERAS_BASE + path,
        file_hash=None if md5 is None else f"md5:{md5}",
        config=tuple(KERAS_TWIN_CONFIG.get(model, {}).items()),
    )


def _torchvision_tag(model, tag, file_name, megabytes, top1, top5) -> Weights:
    recipe = _TORCH_V2 if tag.endswith("v2") else _TORCH_V1
    batch_norm = "_bn_" in tag
    return Weights(
        model=model,
        tag=tag,
        dataset=IMAGENET,
        num_classes=1000,
        input_shape=(224, 224, 3),
        preprocessing=TORCH,
        metrics=_metrics(top1, top5, f"torchvision {file_name} (Weights.meta)"),
        num_params=(_NUM_PARAMS_BN if batch_norm else _NUM_PARAMS)[model],
        file_name=file_name,
        file_size=None,
        published_size_mb=megabytes,
        source="torchvision",
        license=_TORCH_LICENSE,
        recipe=f"torchvision's {file_name.split('-')[0]} {tag.upper().replace('_BN', '')} "
        f"weights ({recipe}), converted layer by layer "
        "(zoo.weights.from_torchvision)"
        + ("; evaluated resizing to 232 then cropping 224" if tag.endswith("v2") else ""),
        url=_TORCH_BASE + file_name,
        file_hash=f"sha256-prefix:{file_name.rsplit('-', 1)[1].split('.')[0]}",
        config=(("batch_norm", True),) if batch_norm else (),
    )


IMAGENET_TAGS: tuple[Weights, ...] = tuple(_keras_tag(*row) for row in _KERAS) + tuple(
    _torchvision_tag(*row) for row in _TORCHVISION
)
