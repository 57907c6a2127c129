"""Ratio benchmarks: ours vs the Keras built-in on the same work, in one process."""
