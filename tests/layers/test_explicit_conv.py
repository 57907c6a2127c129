"""ExplicitConv2D: the hand-written conv backward vs Conv2D, autodiff, finite differences and the
lecture notes' conv2 example."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.helpers.layer_checks import BACKEND, check_layer, random_inputs, to_numpy
from tests.layers.test_explicit_dense import float64_enabled, input_and_weight_gradients
from zoo.layers import ExplicitConv2D, ExplicitMaxPooling2D, gradcheck

# (kernel_size, strides, padding, activation, use_bias): kernels 3x3 and 2x3, strides 1 and 2
# (and a mixed one), valid and same, on inputs of shape (2, 5, 6, 3).
# The first two run on every backend; the other two only under TensorFlow (JAX's eager mode
# compiles every new op shape, which makes each configuration cost seconds there).
HEAVY = pytest.mark.backend_heavy("the same code paths as the first two configurations")
CONFIGS = [
    ((2, 3), 2, "same", "sigmoid", True),
    (3, 2, "valid", "relu", False),
    pytest.param((3, 1, "valid", None, True), marks=HEAVY, id="3-1-valid-None-True"),
    pytest.param(
        ((2, 3), (1, 2), "same", "softmax", True), marks=HEAVY, id="(2, 3)-(1, 2)-same-softmax-True"
    ),
]
INPUT_SHAPE = (2, 5, 6, 3)
FILTERS = 4


def gradients(layer, x, upstream):
    """d sum(layer(x) * upstream) / d(x, *trainable weights) by the backend's autodiff, which
    runs the custom gradient; jitted under JAX, whose eager mode compiles every op anew."""
    if BACKEND != "jax":
        return input_and_weight_gradients(layer, x, upstream)
    import jax
    import jax.numpy as jnp

    def loss_fn(inputs, weights):
        outputs, _ = layer.stateless_call(weights, [], inputs)
        return jnp.sum(outputs * upstream)

    weights = [v.value for v in layer.trainable_variables]
    gx, gw = jax.jit(jax.grad(loss_fn, argnums=(0, 1)))(jnp.asarray(x), weights)
    return [np.asarray(gx), *(np.asarray(g) for g in gw)]


def _pair(kernel_size, strides, padding, activation, use_bias, *, dtype=None, seed=0):
    """ExplicitConv2D and keras Conv2D with the same random weights (uniform in [-0.5, 0.5])."""
    kwargs = dict(
        strides=strides,
        padding=padding,
        activation=activation,
        use_bias=use_bias,
        dtype=dtype,
        kernel_initializer="zeros",  # set below; JAX compiles random initializers per shape
    )
    ours = ExplicitConv2D(FILTERS, kernel_size, **kwargs)
    reference = keras.layers.Conv2D(FILTERS, kernel_size, **kwargs)
    ours.build(INPUT_SHAPE)
    reference.build(INPUT_SHAPE)
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.5, 0.5, tuple(w.shape)) for w in reference.weights]
    ours.set_weights(weights)
    reference.set_weights(weights)
    return ours, reference


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(map(str, c)))
def test_matches_conv2d_autodiff_and_central_differences(config):
    # float32: the outputs equal Conv2D's with the same weights.
    ours, reference = _pair(*config)
    x = random_inputs(INPUT_SHAPE, seed=1)
    out = to_numpy(ours(x))
    assert out.shape == tuple(ours.compute_output_shape(INPUT_SHAPE))
    np.testing.assert_allclose(out, to_numpy(reference(x)), rtol=1e-6, atol=1e-6)

    # float64: the custom gradient (the hand-written backward) and the public backward equal
    # the backend's autodiff of Conv2D to 1e-10.
    with float64_enabled():
        ours64, reference64 = _pair(*config, dtype="float64")
        x64 = x.astype(np.float64)
        upstream = random_inputs(out.shape, seed=2).astype(np.float64)
        want = gradients(reference64, x64, upstream)
        got = gradients(ours64, x64, upstream)
        public = [g for g in ours64.backward(x64, upstream) if g is not None]
        for name, g, p, w in zip(("dx", "dkernel", "dbias"), got, public, want, strict=False):
            assert g.dtype == w.dtype == np.float64, name
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=name)
            np.testing.assert_allclose(to_numpy(p), w, rtol=1e-10, atol=1e-12, err_msg=name)

    # Central differences in float64.
    result = gradcheck(ours, x)
    assert len(result.weights) == (2 if config[-1] else 1)
    assert result.passed(1e-6), str(result)


def _conv_reference(x, kernel, strides, pads):
    """Seed 000 section 4.4 with loops: dW = sum over positions of delta * input patch, and dx
    the scatter-add of delta W back onto every patch (x: (rows, cols, C), one image)."""
    xp = np.pad(x, (pads[0], pads[1], (0, 0)))
    kh, kw = kernel.shape[:2]
    (sh, sw), rows, cols = strides, xp.shape[0], xp.shape[1]
    out = np.zeros(((rows - kh) // sh + 1, (cols - kw) // sw + 1, kernel.shape[-1]))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.einsum(
                "klc,klcf->f", xp[i * sh : i * sh + kh, j * sw : j * sw + kw], kernel
            )
    return xp, out


def test_backward_is_the_lecture_sum_over_positions():
    with float64_enabled():
        _sum_over_positions()


def _sum_over_positions():
    ours = ExplicitConv2D(2, (2, 3), strides=2, padding="same", use_bias=False)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 5, 6, 3))
    kernel = rng.standard_normal((2, 3, 3, 2))
    ours.build(x.shape)
    pads = ((0, 1), (0, 1))  # Keras: rows ceil(5/2)=3, total (3-1)*2+2-5 = 1; cols (3-1)*2+3-6 = 1
    xp, out = _conv_reference(x[0], kernel, (2, 2), pads)
    forward = to_numpy(ours.forward(x, kernel=kernel))
    np.testing.assert_allclose(forward[0], out, rtol=1e-12, atol=1e-12)
    delta = rng.standard_normal(out.shape)
    dw, dxp = np.zeros_like(kernel), np.zeros_like(xp)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            patch = xp[2 * i : 2 * i + 2, 2 * j : 2 * j + 3]
            dw += np.einsum("klc,f->klcf", patch, delta[i, j])
            dxp[2 * i : 2 * i + 2, 2 * j : 2 * j + 3] += np.einsum(
                "klcf,f->klc", kernel, delta[i, j]
            )
    dx, dkernel, dbias = ours.backward(x, delta[None], kernel=kernel)
    assert dbias is None
    np.testing.assert_allclose(to_numpy(dkernel), dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(dx)[0], dxp[:5, :6], rtol=1e-12, atol=1e-12)

    # The same dx as seed 000's "dl/dh = sum_k C * W": the full correlation of delta, dilated
    # by the stride and zero padded by k - 1, with the kernel rotated by 180 degrees.
    dilated = np.zeros((2 * out.shape[0] - 1, 2 * out.shape[1] - 1, 2))
    dilated[::2, ::2] = delta
    padded = np.pad(dilated, ((1, 1), (2, 2), (0, 0)))
    rotated = kernel[::-1, ::-1]
    full = np.array(
        [
            [
                np.einsum("klf,klcf->c", padded[r : r + 2, c : c + 3], rotated)
                for c in range(padded.shape[1] - 2)
            ]
            for r in range(padded.shape[0] - 1)
        ]
    )
    assert full.shape[:2] == xp.shape[:2]  # here every padded position is reached
    np.testing.assert_allclose(to_numpy(dx)[0], full[:5, :6], rtol=1e-12, atol=1e-12)


# Seed 001 ("Matlab example" / "Python example"): A (4x4), B (3x3) and conv2's results.
A = np.array([[0, 0, 1, 2], [2, 2, 0, 0], [2, 1, 2, 2], [3, 0, 1, 1]], np.float64)
B = np.array([[0, 0, -1], [1, -1, 1], [-1, 1, 1]], np.float64)
CONV2_FULL = np.array(
    [
        [0, 0, 0, 0, -1, -2],
        [0, 0, -1, -1, -1, 2],
        [2, 0, -3, 0, 1, 0],
        [0, -1, 4, 3, -1, 1],
        [1, -2, 5, 1, 4, 3],
        [-3, 3, 2, 0, 2, 1],
    ]
)
CONV2_VALID = np.array([[-3, 0], [4, 3]])
CONV2_SAME = np.array([[0, -1, -1, -1], [0, -3, 0, 1], [-1, 4, 3, -1], [-2, 5, 1, 4]])


def _single_filter(kernel, padding):
    """image (rows, cols) -> ExplicitConv2D's output with one filter ``kernel``, no bias."""
    layer = ExplicitConv2D(1, kernel.shape, padding=padding, use_bias=False)
    layer.build((None, 8, 8, 1))

    def apply(image):
        out = layer.forward(image[None, :, :, None], kernel=kernel[:, :, None, None])
        return to_numpy(out)[0, :, :, 0]

    return apply


def test_seed_001_conv2_example():
    """Seed 001's conv2(A, B, 'full' | 'valid' | 'same'): every printed number is right.

    Keras convolutions are cross-correlations, so the notes' convolution is ExplicitConv2D with
    the kernel rotated by 180 degrees (``rot90`` twice, as the notes say); 'full' is 'valid' on A
    zero padded by k - 1 = 2 on every side; Matlab's 'same' (the central part of 'full') is
    Keras' 'same' padding for this odd 3x3 kernel. Without the rotation the layer computes the
    notes' "similarity" (cross-correlation) instead.

    One slip in the notes: the formula h[m, n] = sum_{k1, k2} f[m - k1, n - k2] g[k1, k2], with
    indices from 1, is conv2's full result shifted by one: it gives C(m - 1, n - 1) (e.g. the
    notes' h[4, 4] = f33 g11 + f32 g12 + ... is C(3, 3)); conv2 is
    h[m, n] = sum f[m - k1 + 1, n - k2 + 1] g[k1, k2].
    """
    rotated = np.rot90(B, 2)
    valid = _single_filter(rotated, "valid")
    np.testing.assert_array_equal(valid(A), CONV2_VALID)
    np.testing.assert_array_equal(valid(np.pad(A, 2)), CONV2_FULL)
    np.testing.assert_array_equal(_single_filter(rotated, "same")(A), CONV2_SAME)
    # Keras' own Conv2D agrees (it is a cross-correlation too).
    conv = keras.layers.Conv2D(1, 3, use_bias=False)
    conv.build((None, 4, 4, 1))
    conv.set_weights([rotated[:, :, None, None]])
    np.testing.assert_allclose(
        to_numpy(conv(A[None, :, :, None].astype("float32")))[0, :, :, 0], CONV2_VALID, atol=1e-6
    )

    # Without the rotation: the cross-correlation sum_{k, l} A[i + k, j + l] B[k, l].
    correlation = np.array(
        [[np.sum(A[i : i + 3, j : j + 3] * B) for j in range(2)] for i in range(2)]
    )
    np.testing.assert_array_equal(_single_filter(B, "valid")(A), correlation)
    assert not np.array_equal(correlation, CONV2_VALID)

    # The notes' formula (1-based) is the full result shifted by one index.
    def notes_formula(m, n):
        return sum(
            A[m - k1 - 1, n - k2 - 1] * B[k1 - 1, k2 - 1]
            for k1 in range(1, 4)
            for k2 in range(1, 4)
            if 1 <= m - k1 <= 4 and 1 <= n - k2 <= 4
        )

    assert notes_formula(4, 4) == CONV2_FULL[2, 2]  # C(3, 3), 1-based
    assert all(
        notes_formula(m, n) == CONV2_FULL[m - 2, n - 2] for m in range(2, 8) for n in range(2, 8)
    )


def test_mixed_precision_gradients_follow_float32():
    ours32, _ = _pair(3, 2, "same", "sigmoid", True, seed=9)
    x = random_inputs(INPUT_SHAPE, seed=10)
    upstream = random_inputs(ours32.compute_output_shape(INPUT_SHAPE), seed=11)
    want = gradients(ours32, x, upstream)
    keras.config.set_dtype_policy("mixed_float16")
    ours16 = ExplicitConv2D(FILTERS, 3, strides=2, padding="same", activation="sigmoid")
    ours16.build(INPUT_SHAPE)
    ours16.set_weights(ours32.get_weights())
    assert ours16.compute_dtype == "float16" and ours16.kernel.dtype == "float32"
    got = gradients(ours16, x.astype("float16"), upstream.astype("float16"))
    for g, w in zip(got, want, strict=True):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g.astype(np.float32), w, rtol=3e-2, atol=3e-2)


def _images(seed=0, count=96):
    """8x8 one-channel noise images; label 1: the left half is brighter by 1, 0: the right."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    x = rng.standard_normal((count, 8, 8, 1))
    x[:, :, :4] += (labels - 0.5)[:, None, None, None]
    x[:, :, 4:] -= (labels - 0.5)[:, None, None, None]
    x = x.astype("float32")
    return x, np.eye(2, dtype="float32")[labels]


def _cnn():
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            ExplicitConv2D(4, 3, padding="same", activation="relu"),
            ExplicitMaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def test_fit_reduces_the_loss():
    keras.utils.set_random_seed(0)
    x, y = _images()
    model = _cnn()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy")
    before = float(np.mean(to_numpy(keras.losses.categorical_crossentropy(y, model(x)))))
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    after = history.history["loss"][-1]
    assert np.isfinite(after) and after < 0.8 * before, (before, after)


def test_custom_gradient_is_the_hand_written_backward(monkeypatch):
    """Doubling what `backward` returns doubles the gradients autodiff reports; zeroing it
    freezes the conv layer in `fit`."""
    ours, _ = _pair(3, 2, "same", "elu", True, seed=6)
    x = random_inputs(INPUT_SHAPE, seed=7)
    upstream = random_inputs(ours.compute_output_shape(INPUT_SHAPE), seed=8)
    plain = gradients(ours, x, upstream)
    original = ExplicitConv2D.backward
    calls = []

    def doubled(self, *args, **kwargs):
        calls.append(1)
        return tuple(None if g is None else 2.0 * g for g in original(self, *args, **kwargs))

    monkeypatch.setattr(ExplicitConv2D, "backward", doubled)
    patched = gradients(ours, x, upstream)
    assert calls, "the custom gradient never called backward"
    for p, g in zip(patched, plain, strict=True):
        np.testing.assert_allclose(p, 2.0 * g, rtol=1e-6, atol=1e-7)

    def zero(self, *args, **kwargs):
        return tuple(None if g is None else 0.0 * g for g in original(self, *args, **kwargs))

    monkeypatch.setattr(ExplicitConv2D, "backward", zero)
    keras.utils.set_random_seed(1)
    data, labels = _images(1, count=32)
    model = _cnn()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="categorical_crossentropy")
    conv = model.layers[0]
    before = [w.copy() for w in conv.get_weights()]
    model.fit(data, labels, epochs=1, batch_size=32, verbose=0)
    for b, a in zip(before, conv.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_output_shapes_match_conv2d(padding):
    for size in ((None, 5, 6, 3), (None, None, 7, 3), (4, 9, 4, 2)):
        for kernel, strides in ((3, 1), ((2, 3), 2), (1, 3), ((3, 2), (2, 3))):
            ours = ExplicitConv2D(5, kernel, strides=strides, padding=padding)
            reference = keras.layers.Conv2D(5, kernel, strides=strides, padding=padding)
            assert ours.compute_output_shape(size) == reference.compute_output_shape(size)


def test_harness(tmp_path):
    check_layer(
        lambda: ExplicitConv2D(3, (2, 3), strides=2, padding="same", activation="tanh"),
        (2, 5, 6, 3),
        tmp_path,
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_config_round_trip():
    layer = ExplicitConv2D(
        2, (2, 3), strides=(1, 2), padding="SAME", activation=keras.activations.relu, name="c"
    )
    config = layer.get_config()
    assert config["kernel_size"] == (2, 3) and config["strides"] == (1, 2)
    assert config["padding"] == "same" and config["activation"] == "relu"
    assert ExplicitConv2D.from_config(config).get_config() == config
    assert keras.saving.get_registered_name(ExplicitConv2D) == "lecture_zoo>ExplicitConv2D"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"filters": 0}, "filters"),
        ({"filters": 2.5}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": (3,)}, "kernel_size"),
        ({"kernel_size": (3, True)}, "kernel_size"),
        ({"strides": 0}, "strides"),
        ({"strides": (1, 2, 3)}, "strides"),
        ({"padding": "full"}, "padding"),
        ({"padding": None}, "padding"),
        ({"activation": "gelu"}, "activation"),
        ({"use_bias": 1}, "use_bias"),
        ({"kernel_initializer": "nope"}, "kernel_initializer"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExplicitConv2D(**{"filters": 2, "kernel_size": 3, **kwargs})


def test_inputs_it_cannot_take_raise_value_error():
    with pytest.raises(ValueError, match="spatial"):
        ExplicitConv2D(2, 3).build((None, None, 5, 3))
    with pytest.raises(ValueError, match="does not fit"):
        ExplicitConv2D(2, (3, 7)).build((None, 5, 6, 3))
    with pytest.raises(ValueError, match="channel"):
        ExplicitConv2D(2, 3).build((None, 5, 6, None))
