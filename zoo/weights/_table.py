"""Every registered tag, and which one a ``weights=`` value means for a configuration.

Reading the table imports no Keras and builds nothing (`zoo.info` and `zoo.list_models` use it).
"""

from __future__ import annotations

import difflib
import functools

from zoo.weights._imagenet import IMAGENET, IMAGENET_TAGS
from zoo.weights._presets import PRESETS
from zoo.weights._records import Weights

# Knobs that change training, not the arrays nor what the network computes at inference.
TRAINING_ONLY = frozenset({"dropout", "input_dropout", "recurrent_dropout", "bn_momentum"})


@functools.cache
def by_model() -> dict[str, tuple[Weights, ...]]:
    """The tags of each model with any, by canonical model name, in table order."""
    table: dict[str, list[Weights]] = {}
    for record in (*IMAGENET_TAGS, *PRESETS):
        table.setdefault(record.model, []).append(record)
    return {model: tuple(records) for model, records in table.items()}


def tags(model: str) -> tuple[Weights, ...]:
    """The registered tags of the canonical model name ``model`` (empty if it has none)."""
    return by_model().get(model, ())


def difference(record: Weights, config: dict, defaults: dict) -> str | None:
    """What the builder knobs given, ``config``, change from what ``record`` was trained with,
    as ``"alpha=0.5 (the weights need alpha=1.0)"``; ``None`` if nothing does. A tag's
    ``config`` names the knobs it sets (`zoo.build` applies them unless given); the others
    must keep their ``defaults``. The `TRAINING_ONLY` knobs may differ."""
    needed = {**defaults, **dict(record.config)}
    for knob, value in config.items():
        if knob in TRAINING_ONLY or knob not in needed or value == needed[knob]:
            continue
        return f"{knob}={value!r} (the weights need {knob}={needed[knob]!r})"
    return None


def _changes(record: Weights, config: dict, defaults: dict) -> int:
    """How many knobs ``record`` sets to other values than their defaults without being asked."""
    return sum(
        1
        for knob, value in record.config
        if knob not in config and defaults.get(knob, value) != value
    )


def resolve(model: str, tag: str, config: dict, defaults: dict) -> Weights:
    """The record ``weights=tag`` means for ``model`` built with ``config`` (the knobs given;
    ``defaults`` are the builder's defaults).

    ``"imagenet"`` is, among the ImageNet tags that fit the knobs given, one that changes the
    fewest other knobs from their defaults, with the highest published top-1 among those. A
    tag the model lacks, or one trained for other knobs (a MobileNet tag for ``alpha=0.5``),
    is a ValueError naming the model, the tag, what differs and what exists.
    """
    records = tags(model)
    if not records:
        with_weights = ", ".join(sorted(by_model()))
        raise ValueError(
            f"{model!r} has no registered weights (weights={tag!r}); the models with weights "
            f"are: {with_weights} (zoo.list_models(pretrained=True)); or pass the path of a "
            "'.weights.h5' file."
        )
    wanted = tag.strip().lower()
    known = ", ".join(repr(r.tag) for r in records)
    if wanted == "imagenet":
        candidates = [r for r in records if r.dataset == IMAGENET]
        if not candidates:
            raise ValueError(
                f"weights={tag!r}: {model!r} has no ImageNet weights; its tags are: {known} "
                "(or pass None, or the path of a '.weights.h5' file)."
            )
        fitting = [r for r in candidates if difference(r, config, defaults) is None]
        if not fitting:
            raise ValueError(
                f"weights='imagenet' of {model!r} do not fit this configuration: "
                f"{difference(candidates[0], config, defaults)}."
            )
        return max(fitting, key=lambda r: (-_changes(r, config, defaults), r.metric("top1") or 0.0))
    matches = [r for r in records if r.tag == wanted]
    if not matches:
        close = difflib.get_close_matches(wanted, [r.tag for r in records], n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown weights tag {tag!r} for {model!r}.{hint} Its tags are: {known}, and "
            "'imagenet' for its best ImageNet tag where it has one."
        )
    problem = difference(matches[0], config, defaults)
    if problem is not None:
        raise ValueError(f"weights={tag!r} of {model!r} do not fit this configuration: {problem}.")
    return matches[0]


MARKDOWN_HEADER = (
    "| model | tag | source | dataset | metric | classes | input | preprocessing | file |\n"
    "| --- | --- | --- | --- | --- | ---: | --- | --- | ---: |"
)


def markdown_row(record: Weights) -> str:
    """One row of the README's table of weights (``zoo list --weights --markdown``)."""
    metrics = ", ".join(f"{m.name} {m.value:g}" for m in record.metrics)
    size = (
        f"{record.file_size / 1e6:.2f} MB"
        if record.file_size is not None
        else f"{record.published_size_mb:g} MB"
    )
    steps = record.preprocessing.name if record.preprocessing else "token ids"
    shape = "x".join("?" if d is None else str(d) for d in record.input_shape)
    return (
        f"| `{record.model}` | `{record.tag}` | {record.source} | {record.dataset} | {metrics} "
        f"| {record.num_classes or '-'} | {shape} | {steps} | {size} |"
    )


def markdown_table(models=None) -> str:
    """The README's table of weights tags: every tag of ``models`` (default: all)."""
    chosen = sorted(by_model()) if models is None else models
    rows = [markdown_row(record) for model in chosen for record in tags(model)]
    return "\n".join([MARKDOWN_HEADER, *rows])
