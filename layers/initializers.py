"""Weight initializers named for what the lectures call them (seed 001, "Weight initialization").

Seed 001 lists three ways to draw the weights W feeding a neuron, with n_in the number of
neurons feeding into it (for a convolution: kernel height x kernel width x input channels,
Keras' ``fan_in``):

- `Gaussian`: zero mean and a fixed standard deviation, "e.g., 0.01";
- `Xavier`: zero mean and standard deviation 1/sqrt(n_in), "Gaussian distribution or uniform
  distribution is often used" (``distribution="normal"`` or ``"uniform"``);
- `He` ("MSRA" in the notes): a Gaussian of zero mean and standard deviation sqrt(2/n_in).

Each is a Keras initializer: `Gaussian` configures ``keras.initializers.RandomNormal``, and
`Xavier` and `He` configure ``keras.initializers.VarianceScaling`` (``mode="fan_in"``,
``scale`` 1 or 2, ``distribution="untruncated_normal"`` or ``"uniform"``), which computes the
formula itself. They are registered with Keras under the package ``lecture_zoo``, so a layer
built with one saves and loads (``zoo.load``) by config, seed included. `get` builds one by
name: ``"gaussian"`` (also ``"normal"``), ``"xavier"``, ``"he"`` (also ``"msra"``), or any name
Keras knows (``"glorot_uniform"``, ``"he_normal"``, ...), which goes to
``keras.initializers.get``.

Where the names differ from Keras' and from the notes:

- The notes' He is "std 2/sqrt(n_in)", a misprint of He et al. 2015 ("Delving Deep into
  Rectifiers", eq. 10: std sqrt(2/n_l)); `He` follows the paper (the seeds' rule: where a seed
  disagrees with the paper it cites, follow the paper).
- The notes' Xavier (std 1/sqrt(n_in), as Caffe's ``XavierFiller``) is not Keras'
  ``glorot_normal`` / ``glorot_uniform``, which follow Glorot & Bengio 2010's "normalized
  initialization", variance 2/(n_in + n_out). With one fan it is Keras' ``lecun_normal`` /
  ``lecun_uniform``, except that Keras' normal variants draw a truncated normal (cut at two
  standard deviations, rescaled so that the standard deviation is still the formula's) while
  the notes say Gaussian: `Xavier` and `He` draw an untruncated normal
  (``"untruncated_normal"``). Keras' ``he_normal`` is likewise truncated.
- Keras' ``RandomNormal`` defaults to std 0.05; `Gaussian` defaults to the notes' 0.01.

What the builders use: none of the zoo's builders sets an initializer, so every Dense and Conv
layer of ``zoo.build`` starts from Keras' default, ``glorot_uniform`` (uniform on +-sqrt(6 /
(n_in + n_out))), with zero biases; a layer given ``kernel_initializer=He()`` (or ``get("he")``)
uses the notes' rule. The tuner's ``initializer`` choice
(`zoo.tuning.spaces.INITIALIZERS`: glorot, he, normal) maps to ``glorot_uniform``, `He` and
`Gaussian`.

Example: ``keras.layers.Dense(500, kernel_initializer=initializers.get("he"))``.
"""

from __future__ import annotations

import keras

from zoo.validation import check_choice, check_number

PACKAGE = "lecture_zoo"

DISTRIBUTIONS = {"normal": "untruncated_normal", "uniform": "uniform"}
"""The notes' distribution names -> ``keras.initializers.VarianceScaling``'s."""

GAUSSIAN_STDDEV = 0.01
"""Seed 001's "fixed std, e.g., 0.01"."""


def _seed(config: dict):
    return config.get("seed")


@keras.saving.register_keras_serializable(package=PACKAGE)
class Gaussian(keras.initializers.RandomNormal):
    """The notes' Gaussian: zero mean, fixed standard deviation (default 0.01), untruncated.

    ``keras.initializers.RandomNormal(mean=0.0, stddev=stddev, seed=seed)`` under the lecture's
    name (Keras' own default stddev is 0.05).

    Args:
        stddev: the standard deviation, > 0 (seed 001: "e.g., 0.01").
        seed: an int, a ``keras.random.SeedGenerator`` or None, as in Keras.
    """

    def __init__(self, stddev: float = GAUSSIAN_STDDEV, seed=None):
        stddev = check_number("stddev", stddev, low=0.0, low_open=True)
        super().__init__(mean=0.0, stddev=stddev, seed=seed)

    def get_config(self):
        return {"stddev": self.stddev, "seed": _seed(super().get_config())}


class _FanIn(keras.initializers.VarianceScaling):
    """VarianceScaling with ``mode="fan_in"`` and a fixed ``scale``: std sqrt(scale / n_in)."""

    SCALE = 1.0

    def __init__(self, distribution: str = "normal", seed=None):
        check_choice("distribution", distribution, tuple(DISTRIBUTIONS))
        super().__init__(
            scale=self.SCALE, mode="fan_in", distribution=DISTRIBUTIONS[distribution], seed=seed
        )
        self.lecture_distribution = distribution

    def get_config(self):
        return {
            "distribution": self.lecture_distribution,
            "seed": _seed(super().get_config()),
        }


@keras.saving.register_keras_serializable(package=PACKAGE)
class Xavier(_FanIn):
    """The notes' Xavier: zero mean, standard deviation 1/sqrt(n_in).

    ``keras.initializers.VarianceScaling(scale=1.0, mode="fan_in", distribution=...)``:
    ``distribution="normal"`` (default) draws an untruncated Gaussian of std 1/sqrt(n_in),
    ``"uniform"`` draws from U(-sqrt(3/n_in), sqrt(3/n_in)), whose std is also 1/sqrt(n_in)
    (Caffe's ``XavierFiller``). Not Keras' ``glorot_*`` (variance 2/(n_in + n_out)); see the
    module docstring.
    """

    SCALE = 1.0


@keras.saving.register_keras_serializable(package=PACKAGE)
class He(_FanIn):
    """He et al. 2015 (the notes' "MSRA"): zero mean, standard deviation sqrt(2/n_in).

    ``keras.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution=...)``, an
    untruncated Gaussian by default (Keras' ``he_normal`` truncates it), ``"uniform"`` for
    U(-sqrt(6/n_in), sqrt(6/n_in)). Seed 001 prints the std as 2/sqrt(n_in), a misprint of the
    paper's sqrt(2/n_in), which this follows.
    """

    SCALE = 2.0


NAMES = {
    "gaussian": Gaussian,
    "normal": Gaussian,
    "xavier": Xavier,
    "he": He,
    "msra": He,
}
"""The lecture names `get` knows (any other name goes to ``keras.initializers.get``)."""


def get(identifier, **kwargs) -> keras.initializers.Initializer:
    """An initializer from a lecture name, a Keras name or config, or an instance.

    Args:
        identifier: ``"gaussian"`` / ``"normal"`` (`Gaussian`), ``"xavier"`` (`Xavier`),
            ``"he"`` / ``"msra"`` (`He`); another string or a config dict goes to
            ``keras.initializers.get`` (``"glorot_uniform"``, ``"he_normal"``, ...); an
            initializer instance is returned as it is.
        **kwargs: arguments of the lecture initializer (``seed``, ``stddev``,
            ``distribution``); only with a lecture name.

    Raises ``ValueError`` for a name neither the lectures nor Keras know.

    Example: ``get("xavier", distribution="uniform", seed=0)``.
    """
    if isinstance(identifier, str) and identifier.lower() in NAMES:
        return NAMES[identifier.lower()](**kwargs)
    if kwargs:
        raise ValueError(
            f"initializer arguments {sorted(kwargs)} apply to the lecture names "
            f"({', '.join(map(repr, NAMES))}) only; got {identifier!r}."
        )
    if isinstance(identifier, keras.initializers.Initializer):
        return identifier
    try:
        return keras.initializers.get(identifier)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"initializer must be a lecture name ({', '.join(map(repr, NAMES))}), a Keras "
            f"initializer name such as 'glorot_uniform', a config or an initializer; got "
            f"{identifier!r} ({error})."
        ) from None
