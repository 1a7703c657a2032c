"""Indexing: __getitem__/__setitem__ (basic indexing gives views), advanced indexing, index_put,
gather/scatter and the index_*/masked_*/take/put families, nonzero."""
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._jit import lazy_jit
from .._tensor import Tensor, wrap
from .._views import ViewMeta
from ._util import wrap_dim, broadcast_shapes, no_derivative
from .registry import op, composite, call, OPS, NAMESPACES, _inplace, _check_int
from .shape import _slice_range

VIEW = dict(promote=False, saves=())


def _is_concrete(a):
    return not isinstance(a, jax.core.Tracer)


def _np(t):
    """Host copy of a tensor's values, or None when they are traced (checks are skipped)."""
    v = t._value
    return np.asarray(v) if _is_concrete(v) else None


def _as_index_tensor(x):
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype == object:
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         "Variables are valid indices")
    if a.size == 0 and a.dtype == np.float64:
        a = a.astype(np.int64)
    if a.dtype.kind in "iu":
        a = a.astype(np.int64)
    return wrap(jnp.asarray(a))


# C++ type names torch prints in some messages
_CTYPE = {D.float32: "float", D.float64: "double", D.int64: "long int", D.int32: "int",
          D.uint8: "unsigned char", D.int8: "signed char", D.int16: "short int",
          D.float16: "c10::Half", D.bfloat16: "c10::BFloat16", D.bool: "bool",
          D.complex64: "c10::complex<float>", D.complex128: "c10::complex<double>"}
_CSCALAR = {D.float32: "float", D.float64: "double", D.int64: "int64_t", D.int32: "int",
            D.uint8: "uint8_t", D.int8: "int8_t", D.int16: "int16_t", D.float16: "c10::Half",
            D.bfloat16: "c10::BFloat16", D.bool: "bool", D.complex64: "c10::complex<float>",
            D.complex128: "c10::complex<double>"}


_FMAX = {}


def _fmax(dt):
    m = _FMAX.get(dt)
    if m is None:
        m = _FMAX[dt] = D.finfo(dt).max
    return m


_WARNED = set()


def warn_once(msg, stacklevel=3):
    """TORCH_WARN_ONCE: the first time in the process only."""
    if msg not in _WARNED:
        _WARNED.add(msg)
        warnings.warn(msg, UserWarning, stacklevel=stacklevel + 1)


def _check_value_fits(v, dt):
    """torch's checked scalar conversion ('value cannot be converted ... without overflow')."""
    if isinstance(v, Tensor):
        v = v.item()
    _check_int(v)
    if dt is D.bool or dt.is_complex:
        return
    bad = False
    if isinstance(v, complex):
        bad = v.imag != 0
        v = v.real
    if not bad:
        if dt.is_floating_point:
            import math
            bad = math.isfinite(v) and abs(v) > _fmax(dt)
        elif not isinstance(v, bool):
            info = np.iinfo(dt.np)
            if isinstance(v, int):  # exactly (2**63 - 1 is not above int64's max)
                bad = v > info.max or v < (-info.max if info.min == 0 else info.min)
            else:
                fv = float(v)
                bad = fv != fv or fv > info.max or (
                    fv < -info.max if info.min == 0 else fv < info.min)
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_CSCALAR.get(dt, dt.name)} without "
                           "overflow")


# ---------------------------------------------------------------- __getitem__ / __setitem__

def _bad_index(i):
    return IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                      f"Variables are valid indices (got {type(i).__name__})")


def _normalize(idx):
    if isinstance(idx, tuple):
        return idx, True
    if isinstance(idx, list) and len(idx) < 32 and any(
            isinstance(i, (list, tuple, slice, Tensor)) or i is None or i is Ellipsis
            for i in idx):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and "
                      "will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In "
                      "pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor(seq)], "
                      "which will result either in an error or a different result (Triggered "
                      "internally at /__w/pytorch/pytorch/torch/csrc/autograd/"
                      "python_variable_indexing.cpp:349.)", UserWarning, stacklevel=3)
        return tuple(idx), True
    return (idx,), False


def _is_int_scalar_tensor(i):
    return isinstance(i, Tensor) and i.dim() == 0 and i.dtype._cat == 1


def _parse(self, idx):
    """Apply basic indexing as view ops; return (view, [(dim, index tensor)]) for advanced."""
    idx, is_tuple = _normalize(idx)
    spec = 0
    for i in idx:
        if i is None or i is Ellipsis or isinstance(i, bool):
            continue
        if isinstance(i, Tensor) and i.dtype in (D.bool, D.uint8):
            spec += max(i.dim(), 0)
        elif isinstance(i, (list, tuple)) and np.asarray(i).dtype == np.bool_:
            spec += np.asarray(i).ndim
        else:
            spec += 1
    n = self.dim()
    if spec > n:
        if n == 0 and any(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in idx):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {n}")
    t, d, adv, seen_ellipsis = self, 0, [], False
    for i in idx:
        if i is Ellipsis:
            d += n - spec
        elif i is None:
            t = t.unsqueeze(d)
            d += 1
        elif isinstance(i, bool) or (isinstance(i, Tensor) and i.dtype is D.bool and i.dim() == 0):
            t = t.unsqueeze(d)
            adv.append((d, wrap(jnp.zeros((1 if bool(i) else 0,), jnp.int64))))
            d += 1
        elif isinstance(i, slice):
            step = 1 if i.step is None else int(i.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            start = None if i.start is None else int(i.start)
            stop = None if i.stop is None else int(i.stop)
            if not is_tuple or not (start in (None, 0) and stop is None and step == 1):
                s0, _, cnt = _slice_range(t.shape[d], start, stop, step)
                t = call(OPS["_slice_dyn"], (t, s0), (d, cnt, step))
            d += 1
        elif isinstance(i, numbers.Integral) or _is_int_scalar_tensor(i):
            size = t.shape[d]
            k = int(i)
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size {size}")
            t = t.select(d, k)
        elif isinstance(i, (Tensor, list, tuple, np.ndarray)):
            it = _as_index_tensor(i)
            if it.dtype is D.bool or it.dtype is D.uint8:
                if it.dtype is D.uint8:
                    warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a "
                                  "dtype torch.bool instead. (Triggered internally at /__w/pytorch/"
                                  "pytorch/aten/src/ATen/native/IndexingUtils.h:37.)", UserWarning,
                                  stacklevel=3)
                for k, m in enumerate(_mask_to_indices(it, tuple(t.shape), d)):
                    adv.append((d + k, m))
                d += it.dim()
            else:
                if it.dtype not in (D.int64, D.int32):
                    raise IndexError("tensors used as indices must be long, int, byte or bool "
                                     "tensors")
                adv.append((d, it))
                d += 1
        elif isinstance(i, (float, complex, str)) or not hasattr(i, "__index__"):
            raise _bad_index(i)
        else:
            raise _bad_index(i)
    return t, adv


def _mask_to_indices(mask, shape, d0):
    """Index tensors of a bool/byte mask applied at dim d0 of a tensor of this shape."""
    m = _np(mask).astype(bool)
    for k, a in enumerate(m.shape):
        b = shape[d0 + k] if d0 + k < len(shape) else None
        if a != b:
            raise IndexError(f"The shape of the mask {list(m.shape)} at index {k} does not match the "
                             f"shape of the indexed tensor {list(shape)} at index {d0 + k}")
    return [wrap(jnp.asarray(ix, dtype=jnp.int64)) for ix in np.nonzero(m)]


def _check_adv(t, adv):
    shapes = [tuple(it.shape) for _, it in adv]
    try:
        broadcast_shapes(*shapes)
    except RuntimeError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         f"shapes {', '.join(str(list(s)) for s in shapes)}") from None
    for d, it in adv:
        a = _np(it)
        if a is not None and a.size:
            size = t.shape[d]
            bad = a[(a >= size) | (a < -size)]
            if bad.size:
                raise IndexError(f"index {bad.flat[0]} is out of bounds for dimension {d} with size "
                                 f"{size}")


def _full_index(ndim, adv):
    pos = [None] * ndim
    for d, it in adv:
        pos[d] = it
    last = max(d for d, _ in adv)
    return tuple(pos[:last + 1])


def _tuple_index(indices):
    return tuple(slice(None) if i is None else i for i in indices)


@op(tensors=("input",), lists=("indices",), promote=False, method=False, function=False,
    grad="IndexBackward0", saves=("indices",))
def index(input, indices):
    return input[_tuple_index(indices)]


def getitem(self, idx):
    t, adv = _parse(self, idx)
    if not adv:
        return call(OPS["alias"], (self,), ()) if t is self else t
    _check_adv(t, adv)
    return call(OPS["index"], (t, _full_index(t.dim(), adv)), ())


def _value_tensor(self, value):
    if isinstance(value, Tensor):
        if value.dtype.is_complex and not self.dtype.is_complex:
            warnings.warn("Casting complex values to real discards the imaginary part (Triggered "
                          "internally at /__w/pytorch/pytorch/aten/src/ATen/native/Copy.cpp:307.)",
                          UserWarning, stacklevel=3)
        return value
    if isinstance(value, numbers.Number):
        if type(value) is int and not -2 ** 63 <= value < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
        _check_value_fits(value, self.dtype)
        v = value
        if isinstance(v, complex) and not self.dtype.is_complex:
            v = v.real
        from .registry import scalar_array
        return wrap(scalar_array(v, self.dtype))
    from .._creation import tensor
    return tensor(value, dtype=self.dtype)


def _strip_ones(value):
    sh = tuple(value.shape)
    k = 0
    while k < len(sh) and sh[k] == 1:
        k += 1
    return value.reshape(sh[k:]) if k else value


_FAST = {}


def _fast_key(shape, idx):
    """Static key of a basic index (ints, positive-step slices, None, ...) on a tensor of this
    shape when it is valid; None otherwise (the general path then raises torch's errors)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    key, spec = [], 0
    for i in idx:
        if i is None or i is Ellipsis:
            key.append(i)
        elif type(i) is int:
            key.append(i)
            spec += 1
        elif type(i) is slice and (i.step is None or (type(i.step) is int and i.step > 0)) and \
                (i.start is None or type(i.start) is int) and (i.stop is None or type(i.stop) is int):
            key.append((i.start, i.stop, i.step))
            spec += 1
        else:
            return None
    if spec > len(shape) or key.count(Ellipsis) > 1:
        return None
    d = 0
    for k in key:
        if k is Ellipsis:
            d += len(shape) - spec
        elif type(k) is int:
            if not -shape[d] <= k < shape[d]:
                return None
            d += 1
        elif k is not None:
            d += 1
    return tuple(key)


def _fast_fn(shape, key, vshape):
    ent = _FAST.get((shape, key, vshape))
    if ent is None:
        ix = tuple(slice(*k) if type(k) is tuple else k for k in key)
        target = jax.eval_shape(lambda a: a[ix], jax.ShapeDtypeStruct(shape, np.float32)).shape
        vs = vshape
        while vs and vs[0] == 1:
            vs = vs[1:]
        ok = len(vs) <= len(target) and all(
            a == b or a == 1 for a, b in zip(vs[::-1], tuple(target)[::-1]))
        fn = None
        if ok:
            def fn(root, v):
                if jnp.issubdtype(v.dtype, jnp.complexfloating) and not jnp.issubdtype(
                        root.dtype, jnp.complexfloating):
                    v = jnp.real(v)
                return root.at[ix].set(jnp.broadcast_to(v.reshape(vs), target).astype(root.dtype))
            fn = lazy_jit(fn)
        if len(_FAST) > 2048:
            _FAST.clear()
        ent = _FAST[(shape, key, vshape)] = (fn,)
    return ent[0]


def _try_fast_set(self, idx, value):
    """x[basic] = v on an untracked root tensor: one jitted scatter into its storage."""
    if self._vm is not None or self._rg or (isinstance(value, Tensor) and value._rg) or \
            self._inference:
        return False
    shape = tuple(self._st.value.shape)
    key = _fast_key(shape, idx)
    if key is None:
        return False
    value = _value_tensor(self, value)
    fn = _fast_fn(shape, key, tuple(value.shape))
    if fn is None:
        return False
    self._assign(fn(self._st.value, value._value))
    return True


def setitem(self, idx, value):
    from ..autograd.graph import check_inplace, inplace_update
    if _try_fast_set(self, idx, value):
        return
    t, adv = _parse(self, idx)
    value = _value_tensor(self, value)
    if not adv:
        v = _strip_ones(value)
        if tuple(v.shape) != tuple(t.shape):
            from .shape import _expand_shape
            _expand_shape(tuple(v.shape), tuple(t.shape), v._value.dtype)
        if t is self:
            check_inplace(self)
            r = call(OPS["copy"], (self, v), (False,))
            inplace_update(self, r)
            return
        t.copy_(v)
        return
    _check_adv(t, adv)
    indices = _full_index(t.dim(), adv)
    v = _strip_ones(value)
    _check_put_shape(t, indices, v)
    if v.dtype is not t.dtype:
        v = v.to(t.dtype)
    check_inplace(t)
    r = call(OPS["_index_put_impl"], (t, v, indices), (False,))
    inplace_update(t, r)


def _index_result_shape(t, indices):
    """numpy/torch advanced-indexing result shape: the broadcast index shape replaces the indexed
    dims in place when they are adjacent, else goes first."""
    shape = tuple(t.shape)
    pos = [k for k, i in enumerate(indices) if i is not None]
    b = broadcast_shapes(*(tuple(indices[k].shape) for k in pos))
    rest = [shape[k] for k in range(len(shape)) if k not in pos]
    if pos == list(range(pos[0], pos[-1] + 1)):
        return tuple(rest[:pos[0]]) + b + tuple(rest[pos[0]:])
    return b + tuple(rest)


def _check_put_shape(t, indices, v):
    res = _index_result_shape(t, indices)
    try:
        ok = broadcast_shapes(tuple(v.shape), res) == res
    except RuntimeError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(res)}")


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


# ---------------------------------------------------------------- index_put

@op(tensors=("input", "values"), lists=("indices",), promote=False, method=False,
    function=False, grad="IndexPutBackward0", saves=("indices",))
def _index_put_impl(input, values, indices, accumulate=False):
    ix = _tuple_index(indices)
    values = values.astype(input.dtype)
    return _add(input.at[ix], values) if accumulate else input.at[ix].set(values)


def _prep_index_put(self, indices, values, fname="index_put"):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'indices' must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got "
                            f"{type(i).__name__}")
    if len(indices) > self.dim():
        raise IndexError(f"too many indices for tensor of dimension {self.dim()} (got "
                         f"{len(indices)})")
    if not isinstance(values, Tensor):
        raise TypeError(f"{fname}(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    if values.dtype is not self.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{D.SCALAR_NAME[self.dtype]} for the destination and "
                           f"{D.SCALAR_NAME[values.dtype]} for the source.")
    adv, d = [], 0
    for i in indices:
        if i.dtype in (D.bool, D.uint8):
            for k, m in enumerate(_mask_to_indices(i, tuple(self.shape), d)):
                adv.append((d + k, m))
            d += i.dim()
        else:
            if i.dtype not in (D.int64, D.int32):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            adv.append((d, i))
            d += 1
    if not adv:
        return None
    _check_adv(self, adv)
    full = _full_index(self.dim(), adv)
    _check_put_shape(self, full, values)
    return full


@composite()
def index_put(input, indices, values, accumulate=False):
    full = _prep_index_put(input, indices, values)
    if full is None:
        return input.clone()
    return call(OPS["_index_put_impl"], (input, values, full), (bool(accumulate),))


@composite(function=False)
def index_put_(input, indices, values, accumulate=False):
    full = _prep_index_put(input, indices, values, "index_put_")
    if full is None:
        return input
    return _inplace(OPS["_index_put_impl"], (input, values, full), (bool(accumulate),))


torch_index_put_ = composite(method=False, name="index_put_")(index_put_)


# ---------------------------------------------------------------- index_select / gather / take

def _out_overlap(out, *ts):
    if out is not None and any(isinstance(t, Tensor) and t._st is out._st for t in ts):
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")


def _into(out, r, name):
    if out is None:
        return r
    from .registry import _write_out
    _write_out(out, [r], name)
    return out


@op(tensors=("input", "index"), promote=False, function=False, method=False,
    grad="IndexSelectBackward0", saves=("index",))
def _index_select(input, dim, index):
    if input.ndim == 0:
        return input
    return jnp.take(input, index.reshape(-1), axis=dim)


@composite()
def index_select(input, dim, index, *, out=None):
    if index.dim() > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    d = wrap_dim(dim, input.dim())
    a = _np(index)
    size = input.shape[d] if input.dim() else 1
    if a is not None and a.size and ((a < 0) | (a >= size)).any():
        raise IndexError("index out of range in self")
    _out_overlap(out, input, index)
    return _into(out, call(OPS["_index_select"], (input, index), (d,)), "index_select")


def _coords(index, dim):
    """Full coordinates addressing input along index's positions, with index on dim."""
    c = list(jnp.indices(index.shape, sparse=True))
    c[dim] = index
    return tuple(c)


def _check_gather_like(fname, input, dim, index, src=None, strict_src=True):
    """torch's scatter/gather shape checks (index no larger than self/src apart from dim)."""
    n = input.dim()
    d = wrap_dim(dim, n)
    if index.numel() == 0:
        return d
    if index.dim() != n and not (index.dim() <= 1 and n <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                           f"{'input' if fname == 'gather' else 'self'} tensor")
    if src is not None and index.dim() != src.dim() and not (index.dim() <= 1 and src.dim() <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    return d


def _bounds_rt(index, d, size):
    a = _np(index)
    if a is not None and a.size:
        bad = a[(a < 0) | (a >= size)]
        if bad.size:
            raise RuntimeError(f"index {bad.flat[0]} is out of bounds for dimension {d} with size "
                               f"{size}")


def _size_check_gather(input, d, index):
    ish, xsh = tuple(index.shape), tuple(input.shape)
    if len(ish) == len(xsh):
        for k in range(len(ish)):
            if k != d and ish[k] > xsh[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index "
                                   f"{list(ish)} to be no larger than self {list(xsh)} apart from "
                                   f"dimension {d}")


def _size_check_scatter(input, d, index, src):
    ish, xsh = tuple(index.shape), tuple(input.shape)
    ssh = tuple(src.shape) if src is not None else None
    if len(ish) != len(xsh) or index.numel() == 0:
        return
    bad_self = any(k != d and ish[k] > xsh[k] for k in range(len(ish)))
    bad_src = ssh is not None and len(ssh) == len(ish) and any(ish[k] > ssh[k]
                                                               for k in range(len(ish)))
    if bad_self or bad_src:
        msg = (f"Expected index {list(ish)} to be no larger than self {list(xsh)} apart from "
               f"dimension {d}")
        if ssh is not None:
            msg += f" and to be no larger size than src {list(ssh)}"
        raise RuntimeError(msg)


@op(tensors=("input", "index"), promote=False, function=False, method=False,
    grad="GatherBackward0", saves=("index",))
def _gather(input, dim, index):
    if index.size == 0:
        return jnp.zeros(index.shape, input.dtype)
    if input.ndim == 0 or index.ndim == 0:
        return input.reshape(-1)[index.reshape(-1)].reshape(index.shape)
    return input[_coords(index, dim)]


@composite()
def gather(input, dim, index, *, sparse_grad=False, out=None):
    d = _check_gather_like("gather", input, dim, index)
    if index.dtype not in (D.int64, D.int32) and index.numel():
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if index.numel():
        _size_check_gather(input, d, index)
    _bounds_rt(index, d, input.shape[d] if input.dim() else 1)
    if out is not None:
        if out.dtype is not input.dtype:
            raise RuntimeError(f"gather(): Expected out tensor to have dtype "
                               f"{input.dtype}, but got {out.dtype} instead")
        _out_overlap(out, input, index)
    return _into(out, call(OPS["_gather"], (input, index), (d,)), "gather")


@composite()
def take_along_dim(input, indices, dim=None, *, out=None):
    if indices.dtype is not D.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{D.SCALAR_NAME[indices.dtype]}")
    if dim is None:
        return _into(out, gather(input.reshape(-1), 0, indices.reshape(-1)), "gather")
    if input.dim() != indices.dim():
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {input.dim()} dimensions for input, and "
                           f"{indices.dim()} dimensions for indices")
    d = wrap_dim(dim, input.dim())
    ish, xsh = list(input.shape), list(indices.shape)
    ish[d] = xsh[d] = 1
    b = list(broadcast_shapes(tuple(ish), tuple(xsh)))
    bi, bx = list(b), list(b)
    bi[d], bx[d] = input.shape[d], indices.shape[d]
    x = input if list(input.shape) == bi else input.expand(tuple(bi))
    ix = indices if list(indices.shape) == bx else indices.expand(tuple(bx))
    a = _np(ix)
    size = input.shape[d]
    if a is not None and a.size and ((a < 0) | (a >= size)).any():
        ix = ix % size  # torch's CPU kernel wraps these (negative and past-the-end) indices
    return _into(out, call(OPS["_gather"], (x, ix), (d,)), "gather")


@op(tensors=("input", "index"), promote=False, function=False, method=False,
    grad="TakeBackward0", saves=("index",))
def _take(input, index):
    return input.reshape(-1)[index]


def _flat_bounds(a, n):
    if a is not None and a.size:
        bad = a[(a < -n) | (a >= n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {bad.flat[0]} on a tensor of "
                             f"{n} elements.")


@composite()
def take(input, index, *, out=None):
    if index.dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{D.SCALAR_NAME[index.dtype]}")
    _flat_bounds(_np(index), input.numel())
    _out_overlap(out, input, index)
    return _into(out, call(OPS["_take"], (input, index), ()), "take")


@op(tensors=("input", "index", "source"), promote=False, function=False, method=False,
    grad="PutBackward0", saves=("index",))
def _put(input, index, source, accumulate):
    flat = input.reshape(-1)
    ix, src = index.reshape(-1), source.reshape(-1)
    flat = _add(flat.at[ix], src) if accumulate else flat.at[ix].set(src)
    return flat.reshape(input.shape)


def _put_args(input, index, source):
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{D.SCALAR_NAME[index.dtype]}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {D.SCALAR_NAME[input.dtype]} and source.dtype = "
                           f"{D.SCALAR_NAME[source.dtype]}")
    if source.numel() != index.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, "
                         f"but got source.numel() = {source.numel()}, index.numel() = "
                         f"{index.numel()}")
    _flat_bounds(_np(index), input.numel())


@composite()
def put(input, index, source, accumulate=False):
    _put_args(input, index, source)
    return call(OPS["_put"], (input, index, source), (bool(accumulate),))


@composite(function=False)
def put_(input, index, source, accumulate=False):
    _put_args(input, index, source)
    return _inplace(OPS["_put"], (input, index, source), (bool(accumulate),))


# ---------------------------------------------------------------- scatter family

def _scatter_base(input, index, dim, reduce, include_self):
    """(base, coords): base is input with scattered positions reset when not include_self."""
    coords = _coords(index, dim)
    if include_self:
        return input, coords
    ident = {"sum": 0, "mean": 0, "prod": 1}
    if reduce in ident:
        init = jnp.asarray(ident[reduce], input.dtype)
    elif jnp.issubdtype(input.dtype, jnp.inexact):
        init = jnp.asarray(-jnp.inf if reduce == "amax" else jnp.inf, input.dtype)
    elif input.dtype == jnp.bool_:
        init = jnp.asarray(reduce != "amax")
    else:
        info = jnp.iinfo(input.dtype)
        init = jnp.asarray(info.min if reduce == "amax" else info.max, input.dtype)
    return input.at[coords].set(init), coords


def _add(at, s):
    return at.max(s) if s.dtype == jnp.bool_ else at.add(s)


def _mul(at, s):
    return at.min(s) if s.dtype == jnp.bool_ else at.multiply(s)


def _scatter_apply(base, coords, src, reduce):
    at = base.at[coords]
    if reduce in ("sum", "mean"):
        return _add(at, src)
    if reduce == "prod":
        return _mul(at, src)
    if reduce == "amax":
        return at.max(src)
    return at.min(src)


def _scatter_mean(input, coords, src, base, include_self):
    total = base.at[coords].add(src)
    cnt = jnp.zeros(input.shape, jnp.int64).at[coords].add(1)
    if include_self:
        cnt = cnt + 1
    cnt = jnp.maximum(cnt, 1)
    if jnp.issubdtype(input.dtype, jnp.inexact):
        return total / cnt.astype(total.dtype)
    return jnp.floor_divide(total, cnt.astype(total.dtype))


def _make_reduce(dim, reduce, include_self):
    """A custom-vjp scatter reduction (prod/amax/amin) with torch's gradient formulas."""
    def fwd_value(input, index, src):
        base, coords = _scatter_base(input, index, dim, reduce, include_self)
        return _scatter_apply(base, coords, src, reduce)

    @jax.custom_vjp
    def f(input, index, src):
        return fwd_value(input, index, src)

    def fwd(input, index, src):
        r = fwd_value(input, index, src)
        return r, (input, index, src, r)

    def bwd(res, g):
        input, index, src, result = res
        coords = _coords(index, dim)
        if reduce == "prod":
            masked_self = jnp.where(input == 0, 1, input)
            msr = fwd_value(masked_self, index, src)
            g_self = g * msr / masked_self
            src_zero = src == 0
            nz = jnp.zeros(input.shape, input.dtype).at[coords].add(src_zero.astype(input.dtype))
            nz = nz[coords]
            single = src_zero & (nz == 1)
            masked_src = jnp.where(single, 1, src)
            msr2 = fwd_value(input, index, masked_src)
            g_src = jnp.where(single, (g * msr2)[coords],
                              (g * result)[coords] / jnp.where(src_zero, 1, src))
        else:
            value = result[coords]
            self_is = (input == result).astype(input.dtype)
            src_is = (src == value).astype(input.dtype)
            n = self_is.at[coords].add(src_is)
            gd = g / n
            g_self = self_is * gd
            g_src = src_is * gd[coords]
        if not include_self:
            g_self = g_self.at[coords].set(0)
        return g_self, None, g_src

    f.defvjp(fwd, bwd)
    return f


def _scatter_reduce_value(input, dim, index, src, reduce, include_self):
    if index.size == 0:
        return input
    if input.ndim == 0:
        r = _scatter_reduce_value(input.reshape(1), 0, index.reshape(-1), src.reshape(-1),
                                  reduce, include_self)
        return r.reshape(())
    src = src[tuple(slice(0, s) for s in index.shape)] if src.ndim else \
        jnp.broadcast_to(src, index.shape)
    if reduce in ("prod", "amax", "amin") and jnp.issubdtype(input.dtype, jnp.inexact):
        return _make_reduce(dim, reduce, include_self)(input, index, src)
    base, coords = _scatter_base(input, index, dim, reduce, include_self)
    if reduce == "mean":
        return _scatter_mean(input, coords, src, base, include_self)
    return _scatter_apply(base, coords, src, reduce)


def _grad_scatter(key):
    statics = key[0]
    if statics[1] is not None:
        return "NotImplemented"
    return "ScatterBackward0" if statics[-1] == "src" else "ScatterBackward1"


@op(tensors=("input", "index", "src"), promote=False, function=False, method=False,
    grad=_grad_scatter, saves=("index",))
def _scatter(input, dim, index, src, reduce, kind):
    src = src.astype(input.dtype)
    if index.size == 0:
        return input
    if input.ndim == 0:
        return _scatter(input.reshape(1), 0, index.reshape(-1), src.reshape(-1) if src.ndim else
                        src, reduce, kind).reshape(())
    s = src[tuple(slice(0, n) for n in index.shape)] if src.ndim else \
        jnp.broadcast_to(src, index.shape)
    at = input.at[_coords(index, dim)]
    if reduce is None:
        return at.set(s)
    r = _mul(at, s) if reduce == "multiply" else _add(at, s)
    return no_derivative(r, "scatter") if jnp.issubdtype(r.dtype, jnp.inexact) else r


def _scatter_checks(fname, input, dim, index, src):
    d = _check_gather_like(fname, input, dim, index, src if isinstance(src, Tensor) else None)
    if index.dtype not in (D.int64, D.int32) and index.numel():
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index")
    if isinstance(src, Tensor) and src.dtype is not input.dtype and src.dim() > 0:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _size_check_scatter(input, d, index, src if isinstance(src, Tensor) else None)
    _bounds_rt(index, d, input.shape[d] if input.dim() else 1)
    return d


def _scatter_args(input, dim, index, src, value, reduce):
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is None or isinstance(src, numbers.Number):
        src, kind = (value if src is None else src), "value"
    else:
        kind = "src"
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if reduce is not None and kind == "src":
        warn_once("The reduce argument of torch.scatter with Tensor src is deprecated and will "
                  "be removed in a future PyTorch release. Use torch.scatter_reduce instead "
                  "for more reduction options. (Triggered internally at /__w/pytorch/pytorch/"
                  "aten/src/ATen/native/TensorAdvancedIndexing.cpp:225.)")
    d = _scatter_checks("scatter", input, dim, index, src if kind == "src" else None)
    return (input, index, src), (d, reduce, kind)


@composite()
def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    targs, statics = _scatter_args(input, dim, index, src, value, reduce)
    _out_overlap(out, input, index, src)
    return _into(out, call(OPS["_scatter"], targs, statics), "scatter")


@composite(function=False)
def scatter_(input, dim, index, src=None, value=None, *, reduce=None):
    targs, statics = _scatter_args(input, dim, index, src, value, reduce)
    return _inplace(OPS["_scatter"], targs, statics)


@op(tensors=("input", "index", "src"), promote=False, function=False, method=False,
    grad=lambda key: key[0][-1], saves=("index",))
def _scatter_reduce(input, dim, index, src, reduce, include_self, gname):
    return _scatter_reduce_value(input, dim, index, src, reduce, include_self)


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _scatter_reduce_args(fname, input, dim, index, src, reduce, include_self):
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d = _check_gather_like(fname, input, dim, index, src)
    if index.dtype not in (D.int64, D.int32) and index.numel():
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _size_check_scatter(input, d, index, src)
    _bounds_rt(index, d, input.shape[d] if input.dim() else 1)
    return d


@composite()
def scatter_add(input, dim, index, src, *, out=None):
    d = _scatter_reduce_args("scatter_add", input, dim, index, src, "sum", True)
    _out_overlap(out, input, index, src)
    return _into(out, call(OPS["_scatter_reduce"], (input, index, src),
                           (d, "sum", True, "ScatterAddBackward0")), "scatter_add")


@composite(function=False)
def scatter_add_(input, dim, index, src):
    d = _scatter_reduce_args("scatter_add", input, dim, index, src, "sum", True)
    return _inplace(OPS["_scatter_reduce"], (input, index, src),
                    (d, "sum", True, "ScatterAddBackward0"))


@composite()
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    d = _scatter_reduce_args("scatter_reduce", input, dim, index, src, reduce, include_self)
    _out_overlap(out, input, index, src)
    r = call(OPS["_scatter_reduce"], (input, index, src),
             (d, reduce, bool(include_self), "ScatterReduceBackward0"))
    return _into(out, r, "scatter_reduce")


@composite(function=False)
def scatter_reduce_(input, dim, index, src, reduce, *, include_self=True):
    d = _scatter_reduce_args("scatter_reduce", input, dim, index, src, reduce, include_self)
    return _inplace(OPS["_scatter_reduce"], (input, index, src),
                    (d, reduce, bool(include_self), "ScatterReduceBackward0"))


# ---------------------------------------------------------------- index_add / copy / fill / reduce

def _index_vec(fname, index, err=IndexError):
    if index.dim() > 1:
        raise err(f"{fname}(): Index is supposed to be a vector, but got dim: {index.dim()} with "
                  f"type: {D.SCALAR_NAME[index.dtype]} and size: {list(index.shape)}")
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"{fname}(): Expected dtype int32/int64 for index but got: "
                           f"{D.SCALAR_NAME[index.dtype]}")


def _dim_index(input, d, index):
    ix = [slice(None)] * input.ndim
    ix[d] = index.reshape(-1)
    return tuple(ix)


def _source_view(input, source, d):
    """source with the index dim first-class (0-d inputs become 1-d)."""
    if input.ndim == 0:
        return input.reshape(1), source.reshape(-1), 0
    if source.ndim == 0:
        source = source.reshape(1)
    return input, source, d


@op(tensors=("input", "index", "source"), promote=False, function=False, method=False,
    grad="IndexAddBackward0", saves=("index",))
def _index_add(input, dim, index, source, alpha):
    x, s, d = _source_view(input, source, dim)
    s = s * alpha if alpha != 1 else s
    return _add(x.at[_dim_index(x, d, index)], s.astype(x.dtype)).reshape(input.shape)


def _index_add_args(input, dim, index, source):
    d = wrap_dim(dim, input.dim())
    _index_vec("index_add_", index)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_add_(): self ({D.SCALAR_NAME[input.dtype]}) and source "
                           f"({D.SCALAR_NAME[source.dtype]}) must have the same scalar type")
    ssh, xsh = list(source.shape), list(input.shape)
    if input.dim() and source.dim() and (len(ssh) != len(xsh) or any(
            ssh[k] != xsh[k] for k in range(len(xsh)) if k != d)):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {xsh} source.shape = {ssh}")
    n = source.shape[d] if source.dim() else 1
    if index.numel() != n:
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({n}), for dim: {d}")
    _bounds_rt(index, d, input.shape[d] if input.dim() else 1)
    return d


@composite()
def index_add(input, dim, index, source, *, alpha=1, out=None):
    d = _index_add_args(input, dim, index, source)
    return _into(out, call(OPS["_index_add"], (input, index, source), (d, alpha)), "index_add")


@composite(function=False)
def index_add_(input, dim, index, source, *, alpha=1):
    d = _index_add_args(input, dim, index, source)
    return _inplace(OPS["_index_add"], (input, index, source), (d, alpha))


@op(tensors=("input", "index", "source"), promote=False, function=False, method=False,
    grad="IndexCopyBackward0", saves=("index",))
def _index_copy(input, dim, index, source):
    x, s, d = _source_view(input, source, dim)
    return x.at[_dim_index(x, d, index)].set(s.astype(x.dtype)).reshape(input.shape)


def _index_copy_args(input, dim, index, source):
    d = wrap_dim(dim, input.dim())
    if index.dim() > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{index.dim()})")
    if index.dtype is not D.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{D.SCALAR_NAME[index.dtype]}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {D.SCALAR_NAME[input.dtype]} and (source) "
                           f"{D.SCALAR_NAME[source.dtype]}")
    n = source.shape[d] if source.dim() else 1
    if index.numel() != n:
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal to "
                         f"source.size(dim) ({n})")
    ssh, xsh = list(source.shape), list(input.shape)
    for k in range(max(len(xsh), len(ssh))):
        if k == d:
            continue
        a = xsh[k] if k < len(xsh) else None
        b = ssh[k] if k < len(ssh) else None
        if a != b:
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                               f"shapes. Destination slice shape: {_slice_shape(xsh, d)} at "
                               f"dimension {d} and source slice shape: {_slice_shape(ssh, d)} at "
                               f"dimension 0.")
    a = _np(index)
    size = input.shape[d] if input.dim() else 1
    if a is not None and a.size:
        bad = a[(a < 0) | (a >= size)]
        if bad.size:
            raise IndexError(f"index_copy_(): index {bad.flat[0]} is out of bounds for dimension "
                             f"{d} with size {size}")
    return d


def _slice_shape(sh, d):
    s = [x for k, x in enumerate(sh) if k != d]
    return " ".join(str(x) for x in s) if s else "{}"


@composite()
def index_copy(input, dim, index, source, *, out=None):
    d = _index_copy_args(input, dim, index, source)
    return _into(out, call(OPS["_index_copy"], (input, index, source), (d,)), "index_copy")


@composite(function=False)
def index_copy_(input, dim, index, source):
    d = _index_copy_args(input, dim, index, source)
    return _inplace(OPS["_index_copy"], (input, index, source), (d,))


def _index_fill_fn(input, dim, index, value):
    x = input.reshape(1) if input.ndim == 0 else input
    v = value.astype(x.dtype) if jnp.issubdtype(x.dtype, jnp.complexfloating) else \
        jnp.real(value).astype(x.dtype)
    return x.at[_dim_index(x, dim, index)].set(v).reshape(input.shape)


op(tensors=("input", "index"), data=("value",), promote=False, function=False, method=False,
   grad="IndexFillBackward0", saves=("index",), name="_index_fill_s")(_index_fill_fn)
op(tensors=("input", "index", "value"), promote=False, function=False, method=False,
   grad="IndexFillBackward1", saves=("index",), name="_index_fill_t")(_index_fill_fn)


def _index_fill_args(input, dim, index, value):
    d = wrap_dim(dim, input.dim())
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.dim()} dimension(s).")
    if index.dim() > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if index.dtype is not D.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    size = input.shape[d] if input.dim() else 1
    a = _np(index)
    if a is not None and a.size:
        bad = a[(a < -size) | (a >= size)]
        if bad.size:
            raise IndexError(f"index {bad.flat[0]} is out of bounds for dimension {d} with size "
                             f"{size}")
        if (a < 0).any():
            index = index + (index < 0).long() * size
    return d, index, OPS["_index_fill_t" if isinstance(value, Tensor) else "_index_fill_s"]


@composite()
def index_fill(input, dim, index, value):
    d, index, E = _index_fill_args(input, dim, index, value)
    return call(E, (input, index, value), (d,))


@composite(function=False)
def index_fill_(input, dim, index, value):
    d, index, E = _index_fill_args(input, dim, index, value)
    return _inplace(E, (input, index, value), (d,))


def _index_reduce_args(input, dim, index, source, reduce):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin "
                           f"but got {reduce}.")
    warn_once("index_reduce() is in beta and the API may change at any time. (Triggered "
              "internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
              "TensorAdvancedIndexing.cpp:1523.)")
    d = wrap_dim(dim, input.dim())
    _index_vec("index_reduce_", index)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_reduce_(): self ({D.SCALAR_NAME[input.dtype]}) and source "
                           f"({D.SCALAR_NAME[source.dtype]}) must have the same scalar type")
    n = source.shape[d] if source.dim() else 1
    if index.numel() != n:
        raise RuntimeError(f"index_reduce_(): Number of indices ({index.numel()}) should be equal "
                           f"to source.size(dim): ({n}), for dim: {d}")
    _bounds_rt(index, d, input.shape[d] if input.dim() else 1)
    if input.dim() == 0:
        return d, index.reshape(()) if source.dim() == 0 else index
    shape = [1] * source.dim()
    shape[d] = index.numel()
    return d, index.reshape(tuple(shape)).expand(tuple(source.shape))


@composite()
def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None):
    d, full = _index_reduce_args(input, dim, index, source, reduce)
    return _into(out, call(OPS["_scatter_reduce"], (input, full, source),
                           (d, reduce, bool(include_self), "IndexReduceBackward0")), "index_reduce")


@composite(function=False)
def index_reduce_(input, dim, index, source, reduce, *, include_self=True):
    d, full = _index_reduce_args(input, dim, index, source, reduce)
    return _inplace(OPS["_scatter_reduce"], (input, full, source),
                    (d, reduce, bool(include_self), "IndexReduceBackward0"))


# ---------------------------------------------------------------- slice/select/diagonal scatter

def _embed_index(ndim, dim, idx):
    ix = [slice(None)] * ndim
    ix[dim] = idx
    return tuple(ix)


def _scatter_src_check(view_shape, src):
    if tuple(src.shape) != tuple(view_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(view_shape)}")


@op(tensors=("input", "src"), promote=False, out=True, saves=())
def select_scatter(input, src, dim, index):
    from .shape import _select_index
    d, i = _select_index(input.shape, dim, index)
    _scatter_src_check(input.shape[:d] + input.shape[d + 1:], src)
    return input.at[_embed_index(input.ndim, d, i)].set(src.astype(input.dtype))


@op(tensors=("input", "src"), promote=False, out=True, saves=())
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    from .shape import _slice_range
    d = wrap_dim(dim, input.ndim)
    s, e, n = _slice_range(input.shape[d], start, end, step)
    _scatter_src_check(input.shape[:d] + (n,) + input.shape[d + 1:], src)
    sl = slice(s, s + (n - 1) * step + 1 if n else s, step)
    return input.at[_embed_index(input.ndim, d, sl)].set(src.astype(input.dtype))


@op(tensors=("input", "src"), promote=False, out=True, saves=())
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    from .shape import _diag_dims
    a, b = _diag_dims(input.ndim, dim1, dim2)
    view = jnp.diagonal(input, offset, a, b)
    _scatter_src_check(view.shape, src)
    k = view.shape[-1]
    rows = np.arange(k) + max(-offset, 0)
    cols = np.arange(k) + max(offset, 0)
    moved = jnp.moveaxis(input, (a, b), (-2, -1))
    moved = moved.at[..., rows, cols].set(src.astype(input.dtype))
    return jnp.moveaxis(moved, (-2, -1), (a, b))


# ---------------------------------------------------------------- masked ops

def _mask_check(fname, mask):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"{fname} only supports boolean masks, but got mask with dtype "
                           f"{_CTYPE.get(mask.dtype, mask.dtype.name)}")


def _masked_fill_fn(input, mask, value):
    broadcast_shapes(input.shape, mask.shape)
    if jnp.issubdtype(input.dtype, jnp.complexfloating):
        v = value.astype(input.dtype)
    else:
        v = jnp.real(value).astype(input.dtype)
    return jnp.where(mask, v, input)


op(tensors=("input", "mask"), data=("value",), promote=False, function=False, method=False,
   grad="MaskedFillBackward0", saves=("mask",), name="_masked_fill_s")(_masked_fill_fn)
op(tensors=("input", "mask", "value"), promote=False, function=False, method=False,
   grad="MaskedFillBackward1", saves=("mask",), name="_masked_fill_t")(_masked_fill_fn)


def _masked_fill_args(input, mask, value):
    _mask_check("masked_fill_", mask)
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.dim()} dimension(s).")
        if _is_concrete(value._value):
            _check_value_fits(value, input.dtype)
        return OPS["_masked_fill_t"]
    _check_value_fits(value, input.dtype)
    return OPS["_masked_fill_s"]


@composite()
def masked_fill(input, mask, value):
    E = _masked_fill_args(input, mask, value)
    return call(E, (input, mask, value), ())


@composite(function=False)
def masked_fill_(input, mask, value):
    E = _masked_fill_args(input, mask, value)
    return _inplace(E, (input, mask, value), ())


@op(tensors=("input", "mask", "source"), promote=False, function=False, method=False,
    grad="MaskedScatterBackward0", saves=("mask",))
def _masked_scatter(input, mask, source):
    shape = broadcast_shapes(input.shape, mask.shape)
    m = jnp.broadcast_to(mask, shape).reshape(-1)
    pos = jnp.cumsum(m.astype(jnp.int64)) - 1
    vals = source.reshape(-1)[jnp.clip(pos, 0, max(source.size - 1, 0))] if source.size else \
        jnp.zeros(pos.shape, input.dtype)
    return jnp.where(m, vals, jnp.broadcast_to(input, shape).reshape(-1)).reshape(shape)


def _masked_scatter_args(input, mask, source):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{D.SCALAR_NAME[mask.dtype]}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{D.SCALAR_NAME[input.dtype]} and {D.SCALAR_NAME[source.dtype]}")
    m = _np(mask)
    if m is not None:
        shape = broadcast_shapes(tuple(input.shape), tuple(mask.shape))
        if int(np.broadcast_to(m, shape).sum()) > source.numel():
            raise RuntimeError("Number of elements of source < number of ones in mask")


@composite()
def masked_scatter(input, mask, source):
    _masked_scatter_args(input, mask, source)
    return call(OPS["_masked_scatter"], (input, mask, source), ())


@composite(function=False)
def masked_scatter_(input, mask, source):
    _masked_scatter_args(input, mask, source)
    return _inplace(OPS["_masked_scatter"], (input, mask, source), ())


@op(tensors=("input", "mask"), promote=False, function=False, method=False,
    grad="MaskedSelectBackward0", saves=("mask",))
def _masked_select(input, mask, count):
    shape = broadcast_shapes(input.shape, mask.shape)
    m = jnp.broadcast_to(mask, shape).reshape(-1)
    (idx,) = jnp.nonzero(m, size=count)
    return jnp.broadcast_to(input, shape).reshape(-1)[idx]


@composite()
def masked_select(input, mask, *, out=None):
    if mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = broadcast_shapes(tuple(mask.shape), tuple(input.shape))
    count = int(np.broadcast_to(_np(mask), shape).sum())
    _out_overlap(out, input, mask)
    return _into(out, call(OPS["_masked_select"], (input, mask), (count,)), "masked_select")


# ---------------------------------------------------------------- nonzero / where(cond)

def _nonzero_np(input):
    a = _np(input)
    if a.ndim == 0:
        return np.zeros((1 if a != 0 else 0, 0), np.int64)
    return np.stack(np.nonzero(a), 1).astype(np.int64) if a.size else np.zeros((0, a.ndim),
                                                                              np.int64)


def _nonzero_strided(input):
    """nonzero's (N, ndim) result in torch's layout: strides (1, N) over an (ndim, N) storage."""
    nz = _nonzero_np(input)
    t = wrap(jnp.asarray(np.ascontiguousarray(nz.T)))
    t._vm = ViewMeta(nz.shape, (1, nz.shape[0]), 0)
    t._vc, t._vv = jnp.asarray(nz), t._st.version
    return t


@composite()
def nonzero(input, *, out=None, as_tuple=False):
    if as_tuple:  # torch: nonzero().unbind(1), of a 0-d input unsqueezed
        return _nonzero_strided(input.unsqueeze(0) if input.dim() == 0 else input).unbind(1)
    if out is not None:
        return _into(out, wrap(jnp.asarray(_nonzero_np(input))), "nonzero")
    return _nonzero_strided(input)


@composite()
def argwhere(input):
    return _nonzero_strided(input)


@composite()
def nonzero_static(input, *, size, fill_value=-1):
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got "
                           f"{size}")
    nz = _nonzero_np(input)
    out = np.full((size, nz.shape[1]), fill_value, np.int64)
    k = min(size, nz.shape[0])
    out[:k] = nz[:k]
    return wrap(jnp.asarray(out))


_where3 = NAMESPACES[""].get("where")


@composite(method=False)
def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() missing required argument 'other'" if other is None else
                        "where() missing required argument 'input'")
    if out is not None:
        return _where3(condition, input, other, out=out)
    return _where3(condition, input, other)


# ---------------------------------------------------------------- complex parts (views)

def _real_meta(sh, st, off, comp):  # complex elements -> their float parts
    return sh, tuple(2 * s for s in st), 2 * off, comp


def _imag_meta(sh, st, off, comp):
    return sh, tuple(2 * s for s in st), 2 * off + 1, comp


@op(promote=False, view=_real_meta, method=False, saves=(), grad="SelectBackward0",
    function=False, name="real")
def _real(input):
    return jnp.real(input)


@op(promote=False, view=_imag_meta, method=False, saves=(), grad="SelectBackward0")
def imag(input):
    if not jnp.issubdtype(input.dtype, jnp.complexfloating):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return jnp.imag(input)


def _real_prop(self):
    return call(OPS["real"], (self,), ()) if self.dtype.is_complex else self


@composite(method=False)
def real(input):
    return _real_prop(input)


Tensor.real = property(_real_prop)
Tensor.imag = property(lambda self: call(OPS["imag"], (self,), ()))

_check_bounds = _check_adv  # name used by docs/adding-ops.md
