"""The shared argument checks: each error names the argument, the value and what is allowed."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from zoo import validation


@pytest.mark.parametrize("value", [0, -3, 1.5, True, "2", None])
def test_check_positive_int_refuses(value):
    with pytest.raises(ValueError, match=r"units must be an integer >= 1, got"):
        validation.check_positive_int("units", value)


def test_check_positive_int_accepts_and_honours_minimum():
    assert validation.check_positive_int("units", 3) == 3
    assert validation.check_positive_int("pieces", 2, minimum=2) == 2
    with pytest.raises(ValueError, match="pieces must be an integer >= 2, got 1"):
        validation.check_positive_int("pieces", 1, minimum=2)


@pytest.mark.parametrize(
    ("value", "kwargs", "phrase"),
    [
        (math.nan, {}, "rate must be a finite number"),
        (math.inf, {}, "rate must be a finite number"),
        ("0.1", {}, "rate must be a finite number"),
        (1.0, {"low": 0.0, "high": 1.0, "high_open": True}, r"rate must be in \[0.0, 1.0\)"),
        (0.0, {"low": 0.0, "low_open": True}, r"rate must be in \(0.0, inf\]"),
        (-1, {"low": 0}, r"rate must be in \[0, inf\]"),
    ],
)
def test_check_number_refuses(value, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        validation.check_number("rate", value, **kwargs)


def test_check_number_accepts_the_ends_of_closed_intervals():
    assert validation.check_number("rate", 0, low=0, high=1) == 0.0
    assert validation.check_number("rate", 1, low=0, high=1) == 1.0


def test_check_choice_and_lists():
    assert validation.check_choice("mode", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="mode must be one of 'a', 'b'; got 'c'"):
        validation.check_choice("mode", "c", ("a", "b"))
    assert validation.check_positive_int_list("widths", (3, 4)) == [3, 4]
    with pytest.raises(ValueError, match="widths must be a list of positive integers"):
        validation.check_positive_int_list("widths", [3, -1])


@pytest.mark.parametrize("value", [0, 0.5, 0.999, np.float32(0.25)])
def test_check_rate_accepts_zero_up_to_one(value):
    assert validation.check_rate("dropout", value) == pytest.approx(float(value))
    assert isinstance(validation.check_rate("dropout", value), float)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (1.0, r"dropout must be in \[0.0, 1.0\), got 1.0"),
        (-0.1, r"dropout must be in \[0.0, 1.0\), got -0.1"),
        (math.nan, "dropout must be a finite number, got nan"),
        ("0.5", "dropout must be a finite number, got '0.5'"),
        (True, "dropout must be a finite number, got True"),
    ],
)
def test_check_rate_refuses(value, phrase):
    with pytest.raises(ValueError, match=phrase):
        validation.check_rate("dropout", value)


def test_check_bool_accepts_python_and_numpy_bools():
    assert validation.check_bool("batch_norm", True) is True
    assert validation.check_bool("batch_norm", False) is False
    assert validation.check_bool("batch_norm", np.bool_(True)) is True  # a Python bool back


@pytest.mark.parametrize("value", [0, 1, "yes", None, 1.0, np.int64(1)])
def test_check_bool_refuses_everything_else(value):
    with pytest.raises(
        ValueError, match=re.escape(f"batch_norm must be True or False, got {value!r}.")
    ):
        validation.check_bool("batch_norm", value)


def test_check_activation_names_the_table_keras_and_none():
    """The one activation validator: the block table and classifier_activation both use it."""
    assert validation.check_activation("a", "crelu", table=("crelu",)) == "crelu"
    assert validation.check_activation("a", "tanh") == "tanh"
    assert validation.check_activation("a", None, none="logits") is None
    with pytest.raises(ValueError, match=r"a must be None \(logits\) or a Keras activation"):
        validation.check_activation("a", "softmaxx", none="logits")
    with pytest.raises(ValueError, match="a must be one of 'crelu' or a Keras activation name"):
        validation.check_activation("a", 3, table=("crelu",))
    with pytest.raises(ValueError, match="a must be a Keras activation name"):
        validation.check_activation("a", None)
