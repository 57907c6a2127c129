"""The weights table: every tag well formed, what ``weights="imagenet"`` means, the errors."""

from __future__ import annotations

import re

import pytest

import zoo
from zoo.weights import _table
from zoo.weights._imagenet import IMAGENET
from zoo.weights._records import CAFFE, TF, TORCH, UNIT

ALL_TAGS = [record for records in _table.by_model().values() for record in records]


@pytest.mark.parametrize("record", ALL_TAGS, ids=lambda r: f"{r.model}-{r.tag}")
def test_every_tag_is_whole(record):
    card = zoo.info(record.model)
    assert card.name == record.model
    assert re.fullmatch(r"[a-z][a-z0-9_]*", record.tag) and record.tag != "imagenet"
    assert record.num_params == card.num_params or record.config  # the default build's count
    assert record.metrics and all(m.source and m.dataset for m in record.metrics)
    assert record.source in {"keras.applications", "torchvision", "zoo"}
    assert record.license and record.recipe and record.file_name
    assert record.preprocessing in {None, UNIT, TF, CAFFE, TORCH}
    if record.url is None:  # shipped: checked by its full SHA-256 and size
        assert re.fullmatch(r"[0-9a-f]{64}", record.sha256) and record.file_size > 0
    else:
        assert record.url.endswith(record.file_name) and record.published_size_mb > 0
        assert record.file_hash is None or re.fullmatch(
            r"(md5:[0-9a-f]{32}|sha256-prefix:[0-9a-f]{8}|sha256:[0-9a-f]{64})", record.file_hash
        )
    if record.dataset == IMAGENET:
        assert record.num_classes == 1000 and record.input_shape[-1] == 3
        assert 60 < record.metric("top1") < record.metric("top5") < 100
    if card.default_num_classes is not None:
        assert record.input_shape[-1] == card.default_input_shape[-1] or record.config


def test_tags_are_unique_per_model_and_cards_list_them():
    for model, records in _table.by_model().items():
        assert len({r.tag for r in records}) == len(records), model
        assert zoo.info(model).weights == records
    assert zoo.list_models(pretrained=True) == sorted(_table.by_model())
    assert set(zoo.list_models(pretrained=False)).isdisjoint(_table.by_model())
    assert zoo.info("alexnet").weights == ()
    card = zoo.info("resnet50").to_dict()
    assert [w["tag"] for w in card["weights"]] == ["imagenet1k_v1", "imagenet1k_v2"]
    assert card["weights"][0]["preprocessing"]["mean"] == [0.485, 0.456, 0.406]
    assert "weights" not in zoo.info("resnet50").record()  # cards.json does not hold them


def test_pretrained_must_be_a_bool():
    with pytest.raises(ValueError, match="pretrained"):
        zoo.list_models(pretrained="yes")


def test_imagenet_means_the_best_fitting_tag():
    defaults = {"batch_norm": False, "activation": "relu", "dropout": 0.5}
    best = _table.resolve("resnet50", "imagenet", {}, {})
    assert (best.tag, best.metric("top1")) == ("imagenet1k_v2", 80.858)
    assert _table.resolve("vgg_d", "ImageNet", {}, defaults).source == "torchvision"
    assert _table.resolve("vgg_d", "imagenet1k_keras", {}, defaults).preprocessing == CAFFE
    # a tag that changes a knob is taken only when asked for, or when it is the only one
    bn = _table.resolve("vgg_d", "imagenet", {"batch_norm": True}, defaults)
    assert (bn.tag, bn.config) == ("imagenet1k_bn_v1", (("batch_norm", True),))
    mobilenet = _table.resolve("mobilenet", "imagenet", {}, {"activation": "relu"})
    assert mobilenet.config == (("activation", "relu6"),)  # keras.applications' ReLU6
    # a knob that only changes training does not change which arrays fit
    assert _table.resolve("vgg_d", "imagenet", {"dropout": 0.1}, defaults).tag == "imagenet1k_v1"


def test_tags_for_another_configuration_are_refused_by_name():
    with pytest.raises(ValueError, match=r"alpha=0\.5 \(the weights need alpha=1\.0\)"):
        _table.resolve("mobilenet", "imagenet", {"alpha": 0.5}, {"alpha": 1.0})
    with pytest.raises(ValueError, match=r"batch_norm=True \(the weights need batch_norm=False"):
        _table.resolve("vgg_a", "imagenet1k_v1", {"batch_norm": True}, {"batch_norm": False})


def test_unknown_tags_and_models_without_weights_say_what_exists():
    with pytest.raises(ValueError, match=r"Did you mean 'imagenet1k_keras'.*'imagenet1k_v1'"):
        _table.resolve("vgg_d", "imagenet1k_kears", {}, {})
    with pytest.raises(ValueError, match=r"'alexnet' has no registered weights.*resnet18"):
        _table.resolve("alexnet", "imagenet", {}, {})


def test_build_checks_a_tag_before_building_or_downloading(monkeypatch):
    from zoo.weights import _fetch

    monkeypatch.setattr(_fetch, "fetch", lambda record: pytest.fail("fetched"))
    with pytest.raises(ValueError, match=r"alpha=0\.25 \(the weights need alpha=1\.0\)"):
        zoo.build("mobilenet", weights="imagenet", alpha=0.25)
    with pytest.raises(ValueError, match="take 3 input channels"):
        zoo.build("resnet18", weights="imagenet", input_shape=(64, 64, 1))
    with pytest.raises(ValueError, match="Unknown weights tag 'cifar'"):
        zoo.build("resnet18", weights="cifar")
    with pytest.raises(ValueError, match=r"'\.weights\.h5' file"):  # a path, as before
        zoo.build("resnet18", weights="resnet18.h5")


def test_the_readme_table_of_weights_is_the_registry_s(capsys):
    """README's table between the weights markers is ``zoo list --weights --markdown``."""
    import pathlib

    from zoo import cli

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    start, end = "<!-- weights:start -->\n", "<!-- weights:end -->"
    shown = readme[readme.index(start) + len(start) : readme.index(end)].strip()
    assert cli.main(["list", "--weights", "--markdown"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == _table.markdown_table() and shown == printed, (
        "README's table of weights is stale: regenerate it with zoo list --weights --markdown"
    )


def test_the_command_line_shows_the_tags(capsys):
    from zoo import cli

    assert cli.main(["info", "ResNet-50"]) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("weights"))
    assert "imagenet1k_v2 (torchvision, ImageNet-1K (ILSVRC 2012), top1 80.858" in line
    assert cli.main(["list", "--pretrained"]) == 0
    listed = [row.split()[0] for row in capsys.readouterr().out.splitlines()]
    assert listed == zoo.list_models(pretrained=True) and "alexnet" not in listed
    assert cli.main(["list", "--weights", "vgg_d"]) == 0
    assert capsys.readouterr().out.count("vgg_d ") == len(zoo.info("vgg_d").weights)
