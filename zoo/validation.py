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
    """A list, tuple or 1-D NumPy array of positive ints (NumPy ints too) as a list of ints
    (``[]`` passes: callers that need an element say so)."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in value
    ):
        raise ValueError(f"{name} must be a list of positive integers, got {value!r}.")
    return [int(v) for v in value]


MAX_TENSOR_VALUES = 2**31 - 1
"""The most values one example's tensor may hold: the backends index tensors with int32."""


def check_shape(name: str, value) -> tuple:
    """``value`` as a non-empty tuple of positive ints (NumPy ints too; None for a free
    dimension) whose known sizes multiply to at most `MAX_TENSOR_VALUES`."""
    if isinstance(value, (tuple, list)) and value:
        bad = [
            i
            for i, d in enumerate(value)
            if d is not None
            and (isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 1)
        ]
        if not bad:
            shape = tuple(None if d is None else int(d) for d in value)
            values = math.prod(d for d in shape if d is not None)
            if values > MAX_TENSOR_VALUES:
                raise ValueError(
                    f"{name} {shape!r} holds {values:,} values per example ("
                    f"{format_bytes(4 * values)} as float32), more than the {MAX_TENSOR_VALUES:,} "
                    "the backends index (int32)."
                )
            return shape
        detail = f" ({name}[{bad[0]}] is {value[bad[0]]!r})"
    else:
        detail = ""
    raise ValueError(
        f"{name} must be a tuple of positive integers (None for a free dimension), "
        f"got {value!r}{detail}."
    )


def check_string(name: str, value) -> str:
    """``value`` if it is a non-empty string without ``/`` (what Keras allows as a name)."""
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise ValueError(f"{name} must be a non-empty string without '/', got {value!r}.")
    return value


def format_bytes(count: int) -> str:
    """``count`` bytes in binary units: ``format_bytes(3 * 2**30)`` -> ``'3.0 GiB'``."""
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if size < 1024 or unit == "EiB":
            break
        size /= 1024
    return f"{count} bytes" if unit == "bytes" else f"{size:.1f} {unit}"


def physical_memory() -> int | None:
    """This machine's memory in bytes (None where the platform does not say, e.g. Windows)."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits_in_memory(count: int, what: str, arguments: str, *, itemsize: int = 4) -> None:
    """ValueError when ``count`` weights (``itemsize`` bytes each) exceed `physical_memory`:
    checked before they are allocated, so a typo'd width fails at once instead of exhausting
    the machine. ``what`` names the weights, ``arguments`` the arguments that set their size."""
    memory = physical_memory()
    if memory is not None and count * itemsize > memory:
        raise ValueError(
            f"{what} would hold {count:,} weights ({format_bytes(count * itemsize)} as "
            f"float32), more than this machine's memory ({format_bytes(memory)}): reduce "
            f"{arguments}."
        )


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


def check_name(name: str, value, allowed):
    """``value`` if it is one of the names ``allowed``; else `check_choice`'s error, ending in
    "Did you mean ...?" for a near miss (a typo, another case, ``-`` for ``_``).

    Example: ``check_name("name", "minst", ("mnist", "cifar10"))`` suggests ``'mnist'``.
    """
    import difflib

    try:
        return check_choice(name, value, allowed)
    except ValueError as error:
        names = {a.lower().replace("-", "_"): a for a in allowed if isinstance(a, str)}
        key = value.lower().replace("-", "_") if isinstance(value, str) else None
        close = [] if key is None else difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
        if not close:
            raise
        hint = " or ".join(repr(names[c]) for c in close)
        raise ValueError(f"{error} Did you mean {hint}?") from None


def check_bounded_int(name: str, value, *, maximum: int, minimum: int = 1, why: str = "") -> int:
    """``value`` as an int in [minimum, maximum] (`check_positive_int` first, NumPy ints
    accepted): a count whose huge values would overflow or exhaust memory; ``why`` says what
    sets ``maximum`` (e.g. ``" (numpy's 32-bit seeds)"``)."""
    value = check_positive_int(name, value, minimum=minimum)
    if value > maximum:
        raise ValueError(f"{name} must be at most {maximum}{why}, got {value!r}.")
    return value


def check_path(name: str, value, *, none: bool = False):
    """``value`` as a ``pathlib.Path``: a non-empty ``str`` or ``os.PathLike`` (an empty string
    would silently mean the working directory); ``None`` passes through where ``none`` allows."""
    import os
    import pathlib

    if value is None and none:
        return None
    if isinstance(value, (str, os.PathLike)) and os.fspath(value) not in ("", b""):
        return pathlib.Path(value)
    allowed = "a path (a non-empty str or os.PathLike)" + (" or None" if none else "")
    raise ValueError(f"{name} must be {allowed}, got {value!r}.")


def check_size(name: str, value, *, minimum: int = 1) -> int:
    """``value`` as an int in [minimum, 2**31 - 1] (`check_bounded_int`): a tensor size, width or
    padding, which the backends index with int32, so a larger one fails later with an overflow."""
    return check_bounded_int(
        name, value, minimum=minimum, maximum=2**31 - 1, why=" (tensor sizes are int32)"
    )


def check_float32(name: str, value, *, low=None, low_open=False) -> float:
    """``value`` as a finite float (`check_number`, from ``low`` up) that stays finite in float32:
    a layer constant beyond float32's range (~3.4e38) would turn into inf or nan inside."""
    value = check_number(name, value, low=low, low_open=low_open)
    if abs(value) > float(np.finfo(np.float32).max):
        raise ValueError(f"{name} must lie in float32's range [-3.4e38, 3.4e38], got {value!r}.")
    return value


def check_seed(name: str, value):
    """``value`` as None or an int in [0, 2**32 - 1]: a seed every Keras backend accepts (JAX's are
    uint32, so a negative or larger seed would work under some backends only); NumPy ints pass
    as plain ints, bools are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < 2**32:
        raise ValueError(f"{name} must be None or an integer in [0, 4294967295], got {value!r}.")
    return int(value)


def check_keras_object(name: str, value, kind: str):
    """``keras.<kind>s.get(value)`` for ``kind`` 'initializer', 'regularizer', 'constraint' or
    'activation' (a name, a config dict, an object or None, as Keras allows), with an error that
    names the argument instead of Keras' "Could not interpret ... identifier"."""
    import keras

    example = {"initializer": "he_normal", "regularizer": "l2", "constraint": "non_neg"}
    try:
        return getattr(keras, f"{kind}s").get(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"{name} must be None or a Keras {kind}: a name such as "
            f"{example.get(kind, 'tanh')!r}, a config dict or an object; got {value!r}."
        ) from None


def check_keras_objects(**arguments) -> dict:
    """`check_keras_object` for each keyword, the kind read off its name's ending
    (``kernel_initializer``, ``bias_regularizer``, ``recurrent_activation``, ...)."""
    kinds = ("activation", "initializer", "regularizer", "constraint")
    return {
        name: check_keras_object(name, value, next(k for k in kinds if name.endswith(k)))
        for name, value in arguments.items()
    }


def check_folder(name: str, value, *, what: str = "a folder", none: bool = False, exists=False):
    """``value`` as the ``pathlib.Path`` of a folder (`check_path`): one that is there, or, unless
    ``exists``, one that is not there yet (to be created); never a file. ``what`` says what
    the folder is for in the message; ``None`` passes through where ``none`` allows."""
    folder = check_path(name, value, none=none)
    if folder is None or folder.is_dir() or not (exists or folder.exists()):
        return folder
    found = "exists and is not a directory (a file)" if folder.exists() else "does not exist"
    raise ValueError(f"{name} must be {what}, got {str(value)!r}, which {found}.")


VERBOSITY = (0, 1, 2, "auto")
"""The values of ``verbose`` in Keras' ``fit`` and keras-tuner's ``search``."""


def check_verbose(name: str, value):
    """``value`` if it is one of `VERBOSITY` (a bool is refused: ``True == 1``)."""
    if isinstance(value, (bool, np.bool_)) or value not in VERBOSITY:
        raise ValueError(f"{name} must be one of 0, 1, 2, 'auto'; got {value!r}.")
    return value


def check_callbacks(name: str, value) -> list:
    """``value`` as a list of ``keras.callbacks.Callback`` (None: none); a single callback is
    refused with a hint, so it is not mistaken for a list."""
    import keras

    if value is None:
        return []
    if isinstance(value, keras.callbacks.Callback):
        raise ValueError(
            f"{name} must be a list of keras.callbacks.Callback; got a single "
            f"{type(value).__name__} (wrap it in a list)."
        )
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(c, keras.callbacks.Callback) for c in value
    ):
        raise ValueError(f"{name} must be a list of keras.callbacks.Callback, got {value!r}.")
    return list(value)


IMAGE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".webp", ".eps", ".tif", ".tiff")
"""The image files the plots write (matplotlib picks the format from the suffix)."""


def check_image_path(name: str, value):
    """``value`` as the path of an image file to write: a known suffix (matplotlib would
    otherwise add ``.png`` to a name without one, or write into an unexpected format), not a
    directory, in an existing folder."""
    path = check_path(name, value)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(
            f"{name} must be an image file ending in {', '.join(IMAGE_SUFFIXES)}; got "
            f"{str(value)!r}."
        )
    if path.is_dir():
        raise ValueError(f"{name} {str(value)!r} is a directory, not an image file.")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"{name} {str(value)!r}: the folder {str(path.parent)!r} does not exist."
        )
    return path
