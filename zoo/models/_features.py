"""Feature pyramids: the stages of an image network, read off its graph, and the feature model.

A stage is a resolution level of the network: the layers whose outputs share one cumulative
stride, the ``reduction`` (input size / feature size, exact for "same" padding on sizes it
divides; valid convolutions trim a border, as LeNet's 5x5 ones do). Its feature map is the
output of the last layer at that level that every path from the input to the output passes
through: the end of each stage, just before the resolution drops (timm's convention, so
ResNet-50's stages are ``conv1_act``, ``conv2_block3_out`` ... ``conv5_block3_out`` with
reductions 2, 4, 8, 16, 32 and 64, 256, 512, 1024, 2048 channels). A branch inside an Inception
module or a residual block never ends a stage; the input and the preprocessing alone do not
make one.

How the last such layer is found: in a topological order of a graph with one input and one
output, a layer lies on every path exactly when no edge jumps over it (leaves a layer before it
for one after it). `stages` walks ``model.layers`` once, keeping the furthest edge seen.

    zoo.feature_info("resnet50").channels()    # (64, 256, 512, 1024, 2048), from the card
    model = zoo.build("resnet50", features_only=True, out_indices=(-2, -1))
    [tuple(t.shape) for t in model.outputs]    # [(None, 14, 14, 1024), (None, 7, 7, 2048)]
"""

from __future__ import annotations

import keras

from zoo.layers import ReverseChannels
from zoo.models._stages import FeatureInfo, FeatureStages, check_out_indices

# Layers that only prepare the input: a level holding nothing else is not a stage.
_PREPROCESSING = (
    keras.layers.InputLayer,
    keras.layers.Rescaling,
    keras.layers.Normalization,
    ReverseChannels,
)
# Layers that only pad before a "valid" window (torchvision's symmetric padding, as in
# keras.applications' ResNet): their output is the map before them plus a border, never a
# stage's feature map, and a level holding nothing else is not a stage.
_PADDING = (keras.layers.ZeroPadding1D, keras.layers.ZeroPadding2D, keras.layers.ZeroPadding3D)
_UPSAMPLING = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)


def _tensors(value) -> list:
    return [t for t in keras.tree.flatten(value) if t is not None]


def _stride(layer) -> float:
    """How much ``layer`` shrinks the resolution: its stride (1/stride if it upsamples)."""
    if isinstance(layer, keras.Model):
        return _reduction_of_output(layer)
    if isinstance(layer, keras.layers.UpSampling2D):
        return 1.0 / max(layer.size)
    strides = getattr(layer, "strides", None)
    if strides is None:
        return 1.0
    stride = max(strides) if isinstance(strides, (tuple, list)) else strides
    return 1.0 / stride if isinstance(layer, _UPSAMPLING) else float(stride)


def _calls(model) -> list:
    """(layer, its input tensors, its output tensors) of every layer call in ``model``'s
    graph (a Sequential's inner one), in topological order. The calls are read from the
    graph's nodes, since a nested model's ``output`` is its own graph's, not the call's."""
    graph = model if hasattr(model, "_nodes_by_depth") else getattr(model, "_functional", None)
    if graph is None:
        raise ValueError(
            f"model {model.name!r} has no functional graph to read feature stages from "
            "(build it with the functional API or keras.Sequential)."
        )
    nodes = {}
    for depth in sorted(graph._nodes_by_depth, reverse=True):
        for node in graph._nodes_by_depth[depth]:
            nodes.setdefault(id(node.operation), node)
    return [
        (op, _tensors(nodes[id(op)].input_tensors), _tensors(nodes[id(op)].outputs))
        for op in graph.operations
        if id(op) in nodes
    ]


def _graph(model, sink=None):
    """The layer calls of ``model`` that ``sink`` (a tensor; default: the first output)
    depends on, in topological order, with each one's producers and the cumulative stride of
    its output. A tensor no layer produces is a model input (stride 1)."""
    calls = _calls(model)
    producer = {id(t): i for i, (_, _, outputs) in enumerate(calls) for t in outputs}
    parents = {
        i: [producer[id(t)] for t in inputs if id(t) in producer]
        for i, (_, inputs, _) in enumerate(calls)
    }
    sink = model.outputs[0] if sink is None else sink
    needed, pending = set(), [producer[id(sink)]]
    while pending:
        index = pending.pop()
        if index not in needed:
            needed.add(index)
            pending.extend(parents[index])
    order = sorted(needed)
    position = {index: i for i, index in enumerate(order)}
    reduction = {}
    for index in order:
        before = max((reduction[p] for p in parents[index]), default=1.0)
        reduction[index] = before * _stride(calls[index][0])
    return (
        [calls[i] for i in order],
        [[position[p] for p in parents[i]] for i in order],
        [reduction[i] for i in order],
    )


def _reduction_of_output(model) -> float:
    return _graph(model)[2][-1]


def _single_input(model) -> None:
    if not isinstance(model, keras.Model) or not model.built:
        raise ValueError(f"feature stages are read from a built keras.Model, got {model!r}.")
    if len(model.inputs) != 1:
        raise ValueError(
            f"model {model.name!r} has {len(model.inputs)} inputs; feature stages need one image "
            "input."
        )


def stages(model, sink=None) -> FeatureStages:
    """The stages of ``model`` up to ``sink`` (a tensor of the model; default: its first
    output), read off its graph (this module's docstring): one `FeatureInfo` per level.

    Only layers with spatial outputs (rank 4: batch, height, width, channels) end a stage, so
    a classifier's flatten and dense layers are not part of any."""
    _single_input(model)
    calls, parents, reduction = _graph(model, sink)
    reach = list(range(len(calls)))  # the furthest consumer of each call
    for i, producers in enumerate(parents):
        for parent in producers:
            reach[parent] = max(reach[parent], i)
    ends = {}
    furthest = 0  # the furthest position an edge from an earlier call lands on
    for i, (layer, _, outputs) in enumerate(calls):
        if (
            furthest <= i
            and len(outputs) == 1
            and len(outputs[0].shape) == 4
            and not isinstance(layer, _PREPROCESSING + _PADDING)
        ):
            ends[reduction[i]] = (layer, outputs[0])
        furthest = max(furthest, reach[i])
    return FeatureStages(
        FeatureInfo(
            index=index,
            layer=layer.name,
            channels=int(output.shape[-1]),
            reduction=_as_number(level),
        )
        for index, (level, (layer, output)) in enumerate(sorted(ends.items()))
    )


def _as_number(level: float):
    return int(level) if float(level).is_integer() else level


def feature_model(backbone, out_indices, *, model: str, name: str) -> keras.Model:
    """The functional model from ``backbone``'s input to the feature maps of the stages
    ``out_indices`` (checked by `check_out_indices`), a list of outputs in that order; it
    shares ``backbone``'s layers and weights."""
    found = stages(backbone)
    selected = check_out_indices(out_indices, len(found), model)
    outputs = {layer.name: out[0] for layer, _, out in _calls(backbone)}
    return keras.Model(backbone.inputs, [outputs[found[i].layer] for i in selected], name=name)


def model_stages(model) -> FeatureStages:
    """The stages a built model exposes: for a feature model (a list of outputs, every one a
    feature map, as ``features_only`` builds), the stages of its outputs, indexed among all
    the stages up to the last of them; for any other model, every stage up to its first
    output."""
    _single_input(model)
    listed = isinstance(model.output, (list, tuple))
    if not listed or not all(len(t.shape) == 4 for t in model.outputs):
        return stages(model)
    calls = _calls(model)
    producer = {id(t): (i, layer) for i, (layer, _, outputs) in enumerate(calls) for t in outputs}
    last = max(model.outputs, key=lambda t: producer[id(t)][0])
    every = {stage.layer: stage for stage in stages(model, sink=last)}
    layers = [producer[id(t)][1].name for t in model.outputs]
    for layer in layers:
        if layer not in every:
            raise ValueError(
                f"output {layer!r} of model {model.name!r} does not end a stage (its stages "
                f"end at {', '.join(every)})."
            )
    return FeatureStages(every[layer] for layer in layers)
