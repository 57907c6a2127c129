"""Shared set-up of the tuning tests: digits at 8x8 (a 64-input problem), tiny MLP widths."""

from __future__ import annotations

import pytest

TINY_MLP = {"units_1": 16, "units_2": 16, "units_3": 16}
"""Fixed widths that keep every mlp trial small (depth, activation etc. stay tuned)."""


@pytest.fixture(scope="session")
def digits():
    """``(train, validation)``: the digits train split (batches of 32) and its test split."""
    from zoo.training import data

    train = data.load("digits", "train", batch_size=32, seed=0, image_size=8)
    validation = data.load("digits", "test", batch_size=128, shuffle=False, image_size=8)
    return train, validation
