"""Custom Keras 3 layers of the lectures (imported as ``zoo.layers``).

Every layer the zoo's models use that Keras lacks lives here, registered with Keras under the
package ``lecture_zoo``, so `zoo.load` needs only this package to read any saved model:

- activations: `Maxout`, `MaxoutDense`, `CReLU`, `RReLU`, and `activations` (the lecture table
  with derivatives);
- `initializers`: seed 001's Gaussian, Xavier and He (MSRA) weight initializers;
- normalisation and recurrence: `LocalResponseNormalization`, `PeepholeLSTM` /
  `PeepholeLSTMCell`;
- model plumbing: `ChannelPadding` (ResNet's option-A shortcut), `PaddingMask` and
  `MaskedMaxOverTime` (Kim's max-over-time pooling), `ReverseChannels` (RGB <-> BGR, for
  weights trained on BGR images);
- teaching layers with a hand-written backward pass: `ExplicitDense`, `ExplicitSimpleRNN`
  (BPTT; `gradient_norms` shows vanishing / exploding gradients), `ExplicitConv2D`,
  `ExplicitMaxPooling2D`, `ExplicitAveragePooling2D`; `gradcheck` checks such gradients
  against central differences.

This package imports nothing from `zoo.models`, `zoo.training` or `zoo.tuning`.
"""

from zoo.layers import activations as activations
from zoo.layers import initializers as initializers
from zoo.layers.channel_padding import ChannelPadding as ChannelPadding
from zoo.layers.crelu import CReLU as CReLU
from zoo.layers.explicit_conv import ExplicitConv2D as ExplicitConv2D
from zoo.layers.explicit_dense import ExplicitDense as ExplicitDense
from zoo.layers.explicit_pooling import ExplicitAveragePooling2D as ExplicitAveragePooling2D
from zoo.layers.explicit_pooling import ExplicitMaxPooling2D as ExplicitMaxPooling2D
from zoo.layers.explicit_rnn import ExplicitSimpleRNN as ExplicitSimpleRNN
from zoo.layers.explicit_rnn import gradient_norms as gradient_norms
from zoo.layers.gradcheck import GradcheckResult as GradcheckResult
from zoo.layers.gradcheck import gradcheck as gradcheck
from zoo.layers.lrn import LocalResponseNormalization as LocalResponseNormalization
from zoo.layers.max_over_time import MaskedMaxOverTime as MaskedMaxOverTime
from zoo.layers.max_over_time import PaddingMask as PaddingMask
from zoo.layers.maxout import Maxout as Maxout
from zoo.layers.maxout import MaxoutDense as MaxoutDense
from zoo.layers.peephole_lstm import PeepholeLSTM as PeepholeLSTM
from zoo.layers.peephole_lstm import PeepholeLSTMCell as PeepholeLSTMCell
from zoo.layers.reverse_channels import ReverseChannels as ReverseChannels
from zoo.layers.rrelu import RReLU as RReLU
