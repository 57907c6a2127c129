"""torchvision's ImageNet ResNets and VGGs converted exactly into the zoo's twins.

The zoo's ``resnet18`` ... ``resnet152`` are torchvision's ResNet v1.5 (He, Zhang, Ren & Sun 2016,
Deep residual learning for image recognition, Table 1; torchvision puts the stride of a
bottleneck on its 3x3 convolution, not on the first 1x1 as the paper does) and ``vgg_a``,
``vgg_b``, ``vgg_d``, ``vgg_e`` are its ``vgg11``, ``vgg13``, ``vgg16``, ``vgg19`` (Simonyan &
Zisserman 2015, Very deep convolutional networks for large-scale image recognition, Table 1), or
with ``batch_norm=True`` its ``vgg11_bn`` ... ``vgg19_bn``: same layers in the same order, batch
normalization with torch's epsilon, torch's symmetric padding. A state_dict therefore maps onto
the zoo's layers one to one:

| torchvision | zoo (`zoo.weights._assign` layout) |
| --- | --- |
| ``conv1``, ``bn1`` | ``conv1``, ``conv1_bn`` |
| ``layer{s}.{b}.conv{k}``, ``.bn{k}`` | ``conv{s+1}_block{b+1}_{k}_conv``, ``..._{k}_conv_bn`` |
| ``layer{s}.{b}.downsample.0``, ``.1`` | ``conv{s+1}_block{b+1}_0_conv``, ``..._0_conv_bn`` |
| ``features.{i}`` (conv, BN) | ``block{stage}_conv{n}``, ``block{stage}_conv{n}_bn`` |
| ``fc``; ``classifier.0``, ``.3``, ``.6`` | ``predictions``; ``fc1``, ``fc2``, ``predictions`` |

Convolution kernels go from (out, in, h, w) to (h, w, in, out), linear layers from (out, in) to
(in, out), batch normalization's weight, bias, running_mean, running_var become gamma, beta,
moving_mean, moving_variance (``num_batches_tracked`` is not a weight). torchvision flattens
VGG's 512x7x7 maps channel first, Keras channels last: the rows of ``classifier.0`` are permuted
to match. The VGG-BN convolutions have a bias that batch normalization cancels (the zoo's have
none): it is subtracted from the moving mean instead, which computes the same function.

    state_dict = read_pth("resnet50-0676ba61.pth")   # torchvision's published file
    model = from_torchvision("resnet50", state_dict)  # 1000 classes, softmax
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

# zoo model -> torchvision builder of its twin.
SOURCES = {
    "resnet18": "resnet18",
    "resnet34": "resnet34",
    "resnet50": "resnet50",
    "resnet101": "resnet101",
    "resnet152": "resnet152",
    "vgg_a": "vgg11",
    "vgg_b": "vgg13",
    "vgg_d": "vgg16",
    "vgg_e": "vgg19",
}
# zoo model built with ``batch_norm=True`` -> torchvision builder of its twin.
BATCH_NORM_SOURCES = {
    "vgg_a": "vgg11_bn",
    "vgg_b": "vgg13_bn",
    "vgg_d": "vgg16_bn",
    "vgg_e": "vgg19_bn",
}

# torchvision's own layouts of its state_dicts (torchvision/models/resnet.py's block and layers,
# vgg.py's cfgs: the widths of each stage's 3x3 convolutions). tests/weights/test_torchvision.py
# checks that they are the zoo twins' tables (zoo.models.resnet.IMAGENET_DEPTHS, vgg.CONFIGS).
RESNET_LAYOUTS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
VGG_LAYOUTS = {
    "vgg_a": ((64,), (128,), (256, 256), (512, 512), (512, 512)),
    "vgg_b": ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
    "vgg_d": ((64, 64), (128, 128), (256,) * 3, (512,) * 3, (512,) * 3),
    "vgg_e": ((64, 64), (128, 128), (256,) * 4, (512,) * 4, (512,) * 4),
}
_VGG_MAP = 7  # torchvision's AdaptiveAvgPool2d((7, 7)) before the classifier
_PARAMETERS = {
    "conv": ("weight",),
    "biased_conv": ("weight", "bias"),
    "batch_norm": ("weight", "bias", "running_mean", "running_var"),
    "linear": ("weight", "bias"),
}


@dataclasses.dataclass(frozen=True)
class _Module:
    """One torchvision module and the zoo layer that takes its tensors.

    ``shape`` is torchvision's weight shape (``None`` for the classifier's free class count);
    ``folded_bias`` names the convolution whose bias a batch normalization absorbs (VGG-BN).
    """

    layer: str
    module: str
    kind: str
    shape: tuple
    folded_bias: str | None = None

    def keys(self) -> dict[str, str]:
        """Parameter name -> the state_dict key it is read from."""
        keys = {parameter: f"{self.module}.{parameter}" for parameter in _PARAMETERS[self.kind]}
        if self.folded_bias is not None:
            keys["folded_bias"] = f"{self.folded_bias}.bias"
        return keys


def _twin(name: str) -> str:
    """``name`` (a canonical zoo name) checked to have a torchvision twin."""
    if name not in SOURCES:
        raise ValueError(
            f"{name!r} has no torchvision twin; the converted models are {', '.join(SOURCES)}."
        )
    return name


def _resnet_modules(depth: int, include_top: bool) -> list[_Module]:
    block, repeats = RESNET_LAYOUTS[depth]
    kernels = (1, 3, 1) if block == "bottleneck" else (3, 3)
    expansion = 4 if block == "bottleneck" else 1
    modules = [
        _Module("conv1", "conv1", "conv", (64, 3, 7, 7)),
        _Module("conv1_bn", "bn1", "batch_norm", (64,)),
    ]
    channels = 64
    for stage, blocks in enumerate(repeats):
        width = 64 * 2**stage
        for index in range(blocks):
            source, target = f"layer{stage + 1}.{index}", f"conv{stage + 2}_block{index + 1}"
            inputs = channels
            for k, kernel in enumerate(kernels, start=1):
                out = width * expansion if k == len(kernels) else width
                conv = f"{target}_{k}_conv"
                modules += [
                    _Module(conv, f"{source}.conv{k}", "conv", (out, inputs, kernel, kernel)),
                    _Module(f"{conv}_bn", f"{source}.bn{k}", "batch_norm", (out,)),
                ]
                inputs = out
            if index == 0 and (stage > 0 or channels != inputs):  # a 1x1 projection shortcut
                conv = f"{target}_0_conv"
                modules += [
                    _Module(conv, f"{source}.downsample.0", "conv", (inputs, channels, 1, 1)),
                    _Module(f"{conv}_bn", f"{source}.downsample.1", "batch_norm", (inputs,)),
                ]
            channels = inputs
    if include_top:
        modules.append(_Module("predictions", "fc", "linear", (None, channels)))
    return modules


def _vgg_modules(name: str, batch_norm: bool, include_top: bool) -> list[_Module]:
    modules, index, channels = [], 0, 3
    for stage, widths in enumerate(VGG_LAYOUTS[name], start=1):
        for number, filters in enumerate(widths, start=1):
            conv, shape = f"block{stage}_conv{number}", (filters, channels, 3, 3)
            if batch_norm:
                bn = f"features.{index + 1}"
                modules += [
                    _Module(conv, f"features.{index}", "conv", shape),
                    _Module(f"{conv}_bn", bn, "batch_norm", (filters,), f"features.{index}"),
                ]
            else:
                modules.append(_Module(conv, f"features.{index}", "biased_conv", shape))
            index += 3 if batch_norm else 2  # conv, (batch norm,) ReLU
            channels = filters
        index += 1  # the max-pool
    if include_top:
        modules += [
            _Module("fc1", "classifier.0", "linear", (4096, channels * _VGG_MAP**2)),
            _Module("fc2", "classifier.3", "linear", (4096, 4096)),
            _Module("predictions", "classifier.6", "linear", (None, 4096)),
        ]
    return modules


def is_batch_norm_vgg(state_dict: Mapping) -> bool:
    """Whether a VGG state_dict has torchvision's ``vgg*_bn`` layout (features.1 is a BN)."""
    return "features.1.running_mean" in state_dict


def source_name(name: str, state_dict: Mapping) -> str:
    """torchvision's builder for ``state_dict``'s layout (``vgg11`` or ``vgg11_bn``)."""
    if name.startswith("vgg") and is_batch_norm_vgg(state_dict):
        return BATCH_NORM_SOURCES[name]
    return SOURCES[name]


def _as_numpy(tensor) -> np.ndarray:
    """A torch tensor (on any device) or array-like as a NumPy array."""
    if hasattr(tensor, "detach"):
        return tensor.detach().cpu().numpy()
    return np.asarray(tensor)


def _tensors(module: _Module, state_dict: Mapping, model: str, what: str) -> dict:
    """``module``'s tensors from ``state_dict`` by parameter name as NumPy arrays, each checked
    for its key and its shape (the weight's; the others are as long as its first axis)."""
    tensors = {}
    for parameter, key in module.keys().items():
        if key not in state_dict:
            raise ValueError(f"{what} has no {key!r}.")
        tensor = _as_numpy(state_dict[key])
        wanted = module.shape if parameter == "weight" else (tensors["weight"].shape[0],)
        fits = tensor.ndim == len(wanted) and all(
            w in (None, s) for s, w in zip(tensor.shape, wanted, strict=True)
        )
        if not fits:
            shape = ", ".join("any" if w is None else str(w) for w in wanted)
            raise ValueError(
                f"{what} holds {key!r} of shape {tuple(tensor.shape)}; {model!r} needs "
                f"({shape}) (a state_dict of another depth or configuration?)."
            )
        tensors[parameter] = tensor
    return tensors


def _convert(module: _Module, tensors: dict) -> list[np.ndarray]:
    """``module``'s torchvision tensors in the order of its zoo layer's ``weights``."""
    if module.kind in ("conv", "biased_conv"):
        kernel = tensors["weight"].transpose(2, 3, 1, 0)  # OIHW -> HWIO
        return [kernel, tensors["bias"]] if module.kind == "biased_conv" else [kernel]
    if module.kind == "batch_norm":
        mean = tensors["running_mean"]
        if module.folded_bias is not None:  # BN(conv + b) with mean m is BN(conv) with m - b
            mean = mean - tensors["folded_bias"]
        return [tensors["weight"], tensors["bias"], mean, tensors["running_var"]]
    weight = tensors["weight"]
    if module.layer == "fc1":  # torch flattened (C, H, W), Keras flattens (H, W, C)
        units, inputs = weight.shape
        channels = inputs // _VGG_MAP**2
        weight = weight.reshape(units, channels, _VGG_MAP, _VGG_MAP).transpose(0, 2, 3, 1)
        weight = weight.reshape(units, inputs)
    return [weight.T, tensors["bias"]]


def arrays_from_torchvision(
    name: str, state_dict: Mapping, *, include_top: bool = True
) -> dict[str, list[np.ndarray]]:
    """The zoo layout (layer name -> arrays in ``layer.weights`` order, for
    `zoo.weights._assign.assign`) of torchvision's ``state_dict`` for the twin of ``name``.

    ``state_dict`` maps torchvision's keys to torch tensors or arrays; a VGG's may have the plain
    or the ``_bn`` layout. Without the top its classifier keys (``fc.*``, ``classifier.*``) may be
    there and are left out. A missing key, a tensor of another shape (a state_dict of another
    depth) or a key the architecture has no place for is a ValueError naming the key.
    """
    name = _twin(name)
    what = f"the state_dict given for {name!r} (torchvision's {source_name(name, state_dict)})"
    if name.startswith("resnet"):
        modules, head = _resnet_modules(int(name[len("resnet") :]), include_top), "fc."
    else:
        batch_norm = is_batch_norm_vgg(state_dict)
        modules = _vgg_modules(name, batch_norm, include_top)
        head = "classifier."
    arrays, used = {}, set()
    for module in modules:
        arrays[module.layer] = _convert(module, _tensors(module, state_dict, name, what))
        used.update(module.keys().values())
    for key in state_dict:
        ignored = key.endswith(".num_batches_tracked") or (not include_top and key.startswith(head))
        if key not in used and not ignored:
            raise ValueError(f"{what} holds {key!r}, which {name!r} has no place for.")
    return arrays


def read_pth(path) -> dict[str, np.ndarray]:
    """The state_dict in torchvision's ``.pth`` file ``path``, as NumPy arrays.

    Read by ``torch.load(path, map_location="cpu", weights_only=True)``: tensors only, no code
    from the file runs. Needs torch.
    """
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            "reading torchvision's .pth files needs torch: "
            "pip install 'keras-lecture-zoo[torchvision]'"
        ) from error
    try:
        state_dict = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:
        raise  # a missing or unreadable file says so itself
    except Exception as error:  # torch's unpicklers raise many kinds on a file not theirs
        raise ValueError(
            f"torch cannot read {str(path)!r} as a state_dict: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(state_dict, Mapping) or not all(
        hasattr(tensor, "detach") for tensor in state_dict.values()
    ):
        raise ValueError(f"{str(path)!r} holds a {type(state_dict).__name__}, not a state_dict.")
    return {key: _as_numpy(tensor) for key, tensor in state_dict.items()}
