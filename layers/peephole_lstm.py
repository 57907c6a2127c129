"""Peephole LSTM (Gers & Schmidhuber 2000): the LSTM whose gates also read the cell state.

Lecture notes (seed 003, "OTHER VERSION (Keras)") write the gates with diagonal peephole
matrices, i.e. element-wise peephole vectors p:

    i_t = sigma(x_t W_i + h_{t-1} U_i + p_i * c_{t-1} + b_i)      (input / "write" gate)
    f_t = sigma(x_t W_f + h_{t-1} U_f + p_f * c_{t-1} + b_f)      (forget gate)
    c_t = f_t * c_{t-1} + i_t * tanh(x_t W_c + h_{t-1} U_c + b_c)
    o_t = sigma(x_t W_o + h_{t-1} U_o + p_o * c_t + b_o)          (output / "read" gate)
    h_t = o_t * tanh(c_t)

The input and forget gates peek at the previous cell state c_{t-1}, the output gate at the new
one c_t. Weights follow `keras.layers.LSTMCell`'s layout (``kernel`` (m, 4n), ``recurrent_kernel``
(n, 4n), ``bias`` (4n,), gate order i, f, c, o) plus the three peephole vectors
``input_gate_peephole_weights``, ``forget_gate_peephole_weights`` and
``output_gate_peephole_weights`` of shape (n,), so the parameter count is the lecture's
4n(m + n + 1) plus 3n. With zero peepholes the cell is exactly Keras' LSTM, and the names and
layout are those of TensorFlow Addons' ``PeepholeLSTMCell`` (Keras 2), so it is a drop-in
replacement.

`PeepholeLSTM` wraps the cell in `keras.layers.RNN`. It deliberately does not subclass
`keras.layers.LSTM`: that layer may hand the whole sequence to a fused backend kernel
(``backend.lstm``, cuDNN) that knows nothing of peepholes and would silently drop them.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.validation import (
    check_bool,
    check_bounded_int,
    check_keras_object,
    check_keras_objects,
    check_rate,
    check_seed,
)

# Arguments the layer forwards to its cell and reads back from the cell's config.
_CELL_ARGS = (
    "units",
    "activation",
    "recurrent_activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "peephole_initializer",
    "unit_forget_bias",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "peephole_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "peephole_constraint",
    "dropout",
    "recurrent_dropout",
    "seed",
)


def _check_rates(dropout, recurrent_dropout):
    dropout = check_rate("dropout", dropout)
    recurrent_dropout = check_rate("recurrent_dropout", recurrent_dropout)
    return dropout, recurrent_dropout


@keras.saving.register_keras_serializable(package="lecture_zoo")
class PeepholeLSTMCell(keras.layers.LSTMCell):
    """One step of the peephole LSTM, usable in `keras.layers.RNN` like `keras.layers.LSTMCell`.

    Args:
        units: positive int, the state size n (4n, the gates' width, must fit in int32).
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint:
            as in `keras.layers.LSTMCell`.
        seed: None or an int in [0, 2**32 - 1] for the dropout masks.
        peephole_initializer: for the three peephole vectors; ``None`` (default) uses the
            kernel's, as TensorFlow Addons did.
        peephole_regularizer, peephole_constraint: for the peephole vectors (default none).
        dropout: fraction in [0, 1) of the inputs dropped (one mask for all time steps).
        recurrent_dropout: fraction in [0, 1) of the previous hidden state dropped before the
            recurrent matmul (one mask for all steps, shared by the four gates so that the gates
            stay one fused matmul; the state itself is carried undropped).

    The four gates are one fused product per step, ``x W + h U + b`` split into i, f, c, o, as
    in `keras.layers.LSTMCell` (implementation 2); the peepholes add three element-wise products.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        peephole_initializer=None,
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        peephole_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        peephole_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        units = check_bounded_int(
            "units", units, maximum=(2**31 - 1) // 4, why=" (the 4 gates are 4 * units wide, int32)"
        )
        dropout, recurrent_dropout = _check_rates(dropout, recurrent_dropout)
        objects = check_keras_objects(
            activation=activation,
            recurrent_activation=recurrent_activation,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
        )
        peephole = check_keras_objects(
            peephole_initializer=peephole_initializer,
            peephole_regularizer=peephole_regularizer,
            peephole_constraint=peephole_constraint,
        )
        kwargs.pop("implementation", None)
        super().__init__(
            units,
            use_bias=check_bool("use_bias", use_bias),
            unit_forget_bias=check_bool("unit_forget_bias", unit_forget_bias),
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=check_seed("seed", seed),
            **objects,
            **kwargs,
        )
        # LSTMCell switches to four split matmuls (and four dropout masks) when
        # recurrent_dropout is set; this cell always keeps the one fused matmul.
        self.implementation = 2
        self.dropout_mask_count = None
        self.peephole_initializer = peephole["peephole_initializer"]
        self.peephole_regularizer = peephole["peephole_regularizer"]
        self.peephole_constraint = peephole["peephole_constraint"]

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                "PeepholeLSTMCell takes one time step of shape (batch, features), got shape "
                f"{tuple(input_shape)}; run sequences with PeepholeLSTM or keras.layers.RNN."
            )
        if input_shape[-1] is None:
            raise ValueError(
                f"PeepholeLSTMCell needs a known last input dimension (features), got shape "
                f"{tuple(input_shape)}."
            )
        super().build(input_shape)
        initializer = self.peephole_initializer or self.kernel_initializer
        for gate in ("input", "forget", "output"):
            name = f"{gate}_gate_peephole_weights"
            weight = self.add_weight(
                shape=(self.units,),
                name=name,
                initializer=initializer,
                regularizer=self.peephole_regularizer,
                constraint=self.peephole_constraint,
            )
            setattr(self, name, weight)

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        if training and self.dropout > 0.0:
            inputs = inputs * self.get_dropout_mask(inputs)
        if training and self.recurrent_dropout > 0.0:
            h_tm1 = h_tm1 * self.get_recurrent_dropout_mask(h_tm1)

        z = ops.add(ops.matmul(inputs, self.kernel), ops.matmul(h_tm1, self.recurrent_kernel))
        if self.use_bias:
            z = ops.add(z, self.bias)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)

        i = self.recurrent_activation(z_i + self.input_gate_peephole_weights * c_tm1)
        f = self.recurrent_activation(z_f + self.forget_gate_peephole_weights * c_tm1)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o + self.output_gate_peephole_weights * c)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "peephole_initializer": None
                if self.peephole_initializer is None
                else keras.initializers.serialize(self.peephole_initializer),
                "peephole_regularizer": keras.regularizers.serialize(self.peephole_regularizer),
                "peephole_constraint": keras.constraints.serialize(self.peephole_constraint),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="lecture_zoo")
class PeepholeLSTM(keras.layers.RNN):
    """Peephole LSTM layer: `PeepholeLSTMCell` run over a sequence by `keras.layers.RNN`.

    Takes the arguments of `keras.layers.LSTM` (except ``use_cudnn``: there is no fused kernel
    with peepholes) and the cell's ``peephole_*`` arguments. Inputs are (batch, time, features);
    masks (``keras.layers.Masking``, ``Embedding(mask_zero=True)``) are honoured, and
    ``return_state=True`` returns ``[output, h, c]``.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        peephole_initializer=None,
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        peephole_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        peephole_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        cell = PeepholeLSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            peephole_initializer=peephole_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            peephole_regularizer=peephole_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            peephole_constraint=peephole_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="peephole_lstm_cell",
        )
        super().__init__(
            cell,
            return_sequences=check_bool("return_sequences", return_sequences),
            return_state=check_bool("return_state", return_state),
            go_backwards=check_bool("go_backwards", go_backwards),
            stateful=check_bool("stateful", stateful),
            unroll=check_bool("unroll", unroll),
            activity_regularizer=check_keras_object(
                "activity_regularizer", activity_regularizer, "regularizer"
            ),
            **kwargs,
        )
        self.input_spec = keras.InputSpec(ndim=3)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    @property
    def units(self):
        return self.cell.units

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        config.update({key: cell_config[key] for key in _CELL_ARGS})
        config["activity_regularizer"] = keras.regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
