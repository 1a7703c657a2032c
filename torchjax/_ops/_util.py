"""Trace-time checks shared by op functions: they raise torch's errors before XLA sees shapes."""
import sys
import warnings

import jax
import jax.numpy as jnp


def wrap_dim(dim, ndim):
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return dim % ndim if ndim else 0


def wrap_dims(dim, ndim):
    """dim (None, int or sequence) -> sorted tuple of non-negative dims (None -> all)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (wrap_dim(dim, ndim),)
    out = tuple(wrap_dim(d, ndim) for d in dim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return out


def broadcast_shapes(*shapes):
    """Broadcast shapes with torch's error text."""
    shapes = [tuple(s) for s in shapes if s is not None]
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for i, d in enumerate(s):
            j = n - len(s) + i
            if out[j] == 1:
                out[j] = d
            elif d != 1 and d != out[j]:
                raise RuntimeError(f"The size of tensor a ({out[j]}) must match the size of tensor b "
                                   f"({d}) at non-singleton dimension {j}")
    return tuple(out)


def bcast(*arrs):
    """Check that arrays broadcast like torch (raises torch's message); returns them unchanged."""
    broadcast_shapes(*(a.shape for a in arrs if a is not None))
    return arrs


def is_float(a):
    return jnp.issubdtype(a.dtype, jnp.inexact)


def shape_arg(size):
    """Normalise a *size argument: (2, 3), ((2, 3),) and ([2, 3],) all give (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def warn_user(msg, category=UserWarning):
    """warnings.warn at the first frame outside torchjax, where torch's C++ warnings point."""
    f, level = sys._getframe(1), 2
    while f is not None and f.f_globals.get("__name__", "").startswith("torchjax"):
        f, level = f.f_back, level + 1
    warnings.warn(msg, category, stacklevel=level)

def no_derivative(r, name):
    """Identity whose backward raises torch's 'derivative ... is not implemented'."""
    @jax.custom_vjp
    def f(x):
        return x

    def bwd(_, g):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    f.defvjp(lambda x: (x, None), bwd)
    return f(r)
