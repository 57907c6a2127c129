"""The records of a feature pyramid, as plain data: what the cards hold and `zoo.feature_info`
returns, and the check of ``out_indices``. No Keras: the cards are read without it; the graph
reading that finds the stages is `zoo.models._features`.
"""

from __future__ import annotations

import dataclasses
import operator


@dataclasses.dataclass(frozen=True)
class FeatureInfo:
    """One stage of a feature pyramid: its ``index`` among all the network's stages, the
    ``layer`` whose output is the feature map, its ``channels`` and its ``reduction`` (the
    cumulative stride)."""

    index: int
    layer: str
    channels: int
    reduction: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class FeatureStages(tuple):
    """The `FeatureInfo` records of a network's stages, with timm's accessors."""

    def channels(self) -> tuple[int, ...]:
        return tuple(stage.channels for stage in self)

    def reduction(self) -> tuple[int, ...]:
        return tuple(stage.reduction for stage in self)

    def layers(self) -> tuple[str, ...]:
        return tuple(stage.layer for stage in self)

    def to_list(self) -> list[dict]:
        return [stage.to_dict() for stage in self]


def check_out_indices(out_indices, count: int, model: str) -> tuple[int, ...]:
    """``out_indices`` (None: all) as stage indices in [0, count): a negative index counts from
    the last stage in every model (-1 is the last); one out of range, repeated or not an
    integer is a ValueError listing the valid range."""
    valid = f"the stages of {model!r} are 0 to {count - 1} (or -{count} to -1 from the last)"
    if out_indices is None:
        return tuple(range(count))
    if isinstance(out_indices, (str, bytes)) or not hasattr(out_indices, "__iter__"):
        raise ValueError(
            f"out_indices must be None or a sequence of stage indices (one stage: "
            f"out_indices=(i,)), got {out_indices!r}: {valid}."
        )
    indices = list(out_indices)
    if not indices:
        raise ValueError(f"out_indices selects no stage (got {out_indices!r}): {valid}.")
    chosen = []
    for index in indices:
        if isinstance(index, bool) or not hasattr(index, "__index__"):
            raise ValueError(
                f"out_indices must hold integers, got {index!r} in {out_indices!r}: {valid}."
            )
        index = operator.index(index)
        if not -count <= index < count:
            raise ValueError(f"out_indices has {index}, out of range: {valid}.")
        chosen.append(index % count)
    repeated = sorted({i for i in chosen if chosen.count(i) > 1})
    if repeated:
        raise ValueError(
            f"out_indices {out_indices!r} selects stage {repeated[0]} more than once: {valid}."
        )
    return tuple(chosen)
