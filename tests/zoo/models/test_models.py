"""Every registered model, parametrized over the registry so new models are covered as they land.

Each builds at its default input (checked without running it) and, at a small input, runs a
forward pass with the output shape its task implies.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_readme_row
from tests.helpers.small_models import SAME_LAYERS_AS, small_model


def _small_input_shape(info) -> tuple:
    """The smallest input the architecture accepts (its default where it has no minimum)."""
    if info.min_input_size is None:
        return info.default_input_shape
    size = info.min_input_size
    return (size, size, *info.default_input_shape[2:])


# Built elsewhere, once (about 40 s per build and 80 s per forward pass on 2 cores): its count,
# output, recorded card and README row (check_readme_row) in tests/zoo/models/test_resnet.py.
BUILT_ELSEWHERE = {"resnet1202"}
IMAGE_MODELS = [n for n in zoo.list_models(task="image_classification") if n not in BUILT_ELSEWHERE]


def _backend_cases(names):
    """Every name; the deeper family members stand behind their representative elsewhere."""
    heavy = pytest.mark.backend_heavy("same builder and layer types as a model run here")
    return [pytest.param(n, marks=heavy) if n in SAME_LAYERS_AS else n for n in names]


@pytest.mark.backend_heavy(
    "counts and shapes do not depend on the backend; a default build under JAX initialises "
    "every weight eagerly (43 s for googlenet on 2 cores)"
)
@pytest.mark.parametrize("name", [n for n in zoo.list_models() if n not in BUILT_ELSEWHERE])
def test_builds_at_default_input(name):
    info = zoo.info(name)
    model = zoo.build(name)
    assert model.count_params() == info.num_params
    check_readme_row(name, model)  # the recorded card, its counts (zoo.summary) and README row
    assert tuple(model.inputs[0].shape[1:]) == info.default_input_shape
    if info.task == "image_classification":
        assert tuple(model.outputs[0].shape) == (None, info.default_num_classes)


@pytest.mark.parametrize(
    "name",
    _backend_cases(IMAGE_MODELS),
)
def test_runs_at_a_small_input_with_few_classes(name):
    info = zoo.info(name)
    shape = _small_input_shape(info)
    model = zoo.build(name, input_shape=shape, num_classes=3)
    assert tuple(keras.tree.flatten(model.outputs)[0].shape) == (None, 3)
    x = np.random.default_rng(0).random((2, *shape), dtype=np.float32)
    probabilities = np.asarray(model.predict(x, verbose=0))
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "name",
    _backend_cases(IMAGE_MODELS),
)
def test_logits_without_classifier_activation(name):
    shape = _small_input_shape(zoo.info(name))
    model = zoo.build(name, input_shape=shape, num_classes=4, classifier_activation=None)
    assert model.layers[-1].get_config()["activation"] == "linear"
    assert model.layers[-1].dtype_policy.name == "float32"


@pytest.mark.parametrize(
    "name", [n for n in zoo.list_models() if zoo.info(n).task != "image_classification"]
)
def test_other_tasks_run_at_a_small_configuration(name):
    model = small_model(name)
    rng = np.random.default_rng(0)
    inputs = [
        rng.integers(1, 8, (2, *t.shape[1:])).astype("int32")
        if "int" in str(t.dtype)
        else rng.random((2, *t.shape[1:]), dtype=np.float32)
        for t in model.inputs
    ]
    outputs = keras.tree.flatten(model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0))
    expected = keras.tree.flatten(model.outputs)
    assert [o.shape[1:] for o in outputs] == [tuple(e.shape[1:]) for e in expected]
    assert all(np.all(np.isfinite(o)) for o in outputs)
