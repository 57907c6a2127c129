"""autoencoder (Hinton & Salakhutdinov 2006): the paper's size, the encoder, 2-D codes vs PCA."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip, check_training_step


def dense_parameters(sizes):
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


def test_paper_configuration_has_2823286_parameters():
    model = zoo.build("deep_autoencoder")
    sizes = [784, 1000, 500, 250, 2]
    assert model.count_params() == dense_parameters(sizes + sizes[-2::-1]) == 2_823_286
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    assert encoder.count_params() == dense_parameters(sizes)
    assert [layer.units for layer in encoder.layers if hasattr(layer, "units")] == sizes[1:]
    assert [layer.units for layer in decoder.layers if hasattr(layer, "units")] == sizes[-2::-1]
    assert encoder.get_layer("code").get_config()["activation"] == "linear"
    assert tuple(model.output.shape) == (None, 28, 28, 1)


def test_encoder_maps_inputs_to_codes_and_feature_extractor_is_the_encoder():
    model = zoo.build("autoencoder", input_shape=(8, 8, 1), layer_sizes=[16, 3])
    x = np.random.default_rng(0).random((5, 8, 8, 1), dtype=np.float32)
    codes = keras.ops.convert_to_numpy(model.get_layer("encoder")(x))
    assert codes.shape == (5, 3)
    reconstruction = keras.ops.convert_to_numpy(model.get_layer("decoder")(codes))
    np.testing.assert_allclose(reconstruction, keras.ops.convert_to_numpy(model(x)), rtol=1e-6)
    features = zoo.build(
        "autoencoder", input_shape=(8, 8, 1), layer_sizes=[16, 3], include_top=False
    )
    assert tuple(features.output.shape) == (None, 3)


def test_trains_one_step_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build("autoencoder", input_shape=(6, 6, 1), layer_sizes=[12, 6, 2])
    x = np.random.default_rng(0).random((4, 6, 6, 1), dtype=np.float32)
    check_training_step(model, x, x, loss="mse")
    loaded = check_round_trip(model, x, tmp_path)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.get_layer("encoder")(x)),
        keras.ops.convert_to_numpy(model.get_layer("encoder")(x)),
    )


@pytest.mark.slow
def test_two_dimensional_codes_separate_digits_at_least_as_well_as_pca():
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    from zoo.training.data import digits_arrays

    keras.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = digits_arrays(8)  # 8x8 = 64 inputs

    def knn_accuracy(train_codes, test_codes):
        knn = KNeighborsClassifier(n_neighbors=5).fit(train_codes, y_train)
        return knn.score(test_codes, y_test)

    pca = PCA(n_components=2, random_state=0).fit(x_train.reshape(len(x_train), -1))
    pca_accuracy = knn_accuracy(
        pca.transform(x_train.reshape(len(x_train), -1)),
        pca.transform(x_test.reshape(len(x_test), -1)),
    )
    # The paper's 784-1000-500-250-2 scaled to 64 inputs; ReLU units since there is no RBM
    # pre-training here.
    model = zoo.build(
        "autoencoder", input_shape=(8, 8, 1), layer_sizes=[128, 64, 32, 2], activation="relu"
    )
    model.compile(keras.optimizers.Adam(0.003), "mse")
    model.fit(x_train, x_train, batch_size=32, epochs=25, verbose=0)
    encoder = model.get_layer("encoder")
    autoencoder_accuracy = knn_accuracy(
        encoder.predict(x_train, verbose=0), encoder.predict(x_test, verbose=0)
    )
    print(
        f"digits 2-D codes, 5-NN test accuracy: autoencoder {autoencoder_accuracy:.4f}, "
        f"PCA {pca_accuracy:.4f}"
    )
    assert autoencoder_accuracy >= pca_accuracy


@pytest.mark.parametrize(
    ("config", "argument"),
    [
        ({"layer_sizes": []}, "layer_sizes"),
        ({"layer_sizes": [10, 0]}, "layer_sizes"),
        ({"activation": "nope"}, "activation"),
        ({"code_activation": "nope"}, "code_activation"),
        ({"output_activation": 3}, "output_activation"),
        ({"input_shape": (None, 8, 1)}, "input_shape"),
    ],
)
def test_bad_arguments_name_the_argument(config, argument):
    with pytest.raises(ValueError, match=argument):
        zoo.build("autoencoder", **config)
