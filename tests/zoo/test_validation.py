"""The shared argument checks: each error names the argument, the value and what is allowed."""

from __future__ import annotations

import math

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


def test_check_activation():
    assert validation.check_activation("activation", "relu") == "relu"
    with pytest.raises(ValueError, match="activation must be the name of a Keras activation"):
        validation.check_activation("activation", "rel")
    with pytest.raises(ValueError, match="got 3"):
        validation.check_activation("activation", 3)
