"""nn.functional ops: dropout, feature dropout, alpha dropout (torch's CPU path).

As aten's ``_dropout_impl``: the noise is ``empty_like(input).bernoulli_(1 - p)`` (or of shape
(N, C, 1, ...) for feature dropout), drawn on the host by torch's generator, scaled, and the
output is ``input * noise`` (MulBackward0; alpha dropout adds ``b``: AddBackward0). p == 0, eval
mode or an empty input return the input itself; p == 1 multiplies by a zero scalar."""
import math
import warnings

import numpy as np

from .. import random as _random, _rng as R
from .random_ops import _fill, _like_layout, _new, _contig_strides
from .registry import composite

F = "nn.functional"
_ALPHA = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input, p, feature, draw):
    """A host array of the noise's shape (input dtype) filled in torch's element order by
    ``draw(generator, n, dtype)``."""
    g = _random.default_generator._impl
    if feature:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
        stride = _contig_strides(shape)
    else:
        shape, stride = _like_layout(input, None)
    return _fill(shape, stride, input.dtype.np, lambda n, dt, c: draw(g, n, dt))


def _compute_dtype(dt):
    return np.float64 if dt == np.float64 else np.float32


def _alpha_noise(keep, p):
    """(noise * a, (noise - 1) * alpha * a + alpha * a * p), each step rounded to the dtype."""
    dt = keep.dtype
    cd = _compute_dtype(dt)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))

    def r(v):
        return v.astype(dt).astype(cd)
    k = keep.astype(cd)
    b = r(r(r(k - cd(1)) * cd(_ALPHA * a)) + cd(_ALPHA * a * p))
    return r(k * cd(a)).astype(dt), b.astype(dt)


def _dropout_impl(input, p, train, feature, alpha, inplace):
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {R._g(p)}")
    if p == 0 or not train or input.numel() == 0:
        return input
    mul = input.mul_ if inplace else input.mul
    if p == 1:
        return mul(input.new_zeros(()))
    if alpha:
        keep = _noise(input, p, feature, lambda g, n, dt: g.bernoulli((n,), 1 - p, dt))
        noise, b = _alpha_noise(keep, p)
        return mul(_new(noise, input.device)).add_(_new(b, input.device))
    noise = _noise(input, p, feature, lambda g, n, dt: g.dropout_mask((n,), p, dt))
    return mul(_new(noise, input.device))


def _register(name, feature, alpha):
    """torch.NAME(input, p, train) and torch.NAME_."""
    def f(input, p, train):
        return _dropout_impl(input, p, train, feature, alpha, False)

    def f_(input, p, train):
        return _dropout_impl(input, p, train, feature, alpha, True)
    f.__name__, f_.__name__ = name, name + "_"
    composite(method=False)(f)
    composite(method=False)(f_)


for _n, _feat, _alpha in (("dropout", False, False), ("feature_dropout", True, False),
                          ("alpha_dropout", False, True), ("feature_alpha_dropout", True, True)):
    _register(_n, _feat, _alpha)


@composite(method=False, namespace=F, name="dropout")
def _f_dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, False, False, inplace)


@composite(method=False, namespace=F, name="alpha_dropout")
def _f_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, False, True, inplace)


@composite(method=False, namespace=F, name="feature_alpha_dropout")
def _f_feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    return _dropout_impl(input, p, training, True, True, inplace)


def _unbatched(input, inplace, batched, p, training):
    """Feature dropout with a batch dimension added (and removed) around it, as torch does."""
    if batched:
        return _dropout_impl(input, p, training, True, False, inplace)
    # in place: write through an unsqueezed view (torch resizes the input with unsqueeze_)
    result = _dropout_impl(input.unsqueeze(0), p, training, True, False, inplace)
    return input if inplace else result.squeeze(0)


@composite(method=False, namespace=F)
def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that dropout1d "
            "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
            "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched(input, inplace, d == 3, p, training)


def _spatial_warning(n, d):
    """dropout{n}d's deprecation warning for inputs without n spatial dims (+ channel, batch)."""
    if d not in (n + 1, n + 2):
        warnings.warn(
            f"dropout{n}d: Received a {d}-D input to dropout{n}d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that dropout{n}d exists to provide "
            f"channel-wise dropout on inputs with {n} spatial dimensions, a channel dimension, "
            f"and an optional batch dimension (i.e. {n + 1}D or {n + 2}D inputs).", stacklevel=3)


@composite(method=False, namespace=F)
def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    _spatial_warning(2, d)
    if d == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout_impl(input, p, training, True, False, inplace)


@composite(method=False, namespace=F)
def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    _spatial_warning(3, d)
    return _unbatched(input, inplace, d == 5, p, training)
