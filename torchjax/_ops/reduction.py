"""Reductions."""
import jax
import jax.numpy as jnp

from .. import _dtype as D
from ._util import wrap_dims, wrap_dim
from .registry import op

RED = dict(out=True)


def _acc_dtype(a, dtype):
    """torch: integer/bool sums and products accumulate in int64 unless dtype= says otherwise."""
    if dtype is not None:
        return dtype.np
    if not jnp.issubdtype(a.dtype, jnp.inexact):
        return jnp.int64
    return a.dtype


@op(**RED, promote=False, saves=())
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.sum(input.astype(_acc_dtype(input, dtype)), axis=wrap_dims(dim, input.ndim) if
                   dim != () else None, keepdims=keepdim)


@op(**RED, promote=False)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    axis = None if dim is None else wrap_dim(dim, input.ndim)
    return jnp.prod(input.astype(_acc_dtype(input, dtype)), axis=axis, keepdims=keepdim)


@op(**RED, promote=False, saves=())
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is None and not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           "floating point or complex dtype. Got: "
                           f"{D.SCALAR_NAME[D.from_np(input.dtype)]}")
    x = input.astype(dtype.np) if dtype is not None else input
    return jnp.mean(x, axis=wrap_dims(dim, input.ndim) if dim != () else None, keepdims=keepdim)


@op(**RED, promote=False)
def amax(input, dim=(), keepdim=False):
    return jnp.max(input, axis=wrap_dims(dim or None, input.ndim), keepdims=keepdim)


@op(**RED, promote=False)
def amin(input, dim=(), keepdim=False):
    return jnp.min(input, axis=wrap_dims(dim or None, input.ndim), keepdims=keepdim)


@op(**RED, promote=False, differentiable=False)
def argmax(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmax(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmax(input, axis=wrap_dim(dim, input.ndim), keepdims=keepdim)


@op(**RED, promote=False, differentiable=False)
def argmin(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmin(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmin(input, axis=wrap_dim(dim, input.ndim), keepdims=keepdim)


@op(**RED, promote=False, differentiable=False)
def all(input, dim=None, keepdim=False):
    return jnp.all(input, axis=wrap_dims(dim, input.ndim), keepdims=keepdim)


@op(**RED, promote=False, differentiable=False)
def any(input, dim=None, keepdim=False):
    return jnp.any(input, axis=wrap_dims(dim, input.ndim), keepdims=keepdim)


@op(promote=False, namespace=("", "nn.functional"), saves=("result",),
    grad="SoftmaxBackward0")
def softmax(input, dim=None, dtype=None, _stacklevel=3):
    x = input.astype(dtype.np) if dtype is not None else input
    return jax.nn.softmax(x, axis=wrap_dim(dim if dim is not None else -1, x.ndim))


@op(promote=False, namespace=("", "nn.functional"), saves=("result",),
    grad="LogSoftmaxBackward0")
def log_softmax(input, dim=None, dtype=None, _stacklevel=3):
    x = input.astype(dtype.np) if dtype is not None else input
    return jax.nn.log_softmax(x, axis=wrap_dim(dim if dim is not None else -1, x.ndim))
