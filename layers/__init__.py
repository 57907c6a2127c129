"""Custom Keras 3 layers of the lectures (imported as ``zoo.layers``)."""

from zoo.layers import activations as activations
from zoo.layers.crelu import CReLU as CReLU
from zoo.layers.explicit_dense import ExplicitDense as ExplicitDense
from zoo.layers.lrn import LocalResponseNormalization as LocalResponseNormalization
from zoo.layers.maxout import Maxout as Maxout
from zoo.layers.maxout import MaxoutDense as MaxoutDense
from zoo.layers.peephole_lstm import PeepholeLSTM as PeepholeLSTM
from zoo.layers.peephole_lstm import PeepholeLSTMCell as PeepholeLSTMCell
from zoo.layers.rrelu import RReLU as RReLU
