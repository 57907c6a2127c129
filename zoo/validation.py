"""Argument checks shared by builders, layers and training code.

Each raises `ValueError` naming the argument, the value it got and what is allowed, so a user
never meets an obscure backend shape error first.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_number(name: str, value, *, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a finite float inside [low, high] (ends open where asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {span}, got {value!r}.")
    return float(value)


def check_rate(name: str, value) -> float:
    """``value`` as a float in [0, 1): a dropout rate (1 would drop everything)."""
    return check_number(name, value, low=0.0, high=1.0, high_open=True)


def check_bool(name: str, value) -> bool:
    """``value`` as a Python bool: ``True`` or ``False`` (a NumPy bool too), never 0, 1 or "yes".

    NumPy bools are accepted because they are what comparisons on arrays and configs read back
    from arrays produce; ints are refused, as a 0/1 is more often a misplaced count or rate.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}.")


def check_choice(name: str, value, allowed):
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}.")
    return value


def check_positive_int_list(name: str, value) -> list[int]:
    """A non-empty list or tuple of positive ints (``[]`` allowed only where stated by caller)."""
    if not isinstance(value, (list, tuple)) or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in value
    ):
        raise ValueError(f"{name} must be a list of positive integers, got {value!r}.")
    return [int(v) for v in value]


def check_divides(name: str, value, total: int, what: str) -> int:
    """``value`` as a positive int that divides ``total`` (``what`` says what ``total`` counts)."""
    value = check_positive_int(name, value)
    if total % value:
        raise ValueError(f"{name} must divide {what} ({total}), got {value!r}.")
    return value


def check_activation(name: str, value, *, table=(), none: str | None = None):
    """``value`` if it names an activation: one of ``table`` or a Keras activation name.

    ``none`` says what ``None`` means where it is allowed (e.g. ``"logits"`` for a classifier);
    without it, None is refused. Keras names are checked with ``keras.activations.get``.
    """
    if value is None and none is not None:
        return None
    if value in table:
        return value
    import keras

    try:
        if not isinstance(value, str):
            raise TypeError
        keras.activations.get(value)
    except (ValueError, TypeError):
        allowed = [f"None ({none})"] if none is not None else []
        if table:
            allowed.append("one of " + ", ".join(repr(a) for a in table))
        allowed.append("a Keras activation name such as 'relu', 'tanh' or 'softmax'")
        raise ValueError(f"{name} must be {' or '.join(allowed)}; got {value!r}.") from None
    return value
