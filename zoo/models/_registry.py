"""The model registry: `register` builders, then `build`, `list_models` and `info` them by name.

Names are lower case with underscores. Lookup is case-insensitive and treats ``-`` like ``_``;
aliases resolve to one canonical name (``vgg16`` -> ``vgg_d``). Every builder receives a
`zoo.models._spec.BuildSpec` with the keras.applications arguments already checked, plus its own
architecture knobs (``**config``), which it validates itself.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import functools
import importlib
import inspect
import os
import pkgutil
import re
from collections.abc import Callable

import keras

from zoo.models._spec import BuildSpec
from zoo.validation import check_activation, check_bool, check_choice, check_positive_int

TASKS = (
    "image_classification",
    "sequence_classification",
    "sequence_tagging",
    "language_model",
    "autoencoder",
    "q_values",
)

_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_MODELS: dict[str, ModelInfo] = {}
_LOOKUP: dict[str, str] = {}


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about one architecture.

    ``num_params`` is computed on first access by building the model at its default
    configuration (then cached).
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
    builder: Callable[..., keras.Model] = dataclasses.field(repr=False, compare=False)

    @functools.cached_property
    def num_params(self) -> int:
        model = build(self.name)
        count = model.count_params()
        del model
        keras.backend.clear_session()
        return count

    def to_dict(self) -> dict:
        """The card as plain JSON-ready values (what ``zoo info --json`` prints)."""
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
            "config_arguments": list(self.config_arguments),
        }

    @property
    def config_arguments(self) -> tuple[str, ...]:
        """The architecture's own knobs, accepted by `build` as ``**config``."""
        return tuple(
            p.name
            for p in inspect.signature(self.builder).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        )


def canonical(name: str) -> str:
    """Normalise a user-typed model name: lower case, ``-`` and spaces read as ``_``."""
    if not isinstance(name, str):
        raise ValueError(f"A model name must be a string, got {name!r}.")
    return name.strip().lower().replace("-", "_").replace(" ", "_")


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
):
    """Decorator registering a builder ``fn(spec: BuildSpec, *, knob=default, ...)``.

    The builder's docstring's first line becomes ``ModelInfo.description``.
    """
    check_choice("task", task, TASKS)
    names = (name, *aliases)
    for item in names:
        if not _NAME_PATTERN.match(item):
            raise ValueError(f"Model name {item!r} must be lower case with underscores.")
        if item in _LOOKUP:
            raise ValueError(f"Model name {item!r} is already registered for {_LOOKUP[item]!r}.")

    def decorator(builder):
        doc = inspect.getdoc(builder) or ""
        info = ModelInfo(
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
            builder=builder,
        )
        _MODELS[name] = info
        for item in names:
            _LOOKUP[item] = name
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


def _resolve(name: str) -> ModelInfo:
    _load_families()
    key = canonical(name)
    if key in _LOOKUP:
        return _MODELS[_LOOKUP[key]]
    close = difflib.get_close_matches(key, list(_LOOKUP), n=3, cutoff=0.6)
    if close:
        hint = " or ".join(repr(c) for c in close)
        raise ValueError(f"Unknown model {name!r}. Did you mean {hint}?")
    raise ValueError(
        f"Unknown model {name!r}. Known models: {', '.join(sorted(_MODELS))} "
        "(see zoo.list_models())."
    )


def info(name: str) -> ModelInfo:
    """The `ModelInfo` of a registered model, looked up by name or alias."""
    return _resolve(name)


def list_models(pattern: str = "*", *, family: str | None = None, task: str | None = None):
    """Sorted canonical names whose name or an alias matches the fnmatch ``pattern``.

    Example: ``zoo.list_models("lenet*")`` -> ``["lenet5"]``.
    """
    _load_families()
    pattern = canonical(pattern)
    if task is not None:
        check_choice("task", task, TASKS)
    if family is not None:
        families = sorted({m.family for m in _MODELS.values()})
        check_choice("family", family, families)
    selected = []
    for info_ in _MODELS.values():
        if family is not None and info_.family != family:
            continue
        if task is not None and info_.task != task:
            continue
        if any(fnmatch.fnmatchcase(n, pattern) for n in (info_.name, *info_.aliases)):
            selected.append(info_.name)
    return sorted(selected)


def _check_input_shape(info_: ModelInfo, input_shape) -> tuple:
    if input_shape is None:
        return info_.default_input_shape
    if not isinstance(input_shape, (tuple, list)) or not all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in input_shape
    ):
        raise ValueError(
            f"input_shape must be a tuple of positive integers (None for a free dimension), "
            f"got {input_shape!r}."
        )
    input_shape = tuple(input_shape)
    expected_rank = len(info_.default_input_shape)
    # Convolutional models (they have a minimum size) need their paper's rank, e.g. (H, W, C).
    if info_.min_input_size is not None and len(input_shape) != expected_rank:
        raise ValueError(
            f"input_shape must have {expected_rank} dimensions for {info_.name!r} "
            f"(e.g. {info_.default_input_shape}), got {input_shape!r}."
        )
    if info_.min_input_size is not None:
        spatial = input_shape[:-1]
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
    **config,
) -> keras.Model:
    """Build a registered architecture by name, with keras.applications semantics.

    The model name is positional-only so that ``name=`` can set the Keras model's name, as in
    keras.applications: ``zoo.build("lenet5", name="digits_net")``.

    Args:
        model: registered name or alias (case-insensitive, ``-`` reads as ``_``).
        num_classes: size of the classifier (default: the architecture's, e.g. 10 for LeNet).
        input_shape: channels-last shape without the batch axis (default: the paper's).
        include_top: keep the classifier; ``False`` returns the feature extractor.
        pooling: ``None``, ``"avg"`` or ``"max"`` global pooling of the features; only with
            ``include_top=False``.
        classifier_activation: activation of the last layer; ``None`` returns logits.
        weights: ``None`` or the path of a ``.weights.h5`` file saved from the same
            configuration (nothing is ever downloaded).
        name: the Keras model's name (default: the canonical model name).
        include_preprocessing: put ``Rescaling(1/255)`` inside image models, so pipelines feed
            raw 0-255 pixels whatever the backbone.
        **config: the architecture's own knobs (``zoo.info(model).config_arguments``).
    """
    info_ = _resolve(model)
    if num_classes is None:
        num_classes = info_.default_num_classes
    elif info_.default_num_classes is None:
        raise ValueError(f"num_classes does not apply to {info_.name!r} (task {info_.task!r}).")
    else:
        check_positive_int("num_classes", num_classes)
    include_top = check_bool("include_top", include_top)
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
    spec = BuildSpec(
        model=info_.name,
        input_shape=_check_input_shape(info_, input_shape),
        num_classes=num_classes,
        include_top=include_top,
        pooling=pooling,
        classifier_activation=check_activation(
            "classifier_activation", classifier_activation, none="logits"
        ),
        name=name or info_.name,
        include_preprocessing=bool(include_preprocessing),
    )
    built = info_.builder(spec, **config)
    if weights is not None:
        _load_weights(built, weights)
    return built


def _load_weights(model: keras.Model, weights) -> None:
    path = os.fspath(weights)
    if not path.endswith(".weights.h5"):
        raise ValueError(
            f"weights must be None or the path of a '.weights.h5' file, got {path!r} "
            "(nothing is downloaded)."
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weights file {path!r} does not exist.")
    try:
        model.load_weights(path)
    except ValueError as error:
        raise ValueError(
            f"weights file {path!r} does not match model {model.name!r} as configured: {error}"
        ) from None
