"""torchvision's ResNets and VGGs converted into the zoo's twins give torchvision's outputs.

The references are torchvision's architectures written here with plain ``torch.nn``, with its
state_dict keys (the installed torchvision may not import: a build for another torch). Every
tensor is randomised, batch normalization's running statistics included (their defaults 0 and 1
would hide a mix-up), and the reference runs in eval mode. Logits are compared (the zoo model is
built with ``classifier_activation=None``); without the top, the last feature map and the
average-pooled features.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys

import keras
import numpy as np
import pytest

import zoo
from zoo.weights import _table, _torchvision
from zoo.weights._torchvision import read_pth
from zoo.weights.convert import arrays_from_torchvision, from_torchvision

torch = pytest.importorskip("torch")
nn = torch.nn

TOLERANCE = 1e-4  # max abs difference
BATCH = 2
ON_JAX = keras.backend.backend() == "jax"
# JAX compiles every model anew: there, one basic ResNet, one bottleneck ResNet and one VGG.
JAX_SKIP = pytest.mark.skipif(
    ON_JAX, reason="JAX compiles each model; resnet18/50 and vgg_a cover it"
)

# torchvision's (block, blocks per stage) and VGG configurations (channels, "M" a max-pool).
RESNETS = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}
VGGS = {
    "vgg_a": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg_b": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg_d": [64, 64, "M", 128, 128, "M", *[256] * 3, "M", *[512] * 3, "M", *[512] * 3, "M"],
    "vgg_e": [64, 64, "M", 128, 128, "M", *[256] * 4, "M", *[512] * 4, "M", *[512] * 4, "M"],
}


class _Block(nn.Module):
    """relu(residual(x) + shortcut(x)), the shortcut projected by ``downsample`` if any."""

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.residual(x) + shortcut)


class BasicBlock(_Block):
    expansion = 1

    def __init__(self, inputs, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, width, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = _projection(inputs, width, stride)

    def residual(self, x):
        return self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))


class Bottleneck(_Block):
    expansion = 4

    def __init__(self, inputs, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)  # v1.5
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.downsample = _projection(inputs, 4 * width, stride)

    def residual(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        return self.bn3(self.conv3(y))


def _projection(inputs, outputs, stride):
    """torchvision's ``downsample``: a 1x1 convolution and BN where the shape changes."""
    if stride == 1 and inputs == outputs:
        return None
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False), nn.BatchNorm2d(outputs)
    )


class ResNet(nn.Module):
    """torchvision's ``ResNet`` (v1.5), its module names and order."""

    def __init__(self, block, repeats, num_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inputs = 64
        for stage, blocks in enumerate(repeats):
            width, stride = 64 * 2**stage, 1 if stage == 0 else 2
            layers = []
            for index in range(blocks):
                layers.append(block(inputs, width, stride if index == 0 else 1))
                inputs = width * block.expansion
            setattr(self, f"layer{stage + 1}", nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inputs, num_classes)

    def feature_map(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x):
        return self.fc(torch.flatten(self.avgpool(self.feature_map(x)), 1))


class VGG(nn.Module):
    """torchvision's ``VGG``: ``features`` (conv, [BN,] ReLU; "M" max-pools), ``avgpool`` to
    7x7, then ``classifier``."""

    def __init__(self, configuration, batch_norm, num_classes):
        super().__init__()
        layers, inputs = [], 3
        for value in configuration:
            if value == "M":
                layers.append(nn.MaxPool2d(2, stride=2))
                continue
            layers.append(nn.Conv2d(inputs, value, 3, padding=1))
            layers += [nn.BatchNorm2d(value), nn.ReLU()] if batch_norm else [nn.ReLU()]
            inputs = value
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
            nn.Linear(4096, num_classes),
        )  # fmt: skip

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def _randomised(module, size=None, seed=0):
    """``module`` in eval mode with every floating tensor drawn at random: He-scaled kernels,
    BN scales in [0.5, 1.5], biases around 0, BN running means around 0 and variances in
    [0.5, 1.5]; or, given an input ``size``, the BN statistics of a random batch of that size
    (another than the tests'), which keeps activations near 1 through 150 layers."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for key, tensor in module.state_dict(keep_vars=True).items():
            if not tensor.is_floating_point():
                tensor.zero_()  # num_batches_tracked
            elif tensor.ndim > 1:
                tensor.normal_(0.0, (2.0 / tensor[0].numel()) ** 0.5, generator=generator)
            elif key.endswith(("running_var", "weight")):
                tensor.uniform_(0.5, 1.5, generator=generator)
            else:  # running_mean, bias
                tensor.normal_(0.0, 0.1, generator=generator)
        for block in module.modules():
            if hasattr(block, "downsample"):
                # A residual block: its branch small, as in trained ResNets (Goyal et al. 2017
                # start these scales at 0), so that float32 sums over 36 blocks stay accurate.
                getattr(block, "bn3", block.bn2).weight.mul_(0.1)
        norms = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
        if size is not None and norms:
            for norm in norms:
                norm.momentum = None  # a cumulative average: after one batch, its statistics
            module.train()(torch.randn(4, 3, size, size, generator=generator))
            for norm in norms:
                norm.momentum = 0.1
    return module.eval()


def _reference(network, *args, size):
    """``network(*args)`` built without torch's initialisation (on the meta device, then given
    memory: `_randomised` draws every tensor anyway), randomised for inputs of ``size``."""
    with torch.device("meta"):
        module = network(*args)
    return _randomised(module.to_empty(device="cpu"), size)


def _resnet(name, num_classes=10, size=64):
    block, repeats = RESNETS[name]
    block = BasicBlock if block == "basic" else Bottleneck
    return _reference(ResNet, block, repeats, num_classes, size=size)


def _vgg(name, batch_norm=False, num_classes=10, size=32):
    return _reference(VGG, VGGS[name], batch_norm, num_classes, size=size)


def _batch(size, seed=1):
    """A random NHWC batch for Keras and the same batch NCHW for torch."""
    x = np.random.default_rng(seed).standard_normal((BATCH, size, size, 3)).astype("float32")
    return x, torch.from_numpy(x.transpose(0, 3, 1, 2).copy())


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _nhwc(tensor):
    return tensor.detach().numpy().transpose(0, 2, 3, 1)


def _difference(ours, theirs):
    difference = float(np.max(np.abs(ours - theirs)))
    assert ours.shape == theirs.shape
    assert difference <= TOLERANCE, (
        f"max abs difference {difference:.2e} (scale {np.abs(theirs).max():.2f})"
    )
    return difference


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[] if name in ("resnet18", "resnet50") else [JAX_SKIP])
        for name in RESNETS
    ],
)
def test_resnet_without_top_gives_torchvisions_features(name):
    reference = _resnet(name)
    model = from_torchvision(
        name, reference.state_dict(), include_top=False, input_shape=(64, 64, 3), pooling="avg"
    )
    assert "predictions" not in [layer.name for layer in model.layers]
    with_map = keras.Model(model.input, [model.get_layer("avg_pool").input, model.output])
    x, x_torch = _batch(64)
    feature_map, pooled = (_numpy(t) for t in with_map(x, training=False))
    with torch.no_grad():
        their_map = reference.feature_map(x_torch)
        their_pooled = torch.flatten(reference.avgpool(their_map), 1).numpy()
    _difference(feature_map, _nhwc(their_map))
    _difference(pooled, their_pooled)


def test_resnet18_with_top_gives_torchvisions_logits():
    reference = _resnet("resnet18", num_classes=10)
    model = from_torchvision(
        "resnet18", reference.state_dict(), input_shape=(64, 64, 3), classifier_activation=None
    )
    assert model.output.shape == (None, 10)  # the classes of fc.weight
    x, x_torch = _batch(64)
    with torch.no_grad():
        _difference(_numpy(model(x, training=False)), reference(x_torch).numpy())


@pytest.mark.parametrize(
    ("name", "batch_norm"),
    [
        pytest.param("vgg_a", False, id="vgg11"),
        pytest.param("vgg_a", True, marks=JAX_SKIP, id="vgg11_bn"),
        pytest.param("vgg_b", False, marks=JAX_SKIP, id="vgg13"),
        pytest.param("vgg_d", False, marks=JAX_SKIP, id="vgg16"),
        pytest.param("vgg_e", False, marks=JAX_SKIP, id="vgg19"),
    ],
)
def test_vgg_without_top_gives_torchvisions_features(name, batch_norm):
    reference = _vgg(name, batch_norm)
    state_dict = {key: tensor.numpy() for key, tensor in reference.state_dict().items()}
    model = from_torchvision(name, state_dict, include_top=False, input_shape=(32, 32, 3))
    x, x_torch = _batch(32)
    with torch.no_grad():
        _difference(_numpy(model(x, training=False)), _nhwc(reference.features(x_torch)))
    # The layout: kernels HWIO; BN as gamma, beta, moving mean and variance, the VGG-BN
    # convolution's bias (the zoo's has none) subtracted from the mean.
    conv = model.get_layer("block1_conv1")
    np.testing.assert_array_equal(
        _numpy(conv.kernel), state_dict["features.0.weight"].transpose(2, 3, 1, 0)
    )
    assert conv.use_bias is not batch_norm
    if batch_norm:
        gamma, beta, mean, variance = model.get_layer("block1_conv1_bn").get_weights()
        np.testing.assert_array_equal(gamma, state_dict["features.1.weight"])
        np.testing.assert_array_equal(beta, state_dict["features.1.bias"])
        np.testing.assert_array_equal(variance, state_dict["features.1.running_var"])
        folded = state_dict["features.1.running_mean"] - state_dict["features.0.bias"]
        np.testing.assert_allclose(mean, folded, rtol=0, atol=1e-7)


def test_vgg_a_with_top_at_224_gives_torchvisions_logits():
    # 224x224 brings the maps to 7x7, where torchvision's adaptive pool is the identity and the
    # flatten order (torch: C, H, W; Keras: H, W, C) is all that differs before classifier.0.
    reference = _vgg("vgg_a", num_classes=10, size=224)
    state_dict = reference.state_dict()
    model = from_torchvision("vgg11", state_dict, classifier_activation=None)
    assert model.output.shape == (None, 10)  # the classes of classifier.6.weight
    x, x_torch = _batch(224)
    with torch.no_grad():
        _difference(_numpy(model(x, training=False)), reference(x_torch).numpy())
    # Row (h, w, c) of fc1's kernel is column c * 49 + h * 7 + w of classifier.0.weight.
    h, w, c = 3, 5, 100
    np.testing.assert_array_equal(
        _numpy(model.get_layer("fc1").kernel[(h * 7 + w) * 512 + c]),
        state_dict["classifier.0.weight"][:, c * 49 + h * 7 + w].numpy(),
    )


def test_a_state_dict_of_another_depth_is_refused_by_key():
    resnet18, resnet34 = (
        _resnet(name, size=None).state_dict() for name in ("resnet18", "resnet34")
    )
    with pytest.raises(ValueError, match=r"'layer1\.0\.conv1\.weight' of shape \(64, 64, 3, 3\)"):
        arrays_from_torchvision("resnet50", resnet34)
    with pytest.raises(
        ValueError, match=r"given for 'resnet34' .* has no 'layer1\.2\.conv1\.weight'"
    ):
        arrays_from_torchvision("resnet34", resnet18)
    with pytest.raises(ValueError, match=r"holds 'layer1\.2\.conv1\.weight', which 'resnet18'"):
        arrays_from_torchvision("resnet18", resnet34)
    with pytest.raises(ValueError, match=r"'features\.0\.weight' of shape \(64, 1, 3, 3\)"):
        arrays_from_torchvision("vgg11", {"features.0.weight": np.zeros((64, 1, 3, 3))})
    with pytest.raises(ValueError, match="'vgg_c' has no torchvision twin"):
        arrays_from_torchvision("vgg_c", {})


def test_without_the_top_the_head_is_left_out_and_may_be_absent():
    state_dict = _vgg("vgg_a", size=None).state_dict()
    arrays = arrays_from_torchvision("vgg_a", state_dict, include_top=False)
    assert not {"fc1", "fc2", "predictions"} & set(arrays)
    headless = {k: v for k, v in state_dict.items() if not k.startswith("classifier.")}
    assert arrays_from_torchvision("vgg_a", headless, include_top=False).keys() == arrays.keys()
    with pytest.raises(ValueError, match=r"has no 'classifier\.0\.weight'"):
        arrays_from_torchvision("vgg_a", headless)


def test_from_torchvision_checks_num_classes_and_batch_norm():
    with pytest.raises(ValueError, match="classifier has 10 classes: leave num_classes out"):
        from_torchvision("resnet18", _resnet("resnet18", size=None).state_dict(), num_classes=1000)
    with pytest.raises(ValueError, match=r"batch_norm=True does not fit .* torchvision's vgg11:"):
        from_torchvision(
            "vgg_a", _vgg("vgg_a", size=None).state_dict(), include_top=False, batch_norm=True
        )


def test_read_pth_round_trips_a_saved_state_dict(tmp_path):
    module = _randomised(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)))
    path = tmp_path / "small.pth"
    torch.save(module.state_dict(), path)
    read = read_pth(path)
    assert read.keys() == module.state_dict().keys()
    for key, tensor in module.state_dict().items():
        assert isinstance(read[key], np.ndarray)
        np.testing.assert_array_equal(read[key], tensor.numpy())


def test_read_pth_refuses_what_torch_cannot_read(tmp_path, monkeypatch):
    path = tmp_path / "not_a_state_dict.pth"
    path.write_bytes(b"these are not tensors")
    with pytest.raises(ValueError, match=r"not_a_state_dict\.pth"):
        read_pth(path)
    torch.save(torch.zeros(3), path)
    with pytest.raises(ValueError, match="holds a Tensor, not a state_dict"):
        read_pth(path)
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ImportError, match=r"pip install 'keras-lecture-zoo\[torchvision\]'"):
        read_pth(path)


def test_sources_name_torchvisions_builders():
    assert (
        _torchvision.SOURCES["vgg_d"] == "vgg16" and _torchvision.SOURCES["resnet50"] == "resnet50"
    )
    assert _torchvision.BATCH_NORM_SOURCES["vgg_e"] == "vgg19_bn"


def _torchvision_models():
    try:
        import torchvision
    except Exception as error:  # a build for another torch raises RuntimeError at import
        pytest.skip(f"torchvision does not import here: {type(error).__name__}: {error}")
    return torchvision.models


@pytest.mark.parametrize(("name", "builder"), [("resnet18", "resnet18"), ("vgg_a", "vgg11")])
def test_matches_torchvision_itself(name, builder):
    size = 64 if name.startswith("resnet") else 32
    theirs = _randomised(getattr(_torchvision_models(), builder)(weights=None), size)
    resnet = name.startswith("resnet")
    ours = _resnet(name, 1000) if resnet else _vgg(name, num_classes=1000)
    # The references of this file have torchvision's keys and shapes.
    assert {k: v.shape for k, v in theirs.state_dict().items()} == {
        k: v.shape for k, v in ours.state_dict().items()
    }
    ours.load_state_dict(theirs.state_dict())
    model = from_torchvision(
        name, theirs.state_dict(), include_top=False, input_shape=(size, size, 3)
    )
    x, x_torch = _batch(size)
    with torch.no_grad():
        expected = ours.feature_map(x_torch) if resnet else theirs.features(x_torch)
        # ...and compute what torchvision computes.
        np.testing.assert_allclose(ours(x_torch).numpy(), theirs(x_torch).numpy(), atol=1e-5)
    _difference(_numpy(model(x, training=False)), _nhwc(expected))


def test_build_loads_a_torchvision_tag_from_keras_cache(tmp_path, monkeypatch):
    """``zoo.build("resnet18", weights="imagenet")``: the ``.pth`` pre-placed in Keras' cache
    (its SHA-256 prefix checked, as torch.hub checks it), read with ``weights_only``, converted,
    and with ``include_preprocessing`` the torchvision mean/std inside: raw 0-255 RGB in gives
    torchvision's logits on ``(x / 255 - mean) / std``."""
    reference = _resnet("resnet18", num_classes=1000)
    record = _table.resolve("resnet18", "imagenet", {}, {})
    path = tmp_path / "models" / record.file_name
    path.parent.mkdir()
    torch.save(reference.state_dict(), path)
    prefix = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    stand_in = dataclasses.replace(record, file_hash=f"sha256-prefix:{prefix}")
    monkeypatch.setitem(_table.by_model(), "resnet18", (stand_in,))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: pytest.fail("downloaded"))
    model = zoo.build(
        "resnet18",
        weights="imagenet",
        include_preprocessing=True,
        classifier_activation=None,
        input_shape=(64, 64, 3),
    )
    images = np.random.default_rng(2).uniform(0, 255, (BATCH, 64, 64, 3)).astype("float32")
    scaled = record.preprocessing.apply(images).astype("float32")
    with torch.no_grad():
        theirs = reference(torch.from_numpy(scaled.transpose(0, 3, 1, 2).copy())).numpy()
    _difference(_numpy(model(images, training=False)), theirs)
