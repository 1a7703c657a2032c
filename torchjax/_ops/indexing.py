"""Indexing: __getitem__/__setitem__ (basic indexing gives views), advanced indexing, index_put."""
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, wrap
from ._util import wrap_dim
from .registry import op, composite, call, OPS


def _is_concrete(a):
    return not isinstance(a, jax.core.Tracer)


def _as_index_tensor(x):
    if isinstance(x, Tensor):
        return x
    return wrap(jnp.asarray(np.asarray(x)))


def _parse(self, idx):
    """Apply basic indexing as view ops; return (view, [(dim, index tensor)]) for advanced."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    spec = 0
    for i in idx:
        if i is None or i is Ellipsis or isinstance(i, bool):
            continue
        if isinstance(i, Tensor) and i.dtype is D.bool:
            spec += i.dim()
        else:
            spec += 1
    n = self.dim()
    if spec > n:
        raise IndexError(f"too many indices for tensor of dimension {n}")
    t, d, adv, seen_ellipsis = self, 0, [], False
    for i in idx:
        if i is Ellipsis:
            if seen_ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            seen_ellipsis = True
            d += n - spec
        elif i is None:
            t = t.unsqueeze(d)
            d += 1
        elif isinstance(i, bool):
            t = t.unsqueeze(d)
            if not i:
                t = call(OPS["slice"], (t,), (d, 0, 0, 1))
            d += 1
        elif isinstance(i, slice):
            step = 1 if i.step is None else int(i.step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            start = None if i.start is None else int(i.start)
            stop = None if i.stop is None else int(i.stop)
            if not (start in (None, 0) and stop is None and step == 1):
                t = call(OPS["slice"], (t,), (d, start, stop, step))
            d += 1
        elif isinstance(i, numbers.Integral) or (isinstance(i, Tensor) and i.dim() == 0 and
                                                  i.dtype._cat == 1 and not adv):
            t = t.select(d, int(i))
        elif isinstance(i, (Tensor, list, tuple, np.ndarray)):
            it = _as_index_tensor(i)
            if it.dtype is D.bool or it.dtype is D.uint8:
                for k, m in enumerate(_mask_to_indices(it, t.shape[d:d + it.dim()], d)):
                    adv.append((d + k, m))
                d += it.dim()
            else:
                if it.dtype._cat != 1:
                    raise IndexError("tensors used as indices must be long, int, byte or bool "
                                     "tensors")
                adv.append((d, it))
                d += 1
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got " f"{type(i).__name__})")
    return t, adv


def _mask_to_indices(mask, shape, d0):
    m = mask._numpy().astype(bool)
    for k, (a, b) in enumerate(zip(m.shape, shape)):
        if a != b:
            raise IndexError(f"The shape of the mask {list(m.shape)} at index {k} does not match the "
                             f"shape of the indexed tensor {list(shape)} at index {k}")
    return [wrap(jnp.asarray(ix, dtype=jnp.int64)) for ix in np.nonzero(m)]


def _check_bounds(t, adv):
    for d, it in adv:
        v = it._value
        if _is_concrete(v) and v.size:
            size = t.shape[d]
            a = np.asarray(v)
            bad = a[(a >= size) | (a < -size)]
            if bad.size:
                raise IndexError(f"index {bad.flat[0]} is out of bounds for dimension {d} with size "
                                 f"{size}")


def _full_index(ndim, adv):
    pos = [None] * ndim
    for d, it in adv:
        pos[d] = it
    last = max(d for d, _ in adv)
    return pos[:last + 1]


@op(tensors=("input",), lists=("indices",), promote=False, method=False, function=False,
    grad="IndexBackward0")
def index(input, indices):
    return input[tuple(slice(None) if i is None else i for i in indices)]


@op(tensors=("input", "values"), lists=("indices",), promote=False, method=False, inplace=True,
    grad="IndexPutBackward0")
def index_put(input, indices, values, accumulate=False):
    ix = tuple(slice(None) if i is None else i for i in indices)
    values = values.astype(input.dtype)
    return input.at[ix].add(values) if accumulate else input.at[ix].set(values)


def getitem(self, idx):
    t, adv = _parse(self, idx)
    if not adv:
        return _alias_view(t, self)
    _check_bounds(t, adv)
    return call(OPS["index"], (t, tuple(_full_index(t.dim(), adv))), ())


def _alias_view(t, self):
    """x[...] / x[:] returns a new view tensor, not self."""
    if t is self:
        return call(OPS["slice"], (self,), (0, None, None, 1)) if self.dim() else \
            self.view(())
    return t


def setitem(self, idx, value):
    from ..autograd.graph import check_inplace, inplace_update
    t, adv = _parse(self, idx)
    if not isinstance(value, Tensor):
        value = wrap(jnp.asarray(value, dtype=self.dtype.np))
    if not adv:
        if t is self:
            t = _alias_view(self, self)
        t.copy_(value)
        return
    _check_bounds(t, adv)
    if t is self:
        check_inplace(self)
        r = call(OPS["index_put"], (self, tuple(_full_index(t.dim(), adv)), value), (False,))
        inplace_update(self, r)
    else:
        t.index_put_(tuple(x for x in _full_index(t.dim(), adv)), value)


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


def _real_meta(sh, st, off, comp):
    return sh, st, off, "real"


def _imag_meta(sh, st, off, comp):
    return sh, st, off, "imag"


@op(promote=False, view=_real_meta, method=False, saves=())
def real(input):
    return jnp.real(input)


@op(promote=False, view=_imag_meta, method=False, saves=())
def imag(input):
    if not jnp.issubdtype(input.dtype, jnp.complexfloating):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return jnp.imag(input)


def _real_prop(self):
    return call(OPS["real"], (self,), ()) if self.dtype.is_complex else self


Tensor.real = property(_real_prop)
Tensor.imag = property(lambda self: call(OPS["imag"], (self,), ()))
