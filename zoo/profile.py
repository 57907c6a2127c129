"""Per-layer profile of a model: output shapes, parameters and multiply-accumulates (MACs).

    profile = zoo.summary("alexnet")        # or zoo.summary(model) for any built keras.Model
    print(profile)                          # aligned table, then the totals
    profile.total_macs                      # 727,894,112: 0.72G, the two-GPU AlexNet

The counts follow the lectures (seed 003), for a convolution with input W, filter F, stride S,
padding P, and for a dense layer:

    output size      O = (W - F + 2P) / S + 1
    conv params      (F * F * C_in / groups + 1) * C_out
    conv MACs        O_h * O_w * C_out * F * F * C_in / groups
    dense MACs       in * out  (times the positions before the last axis, on N-D inputs)

Conventions (those of the papers' mult-add counts, and of keras-flops / ptflops / fvcore):

- A MAC is one multiply-accumulate of a weight: convolutions (grouped, depthwise, separable =
  depthwise + pointwise, transposed = every input element times the kernel), dense layers
  (`Dense`, `EinsumDense`, `zoo.layers.ExplicitDense`, `zoo.layers.MaxoutDense`: in * units *
  pieces), recurrent layers and attention products. Bias additions are not counted.
- Recurrent layers: the cell's MACs per time step times the steps T. Per step, for input size d
  and n units: SimpleRNN d*n + n*n; LSTM 4(d*n + n*n); peephole LSTM 4(d*n + n*n) + 3n; GRU
  3(d*n + n*n) (either ``reset_after``); `keras.layers.Bidirectional` adds both directions.
  Element-wise gate products are not counted.
- Pooling counts its window: output elements * window size (the compares or adds); global
  pooling counts the input elements; LRN counts its channel window (2r + 1) per element.
- Normalisation (BatchNormalization folds into the preceding convolution at inference; layer
  and group normalisation), activations, dropout, merges, reshapes and `Embedding` (a look-up):
  0 MACs. Layers not recognised are listed with their parameters and 0 MACs.
- A free (``None``) size counts as 1: MACs per position (per step for a free length T).
- Nested models are walked recursively (rows ``outer/inner``), with their own graph's shapes;
  a layer or model called several times adds the MACs of every call (its row shows the first
  call's output shape) and counts its weights once, so ``total_params`` equals
  ``model.count_params()``.
- Subclassed models have no graph to read: their layers are listed with their parameters,
  but shapes and MACs only for the calls made on symbolic inputs (none after eager calls).

`markdown_table` renders the README's table of models from the registry's recorded cards
(``zoo list --markdown``: no build). Those cards' counts are these profiles' totals, recorded by
``python -m zoo.profile --write-cards [NAME ...]`` (see `zoo.models._cards`).
"""

from __future__ import annotations

import dataclasses
import math

import keras

from zoo.layers import ExplicitDense, LocalResponseNormalization, MaxoutDense, PeepholeLSTMCell
from zoo.models._cards import human_units  # here for the profile's users; no Keras needed there
from zoo.models._features import model_stages, stages
from zoo.models._registry import build, info
from zoo.models._stages import FeatureStages

_L = keras.layers
_CONV = (_L.Conv1D, _L.Conv2D, _L.Conv3D)
_DEPTHWISE = (_L.DepthwiseConv1D, _L.DepthwiseConv2D)
_SEPARABLE = (_L.SeparableConv1D, _L.SeparableConv2D)
_TRANSPOSE = (_L.Conv1DTranspose, _L.Conv2DTranspose, _L.Conv3DTranspose)
_POOL = (
    _L.MaxPooling1D,
    _L.MaxPooling2D,
    _L.MaxPooling3D,
    _L.AveragePooling1D,
    _L.AveragePooling2D,
    _L.AveragePooling3D,
)
_GLOBAL_POOL = (
    _L.GlobalMaxPooling1D,
    _L.GlobalMaxPooling2D,
    _L.GlobalMaxPooling3D,
    _L.GlobalAveragePooling1D,
    _L.GlobalAveragePooling2D,
    _L.GlobalAveragePooling3D,
)
_CONV_LSTM = (_L.ConvLSTM1D, _L.ConvLSTM2D, _L.ConvLSTM3D)


@dataclasses.dataclass(frozen=True)
class ProfileRow:
    """One layer: name (``outer/inner`` in nested models), type, output shape, params, MACs.

    ``output_shape`` is a tuple of dims (``None`` when free), a tuple of such tuples for a
    layer with several outputs, or ``None`` when unknown (a layer never called symbolically).
    """

    name: str
    type: str
    output_shape: tuple | None
    params: int
    macs: int
    stage: int | None = None  # the feature stage this layer's output ends (`zoo.feature_info`)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "output_shape": _shape_to_list(self.output_shape),
            "params": self.params,
            "macs": self.macs,
            "stage": self.stage,
        }


@dataclasses.dataclass(frozen=True)
class Profile:
    """The per-layer table of a model and its totals; ``str(profile)`` renders it as text."""

    model_name: str
    rows: tuple[ProfileRow, ...]
    total_params: int
    trainable_params: int
    total_macs: int
    stages: FeatureStages = dataclasses.field(default_factory=FeatureStages)  # marked on rows

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def to_dict(self) -> dict:
        """Plain JSON-serialisable data: lists, ints, strings, ``None`` for free dims."""
        return {
            "model_name": self.model_name,
            "rows": [row.to_dict() for row in self.rows],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "total_macs": self.total_macs,
            "stages": self.stages.to_list(),
        }

    def __str__(self) -> str:
        """The table; a model with feature stages gets a last column marking the layer that
        ends each stage: ``1 (/4)`` is stage 1, at a quarter of the input's resolution."""
        header = ("Layer (type)", "Output shape", "Params", "MACs", "Stage")
        reductions = {stage.index: stage.reduction for stage in self.stages}
        body = [
            (
                f"{r.name} ({r.type})",
                _format_shape(r.output_shape),
                f"{r.params:,}",
                f"{r.macs:,}",
                "" if r.stage is None else f"{r.stage} (/{reductions[r.stage]})",
            )
            for r in self.rows
        ]
        columns = 5 if self.stages else 4
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(columns)]

        def line(cells):
            left = [cells[i].ljust(widths[i]) for i in range(2)]
            right = [cells[i].rjust(widths[i]) for i in range(2, columns)]
            return "  ".join(left + right)

        rule = "-" * (sum(widths) + 2 * (columns - 1))
        return "\n".join(
            [
                f'Model: "{self.model_name}"',
                rule,
                line(header),
                rule.replace("-", "="),
                *(line(cells) for cells in body),
                rule,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                f"Total MACs: {self.total_macs:,} ({human_units(self.total_macs)})",
            ]
        )


MARKDOWN_HEADER = (
    "| model | aliases | task | paper | year | parameters | MACs | weights |\n"
    "| --- | --- | --- | --- | --- | ---: | ---: | --- |"
)


def markdown_row(info) -> str:
    """One row of the README's table of models, from a card (its recorded counts)."""
    aliases = ", ".join(f"`{a}`" for a in info.aliases)
    macs = "-" if info.macs is None else human_units(info.macs)
    weights = ", ".join(f"`{w.tag}`" for w in info.weights)
    return (
        f"| `{info.name}` | {aliases} | {info.task} | {info.paper} | {info.year} "
        f"| {info.num_params:,} | {macs} | {weights} |"
    )


def markdown_table(names) -> str:
    """The README's table of models (``zoo list --markdown``): name, aliases, task, paper,
    year, parameters and MACs of each default configuration, read from the recorded cards
    (no build), and the weights tags (`zoo.weights`)."""
    from zoo.models._registry import info

    return "\n".join([MARKDOWN_HEADER, *(markdown_row(info(name)) for name in names)])


def _measure(name: str) -> tuple[int, int, FeatureStages]:
    """Parameters, MACs and feature stages (none without ``features``) of a registered model
    at its default configuration (one build, and one without the top for the stages)."""
    profile = summary(name)
    found = FeatureStages()
    if info(name).features:
        found = stages(build(name, include_top=False))
    keras.backend.clear_session()  # the recording process only: one model after another
    return profile.total_params, profile.total_macs, found


def write_cards(argv=None) -> int:
    """``python -m zoo.profile --write-cards [NAME ...] [--fields-only]`` or ``--check-cards``:
    record every model's card and counts in ``zoo/models/cards.json`` (`zoo.models._cards`)."""
    import argparse

    from zoo.models import _cards, _registry

    parser = argparse.ArgumentParser(prog="python -m zoo.profile", description=write_cards.__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write-cards", action="store_true", help="rewrite cards.json")
    action.add_argument("--check-cards", action="store_true", help="compare, no build")
    parser.add_argument("names", nargs="*", help="re-measure only these (default: every model)")
    parser.add_argument("--fields-only", action="store_true", help="keep the recorded counts")
    args = parser.parse_args(argv)
    if args.check_cards:
        problems = _registry.stale_cards()
        print("\n".join(problems) or f"{_cards.PATH} is current (counts checked by the tests)")
        return 1 if problems else 0
    records = _registry.record_cards(_measure, args.names or None, fields_only=args.fields_only)
    print(f"wrote {_cards.write(records)} ({len(records)} models)")
    return 0


def summary(name_or_model, *, input_shape=None) -> Profile:
    """Profile a registered model (by name) or a built ``keras.Model``: shapes, params, MACs.

    MACs follow the lecture formulas and the conventions of this module's docstring, e.g.
    conv MACs = O_h * O_w * C_out * F * F * C_in / groups, dense MACs = in * out. Only shapes
    are read: no forward pass runs.

    Args:
        name_or_model: a name from ``zoo.list_models()`` (built with ``zoo.build``) or a built
            ``keras.Model``.
        input_shape: with a name, the input shape to build at (default: the paper's); must
            be None with a model.

    Example: ``zoo.summary("vgg_d").total_macs`` -> 15,476,385,792 (15.5G, as in the paper).
    """
    if isinstance(name_or_model, str):
        model = (
            build(name_or_model)
            if input_shape is None
            else build(name_or_model, input_shape=input_shape)
        )
    elif isinstance(name_or_model, keras.Model):
        if input_shape is not None:
            raise ValueError(
                f"input_shape applies only when profiling a model by name; got input_shape="
                f"{input_shape!r} with the built model {name_or_model.name!r}."
            )
        model = name_or_model
    else:
        raise ValueError(
            f"name_or_model must be a registered model name or a keras.Model, got "
            f"{name_or_model!r}."
        )
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built: call it or build() it first.")
    seen: set[int] = set()
    rows = _walk(model, "", seen, nested=False)
    rest = _new_params(model.weights, seen)
    if rest:  # weights of the model itself, outside any layer
        rows.append(ProfileRow("(other weights)", type(model).__name__, None, rest, 0))
    found = _stages_of(model)
    return Profile(
        model_name=model.name,
        rows=tuple(_mark_stages(rows, found)),
        total_params=sum(row.params for row in rows),
        trainable_params=_new_params(model.trainable_weights, set()),
        total_macs=sum(row.macs for row in rows),
        stages=found,
    )


def _stages_of(model) -> FeatureStages:
    """``model``'s feature stages (`zoo.feature_info`); none for a model that has no single
    image input or no functional graph to read them from."""
    try:
        return model_stages(model)
    except (ValueError, AttributeError):
        return FeatureStages()


def _mark_stages(rows, found: FeatureStages) -> list[ProfileRow]:
    """``rows`` with each stage's last layer marked: the stage's layer, or for a nested model
    (ResNet-1202's chunks) the last row of its walk."""
    ends = {}
    for stage in found:
        inner = [i for i, row in enumerate(rows) if row.name.startswith(f"{stage.layer}/")]
        named = [i for i, row in enumerate(rows) if row.name == stage.layer]
        ends[(named or inner)[-1]] = stage.index
    return [
        dataclasses.replace(row, stage=ends[i]) if i in ends else row for i, row in enumerate(rows)
    ]


# ---------------------------------------------------------------------------- the graph walk


def _graph(model):
    """The functional graph of ``model`` (a Sequential's inner one), or None if subclassed."""
    if hasattr(model, "_nodes_by_depth"):
        return model
    return getattr(model, "_functional", None)


def _calls(model) -> list[tuple[object, list]]:
    """(layer, its nodes in this model's graph) in the order of ``model.layers``."""
    graph = _graph(model)
    if graph is None:
        return [(layer, list(layer._inbound_nodes)) for layer in model.layers]
    nodes: dict[int, list] = {}
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            nodes.setdefault(id(node.operation), []).append(node)
    return [(op, nodes.get(id(op), [])) for op in graph.operations]


def _walk(model, prefix: str, seen: set[int], *, nested: bool) -> list[ProfileRow]:
    rows = []
    for layer, nodes in _calls(model):
        if isinstance(layer, _L.InputLayer):
            if not nested:
                shape = tuple(layer.output.shape)
                rows.append(ProfileRow(prefix + layer.name, "InputLayer", shape, 0, 0))
            continue
        if isinstance(layer, keras.Model):
            inner = _walk(layer, f"{prefix}{layer.name}/", seen, nested=True)
            times = max(len(nodes), 1)
            rows.extend(dataclasses.replace(row, macs=row.macs * times) for row in inner)
            continue
        macs = sum(_safe_node_macs(layer, node) for node in nodes)
        output_shape = _output_shape(nodes[0].outputs) if nodes else None
        params = _new_params(getattr(layer, "weights", ()), seen)  # ops have none
        rows.append(
            ProfileRow(prefix + layer.name, type(layer).__name__, output_shape, params, macs)
        )
    return rows


def _new_params(weights, seen: set[int]) -> int:
    """Sizes of the ``weights`` not yet in ``seen`` (which they join): shared ones count once."""
    total = 0
    for weight in weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            total += math.prod(int(d) for d in weight.shape)
    return total


def _output_shape(tensors) -> tuple:
    shapes = [tuple(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else tuple(shapes)


def _shape_to_list(shape):
    if shape is None:
        return None
    if shape and isinstance(shape[0], tuple):
        return [list(s) for s in shape]
    return list(shape)


def _format_shape(shape) -> str:
    if shape is None:
        return "?"
    if shape and isinstance(shape[0], tuple):
        return "[" + ", ".join(_format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


# ---------------------------------------------------------------------------- per-layer MACs


def _size(dims) -> int:
    """Product of dims, a free (None) one counting as 1."""
    return math.prod(1 if d is None else int(d) for d in dims)


def _safe_node_macs(layer, node) -> int:
    """`_node_macs`, or 0 for an unusual call of a known layer (treated as unrecognised)."""
    try:
        return _node_macs(layer, node)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return 0


def _node_macs(layer, node) -> int:
    args, kwargs = node.arguments.args, node.arguments.kwargs
    inputs = [tuple(t.shape) for t in node.input_tensors]
    outputs = [tuple(t.shape) for t in node.outputs]
    if isinstance(layer, _L.MultiHeadAttention):
        query = args[0]
        value = args[1] if len(args) > 1 else kwargs["value"]
        key = args[2] if len(args) > 2 else kwargs.get("key")
        key = value if key is None else key
        return _attention_macs(layer, query.shape, key.shape, value.shape, outputs[0])
    if isinstance(layer, (_L.Attention, _L.AdditiveAttention)):
        query, value = inputs[0], inputs[1]  # scores Q K^T, then the weighted sum A V
        return _size(query[1:-1]) * _size(value[1:-1]) * (query[-1] + value[-1])
    return _layer_macs(layer, inputs[0], outputs[0])


def _layer_macs(layer, input_shape, output_shape) -> int:
    """MACs of one call of ``layer`` (shapes with the batch axis); 0 when not recognised."""
    if isinstance(layer, _L.Bidirectional):
        return _rnn_macs(layer.forward_layer, input_shape, output_shape) + _rnn_macs(
            layer.backward_layer, input_shape, output_shape
        )
    if isinstance(layer, _L.TimeDistributed):
        inner_in = (input_shape[0], *input_shape[2:])
        inner_out = (output_shape[0], *output_shape[2:])
        return _size(input_shape[1:2]) * _layer_macs(layer.layer, inner_in, inner_out)
    if isinstance(layer, _L.RNN):
        return _rnn_macs(layer, input_shape, output_shape)
    if isinstance(layer, (_L.Dense, ExplicitDense)):
        return _size(input_shape[1:]) * layer.units
    if isinstance(layer, MaxoutDense):
        return _size(input_shape[1:]) * layer.units * layer.num_pieces
    if isinstance(layer, _L.EinsumDense):
        return _einsum_macs(layer, output_shape)
    if isinstance(layer, (*_CONV, *_DEPTHWISE, *_SEPARABLE, *_TRANSPOSE)):
        return _conv_macs(layer, input_shape, output_shape)
    if isinstance(layer, _POOL):
        return _size(output_shape[1:]) * _size(layer.pool_size)
    if isinstance(layer, _GLOBAL_POOL):
        return _size(input_shape[1:])
    if isinstance(layer, LocalResponseNormalization):
        return _size(output_shape[1:]) * (2 * layer.depth_radius + 1)
    return 0


def _conv_macs(layer, input_shape, output_shape) -> int:
    """O_h * O_w * C_out * F * F * C_in / groups, and the depthwise / separable / transposed
    variants (a transposed conv multiplies every input element by the kernel)."""
    if layer.data_format == "channels_first":
        c_in, in_space, c_out, out_space = (
            input_shape[1],
            input_shape[2:],
            output_shape[1],
            output_shape[2:],
        )
    else:
        c_in, in_space, c_out, out_space = (
            input_shape[-1],
            input_shape[1:-1],
            output_shape[-1],
            output_shape[1:-1],
        )
    window = _size(layer.kernel_size)
    groups = getattr(layer, "groups", 1) or 1
    if isinstance(layer, _TRANSPOSE):
        return _size(in_space) * c_in * window * c_out // groups
    if isinstance(layer, _DEPTHWISE):
        return _size(out_space) * c_in * layer.depth_multiplier * window
    if isinstance(layer, _SEPARABLE):
        mid = c_in * layer.depth_multiplier
        return _size(out_space) * mid * (window + c_out)
    return _size(out_space) * c_out * window * c_in // groups


def _einsum_macs(layer, output_shape) -> int:
    """Output elements times the size of the contracted axes (in input and kernel, not out)."""
    operands, output = layer.equation.split("->")
    _, kernel = operands.split(",")
    contracted = [i for i, letter in enumerate(kernel) if letter not in output]
    return _size(output_shape[1:]) * _size(layer.kernel.shape[i] for i in contracted)


def _attention_macs(layer, query, key, value, output) -> int:
    """MultiHeadAttention: the Q, K, V and output projections plus Q K^T and A V per head."""
    heads, key_dim = layer.num_heads, layer.key_dim
    value_dim = layer.value_dim or key_dim
    t_q, t_k, t_v = _size(query[1:-1]), _size(key[1:-1]), _size(value[1:-1])
    projections = heads * (
        t_q * query[-1] * key_dim
        + t_k * key[-1] * key_dim
        + t_v * value[-1] * value_dim
        + t_q * value_dim * output[-1]
    )
    return projections + heads * t_q * t_k * (key_dim + value_dim)


def _rnn_macs(layer, input_shape, output_shape) -> int:
    """Per-step cell MACs times the steps T (a free T counts as 1)."""
    if isinstance(layer, _CONV_LSTM):
        cell = layer.cell
        space = _size(output_shape[-1 - cell.rank : -1])
        per_step = (
            space * 4 * cell.filters * _size(cell.kernel_size) * (input_shape[-1] + cell.filters)
        )
        return _size(input_shape[1:2]) * per_step
    cell = layer.cell
    cells = cell.cells if isinstance(cell, _L.StackedRNNCells) else [cell]
    per_step, features = 0, input_shape[-1]
    for item in cells:
        per_step += _cell_macs(item, features)
        features = getattr(item, "units", features)
    return _size(input_shape[1:2]) * per_step


def _cell_macs(cell, d: int) -> int:
    """One step: SimpleRNN d*n + n*n, LSTM 4(d*n + n*n) (+3n with peepholes), GRU 3(...)."""
    if isinstance(cell, (_L.SimpleRNNCell, _L.LSTMCell, _L.GRUCell)):
        n = cell.units
        gates = 4 if isinstance(cell, _L.LSTMCell) else 3 if isinstance(cell, _L.GRUCell) else 1
        peepholes = 3 * n if isinstance(cell, PeepholeLSTMCell) else 0
        return gates * (d * n + n * n) + peepholes
    # Another cell: each weight but the biases multiplies once per step.
    return sum(math.prod(int(s) for s in w.shape) for w in cell.weights if "bias" not in w.name)


if __name__ == "__main__":
    raise SystemExit(write_cards())
