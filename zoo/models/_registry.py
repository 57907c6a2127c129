"""The model registry: `register` builders, then `build`, `list_models` and `info` them by name.

Names are lower case with underscores; aliases resolve to one canonical name (``vgg16`` ->
``vgg_d``). Names as users type them (`lookup_key`): case-insensitive, ``-`` and spaces read as
``_``, and a separator between a letter and a digit is ignored, on the user's side and the
registered side alike: ``ResNet-18``, ``resnet_18`` and ``resnet18`` are one key, and so are
``Inception-v3`` and ``inception_v3``, ``VGG-16`` and ``vgg16`` (-> ``vgg_d``). No two
registered names or aliases may share a key (`register` refuses it).

The cards are data: `info` and `list_models` read the recorded cards (`zoo.models._cards`,
``cards.json``) and import neither Keras nor the family modules; `build` imports the one family
module whose builder it needs. Every builder receives a `zoo.models._spec.BuildSpec` with the
keras.applications arguments already checked, plus its own architecture knobs (``**config``),
which it validates itself.
"""

from __future__ import annotations

import collections
import dataclasses
import difflib
import fnmatch
import functools
import importlib
import inspect
import math
import os
import pkgutil
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from zoo.models import _cards
from zoo.models._stages import FeatureInfo, FeatureStages, check_out_indices
from zoo.validation import (
    check_activation,
    check_bool,
    check_choice,
    check_fits_in_memory,
    check_path,
    check_positive_int,
    check_shape,
    check_string,
)
from zoo.weights import _table as _weights_table

if TYPE_CHECKING:  # Keras loads with the first build, never with a card
    import keras

    from zoo.models._spec import BuildSpec

TASKS = (
    "image_classification",
    "sequence_classification",
    "sequence_tagging",
    "language_model",
    "autoencoder",
    "q_values",
)

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_SEPARATORS = re.compile(r"[\s_-]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])_(?=[0-9])|(?<=[0-9])_(?=[a-z])")

# Registered in this process (by the family modules when imported, or by users at run time):
# their cards and builders. The recorded cards (`_cards`) answer for the families not imported.
_REGISTERED: dict[str, ModelInfo] = {}
_BUILDERS: dict[str, Callable[..., keras.Model]] = {}
_VIEW: tuple[dict[str, ModelInfo], dict[str, str]] | None = None  # (cards, key -> name)
_UNRECORDED_LOADED = False


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about one architecture: its card, as plain data.

    ``num_params`` (``model.count_params()``) and ``macs`` (`zoo.summary`'s ``total_macs``, per
    example) are the default configuration's, recorded in ``zoo/models/cards.json`` and checked
    by a test against a real build: reading a card builds nothing, imports no Keras and changes
    no global state. A model registered at run time has no recorded card: its first `info`
    call counts its parameters with one build at the default configuration (no
    ``clear_session``) and leaves ``macs`` ``None`` (``zoo.summary(name).total_macs`` computes
    it). ``config_arguments`` are the builder's own knobs (``**config`` of `build`);
    ``builder`` imports the family module on first use. ``features`` says whether
    ``build(name, features_only=True)`` applies; ``stages`` are its default configuration's
    feature stages (`zoo.feature_info`), recorded like the counts (and, for a model registered
    at run time, found by one build on its first `feature_info` call). ``weights`` are its
    registered tags (`zoo.weights.Weights`), read from the weights table, not from the card.
    """

    name: str
    aliases: tuple[str, ...]
    family: str
    task: str
    paper: str
    year: int
    default_input_shape: tuple[int, ...]
    min_input_size: int | None
    default_num_classes: int | None
    description: str
    num_params: int | None = None
    macs: int | None = None
    config_arguments: tuple[str, ...] = ()
    features: bool = False
    stages: FeatureStages = dataclasses.field(default_factory=FeatureStages)
    module: str = dataclasses.field(default="", repr=False)  # the registering module

    @classmethod
    def from_record(cls, record: dict) -> ModelInfo:
        """A card from its `_cards` record (JSON lists read back as tuples)."""
        values = dict(record)
        for key in ("aliases", "default_input_shape", "config_arguments"):
            values[key] = tuple(values[key])
        values["stages"] = FeatureStages(FeatureInfo(**stage) for stage in values["stages"])
        return cls(**values)

    @property
    def builder(self) -> Callable[..., keras.Model]:
        """The registered builder function (its family module is imported if it is not yet)."""
        if self.name not in _BUILDERS and self.module:
            importlib.import_module(self.module)
        if self.name not in _BUILDERS:
            raise ValueError(
                f"{self.module or 'no module'} registers no model {self.name!r}: the recorded "
                "card is stale (regenerate it: python -m zoo.profile --write-cards)."
            )
        return _BUILDERS[self.name]

    @property
    def weights(self) -> tuple:
        """The registered weights tags (`zoo.weights.Weights`), empty if there are none."""
        return _weights_table.tags(self.name)

    def to_dict(self) -> dict:
        """The card as plain JSON-ready values (what ``zoo info --json`` prints)."""
        return {**self.record_fields(), "weights": [w.to_dict() for w in self.weights]}

    def record_fields(self) -> dict:
        """The card's own fields as JSON-ready values (`to_dict` without the weights)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "family": self.family,
            "task": self.task,
            "paper": self.paper,
            "year": self.year,
            "default_input_shape": list(self.default_input_shape),
            "min_input_size": self.min_input_size,
            "default_num_classes": self.default_num_classes,
            "description": self.description,
            "num_params": self.num_params,
            "macs": self.macs,
            "config_arguments": list(self.config_arguments),
            "features": self.features,
            "stages": self.stages.to_list(),
        }

    def record(self) -> dict:
        """The card as `zoo.models._cards` records it: `to_dict` plus the registering module."""
        return {**self.record_fields(), "module": self.module}


def canonical(name: str) -> str:
    """Normalise a user-typed model name: lower case, ``-`` and spaces (runs of them) as ``_``."""
    if not isinstance(name, str):
        raise ValueError(f"A model name must be a string, got {name!r}.")
    return _SEPARATORS.sub("_", name.strip().lower())


def lookup_key(name: str) -> str:
    """The form names are compared in: `canonical`, then without a separator between a letter
    and a digit. ``lookup_key("ResNet-18") == lookup_key("resnet18") == "resnet18"``,
    ``lookup_key("Inception v3") == lookup_key("inception_v3") == "inceptionv3"``."""
    return _LETTER_DIGIT.sub("", canonical(name))


@functools.cache
def recorded_cards() -> dict[str, ModelInfo]:
    """The cards recorded in ``zoo/models/cards.json`` (`zoo.models._cards`), by name."""
    return {name: ModelInfo.from_record(r) for name, r in _cards.load().items()}


def _view() -> tuple[dict[str, ModelInfo], dict[str, str]]:
    """Every known card (the recorded ones, overlaid by those registered in this process) and
    the lookup from `lookup_key` to canonical name; rebuilt after each registration."""
    global _VIEW
    _load_unrecorded_families()
    if _VIEW is None:
        cards = {**recorded_cards(), **_REGISTERED}
        _VIEW = cards, _keys(cards)
    return _VIEW


def _owner(spelling: str) -> str | None:
    """The model that ``spelling`` (a name or an alias) already belongs to, if any.

    A name of a recorded card whose family module is not imported yet imports that module
    first, so the family registers it; while the family module itself is being imported (the
    module registering its own names), the name is free."""
    key = lookup_key(spelling)
    if key not in _keys(_REGISTERED):
        recorded = _keys(recorded_cards())
        if key in recorded:
            importlib.import_module(recorded_cards()[recorded[key]].module)
    return _keys(_REGISTERED).get(key)


def _keys(cards: dict[str, ModelInfo]) -> dict[str, str]:
    """`lookup_key` of every name and alias of ``cards`` -> the canonical name."""
    return {
        lookup_key(spelling): card.name
        for card in cards.values()
        for spelling in (card.name, *card.aliases)
    }


def _keyword_only(builder) -> tuple[str, ...]:
    """The builder's own knobs: its keyword-only parameters."""
    return tuple(
        p.name
        for p in inspect.signature(builder).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    )


def register(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    family: str,
    task: str,
    paper: str,
    year: int,
    default_input_shape: tuple[int, ...],
    min_input_size: int | None = None,
    default_num_classes: int | None = None,
    features: bool = False,
):
    """Decorator registering a builder ``fn(spec: BuildSpec, *, knob=default, ...)``.

    ``features=True`` declares an image network with spatial stages: ``build(name,
    features_only=True)`` then returns its feature pyramid (`zoo.models._features`).

    The builder's docstring's first line becomes ``ModelInfo.description``. A name or alias
    whose `lookup_key` is already taken (``vgg_16`` next to ``vgg16``) is refused. The family
    modules' models have recorded cards (``zoo/models/cards.json``); a model registered at run
    time gets its parameter count on its first `info` call.
    """
    check_choice("task", task, TASKS)
    names = (name, *aliases)
    for item in names:
        if not _NAME_PATTERN.match(item):
            raise ValueError(f"Model name {item!r} must be lower case with underscores.")
    keys = [lookup_key(item) for item in names]
    if len(set(keys)) < len(keys):
        raise ValueError(
            f"Model names {names!r} collide: with the separators between letters and digits "
            f"ignored they read {keys!r}."
        )
    for item in names:
        owner = _owner(item)
        if owner is not None:
            same = "" if lookup_key(item) == item else f" (both read {lookup_key(item)!r})"
            raise ValueError(f"Model name {item!r} is already registered for {owner!r}{same}.")

    def decorator(builder):
        global _VIEW
        doc = inspect.getdoc(builder) or ""
        recorded = recorded_cards().get(name)
        card = ModelInfo(
            name=name,
            aliases=tuple(aliases),
            family=family,
            task=task,
            paper=paper,
            year=year,
            default_input_shape=tuple(default_input_shape),
            min_input_size=min_input_size,
            default_num_classes=default_num_classes,
            description=doc.splitlines()[0] if doc else "",
            num_params=recorded.num_params if recorded else None,
            macs=recorded.macs if recorded else None,
            config_arguments=_keyword_only(builder),
            features=check_bool("features", features),
            stages=recorded.stages if recorded and features else FeatureStages(),
            module=builder.__module__,
        )
        _BUILDERS[name] = builder
        _REGISTERED[name] = card
        _VIEW = None
        return builder

    return decorator


def register_variant(name: str, builder: Callable, *, bind: dict, doc: str, hide=(), **card):
    """Register one row of a family's table: ``builder`` with the row's arguments ``bind`` fixed.

    The registered builder takes ``builder``'s keyword-only knobs except those in ``bind`` and
    ``hide`` (knobs that do not apply to this row, e.g. ``reset_after`` for a cell without it),
    so `build` refuses them; its name is ``name`` and its docstring ``doc`` (the first line
    becomes the card's description). ``card`` are `register`'s keywords (aliases, family, task,
    paper, year, default_input_shape, ...).

    Example: ``register_variant("vgg_d", vgg, bind={"configuration": "D"}, doc="VGG-16 ...",
    aliases=("vgg16",), family="vgg", ...)``.
    """
    omitted = set(bind) | set(hide)
    parameters = [
        p for p in inspect.signature(builder).parameters.values() if p.name not in omitted
    ]

    def variant(spec: BuildSpec, **config) -> keras.Model:
        return builder(spec, **bind, **config)

    variant.__signature__ = inspect.Signature(parameters)
    variant.__name__ = variant.__qualname__ = name
    variant.__module__ = builder.__module__
    variant.__doc__ = doc
    return register(name, **card)(variant)


def family_modules() -> tuple[str, ...]:
    """The architecture family modules: every module of `zoo.models` without a leading
    underscore (those are infrastructure), found on disk, not listed by hand."""
    import zoo.models

    return tuple(
        f"zoo.models.{module.name}"
        for module in sorted(pkgutil.iter_modules(zoo.models.__path__), key=lambda m: m.name)
        if not module.name.startswith("_")
    )


@functools.cache
def _load_families() -> None:
    for module in family_modules():
        importlib.import_module(module)


def _load_unrecorded_families() -> None:
    """Import the family modules no recorded card names (a family added since ``cards.json``
    was written), so their models are known all the same; none in a consistent install."""
    global _UNRECORDED_LOADED
    if _UNRECORDED_LOADED:
        return
    _UNRECORDED_LOADED = True
    recorded = {card.module for card in recorded_cards().values()}
    for module in family_modules():
        if module not in recorded:
            importlib.import_module(module)


def family_cards() -> dict[str, ModelInfo]:
    """The cards the family modules register (importing every one of them), by name: what
    ``cards.json`` must record (`recorded_cards`)."""
    _load_families()
    modules = set(family_modules())
    return {name: card for name, card in sorted(_REGISTERED.items()) if card.module in modules}


# The fields of a card that need a build: measured, and compared with a build by the tests.
MEASURED = ("num_params", "macs", "stages")


def record_cards(measure, names=None, *, fields_only: bool = False) -> dict[str, dict]:
    """The `zoo.models._cards` records of every family model: its card from the family module,
    and ``num_params``, ``macs`` and ``stages`` from ``measure(name) -> (num_params, macs,
    stages)`` for the models in ``names`` (default: all), from the recorded cards for the
    others (or for all, with ``fields_only``). ``python -m zoo.profile --write-cards`` writes
    them."""
    cards = family_cards()
    recorded = recorded_cards()
    measured = set(cards) if names is None else {_resolve(n).name for n in names}
    records = {}
    for name, card in cards.items():
        record = card.record()
        if fields_only or name not in measured:
            if name not in recorded or (card.features and not recorded[name].stages):
                raise ValueError(f"{name!r} has no recorded counts or stages yet: measure it.")
            old = recorded[name].record()
            record.update({key: old[key] for key in MEASURED})
            if not card.features:
                record["stages"] = []
        else:
            num_params, macs, stages = measure(name)
            record.update(num_params=int(num_params), macs=int(macs), stages=stages.to_list())
        records[name] = record
    return records


def stale_cards() -> list[str]:
    """What differs between the recorded cards and the family modules' cards (the `MEASURED`
    fields aside: they need a build), one line each; empty when ``cards.json`` is current."""
    cards, recorded = family_cards(), recorded_cards()
    problems = [f"{n}: registered, not recorded" for n in sorted(set(cards) - set(recorded))]
    problems += [f"{n}: recorded, not registered" for n in sorted(set(recorded) - set(cards))]
    for name in sorted(set(cards) & set(recorded)):
        old, new = recorded[name].record(), cards[name].record()
        problems += [
            f"{name}: {key} is {new[key]!r}, recorded {old[key]!r}"
            for key in new
            if key not in MEASURED and old[key] != new[key]
        ]
        if cards[name].features and not recorded[name].stages:
            problems.append(f"{name}: supports features_only, but no stages are recorded")
    return problems


def _resolve(name: str) -> ModelInfo:
    cards, lookup = _view()
    key = lookup_key(name)
    if key in lookup:
        return cards[lookup[key]]
    spellings = {lookup_key(s): s for card in cards.values() for s in (card.name, *card.aliases)}
    close = difflib.get_close_matches(key, list(spellings), n=3, cutoff=0.6)
    if close:
        hint = " or ".join(repr(spellings[c]) for c in close)
        raise ValueError(f"Unknown model {name!r}. Did you mean {hint}?")
    raise ValueError(
        f"Unknown model {name!r}. Known models: {', '.join(sorted(cards))} (see zoo.list_models())."
    )


def info(name: str) -> ModelInfo:
    """The `ModelInfo` of a registered model, looked up by name or alias (`lookup_key`).

    Reads the recorded card: no build, no Keras import, no change to global state. Only a
    model registered at run time is built, once, on its first call, to count its parameters.
    """
    global _VIEW
    card = _resolve(name)
    if card.num_params is None and card.name in _REGISTERED:
        model = build(card.name)
        card = dataclasses.replace(card, num_params=int(model.count_params()))
        del model
        _REGISTERED[card.name] = card
        _VIEW = None
    return card


def list_models(
    pattern: str = "*",
    *,
    family: str | None = None,
    task: str | None = None,
    pretrained: bool | None = None,
    features_only: bool | None = None,
):
    """Sorted canonical names whose name or an alias matches the fnmatch ``pattern``.

    The pattern reads like a name (`lookup_key`): ``"ResNet-1*"`` finds ``resnet18`` ...
    ``pretrained=True`` keeps the models with at least one weights tag (``zoo.info(name).
    weights``; ``False`` those without); ``features_only=True`` keeps the models
    ``build(name, features_only=True)`` accepts (``False`` the others).
    Example: ``zoo.list_models("lenet*")`` -> ``["lenet5"]``.
    """
    if not isinstance(pattern, str):
        raise ValueError(f"pattern must be a string such as 'resnet*', got {pattern!r}.")
    cards, _ = _view()
    plain, key = canonical(pattern), lookup_key(pattern)
    if task is not None:
        check_choice("task", task, TASKS)
    if family is not None:
        families = sorted({m.family for m in cards.values()})
        check_choice("family", family, families)
    if features_only is not None:
        features_only = check_bool("features_only", features_only)
    if pretrained is not None:
        pretrained = check_bool("pretrained", pretrained)
    selected = []
    for info_ in cards.values():
        if family is not None and info_.family != family:
            continue
        if task is not None and info_.task != task:
            continue
        if features_only is not None and info_.features != features_only:
            continue
        if pretrained is not None and bool(info_.weights) != pretrained:
            continue
        if any(
            fnmatch.fnmatchcase(n, plain) or fnmatch.fnmatchcase(lookup_key(n), key)
            for n in (info_.name, *info_.aliases)
        ):
            selected.append(info_.name)
    return sorted(selected)


def feature_info(name_or_model) -> FeatureStages:
    """The feature stages of a registered model (by name: all its stages, from its card; no
    build) or of a built ``keras.Model`` (the stages its outputs end, read off its graph).

    Each record has the stage's ``index``, the ``layer`` whose output is its feature map, its
    ``channels`` and its ``reduction`` (cumulative stride); the result also answers timm's
    ``.channels()`` and ``.reduction()``. See `zoo.models._features` for how stages are found.

    Example: ``zoo.feature_info("resnet50").reduction()`` -> ``(2, 4, 8, 16, 32)``.
    """
    global _VIEW
    if not isinstance(name_or_model, str):
        from zoo.models import _features  # Keras loads here

        return _features.model_stages(name_or_model)
    card = _resolve(name_or_model)
    if not card.features:
        supported = ", ".join(list_models(features_only=True))
        raise ValueError(
            f"{card.name!r} has no feature stages (task {card.task!r}); the models with "
            f"features_only are: {supported}."
        )
    if not card.stages:  # registered at run time: found by one build
        from zoo.models import _features

        stages = _features.stages(build(card.name, include_top=False))
        card = dataclasses.replace(card, stages=stages)
        _REGISTERED[card.name] = card
        _VIEW = None
    return card.stages


def _check_input_shape(info_: ModelInfo, input_shape) -> tuple:
    """``input_shape`` checked for the model of ``info_`` (None: the paper's).

    Convolutional models (those with a minimum size) need their paper's rank, e.g. (H, W, C),
    known channels and a spatial size of at least the minimum; a shape that puts a small
    channel count first, such as (3, 224, 224), is refused as channels-first.
    """
    if input_shape is None:
        return info_.default_input_shape
    input_shape = check_shape("input_shape", input_shape)
    if info_.min_input_size is None:
        return input_shape
    expected_rank = len(info_.default_input_shape)
    if len(input_shape) != expected_rank:
        raise ValueError(
            f"input_shape must have {expected_rank} dimensions for {info_.name!r} "
            f"(e.g. {info_.default_input_shape}), got {input_shape!r}."
        )
    *spatial, channels = input_shape
    first = input_shape[0]
    if (
        expected_rank == 3
        and first is not None
        and first <= 4
        and (channels is None or channels > 4)
        and (first < info_.min_input_size or first == info_.default_input_shape[-1])
    ):
        raise ValueError(
            f"input_shape {input_shape!r} looks channels-first (channels, height, width); the "
            f"zoo builds channels-last (height, width, channels): for {info_.name!r} pass "
            f"{(*input_shape[1:], first)!r}."
        )
    if channels is None:
        raise ValueError(
            f"input_shape {input_shape!r} leaves the channels (the last dimension) free, but "
            f"the convolutions of {info_.name!r} need them known, e.g. "
            f"{info_.default_input_shape}."
        )
    if any(d is not None and d < info_.min_input_size for d in spatial):
        size = "x".join([str(info_.min_input_size)] * len(spatial))
        raise ValueError(
            f"input_shape {input_shape!r} is too small for {info_.name!r}: "
            f"the minimum spatial size is {size}."
        )
    return input_shape


def build(
    model: str,
    /,
    *,
    num_classes: int | None = None,
    input_shape: tuple | None = None,
    include_top: bool = True,
    pooling: str | None = None,
    classifier_activation: str | None = "softmax",
    weights: str | os.PathLike | None = None,
    name: str | None = None,
    include_preprocessing: bool = False,
    features_only: bool = False,
    out_indices=None,
    **config,
) -> keras.Model:
    """Build a registered architecture by name, with keras.applications semantics.

    The model name is positional-only so that ``name=`` can set the Keras model's name, as in
    keras.applications: ``zoo.build("lenet5", name="digits_net")``.

    Args:
        model: registered name or alias, as users type it (`lookup_key`: any case, ``-`` or
            a space for ``_``, ``ResNet-18`` for ``resnet18``).
        num_classes: size of the classifier (default: the architecture's, e.g. 10 for LeNet);
            only with ``include_top=True``.
        input_shape: channels-last shape without the batch axis (default: the paper's).
        include_top: keep the classifier; ``False`` returns the feature extractor.
        pooling: ``None``, ``"avg"`` or ``"max"`` global pooling of the features; only with
            ``include_top=False``.
        classifier_activation: activation of the last layer; ``None`` returns logits.
        weights: ``None``, the path of a ``.weights.h5`` file saved from the same
            configuration, or a tag of ``zoo.info(model).weights`` (``"imagenet"``: the
            best ImageNet tag that fits the configuration; ``"mnist"``, ...). A tag sets the
            default ``input_shape`` and ``num_classes`` to its own; another ``num_classes``
            keeps every weight but a fresh classifier, and with ``include_preprocessing``
            the model takes raw 0-255 RGB the way the tag expects (`zoo.weights`). ImageNet
            tags are downloaded once into Keras' cache and hash-checked; a path is never
            downloaded. Without the top (``include_top=False`` or ``features_only``) a file
            or tag may also be the full model's: the top's arrays are left out.
        name: the Keras model's name (default: the canonical model name).
        include_preprocessing: put the input scaling inside image models, so pipelines feed
            raw 0-255 pixels whatever the backbone: ``Rescaling(1/255)``, or with a weights
            tag that tag's `zoo.weights.Preprocessing` (ImageNet mean/std for torchvision's,
            [-1, 1] for keras.applications' MobileNet, Inception-v3 and Xception, BGR minus
            the mean for its VGGs).
        features_only: return the feature pyramid instead (models with
            ``zoo.info(model).features``, `list_models(features_only=True)`): a model from the
            input to the feature map at the end of each stage, one output per stage, in the
            order of ``out_indices`` (`feature_info`). It is the network without its top, so
            ``num_classes``, ``pooling`` and ``classifier_activation`` do not apply.
        out_indices: with ``features_only``, the stages to return (None: all); a negative
            index counts from the last stage. One out of range, repeated or not an integer is
            a ValueError listing the valid range.
        **config: the architecture's own knobs (``zoo.info(model).config_arguments``).

    Every argument is checked before anything is built (NumPy integers count as integers):
    a bad one is a ValueError naming it, its value and what is allowed (a missing weights
    file a FileNotFoundError). Sizes too large to build are refused by name as well: an input
    of more than 2**31 - 1 values per example, a hidden or classifier Dense layer whose float32
    weights exceed this machine's memory (checked before they are allocated), and, after the
    builder, a build that ran out of memory or past Python's recursion limit, or a model whose
    weights exceed the memory (JAX allocates lazily). The convolutional models need
    ``keras.config.image_data_format() == "channels_last"``; the others build under either.
    """
    from zoo.models._spec import BuildSpec, require_channels_last  # Keras loads here

    given = {"input_shape": input_shape, "num_classes": num_classes, **config}
    info_ = _resolve(model)
    builder = info_.builder  # imports the family module
    info_ = _REGISTERED.get(info_.name, info_)  # its card as the module registers it
    if info_.min_input_size is not None:  # a convolutional model
        require_channels_last(info_.name)
    include_top = check_bool("include_top", include_top)
    features_only = check_bool("features_only", features_only)
    if features_only:
        _check_features_only(info_, num_classes, pooling, classifier_activation, out_indices)
        include_top = False
    elif out_indices is not None:
        raise ValueError(f"out_indices={out_indices!r} applies only with features_only=True.")
    record = None
    if _is_tag(weights):
        record = _weights_table.resolve(info_.name, weights, config, _knob_defaults(builder))
        config = {**dict(record.config), **config}  # the knobs the tag needs, unless given
        input_shape = _tag_input_shape(info_, record, input_shape)
        if num_classes is None and include_top:
            num_classes = record.num_classes
    if num_classes is None:
        num_classes = info_.default_num_classes
    elif info_.default_num_classes is None:
        raise ValueError(f"num_classes does not apply to {info_.name!r} (task {info_.task!r}).")
    else:
        num_classes = check_positive_int("num_classes", num_classes)
        if not include_top:
            raise ValueError(
                f"num_classes={num_classes} applies only with include_top=True (without its "
                f"top {info_.name!r} has no classifier)."
            )
    check_choice("pooling", pooling, (None, "avg", "max"))
    if include_top and pooling is not None:
        raise ValueError(
            f"pooling={pooling!r} applies only with include_top=False (the top already "
            "reduces the features)."
        )
    allowed = info_.config_arguments
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise ValueError(
            f"Unknown argument {unknown[0]!r} for model {info_.name!r}; its own arguments are: "
            f"{', '.join(allowed) or 'none'}."
        )
    path = None if weights is None or record is not None else _weights_path(weights)
    if record is not None:  # downloaded or found, and hash-checked, before anything is built
        from zoo.weights import _fetch

        tag_file = _fetch.fetch(record)
    spec = BuildSpec(
        model=info_.name,
        input_shape=_check_input_shape(info_, input_shape),
        num_classes=num_classes,
        include_top=include_top,
        pooling=pooling,
        classifier_activation=check_activation(
            "classifier_activation", classifier_activation, none="logits"
        ),
        name=info_.name if name is None else check_string("name", name),
        include_preprocessing=check_bool("include_preprocessing", include_preprocessing),
    )
    if record is not None and record.preprocessing is not None:
        spec = dataclasses.replace(spec, preprocessing=record.preprocessing)
    shown = ", ".join(f"{key}={value!r}" for key, value in given.items() if value is not None)
    built = _run_builder(
        builder, spec, config, f"the sizes given ({shown})" if shown else "its default sizes"
    )
    if path is not None:
        _load_weights(built, path, info_.name, subset=not include_top)
    if record is not None:
        _load_tag(built, record, tag_file, builder, spec, include_top, num_classes)
    if features_only:
        from zoo.models import _features

        return _features.feature_model(built, out_indices, model=info_.name, name=spec.name)
    return built


def _is_tag(weights) -> bool:
    """Whether ``weights`` names a tag (``"imagenet"``, ``"mnist"``) rather than a file: a
    plain string of letters, digits, ``_`` and ``-``."""
    return isinstance(weights, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", weights) is not None


def _knob_defaults(builder) -> dict:
    """The builder's own knobs (keyword-only parameters) and their defaults."""
    return {
        p.name: p.default
        for p in inspect.signature(builder).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _tag_input_shape(info_: ModelInfo, record, input_shape) -> tuple:
    """The input shape to build for weights ``record``: the tag's unless one is given; a
    given image shape must keep the tag's channels (the first layer's weights depend on them)."""
    if input_shape is None:
        return tuple(record.input_shape)
    input_shape = check_shape("input_shape", input_shape)
    if info_.min_input_size is not None and input_shape[-1] != record.input_shape[-1]:
        raise ValueError(
            f"weights={record.tag!r} of {info_.name!r} take {record.input_shape[-1]} input "
            f"channels (they were trained at input_shape={tuple(record.input_shape)}); got "
            f"input_shape={input_shape!r}."
        )
    return input_shape


def _load_tag(built, record, path, builder, spec: BuildSpec, include_top: bool, num_classes):
    """Load weights tag ``record`` (its file at ``path``) into ``built``: a fresh classifier
    when ``num_classes`` differs from the tag's, no top's arrays without the top."""
    from zoo.weights import _load

    def reference():  # the tag's own configuration, to read the zoo's files by layer name
        tag_spec = dataclasses.replace(
            spec,
            input_shape=tuple(record.input_shape),
            num_classes=record.num_classes,
            include_top=True,
            pooling=None,
            include_preprocessing=False,
        )
        return _run_builder(builder, tag_spec, dict(record.config), "the weights' sizes")

    new_head = include_top and num_classes != record.num_classes
    _load.load(built, record, path, reference, include_top=include_top, new_head=new_head)


def _check_features_only(info_, num_classes, pooling, classifier_activation, out_indices):
    """The arguments that do not go with ``features_only=True``, refused by name; and
    ``out_indices`` against the recorded stages (before anything is built)."""
    if not info_.features:
        raise ValueError(
            f"features_only=True needs an image network with spatial stages; {info_.name!r} "
            f"(task {info_.task!r}) has none. Those that have: "
            f"{', '.join(list_models(features_only=True))}."
        )
    for argument, value, default in (
        ("num_classes", num_classes, None),
        ("pooling", pooling, None),
        ("classifier_activation", classifier_activation, "softmax"),
    ):
        if value != default:
            raise ValueError(
                f"{argument}={value!r} applies to the model's top, which features_only=True "
                "leaves out (it returns the feature maps of the stages)."
            )
    if info_.stages:
        check_out_indices(out_indices, len(info_.stages), info_.name)


# Out of memory, by class name (no backend is imported): Python's, TensorFlow's, torch's.
_OUT_OF_MEMORY_ERRORS = {"MemoryError", "ResourceExhaustedError", "OutOfMemoryError"}
# ... or a RuntimeError saying so (JAX's XlaRuntimeError, torch's CPU allocator).
_OUT_OF_MEMORY_TEXT = ("resource_exhausted", "out of memory", "can't allocate memory")


def _out_of_memory(error: Exception) -> bool:
    if _OUT_OF_MEMORY_ERRORS & {cls.__name__ for cls in type(error).__mro__}:
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and any(marker in text for marker in _OUT_OF_MEMORY_TEXT)


def _run_builder(builder, spec: BuildSpec, config: dict, sizes: str) -> keras.Model:
    """``builder(spec, **config)``, with the failures of a size or depth too large to build
    (out of memory, past the recursion limit, weights beyond this machine's memory) as a
    ValueError naming ``sizes``, the arguments given."""
    try:
        built = builder(spec, **config)
    except RecursionError:
        raise ValueError(
            f"{spec.model!r} is too deep to build: Keras walks its graph past Python's "
            f"recursion limit; reduce {sizes}."
        ) from None
    except Exception as error:
        if not _out_of_memory(error):
            raise
        raise ValueError(
            f"{spec.model!r} ran out of memory while allocating its weights "
            f"({type(error).__name__}); reduce {sizes}."
        ) from None
    count = sum(math.prod(weight.shape) for weight in built.weights)
    check_fits_in_memory(count, f"model {spec.model!r}", sizes)
    return built


def _weights_path(weights) -> str:
    """``weights`` as the path of an existing, non-empty HDF5 file named ``*.weights.h5``."""
    path = os.fspath(check_path("weights", weights))
    if os.path.isdir(path):
        raise ValueError(f"weights {path!r} is a directory, not a '.weights.h5' file.")
    if path.endswith(".keras"):
        raise ValueError(
            f"weights {path!r} is a whole saved model, not a '.weights.h5' file: open it with "
            f"zoo.load({path!r})."
        )
    if not path.endswith(".weights.h5"):
        raise ValueError(
            f"weights must be None or the path of a '.weights.h5' file, got {path!r} "
            "(nothing is downloaded)."
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weights file {path!r} does not exist.")
    if os.path.getsize(path) == 0:
        raise ValueError(f"weights file {path!r} is empty (0 bytes).")
    import h5py

    if not h5py.is_hdf5(path):
        raise ValueError(f"weights file {path!r} is not HDF5, so not from model.save_weights.")
    return path


def _load_weights(model: keras.Model, path: str, name: str, *, subset: bool = False) -> None:
    """Load ``path`` into ``model`` (registered as ``name``), first comparing the file's arrays
    with the model's weights (Keras alone would load a file with extra layers, ignoring them).
    With ``subset`` (a model without its top loading a full model's file) the file may hold
    more: Keras matches layers by their order within each layer type, and the top's layers
    come after the backbone's."""
    import h5py

    arrays = []

    def collect(key, item):
        if isinstance(item, h5py.Dataset) and not key.startswith("optimizer/"):
            arrays.append(tuple(item.shape))

    try:
        with h5py.File(path, "r") as file:
            file.visititems(collect)
    except OSError as error:
        raise ValueError(
            f"weights file {path!r} cannot be read (damaged or truncated?): {error}"
        ) from None
    shapes = [tuple(weight.shape) for weight in model.weights]
    problem = None
    missing = collections.Counter(shapes) - collections.Counter(arrays)
    if missing or (not subset and sorted(shapes) != sorted(arrays)):
        extra = collections.Counter(arrays) - collections.Counter(shapes)
        first = next((w for w in model.weights if missing[tuple(w.shape)]), None)
        problem = f"the file holds {len(arrays)} weight arrays, the model {len(shapes)}; " + (
            f"the model's {first.path!r} has shape {tuple(first.shape)}, which no array in "
            "the file has"
            if first is not None
            else f"the file has an array of shape {next(iter(extra))} that the model lacks"
        )
    else:
        try:
            model.load_weights(path)
        except (ValueError, OSError) as error:
            problem = str(error).strip().splitlines()[0]
    if problem is not None:
        raise ValueError(
            f"weights file {path!r} does not fit model {name!r} as configured: "
            f"{problem} (saved from another architecture or configuration?)."
        )
