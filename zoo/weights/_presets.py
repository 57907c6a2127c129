"""The zoo's own trained presets: one `Weights` record per tag, as data.

Every file was trained by ``python -m zoo.weights.train TAG`` (`zoo.weights.train.RECIPES`, seed
1, on 2 shared CPU cores) on the real data in ../shared/data and ships in ``presets/``; every
figure below is what that run measured on the stored file (after its float16 round trip), on
the held-out data named with it. All files hold float16 arrays (Keras' ``.weights.h5`` layout;
``model.load_weights`` reads them into float32 variables under every backend).

Inputs are what `zoo.training.data.load` gives: images float32 in [0, 1] (raw 0-255 pixels
divided by 255: `UNIT`), at the model's default size (LeNet-5: MNIST resized to 32x32,
bilinear); char_rnn reads windows of 50 character ids of
``Vocabulary(zoo.training.data.vocabulary("tiny_shakespeare"))`` (the pipeline's ids plus one,
id 0 being char_rnn's padding; `zoo.weights.train.shakespeare_vocabulary` builds it).
Reading this module imports no Keras.
"""

from zoo.weights._records import UNIT, Metric, Weights

MNIST_LICENSE = "CC BY-SA 3.0 (trained on MNIST, CC BY-SA 3.0)"
CODE_LICENSE = "Apache-2.0"

PRESETS: tuple[Weights, ...] = (
    Weights(
        model="lenet5",
        tag="mnist",
        dataset="mnist",
        num_classes=10,
        input_shape=(32, 32, 1),
        preprocessing=UNIT,
        metrics=(
            Metric(
                name="accuracy",
                value=99.33,
                dataset="mnist test (10,000)",
                source="zoo.weights.train lenet5/mnist",
            ),
        ),
        num_params=61706,
        file_name="lenet5.mnist.weights.h5",
        file_size=161040,
        sha256="51022d755a395a30f54b73bc5c241da84547b79c6d42c19e2b3520f3bc264196",
        url=None,
        source="zoo",
        license=MNIST_LICENSE,
        recipe=(
            "python -m zoo.weights.train lenet5/mnist: activation='relu' subsampling='max', "
            "adam, peak lr 0.003, one_cycle schedule, 6 epochs, batch 128, seed 1, float16 "
            "file; trained in 268 s on 2 shared CPU cores"
        ),
        config=(("activation", "relu"), ("subsampling", "max")),
    ),
    Weights(
        model="mnist_cnn",
        tag="mnist",
        dataset="mnist",
        num_classes=10,
        input_shape=(28, 28, 1),
        preprocessing=UNIT,
        metrics=(
            Metric(
                name="accuracy",
                value=99.3,
                dataset="mnist test (10,000)",
                source="zoo.weights.train mnist_cnn/mnist",
            ),
        ),
        num_params=3274634,
        file_name="mnist_cnn.mnist.weights.h5",
        file_size=6580624,
        sha256="28971535d4b29f36fa3c552f86849de0660ff41c5a512aa5a8a539eefda1fa0d",
        url=None,
        source="zoo",
        license=MNIST_LICENSE,
        recipe=(
            "python -m zoo.weights.train mnist_cnn/mnist: adam, peak lr 0.002, one_cycle "
            "schedule, 2 epochs, batch 128, seed 1, float16 file; trained in 421 s on 2 shared "
            "CPU cores"
        ),
        config=(),
    ),
    Weights(
        model="mlp",
        tag="mnist",
        dataset="mnist",
        num_classes=10,
        input_shape=(28, 28, 1),
        preprocessing=UNIT,
        metrics=(
            Metric(
                name="accuracy",
                value=97.94,
                dataset="mnist test (10,000)",
                source="zoo.weights.train mlp/mnist",
            ),
        ),
        num_params=397510,
        file_name="mlp.mnist.weights.h5",
        file_size=814008,
        sha256="73bad6073d55730bad03c874fb95d3fb6e63eec0d53facb9a8be3a1c7daaf353",
        url=None,
        source="zoo",
        license=MNIST_LICENSE,
        recipe=(
            "python -m zoo.weights.train mlp/mnist: adam, peak lr 0.003, one_cycle schedule, 10 "
            "epochs, batch 128, seed 1, float16 file; trained in 86 s on 2 shared CPU cores"
        ),
        config=(),
    ),
    Weights(
        model="maxout_mlp",
        tag="mnist",
        dataset="mnist",
        num_classes=10,
        input_shape=(28, 28, 1),
        preprocessing=UNIT,
        metrics=(
            Metric(
                name="accuracy",
                value=98.92,
                dataset="mnist test (10,000)",
                source="zoo.weights.train maxout_mlp/mnist",
            ),
        ),
        num_params=1233610,
        file_name="maxout_mlp.mnist.weights.h5",
        file_size=2494008,
        sha256="81ab8de650d51cc14544b4d20bf2c802b72f00b27860091856f8f366b99b2dbe",
        url=None,
        source="zoo",
        license=MNIST_LICENSE,
        recipe=(
            "python -m zoo.weights.train maxout_mlp/mnist: dropout=0.3, adam, peak lr 0.002, "
            "one_cycle schedule, 40 epochs, batch 128, seed 1, float16 file; trained in 371 s on "
            "2 shared CPU cores"
        ),
        config=(("dropout", 0.3),),
    ),
    Weights(
        model="char_rnn",
        tag="tiny_shakespeare",
        dataset="tiny_shakespeare",
        num_classes=None,
        input_shape=(50,),
        preprocessing=None,
        metrics=(
            Metric(
                name="loss_nats_per_char",
                value=1.6505,
                dataset="tiny_shakespeare validation+test, the last 10% (111,500 characters)",
                source="zoo.weights.train char_rnn/tiny_shakespeare",
            ),
        ),
        num_params=244294,
        file_name="char_rnn.tiny_shakespeare.weights.h5",
        file_size=514192,
        sha256="008610ddb788dd5ee56682be55bb5703da0c928694b5082076f1227f5fbf0886",
        url=None,
        source="zoo",
        license=CODE_LICENSE,
        recipe=(
            "python -m zoo.weights.train char_rnn/tiny_shakespeare: vocab_size=66, adam, peak "
            "lr 0.01, gradients clipped to norm 5, cosine schedule, 12 epochs, batch 128, seed "
            "1, float16 file; trained in 812 s on 2 shared CPU cores; inputs: ids of "
            "zoo.models.char_rnn.Vocabulary(zoo.training.data.vocabulary('tiny_shakespeare')), "
            "the pipeline's ids + 1, as zoo.weights.train.shakespeare_vocabulary() gives it; "
            "windows of 50 characters"
        ),
        config=(("vocab_size", 66),),
    ),
    Weights(
        model="lenet5",
        tag="digits",
        dataset="digits",
        num_classes=10,
        input_shape=(32, 32, 1),
        preprocessing=UNIT,
        metrics=(
            Metric(
                name="accuracy",
                value=96.67,
                dataset="digits test (360)",
                source="zoo.weights.train lenet5/digits",
            ),
        ),
        num_params=61706,
        file_name="lenet5.digits.weights.h5",
        file_size=161232,
        sha256="b3a4fa7ecbe5fc9416b3e449113cac1b0ee048d8f6323f24408ea536128efe54",
        url=None,
        source="zoo",
        license=CODE_LICENSE,
        recipe=(
            "python -m zoo.weights.train lenet5/digits: momentum 0.9, lr 0.01 (the optimizer's "
            "default), constant rate, 15 epochs, batch 32, seed 1, float16 file; trained in 23 "
            "s on 2 shared CPU cores; what `make demo` trains (zoo train lenet5 --dataset "
            "digits --epochs 15 --optimizer momentum)"
        ),
        config=(),
    ),
)
