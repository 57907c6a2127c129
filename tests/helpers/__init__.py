"""Test helpers shared across the suite, imported as ``tests.helpers.<module>``.

- `layer_checks`: the layer harness (`check_layer`, with expected weight counts as Keras'
  ``run_layer_test`` takes them), backend-neutral `gradients`, `random_inputs`, `to_numpy`;
- `model_checks`: a training step and a ``.keras`` round trip for a built model, README rows;
- `small_models`: the smallest configuration of every registered model (`small_model`);
- `fast_tier`: which tests `make test-fast` runs (``--fast``) and their recorded durations;
- `children`: child scripts (`Child`) forked from one pre-imported interpreter
  (`fork_server`), or fresh Pythons.
"""
