"""Perceptual losses of neural style transfer (Gatys, Ecker & Bethge 2015; lecture 001).

For feature maps F^l of layer l with N_l channels of M_l = H_l W_l positions (F is N_l x M_l):

    gram matrix       G^l_ij = sum_k F^l_ik F^l_jk
    content loss      L_content = 1/2 sum_ij (F^l_ij - P^l_ij)^2
    style loss        E_l = 1 / (4 N_l^2 M_l^2) sum_ij (G^l_ij - A^l_ij)^2,  L_style = sum_l w_l E_l
    total variation   sum_ij ((x_i,j+1 - x_ij)^2 + (x_i+1,j - x_ij)^2)^(beta/2)

where P and A are the target image's features and Gram matrices. Johnson et al. 2016 train the
feed-forward `style_transfer_net` with these losses on a fixed loss network, plus total
variation (Mahendran & Vedaldi 2015) for smoothness. Each loss takes channels-last batches and
returns one value per example, computed in float32 (also under mixed precision), so it also
serves as a Keras loss ``fn(y_true, y_pred)``.
keras.ops only: any backend.
"""

from __future__ import annotations

from keras import ops

from zoo.validation import check_number


def _flat_features(features):
    """(batch, H, W, C) (any number of spatial axes) -> float32 (batch, M, N), M = H W, N = C."""
    features = ops.cast(ops.convert_to_tensor(features), "float32")
    if len(features.shape) < 3:
        raise ValueError(
            f"features must be (batch, ..., channels) with at least one spatial axis, got shape "
            f"{tuple(features.shape)}."
        )
    batch, channels = ops.shape(features)[0], features.shape[-1]
    return ops.reshape(features, (batch, -1, channels))


def gram_matrix(features, normalize: bool = False):
    """Gram matrices G_ij = sum_k F_ik F_jk of channels-last features: (batch, C, C).

    ``normalize=True`` divides by C H W, as Johnson et al. do.
    """
    flat = _flat_features(features)
    gram = ops.einsum("bmi,bmj->bij", flat, flat)
    if normalize:
        size = ops.cast(ops.shape(flat)[1] * flat.shape[-1], gram.dtype)
        gram = gram / size
    return gram


def content_loss(target_features, generated_features):
    """1/2 sum (F - P)^2 over each example's feature map: (batch,)."""
    target = _flat_features(target_features)
    generated = _flat_features(generated_features)
    return 0.5 * ops.sum(ops.square(generated - target), axis=(1, 2))


def _layer_style_loss(target_features, generated_features):
    target = _flat_features(target_features)
    generated = _flat_features(generated_features)
    positions = ops.cast(ops.shape(target)[1], "float32")
    channels = float(target.shape[-1])
    difference = gram_matrix(generated) - gram_matrix(target)
    return ops.sum(ops.square(difference), axis=(1, 2)) / (
        4.0 * channels**2 * ops.square(positions)
    )


def style_loss(target_features, generated_features, weights=None):
    """Gatys' style loss, E_l = sum (G - A)^2 / (4 N^2 M^2) per example: (batch,).

    Args:
        target_features: the style image's feature maps, one tensor or a list (one per layer).
        generated_features: the generated image's, matching.
        weights: per-layer weights w_l for lists (default: equal, 1 / number of layers).
    """
    if not isinstance(target_features, (list, tuple)):
        if weights is not None:
            raise ValueError("weights applies to lists of feature maps (one per layer).")
        return _layer_style_loss(target_features, generated_features)
    if not isinstance(generated_features, (list, tuple)) or len(generated_features) != len(
        target_features
    ):
        raise ValueError("generated_features must be a list as long as target_features.")
    if not target_features:
        raise ValueError("target_features must hold at least one feature map.")
    if weights is None:
        weights = [1.0 / len(target_features)] * len(target_features)
    if len(weights) != len(target_features):
        raise ValueError(
            f"weights must have one value per layer ({len(target_features)}), got {weights!r}."
        )
    return sum(
        check_number("weights", w) * _layer_style_loss(a, x)
        for w, a, x in zip(weights, target_features, generated_features, strict=True)
    )


def total_variation_loss(images, beta: float = 2.0):
    """Total variation of channels-last images (batch, H, W, C): (batch,).

    sum over pixels and channels of ((x_i,j+1 - x_ij)^2 + (x_i+1,j - x_ij)^2)^(beta/2)
    (Mahendran & Vedaldi 2015); beta = 2 (default) sums the squared differences, beta = 1 is
    the isotropic total variation.
    """
    beta = check_number("beta", beta, low=0.0, low_open=True)
    images = ops.cast(ops.convert_to_tensor(images), "float32")
    if len(images.shape) != 4:
        raise ValueError(f"images must be (batch, H, W, C), got shape {tuple(images.shape)}.")
    right = images[:, :-1, 1:, :] - images[:, :-1, :-1, :]
    down = images[:, 1:, :-1, :] - images[:, :-1, :-1, :]
    squared = ops.square(right) + ops.square(down)
    # For beta < 2 the power is not differentiable at 0 (flat regions): a tiny floor keeps the
    # gradients finite.
    values = squared if beta == 2.0 else ops.power(ops.maximum(squared, 1e-12), beta / 2.0)
    return ops.sum(values, axis=(1, 2, 3))
