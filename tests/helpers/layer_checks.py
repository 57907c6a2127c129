"""The layer-test harness: every layer test in tests/layers/ runs `check_layer`.

`check_layer(factory, input_shape, tmp_path, *, expected_num_trainable_weights,
expected_num_non_trainable_weights, expected_num_seed_generators)` checks, for a layer made by
``factory()``:
- once built on the input, the layer holds exactly the stated numbers of trainable weights,
  non-trainable weights and seed generators (`keras.random.SeedGenerator`, counted recursively
  over the layer and its sublayers, e.g. one for `RReLU` or for an LSTM cell's dropout). The
  three counts are required keyword-only arguments, as Keras' own ``run_layer_test`` takes them,
  so every test states them; the gradient check below runs when a layer has trainable weights;
- a symbolic call (keras.Input) and an eager call give the shape `compute_output_shape` states;
- ``from_config(get_config())`` rebuilds the same config and, with the same weights, the same
  outputs;
- a model holding the layer survives a ``.keras`` save/load with identical outputs (safe mode);
- one training step gives finite, non-zero gradients for every trainable weight (when
  ``expected_num_trainable_weights > 0``);
- under ``mixed_float16`` and ``mixed_bfloat16`` the layer computes in the policy's dtype while its
  variables stay float32.

Gradients are taken with each backend's own autodiff (`gradients`), so the harness runs under
``KERAS_BACKEND=tensorflow``, ``jax`` and ``torch``.
"""

from __future__ import annotations

import keras
import numpy as np

BACKEND = keras.backend.backend()


def random_inputs(shape, *, seed: int = 0, dtype: str = "float32") -> np.ndarray:
    """Standard normal inputs of a fully known ``shape`` (batch included)."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def to_numpy(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def gradients(model: keras.Model, inputs, *, training: bool = True):
    """d(sum of squared outputs)/d(trainable weights) with the backend's own autodiff.

    Returns a list of numpy arrays, one per ``model.trainable_weights``.
    """
    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(tf.cast(model(inputs, training=training), "float32")))
        grads = tape.gradient(loss, model.trainable_weights)
        return [None if g is None else np.asarray(g) for g in grads]
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        def loss_fn(weights):
            outputs, _ = model.stateless_call(weights, non_trainable, inputs, training=training)
            return jnp.sum(jnp.square(outputs.astype("float32")))

        return [np.asarray(g) for g in jax.grad(loss_fn)(trainable)]
    if BACKEND == "torch":
        import torch

        for variable in model.trainable_weights:
            variable.value.grad = None
        loss = torch.sum(torch.square(model(inputs, training=training).float()))
        loss.backward()
        return [
            None if v.value.grad is None else v.value.grad.detach().cpu().numpy()
            for v in model.trainable_weights
        ]
    raise RuntimeError(f"No gradient helper for backend {BACKEND!r}.")


def _model_of(layer: keras.layers.Layer, input_shape, input_dtype: str) -> keras.Model:
    inputs = keras.Input(batch_shape=(None, *input_shape[1:]), dtype=input_dtype)
    return keras.Model(inputs, layer(inputs))


def _expected_shape(layer, input_shape) -> tuple:
    return tuple(layer.compute_output_shape(tuple(input_shape)))


def seed_generators(layer: keras.layers.Layer) -> list:
    """The distinct `keras.random.SeedGenerator`s of ``layer`` and all its sublayers.

    The same count as ``keras.src.testing.test_case.get_seed_generators`` (what
    ``run_layer_test(expected_num_seed_generators=...)`` checks).
    """
    found, seen = [], set()
    for sublayer in layer._flatten_layers(include_self=True, recursive=True):
        for generator in sublayer._seed_generators:
            if id(generator) not in seen:
                seen.add(id(generator))
                found.append(generator)
    return found


def check_weight_counts(
    factory,
    input_shape,
    *,
    expected_num_trainable_weights: int,
    expected_num_non_trainable_weights: int,
    expected_num_seed_generators: int,
    input_dtype: str = "float32",
) -> None:
    """Built by an eager call on ``input_shape``, the layer holds exactly the stated numbers of
    trainable weights, non-trainable weights and seed generators."""
    layer = factory()
    layer(random_inputs(input_shape, dtype=input_dtype))
    assert layer.built, f"{layer.name} is not built after a call"
    for what, actual, expected in (
        ("trainable_weights", layer.trainable_weights, expected_num_trainable_weights),
        ("non_trainable_weights", layer.non_trainable_weights, expected_num_non_trainable_weights),
        ("seed generators", seed_generators(layer), expected_num_seed_generators),
    ):
        assert len(actual) == expected, (
            f"{layer.__class__.__name__} has {len(actual)} {what}, expected {expected}: "
            f"{[getattr(v, 'path', type(v).__name__) for v in actual]}"
        )


def check_shapes(factory, input_shape, *, input_dtype="float32") -> None:
    """Symbolic (batch None) and eager calls agree with ``compute_output_shape``."""
    layer = factory()
    symbolic_in = keras.Input(batch_shape=(None, *input_shape[1:]), dtype=input_dtype)
    symbolic_out = layer(symbolic_in)
    expected = _expected_shape(layer, (None, *input_shape[1:]))
    assert tuple(symbolic_out.shape) == expected, (symbolic_out.shape, expected)
    eager = factory()
    outputs = eager(random_inputs(input_shape, dtype=input_dtype))
    assert tuple(outputs.shape) == _expected_shape(eager, tuple(input_shape))


def check_config_round_trip(factory, input_shape, *, input_dtype="float32") -> None:
    layer = factory()
    x = random_inputs(input_shape, dtype=input_dtype)
    expected = to_numpy(layer(x, training=False))
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(clone(x, training=False)), expected, rtol=1e-6, atol=1e-6)


def check_saving(factory, input_shape, tmp_path, *, input_dtype="float32") -> None:
    """A model holding the layer round-trips through ``.keras`` (safe mode) identically."""
    model = _model_of(factory(), input_shape, input_dtype)
    x = random_inputs(input_shape, dtype=input_dtype)
    expected = to_numpy(model(x, training=False))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(to_numpy(loaded(x, training=False)), expected, rtol=1e-6, atol=1e-6)
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]


def check_training_step(factory, input_shape, *, input_dtype="float32") -> None:
    """Every trainable weight gets a finite, non-zero gradient from one step."""
    model = _model_of(factory(), input_shape, input_dtype)
    grads = gradients(model, random_inputs(input_shape, dtype=input_dtype))
    for weight, grad in zip(model.trainable_weights, grads, strict=True):
        assert grad is not None, f"no gradient for {weight.path}"
        assert np.all(np.isfinite(grad)), f"non-finite gradient for {weight.path}"
        assert np.any(grad != 0), f"zero gradient for {weight.path}"


def check_mixed_precision(factory, input_shape, *, input_dtype="float32") -> None:
    """Under mixed policies: compute in float16/bfloat16, variables in float32."""
    for policy, compute in (("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")):
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(policy)
        try:
            layer = factory()
            outputs = layer(random_inputs(input_shape, dtype=input_dtype))
        finally:
            keras.config.set_dtype_policy(previous)
        assert layer.compute_dtype == compute
        assert all(v.dtype == "float32" for v in layer.weights), [v.dtype for v in layer.weights]
        assert keras.backend.standardize_dtype(outputs.dtype) == compute


def check_layer(
    factory,
    input_shape,
    tmp_path,
    *,
    expected_num_trainable_weights: int,
    expected_num_non_trainable_weights: int,
    expected_num_seed_generators: int,
    input_dtype: str = "float32",
    mixed_precision: bool = True,
) -> None:
    """Run every harness check for the layer ``factory()`` on inputs of ``input_shape``.

    Args:
        factory: zero-argument callable returning a fresh, unbuilt layer.
        input_shape: a fully known input shape, batch first.
        tmp_path: pytest's ``tmp_path`` (for the ``.keras`` file).
        expected_num_trainable_weights: ``len(layer.trainable_weights)`` once built; when it is
            positive, one training step must give every trainable weight a finite, non-zero
            gradient.
        expected_num_non_trainable_weights: ``len(layer.non_trainable_weights)`` once built.
        expected_num_seed_generators: seed generators of the layer and its sublayers.
        input_dtype: dtype of the inputs.
        mixed_precision: check the dtype behaviour under the mixed policies.
    """
    check_weight_counts(
        factory,
        input_shape,
        expected_num_trainable_weights=expected_num_trainable_weights,
        expected_num_non_trainable_weights=expected_num_non_trainable_weights,
        expected_num_seed_generators=expected_num_seed_generators,
        input_dtype=input_dtype,
    )
    check_shapes(factory, input_shape, input_dtype=input_dtype)
    check_config_round_trip(factory, input_shape, input_dtype=input_dtype)
    check_saving(factory, input_shape, tmp_path, input_dtype=input_dtype)
    if expected_num_trainable_weights > 0:
        check_training_step(factory, input_shape, input_dtype=input_dtype)
    if mixed_precision:
        check_mixed_precision(factory, input_shape, input_dtype=input_dtype)
