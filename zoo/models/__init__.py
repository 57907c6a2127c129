"""The architectures (imported as ``zoo.models``): one module per family, and the registry.

Every module here without a leading underscore is an architecture family (``lenet``, ``vgg``,
``resnet``, ``rnn``, ...): its paper's table as data and one builder reading it, registered by
name. Families are discovered (`zoo.models._registry.family_modules`), not listed by hand, so a
new family is one new file. The modules with an underscore are infrastructure:

- ``_registry``: `register` / `register_variant`, `build`, `list_models`, `info` and `ModelInfo`
  (public as ``zoo.build`` and friends);
- ``_cards``: the recorded cards (``cards.json``: every model's card, parameter count and MACs),
  so `info` and `list_models` import neither Keras nor the families (only `build` does);
- ``_stages`` and ``_features``: the feature pyramid (``features_only``, `feature_info`): its
  records, and the stages read off a built model's graph;
- ``_spec``: `BuildSpec`, the keras.applications arguments every builder receives, checked once;
- ``_blocks``: the activation table, conv + BN + activation, and the classic and modern tops;
- ``_sequence``: the recurrent toolkit of the sequence families.

The layers the builders use that Keras lacks live in `zoo.layers`; nothing here imports
`zoo.training` or `zoo.tuning`.
"""

from zoo.models._registry import (
    TASKS,
    ModelInfo,
    build,
    feature_info,
    info,
    list_models,
    register,
)

__all__ = ["TASKS", "ModelInfo", "build", "feature_info", "info", "list_models", "register"]
