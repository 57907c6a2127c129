"""Registry behaviour: names, aliases, patterns, filters, suggestions and argument checks, and
the recorded cards (``zoo/models/cards.json``: reading one builds nothing, imports no Keras)."""

from __future__ import annotations

import dataclasses
import pathlib
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

import zoo
from zoo.models import _registry as registry


def test_aliases_case_and_dashes_resolve_to_one_canonical_name():
    assert zoo.info("lenet").name == "lenet5"
    assert zoo.info("LeNet5").name == "lenet5"
    assert zoo.info("mnist-cnn").name == "mnist_cnn"
    assert zoo.info(" MLP ").name == "mlp"
    assert zoo.build("LENET", num_classes=3).name == "lenet5"


def test_list_models_sorted_canonical_with_patterns_and_filters():
    names = zoo.list_models()
    assert names == sorted(names)
    assert {"softmax_regression", "mlp", "lenet5", "mnist_cnn"} <= set(names)
    assert zoo.list_models("lenet*") == ["lenet5"]
    assert zoo.list_models("LeNet") == ["lenet5"]  # an alias matches, the canonical name returns
    assert zoo.list_models("mnist-*") == ["mnist_cnn"]
    assert zoo.list_models("no_such_*") == []
    assert zoo.list_models(family="mlp") == ["logistic_regression", "mlp", "softmax_regression"]
    image = zoo.list_models(task="image_classification")
    assert "lenet5" in image and all(zoo.info(n).task == "image_classification" for n in image)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [({"task": "regression"}, "task must be one of"), ({"family": "nope"}, "family must be")],
)
def test_list_models_rejects_unknown_filters(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.list_models(**kwargs)


@pytest.mark.parametrize(
    ("typo", "suggestion"), [("lenett", "'lenet"), ("mnist_cn", "'mnist_cnn'"), ("mpl", "'mlp'")]
)
def test_unknown_name_suggests_the_closest(typo, suggestion):
    with pytest.raises(
        ValueError, match=re.escape(f"Unknown model '{typo}'. Did you mean {suggestion}")
    ):
        zoo.build(typo)
    with pytest.raises(ValueError, match="Did you mean"):
        zoo.info(typo)


def test_unknown_name_without_close_match_lists_the_models():
    with pytest.raises(ValueError, match=r"Known models: .*lenet5"):
        zoo.info("qqqqqqqqqq")


@pytest.mark.parametrize("name", zoo.list_models())
def test_info_fields_are_filled(name):
    info = zoo.info(name)
    assert info.name == name and info.family and info.paper and info.description
    assert info.task in zoo.TASKS
    assert 1940 < info.year <= 2026
    assert all(isinstance(d, int) and d > 0 for d in info.default_input_shape)
    assert info.num_params > 0 and info.macs > 0
    # num_params and macs (recorded) are compared with a build's profile where each model is
    # built anyway: tests/helpers/model_checks.check_readme_row.
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "other"


@pytest.mark.parametrize(
    ("name", "kwargs", "phrase"),
    [
        (
            "mlp",
            {"hidden_units": [0]},
            r"hidden_units must be a list of positive integers, got \[0\]",
        ),
        ("mlp", {"hidden_units": 5}, "hidden_units must be a list"),
        ("mlp", {"dropout": 1.0}, r"dropout must be in \[0.0, 1.0\), got 1.0"),
        ("mlp", {"activation": "sigmoidd"}, "activation must be one of .*Keras activation name"),
        ("mlp", {"num_classes": 0}, "num_classes must be an integer >= 1, got 0"),
        ("mlp", {"num_classes": 2.5}, "num_classes must be an integer >= 1, got 2.5"),
        (
            "lenet5",
            {"input_shape": (15, 15, 1)},
            "too small for 'lenet5'.*minimum spatial size is 16x16",
        ),
        ("lenet5", {"input_shape": (32, 32)}, "input_shape must have 3 dimensions"),
        (
            "lenet5",
            {"input_shape": (32, -1, 1)},
            "input_shape must be a tuple of positive integers",
        ),
        ("lenet5", {"subsampling": "median"}, "subsampling must be one of 'avg', 'max'"),
        ("lenet5", {"pooling": "avg"}, "pooling='avg' applies only with include_top=False"),
        ("lenet5", {"include_top": False, "pooling": "mean"}, "pooling must be one of"),
        ("lenet5", {"classifier_activation": "softmaxx"}, "classifier_activation must be None"),
        ("lenet5", {"include_top": "no"}, "include_top must be True or False"),
        ("lenet5", {"hidden_units": [3]}, "Unknown argument 'hidden_units' for model 'lenet5'"),
        ("mnist_cnn", {"input_shape": (3, 3, 1)}, "minimum spatial size is 4x4"),
        ("softmax_regression", {"dropout": 0.5}, "its own arguments are: none"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(name, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build(name, **kwargs)


def test_minimum_input_size_is_exact_for_lenet5():
    model = zoo.build("lenet5", input_shape=(16, 16, 1))
    assert model.output.shape == (None, 10)


def test_name_sets_the_keras_model_name_and_num_classes_the_output():
    model = zoo.build("mlp", name="digits_net", num_classes=7, input_shape=(8, 8, 1))
    assert model.name == "digits_net"
    assert model.output.shape == (None, 7)


def test_include_preprocessing_rescales_raw_pixels_inside_the_model():
    plain = zoo.build("lenet5")
    scaled = zoo.build("lenet5", include_preprocessing=True)
    scaled.set_weights(plain.get_weights())
    pixels = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scaled(pixels)),
        keras.ops.convert_to_numpy(plain(pixels / 255.0)),
        rtol=1e-5,
        atol=1e-6,
    )
    assert scaled.get_layer("rescaling").scale == pytest.approx(1 / 255)


def test_weights_file_loads_into_the_same_configuration(tmp_path):
    source = zoo.build("mlp", hidden_units=[16], input_shape=(8, 8, 1))
    path = tmp_path / "mlp.weights.h5"
    source.save_weights(path)
    restored = zoo.build("mlp", hidden_units=[16], input_shape=(8, 8, 1), weights=path)
    for a, b in zip(source.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_weights_argument(tmp_path):
    with pytest.raises(ValueError, match=r"'mlp' has no ImageNet weights; its tags are: 'mnist'"):
        zoo.build("mlp", weights="imagenet")
    untagged = next(name for name in zoo.list_models() if not zoo.info(name).weights)
    with pytest.raises(ValueError, match=r"has no registered weights.*'\.weights\.h5' file"):
        zoo.build(untagged, weights="imagenet")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        zoo.build("mlp", weights=tmp_path / "missing.weights.h5")
    zoo.build("mlp", hidden_units=[16]).save_weights(tmp_path / "other.weights.h5")
    with pytest.raises(ValueError, match="does not fit model 'mlp' as configured"):
        zoo.build("mlp", hidden_units=[32], weights=tmp_path / "other.weights.h5")


def test_register_refuses_taken_and_malformed_names():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(
            "lenet",
            family="x",
            task="image_classification",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )
    with pytest.raises(ValueError, match="lower case with underscores"):
        registry.register(
            "Bad-Name",
            family="x",
            task="image_classification",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )
    with pytest.raises(ValueError, match="task must be one of"):
        registry.register(
            "fresh_name",
            family="x",
            task="detection",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )
    assert "fresh_name" not in zoo.list_models()
    with pytest.raises(ValueError, match=r"'vgg_16' is already registered for 'vgg_d' \(both read"):
        registry.register(
            "vgg_16",
            family="x",
            task="image_classification",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )
    with pytest.raises(ValueError, match="collide"):
        registry.register(
            "net_2",
            aliases=("net2",),
            family="x",
            task="image_classification",
            paper="p",
            year=2000,
            default_input_shape=(8, 8, 1),
        )


# ------------------------------------------------------------------ names as users type them


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("ResNet-18", "resnet18"),
        ("resnet_18", "resnet18"),
        ("VGG-16", "vgg_d"),
        ("vgg 16", "vgg_d"),
        ("Inception-v3", "inception_v3"),
        ("Inception_V3", "inception_v3"),
        ("Inception v1", "googlenet"),
        ("MobileNet-v1", "mobilenet"),
        ("VGG-11-LRN", "vgg_a_lrn"),
        ("vgg-a-lrn", "vgg_a_lrn"),
        ("LeNet-5", "lenet5"),
        ("ResNet--1202", "resnet1202"),
    ],
)
def test_names_as_users_type_them(typed, name):
    assert zoo.info(typed).name == name
    assert zoo.list_models(typed) == [name]


def test_build_takes_the_typed_name():
    assert zoo.build("LeNet-5", input_shape=(16, 16, 1), num_classes=2).name == "lenet5"


def _spellings(spelling: str) -> set[str]:
    """Ways a user types a registered name: any case, '-' or ' ' for '_', the separator
    between a letter and a digit dropped or added."""
    dropped = registry.lookup_key(spelling)
    added = re.sub(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", "_", dropped)
    forms = {spelling, dropped, added}
    forms |= {f.replace("_", "-") for f in forms} | {f.replace("_", " ") for f in forms}
    return forms | {f.upper() for f in forms} | {f.title() for f in forms}


def test_every_name_and_alias_resolves_under_the_naming_rule():
    cards = registry.recorded_cards()
    assert cards, "no recorded cards"
    for card in cards.values():
        for spelling in (card.name, *card.aliases):
            for typed in _spellings(spelling):
                assert zoo.info(typed).name == card.name, (typed, spelling)


def test_no_two_names_or_aliases_share_a_key():
    seen: dict[str, str] = {}
    for card in registry.family_cards().values():
        for spelling in (card.name, *card.aliases):
            key = registry.lookup_key(spelling)
            assert key not in seen, f"{spelling!r} and {seen[key]!r} both read {key!r}"
            seen[key] = spelling


def test_the_readme_states_the_naming_rule():
    readme = (pathlib.Path(__file__).resolve().parents[3] / "README.md").read_text()
    zoo_section = readme.split("## The zoo (`zoo`)")[1].split("\n## ")[0]
    assert "a separator between a letter and a digit is ignored" in zoo_section


# ------------------------------------------------------------------ the recorded cards


def test_recorded_cards_are_the_family_modules_cards():
    """Every field but the counts, without a build (the counts: check_readme_row)."""
    assert registry.stale_cards() == [], (
        "zoo/models/cards.json is stale: python -m zoo.profile --write-cards --fields-only "
        "(or NAME ... to re-measure)"
    )
    assert sorted(registry.recorded_cards()) == zoo.list_models()


def test_info_changes_no_global_state():
    keras.config.set_dtype_policy("mixed_bfloat16")  # the autouse fixture restores float32
    counters = [keras.backend.get_uid(prefix) for prefix in ("conv2d", "dense")]
    cards = [zoo.info(name) for name in zoo.list_models()]
    resnet50 = zoo.info("ResNet-50")
    assert (resnet50.num_params, resnet50.macs) == (25_610_152, 4_091_090_944)
    assert all(card.num_params > 0 for card in cards)
    assert keras.config.dtype_policy().name == "mixed_bfloat16"
    assert [keras.backend.get_uid(p) for p in ("conv2d", "dense")] == [c + 1 for c in counters]


def test_cards_and_the_card_commands_import_no_keras():
    script = (
        "import sys, zoo, zoo.cli\n"
        "zoo.list_models(); card = zoo.info('resnet50')\n"
        "assert card.num_params == 25_610_152, card\n"
        "for argv in (['list'], ['list', '--json'], ['info', 'resnet50']):\n"
        "    assert zoo.cli.main(argv) == 0, argv\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')\n"
        "         or m in zoo.models._registry.family_modules()]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_model_registered_at_run_time_is_counted_on_first_info(monkeypatch):
    for state in ("_REGISTERED", "_BUILDERS"):
        monkeypatch.setattr(registry, state, dict(getattr(registry, state)))
    monkeypatch.setattr(registry, "_VIEW", None)

    @registry.register(
        "tiny_net",
        family="tiny",
        task="image_classification",
        paper="p",
        year=2024,
        default_input_shape=(4, 4, 1),
        default_num_classes=3,
    )
    def tiny_net(spec, *, units=5):
        """A tiny net."""
        inputs, x = spec.inputs()
        x = keras.layers.Dense(units)(keras.layers.Flatten()(x))
        return spec.model_from(inputs, spec.classifier(x))

    assert zoo.list_models("Tiny-Net") == ["tiny_net"]
    keras.config.set_dtype_policy("mixed_bfloat16")
    card = zoo.info("tiny_net")
    assert card.num_params == 16 * 5 + 5 + 5 * 3 + 3 and card.macs is None
    assert card.config_arguments == ("units",) and card.description == "A tiny net."
    assert keras.config.dtype_policy().name == "mixed_bfloat16"  # no clear_session
    assert zoo.info("tiny_net") is zoo.info("tiny_net")  # counted once
