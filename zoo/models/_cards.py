"""The recorded model cards: every registered model's card and its counts, kept as data.

``cards.json`` (next to this module, shipped in the package) holds, for every model the family
modules register, its card (``zoo.info(name).to_dict()``: name, aliases, family, task, paper,
year, default input, minimum size, classes, description, knobs) plus the family module that
registers it, and what is measured at the default configuration: ``num_params``
(``model.count_params()``), ``macs`` (`zoo.summary`'s ``total_macs``) and, for the models with
``features``, the ``stages`` of their feature pyramid (`zoo.feature_info`). `zoo.info`,
`zoo.list_models`, ``zoo list [--json]``, ``zoo info`` and the README's table read them from
here, so they import neither Keras nor the family modules, build nothing and change no global
state (dtype policy, distribution, layer-name counters); only `zoo.build` imports a builder.

The file is generated, never edited by hand. After changing a family module (a card field, a
knob, a default), regenerate it and commit the result:

    python -m zoo.profile --write-cards             # re-measure every model (minutes: resnet1202)
    python -m zoo.profile --write-cards resnet50    # re-measure these; refresh every card's fields
    python -m zoo.profile --write-cards --fields-only   # refresh the fields, keep the counts
    python -m zoo.profile --check-cards             # exit 1 if a recorded card's fields are stale

Tests keep it honest: ``tests/zoo/models/test_registry.py`` compares every recorded card with
the card the family modules register (no build), and
``tests/helpers/model_checks.check_readme_row``, called wherever a test builds a model at its
default size, compares the recorded counts with that build's profile.

This module only reads and writes the file (no ``zoo`` imports: the registry builds on it).
"""

from __future__ import annotations

import functools
import json
import pathlib

PATH = pathlib.Path(__file__).with_name("cards.json")

# The order of a record's keys in the file (ModelInfo.to_dict's, then the registering module).
FIELDS = (
    "name",
    "aliases",
    "family",
    "task",
    "paper",
    "year",
    "default_input_shape",
    "min_input_size",
    "default_num_classes",
    "description",
    "num_params",
    "macs",
    "config_arguments",
    "features",
    "stages",
    "module",
)


@functools.cache
def load(path: pathlib.Path = PATH) -> dict[str, dict]:
    """The recorded cards, name -> record (plain JSON values; cached per path).

    Without the file (before the first ``--write-cards``) there are none: the registry then
    imports every family module and counts parameters by building, as it did before."""
    path = pathlib.Path(path)
    if not path.is_file():
        return {}
    records = json.loads(path.read_text(encoding="utf-8"))
    for name, record in records.items():
        if sorted(record) != sorted(FIELDS) or record["name"] != name:
            raise ValueError(
                f"{path}: the record of {name!r} is malformed (regenerate it with "
                "`python -m zoo.profile --write-cards`)."
            )
    return records


def write(records: dict[str, dict], path: pathlib.Path = PATH) -> pathlib.Path:
    """Write ``records`` (name -> record with every key of `FIELDS`), sorted by name: one field
    per line, so a regenerated file diffs by field."""
    entries = []
    for name in sorted(records):
        fields = ",\n".join(
            f"    {json.dumps(key)}: {json.dumps(records[name][key])}" for key in FIELDS
        )
        entries.append(f"  {json.dumps(name)}: {{\n{fields}\n  }}")
    path = pathlib.Path(path)
    path.write_text("{\n" + ",\n".join(entries) + "\n}\n", encoding="utf-8")
    load.cache_clear()
    return path


def human_units(count: int) -> str:
    """``569_433_256`` -> ``"569.4M"``, ``15_470_264_320`` -> ``"15.5G"`` (powers of 1000)."""
    for factor, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(count) >= factor:
            return f"{count / factor:.1f}{unit}"
    return str(count)


def stage_table(name: str, stages: list[dict]) -> str:
    """The markdown table of a model's feature stages (``zoo info NAME --stages``, the README's
    stage tables): index, layer, channels, reduction, from their records."""
    lines = [
        f"| `{name}` stage | layer | channels | reduction |",
        "| ---: | --- | ---: | ---: |",
    ]
    lines += [
        f"| {s['index']} | `{s['layer']}` | {s['channels']} | {s['reduction']} |" for s in stages
    ]
    return "\n".join(lines)
