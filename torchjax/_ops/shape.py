"""Shape and view ops. View ops carry a ``view=`` meta rule (shape, stride, offset, comp,
*statics) -> new layout, so their results alias the input's storage like torch's."""
import itertools
import math
import numbers

import jax
import jax.numpy as jnp
from jax import lax
import numpy as np

from .. import _dtype as D
from .._tensor import wrap
from .._views import (ViewMeta, bitcast, compute_view_stride, contiguous_strides, meta_of,
                      _non_overlapping)
from ._util import wrap_dim, wrap_dims, shape_arg, no_derivative, broadcast_shapes as _bshapes
from ._cascade import expand_to
from .registry import op, composite, call, OPS

VIEW = dict(promote=False, saves=())


def _legacy(np_dtype):
    return "torch." + (D.from_np(np_dtype)._legacy or "Tensor")


def _dims_arg(dims):
    """A *dims varargs (ints, or one sequence) -> tuple of ints."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return tuple(int(d) for d in dims)


def _is_tensor(x):
    from .._tensor import Tensor
    return isinstance(x, Tensor)


# ---- view / reshape ----
def _view_stride(shape, stride, new):
    """torch's computeStride, including its 0-d and empty special cases."""
    if not shape:
        return (1,) * len(new)
    if math.prod(shape) == 0 and tuple(shape) == tuple(new):
        return tuple(stride)
    return compute_view_stride(shape, stride, new)


def _infer_size(size, numel):
    size = shape_arg(size)
    neg = [i for i, s in enumerate(size) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in size:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(size)} "
                                   "because the unspecified dimension size -1 can be any value "
                                   "and is ambiguous")
            raise RuntimeError(f"shape '{list(size)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(size)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in size)
    if known != numel:
        raise RuntimeError(f"shape '{list(size)}' is invalid for input of size {numel}")
    return size


def _view_meta(shape, stride, offset, comp, size):
    new = _infer_size(size, math.prod(shape))
    st = _view_stride(shape, stride, new)
    if st is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return new, st, offset, comp


def _varargs(args, kw, name, fname):
    """A torch *size/*dims argument given as ints, one sequence, or the keyword ``name``."""
    if kw:
        if set(kw) != {name} or args:
            bad = next(iter(set(kw) - {name}), name)
            raise TypeError(f"{fname}() got an unexpected keyword argument '{bad}'")
        args = (kw[name],)
    return _dims_arg(args)


@op(**VIEW, view=_view_meta, function=False, method=False, name="view")
def _view(input, *size):
    return input.reshape(_infer_size(size, input.size))


@composite(function=False)
def view(input, *size, **kw):
    if kw.get("dtype") is not None and not size and len(kw) == 1:
        return _view_dtype(input, kw["dtype"])
    if size and isinstance(size[0], D.dtype):
        if len(size) > 1 or kw:
            got = ", ".join("torch.dtype" if isinstance(a, D.dtype) else type(a).__name__
                            for a in size)
            raise TypeError(f"view() received an invalid combination of arguments - got ({got}), "
                            "but expected one of:\n * (torch.dtype dtype)\n * (tuple of ints size)"
                            "\n")
        return _view_dtype(input, size[0])
    return call(OPS["view"], (input,), (_varargs(size, kw, "size", "view"),))


def _dtype_layout(shape, stride, offset, src, dst):
    """torch's view(dtype) geometry: the last dim scales by the itemsize ratio."""
    a, b = src.itemsize, dst.itemsize
    if a == b:
        return shape, stride, offset
    what = (f"to view {D.SCALAR_NAME[src]} as {D.SCALAR_NAME[dst]} (different element sizes)")
    if not shape:
        raise RuntimeError(f"self.dim() cannot be 0 {what}")
    if a > b:
        r = a // b
        if stride[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {stride[-1]}")
        return (shape[:-1] + (shape[-1] * r,), tuple(s * r for s in stride[:-1]) + (1,),
                offset * r)
    r = b // a
    for name, v in (("self.size(-1)", shape[-1]), ("self.storage_offset()", offset)):
        if v % r:
            raise RuntimeError(f"{name} must be divisible by {r} {what}, but got {v}")
    if stride[-1] != 1:
        raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {stride[-1]}")
    for i, s in enumerate(stride[:-1]):
        if s % r:
            raise RuntimeError(f"self.stride({i}) must be divisible by {r} {what}, but got {s}")
    return shape[:-1] + (shape[-1] // r,), tuple(s // r for s in stride[:-1]) + (1,), offset // r


@op(**VIEW, view=lambda sh, st, off, c, dtype, src: (*_dtype_layout(sh, st, off, src, dtype), c),
    differentiable=False, function=False, method=False, name="_view_dtype")
def _view_dtype_op(input, dtype, src):
    return bitcast(input, dtype.np)


def _view_dtype(input, dtype):
    """Tensor.view(dtype): the same bytes read as dtype. Like torch, not a view for autograd
    (no _base, no grad) though it shares the storage."""
    sh, st, off, _ = meta_of(input)
    _dtype_layout(sh, st, off, input.dtype, dtype)  # torch's errors before computing
    r = call(OPS["_view_dtype"], (input,), (dtype, input.dtype))
    r._base = None
    return r


op(**VIEW, view=_view_meta, function=False, method=False, name="_reshape_alias",
   grad="ReshapeAliasBackward0")(_view)


@op(**VIEW, grad="UnsafeViewBackward0", function=False, method=False)
def _reshape_copy(input, shape):
    return jnp.reshape(input, shape)


@composite()
def reshape(input, *shape, **kw):
    shape = _infer_size(_varargs(shape, kw, "shape", "reshape"), input.numel())
    sh, st, off, comp = meta_of(input)
    if _view_stride(sh, st, shape) is not None:
        return call(OPS["view" if input.is_contiguous() else "_reshape_alias"], (input,), (shape,))
    return call(OPS["_reshape_copy"], (input,), (shape,))


@composite()
def view_as(input, other):
    return input.view(tuple(other.shape))


@composite()
def reshape_as(input, other):
    return input.reshape(tuple(other.shape))


@composite()
def flatten(input, start_dim=0, end_dim=-1):
    n = input.dim()
    if n == 0:
        return input.reshape(1)
    s, e = wrap_dim(start_dim, n), wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    sh = tuple(input.shape)
    return input.reshape(sh[:s] + (math.prod(sh[s:e + 1]),) + sh[e + 1:])


@composite()
def unflatten(input, dim, sizes):
    sh = tuple(input.shape)
    if not sh:
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but "
                           "tensor has no dimensions")
    d = wrap_dim(dim, len(sh))
    sizes = _dims_arg((sizes,))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be "
                           "inferred")
    known = math.prod(s for s in sizes if s != -1)
    if (-1 in sizes and (known == 0 or sh[d] % known)) or (-1 not in sizes and known != sh[d]):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {d} ({sh[d]}) in the input tensor")
    sizes = _infer_size(sizes, sh[d])
    return input.view(sh[:d] + sizes + sh[d + 1:])


@composite()
def ravel(input):
    return input.contiguous().view(-1)


# ---- permutations ----
def _perm_meta(shape, stride, offset, comp, dims):
    return tuple(shape[d] for d in dims), tuple(stride[d] for d in dims), offset, comp


def _permute_dims(ndim, dims):
    dims = _dims_arg(dims)
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {ndim} is not equal to len(dims) = {len(dims)}")
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return out


@op(**VIEW, view=lambda sh, st, off, c, dims: _perm_meta(sh, st, off, c,
                                                        _permute_dims(len(sh), dims)),
    function=False, method=False, name="permute")
def _permute(input, *dims):
    return jnp.transpose(input, _permute_dims(input.ndim, dims))


@composite()
def permute(input, *dims, **kw):
    return call(OPS["permute"], (input,), (_varargs(dims, kw, "dims", "permute"),))


def _swap(n, d0, d1):
    a, b = wrap_dim(d0, n), wrap_dim(d1, n)
    p = list(range(n))
    if n:
        p[a], p[b] = p[b], p[a]
    return tuple(p)


@op(**VIEW, view=lambda sh, st, off, c, d0, d1: _perm_meta(sh, st, off, c, _swap(len(sh), d0, d1)),
    aliases=("swapaxes", "swapdims"))
def transpose(input, dim0, dim1):
    return jnp.transpose(input, _swap(input.ndim, dim0, dim1))


def _t_dims(n):
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return tuple(reversed(range(n)))


@op(**VIEW, view=lambda sh, st, off, c: _perm_meta(sh, st, off, c, _t_dims(len(sh))))
def t(input):
    return jnp.transpose(input, _t_dims(input.ndim))


@composite(aliases=("moveaxis",))
def movedim(input, source, destination):
    n = input.dim()
    src = (source,) if isinstance(source, numbers.Integral) else tuple(source)
    dst = (destination,) if isinstance(destination, numbers.Integral) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims)"
                           f" should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    ws = [wrap_dim(d, n) for d in src]
    wd = [wrap_dim(d, n) for d in dst]
    if len(set(ws)) != len(ws):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(wd)) != len(wd):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    perm = [None] * n
    for s, d in zip(ws, wd):
        perm[d] = s
    rest = iter(d for d in range(n) if d not in ws)
    perm = [p if p is not None else next(rest) for p in perm]
    return input.permute(tuple(perm))


def _T(self):
    from .indexing import warn_once as _w
    n = self.dim()
    if n == 0:
        _w("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/"
                      "native/TensorShape.cpp:4321.)")
    elif n != 2:
        _w("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or `x.permute(*torch."
                      "arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor. "
                      "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                      "TensorShape.cpp:4314.)")
    return self.permute(tuple(reversed(range(n))))


def _mT(self, name="mT"):
    if self.dim() < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of matrices. "
                           f"Got {self.dim()}-D tensor.")
    return self.transpose(-2, -1)


def _conj(t):
    return t.conj() if t.dtype.is_complex and hasattr(t, "conj") else t


def _mH(self):
    return _conj(_mT(self, "mH"))


def _H(self):
    if self.dim() not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.dim()}-D tensor.")
    return _conj(self.t() if self.dim() == 2 else self)


@composite()
def adjoint(input):
    if input.dim() < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.dim()}-D tensor.")
    return _conj(input.transpose(-2, -1))


def _install_props():
    from .._tensor import Tensor
    Tensor.T = property(_T)
    Tensor.mT = property(_mT)
    Tensor.mH = property(_mH)
    Tensor.H = property(_H)


# ---- squeeze / unsqueeze / expand ----
def _unsq_meta(shape, stride, offset, comp, dim):
    d = wrap_dim(dim, len(shape) + 1)
    s = 1 if d >= len(shape) else shape[d] * stride[d]
    return shape[:d] + (1,) + shape[d:], stride[:d] + (s,) + stride[d:], offset, comp


@op(**VIEW, view=_unsq_meta)
def unsqueeze(input, dim):
    return jnp.expand_dims(input, wrap_dim(dim, input.ndim + 1))


def _sq_dims(shape, dim):
    n = len(shape)
    if dim is None:
        return tuple(i for i in range(n) if shape[i] == 1)
    dims = wrap_dims((dim,) if isinstance(dim, numbers.Integral) else tuple(dim), n)
    if n == 0:
        return ()
    return tuple(d for d in dims if shape[d] == 1)


def _sq_meta(shape, stride, offset, comp, dim=None):
    drop = _sq_dims(shape, dim)
    keep = [i for i in range(len(shape)) if i not in drop]
    return tuple(shape[i] for i in keep), tuple(stride[i] for i in keep), offset, comp


def _sq_grad(key):
    d = key[0][0]
    return "SqueezeBackward0" if d is None else (
        "SqueezeBackward1" if isinstance(d, numbers.Integral) else "SqueezeBackward2")


@op(**VIEW, view=_sq_meta, grad=_sq_grad)
def squeeze(input, dim=None):
    return jnp.squeeze(input, _sq_dims(input.shape, dim))


def _expand_geometry(shape, stride, size, dtype=None):
    """torch's inferExpandGeometry: new (shape, stride), walking from the last dim."""
    size = _dims_arg(size)
    shape, stride = tuple(shape), tuple(stride) if stride is not None else None
    if len(size) < len(shape):
        raise RuntimeError(f"expand({_legacy(dtype) if dtype is not None else 'torch.FloatTensor'}"
                           f"{{{list(shape)}}}, size={list(size)}): the number of sizes provided "
                           f"({len(size)}) must be greater or equal to the number of dimensions in "
                           f"the tensor ({len(shape)})")
    n, nd = len(size), len(shape)
    out_sh, out_st = [0] * n, [0] * n
    for i in range(n - 1, -1, -1):
        d = nd - 1 - (n - 1 - i)
        sz = shape[d] if d >= 0 else 1
        if stride is None:
            st = 0
        elif d >= 0:
            st = stride[d]
        else:
            st = out_sh[i + 1] * out_st[i + 1] if i < n - 1 else 1
        target = size[i]
        if target == -1:
            if d < 0:
                raise RuntimeError(f"The expanded size of the tensor ({target}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            target = sz
        if sz != target:
            if sz != 1:
                raise RuntimeError(f"The expanded size of the tensor ({target}) must match the "
                                   f"existing size ({sz}) at non-singleton dimension {i}.  Target "
                                   f"sizes: {list(size)}.  Tensor sizes: {list(shape)}")
            sz, st = target, 0
        out_sh[i], out_st[i] = sz, st
    if any(s_ < 0 for s_ in out_sh):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(s_ for s_ in out_sh if s_ < 0)}: {out_sh}")
    return tuple(out_sh), tuple(out_st)


def _expand_shape(shape, size, dtype=None):
    return _expand_geometry(shape, None, size, dtype)[0]


def _expand_meta(shape, stride, offset, comp, size, implicit=False):
    new, st = _expand_geometry(shape, stride, size)
    return new, st, offset, comp


@op(**VIEW, view=_expand_meta, function=False, method=False, name="expand")
def _expand(input, *size, implicit=False):
    shape = _expand_shape(input.shape, size, input.dtype)
    if jnp.issubdtype(input.dtype, jnp.inexact) and shape != tuple(input.shape):
        return expand_to(input, shape)
    return jnp.broadcast_to(input, shape)


@composite(function=False)
def expand(input, *size, implicit=False, **kw):
    return call(OPS["expand"], (input,), (_varargs(size, kw, "size", "expand"), implicit))


@composite()
def expand_as(input, other):
    return input.expand(tuple(other.shape))


@composite()
def broadcast_to(input, *size, **kw):
    return input.expand(_varargs(size, kw, "size", "broadcast_to"))


@composite(method=False)
def broadcast_shapes(*shapes):
    from .._size import Size
    norm = []
    for s in shapes:
        if isinstance(s, numbers.Integral) or (_is_tensor(s) and s.dim() == 0):
            s = (int(s),)
        s = tuple(int(x) for x in s)
        if any(x < 0 for x in s):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
        norm.append(s)
    n = max((len(s) for s in norm), default=0)
    out = [1] * n
    for s in norm:
        for i in range(-1, -len(s) - 1, -1):
            if s[i] == 1 or s[i] == out[i]:
                continue
            if out[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[i]} at {i}! "
                                   f"Mismatching argument at index {norm.index(s)} had {s}; but "
                                   f"expected shape should be broadcastable to {out}")
            out[i] = s[i]
    return Size(out)


@composite(method=False)
def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = _bshapes(*(tuple(t.shape) for t in tensors))
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in tensors)


# ---- select / slice ----
def _select_meta(shape, stride, offset, comp, dim, index, *_):
    d, i = _select_index(shape, dim, index)
    return shape[:d] + shape[d + 1:], stride[:d] + stride[d + 1:], offset + i * stride[d], comp


def _select_index(shape, dim, index):
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} "
                         f"at dimension {d}")
    return d, index % size


def _dyn_index(i, size):
    """A traced (already bounds-checked) index, wrapped like Python's."""
    return jnp.where(i < 0, i + size, i)


@op(tensors=("input", "index"), **VIEW, view=_select_meta)
def select(input, dim, index):
    # index is data, not part of the compiled key: x[i] over many i compiles once
    d = wrap_dim(dim, input.ndim)
    return lax.dynamic_index_in_dim(input, _dyn_index(index, input.shape[d]), d, keepdims=False)


OPS["select"].value_check = lambda targs, statics: _select_index(
    targs[0].shape, statics[0], int(targs[1]))


@op(**VIEW, view=_select_meta, function=False, method=False, grad=lambda key: key[0][-1])
def _select_named(input, dim, index, gname):
    d, i = _select_index(input.shape, dim, index)
    return jnp.take(input, i, axis=d)


def _slice_range(size, start, end, step):
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start = 0 if start is None else start
    end = size if end is None else end
    start = min(max(start + size if start < 0 else start, 0), size)
    end = min(max(end + size if end < 0 else end, start), size)
    return start, end, (end - start + step - 1) // step


def _slice_meta(shape, stride, offset, comp, dim=0, start=None, end=None, step=1, *_):
    d = wrap_dim(dim, len(shape))
    s, e, n = _slice_range(shape[d], start, end, step)
    return (shape[:d] + (n,) + shape[d + 1:], stride[:d] + (stride[d] * step,) + stride[d + 1:],
            offset + s * stride[d], comp)


def _slice_value(input, dim, start, end, step):
    d = wrap_dim(dim, input.ndim)
    s, e, n = _slice_range(input.shape[d], start, end, step)
    idx = [slice(None)] * input.ndim
    idx[d] = slice(s, s + (n - 1) * step + 1 if n else s, step)
    return input[tuple(idx)]


@op(**VIEW, view=_slice_meta, function=False, method=False, name="slice")
def slice_(input, dim=0, start=None, end=None, step=1):
    return _slice_value(input, dim, start, end, step)


def _slice_dyn_meta(shape, stride, offset, comp, dim, n, step, start):
    return (shape[:dim] + (n,) + shape[dim + 1:], stride[:dim] + (stride[dim] * step,) +
            stride[dim + 1:], offset + int(start) * stride[dim], comp)


@op(tensors=("input", "start"), **VIEW, view=_slice_dyn_meta, function=False, method=False,
    grad="SliceBackward0")
def _slice_dyn(input, start, dim, n, step):
    """input[..., start:start + (n-1)*step + 1:step] with start as data (dim wrapped, start
    in range, n elements): batches x[i:i+b] over many i compile once."""
    span = (n - 1) * step + 1 if n else 0
    start = jnp.minimum(start, input.shape[dim] - span)  # never clamps for valid arguments
    r = lax.dynamic_slice_in_dim(input, start, span, dim)
    return lax.slice_in_dim(r, 0, span, step, dim) if step != 1 else r


@op(**VIEW, view=_slice_meta, function=False, method=False, grad=lambda key: key[0][-1])
def _slice_named(input, dim, start, end, step, gname):
    return _slice_value(input, dim, start, end, step)


@op(promote=False, saves=(), function=False, method=False, grad=lambda key: key[0][-1])
def _slice_copy(input, dim, start, end, step, gname):
    return _slice_value(input, dim, start, end, step)


def _narrow_args(input, dim, start, length, copy=False):
    if input.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if copy and dim >= input.dim():
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, "
                           "but got false.  (Could this error message be improved?  If so, please "
                           "report an enhancement request to PyTorch.)")
    if _is_tensor(start):
        if start.dim() != 0 or start.dtype._cat != 1:
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        start = int(start.item())
    d = wrap_dim(dim, input.dim())
    size = input.shape[d]
    if length < 0 and not copy:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    if start < 0:
        start += size
    if start > size - length or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return d, start


@composite()
def narrow(input, dim, start, length):
    d, start = _narrow_args(input, dim, start, length)
    return call(OPS["slice"], (input,), (d, start, start + length, 1))


def _split_bounds(size, split_size):
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size="
                           f"{split_size}")
    if split_size == 0 and size:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    n = max(-(-size // split_size), 1) if split_size else 1
    return [(i * split_size, min((i + 1) * split_size, size) if i < n - 1 else size)
            for i in range(n)]


def _sizes_bounds(size, sizes, d):
    sizes = [int(s) for s in sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={sizes}")
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    out, s = [], 0
    for n in sizes:
        out.append((s, s + n))
        s += n
    return out


def _split_views(t, d, bounds, gname, copy=False):
    target = OPS["_slice_copy" if copy else "_slice_named"]
    res = tuple(call(target, (t,), (d, a, b, 1, gname)) for a, b in bounds)
    return res if copy else _multi_output(res)


def _multi_output(views):
    """Mark the views one op returned: torch refuses in-place writes into them under autograd."""
    from .._grad_state import STATE
    if STATE.enabled:
        for i, v in enumerate(views):
            v._cm = ("multi", i)
    return views


def _split_dim(t, dim, what="split"):
    if t.dim() == 0:
        raise RuntimeError(f"{what} expects at least a 1-dimensional tensor")
    return wrap_dim(dim, t.dim())


@composite()
def split(tensor, split_size_or_sections, dim=0):
    if isinstance(split_size_or_sections, (list, tuple)):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    d = _split_dim(tensor, dim)
    return _split_views(tensor, d, _split_bounds(tensor.shape[d], int(split_size_or_sections)),
                        "SplitBackward0")


@composite()
def split_with_sizes(input, split_sizes, dim=0):
    d = _split_dim(input, dim, "split_with_sizes")
    return _split_views(input, d, _sizes_bounds(input.shape[d], split_sizes, d),
                        "SplitWithSizesBackward0")


@composite()
def unsafe_split(input, split_size, dim=0):
    d = _split_dim(input, dim)
    return _split_views(input, d, _split_bounds(input.shape[d], int(split_size)),
                        "UnsafeSplitBackward0", copy=True)


@composite()
def unsafe_split_with_sizes(input, split_sizes, dim=0):
    d = _split_dim(input, dim, "split_with_sizes")
    return _split_views(input, d, _sizes_bounds(input.shape[d], split_sizes, d),
                        "UnsafeSplitWithSizesBackward0", copy=True)


def _chunk_plan(input, chunks, dim):
    if input.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = wrap_dim(dim, input.dim())
    size = input.shape[d]
    split_size = -(-size // chunks)
    if split_size == 0 and size == 0:
        return d, [(0, 0)] * chunks, True
    return d, _split_bounds(size, split_size), False


@composite()
def chunk(input, chunks, dim=0):
    d, bounds, ws = _chunk_plan(input, chunks, dim)
    return _split_views(input, d, bounds, "SplitWithSizesBackward0" if ws else "SplitBackward0")


@composite()
def unsafe_chunk(input, chunks, dim=0):
    d, bounds, ws = _chunk_plan(input, chunks, dim)
    return _split_views(input, d, bounds, "UnsafeSplitWithSizesBackward0" if ws else
                        "UnsafeSplitBackward0", copy=True)


@composite()
def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    arg = next(a for a in (indices_or_sections, sections, indices, tensor_indices_or_sections)
               if a is not None)
    if _is_tensor(arg):
        if arg.dtype is not D.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of "
                               f"long, but got {D.SCALAR_NAME[arg.dtype]}")
        if arg.dim() > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{arg.dim()} dims")
        arg = int(arg.item()) if arg.dim() == 0 else [int(v) for v in arg.tolist()]
    d = wrap_dim(dim, input.dim())
    size = input.shape[d]
    if isinstance(arg, numbers.Integral):
        n = int(arg)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds, s = [], 0
        for i in range(n):
            e = s + q + (1 if i < r else 0)
            bounds.append((s, e))
            s = e
    else:
        pts = [int(v) for v in arg]
        bounds = list(zip([0] + pts, pts + [None]))
    return tuple(call(OPS["slice"], (input,), (d, a, b, 1)) for a, b in bounds)


def _dir_split(name, need, dim):
    def f(input, indices_or_sections):
        if input.dim() < need:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, "
                               f"but got a tensor with {input.dim()} dimensions!")
        d = 0 if (name == "hsplit" and input.dim() == 1) else dim
        if isinstance(indices_or_sections, numbers.Integral) and not isinstance(
                indices_or_sections, bool):
            n = int(indices_or_sections)
            size = input.shape[d]
            if n == 0 or size % n:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the "
                                   f"size of the dimension {size} is not divisible by the "
                                   f"split_size {n}!")
            return tensor_split(input, n, d)
        if not isinstance(indices_or_sections, (list, tuple)):
            raise TypeError(f"{name}() received an invalid combination of arguments.")
        return tensor_split(input, list(indices_or_sections), d)
    f.__name__ = f.__qualname__ = name
    return composite()(f)


hsplit = _dir_split("hsplit", 1, 1)
vsplit = _dir_split("vsplit", 2, 0)
dsplit = _dir_split("dsplit", 3, 2)


@composite()
def unbind(input, dim=0):
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.dim())
    return _multi_output(tuple(call(OPS["_select_named"], (input,), (d, i, "UnbindBackward0"))
                               for i in range(input.shape[d])))


# ---- diagonals and triangles ----
def _diag_dims(n, dim1, dim2):
    a, b = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return a, b


def _diag_meta(shape, stride, offset, comp, offset_=0, dim1=0, dim2=1, *_):
    n = len(shape)
    a, b = _diag_dims(n, dim1, dim2)
    if offset_ >= 0:
        size = max(min(shape[a], shape[b] - offset_), 0)
        off = offset + (offset_ * stride[b] if size else 0)
    else:
        size = max(min(shape[a] + offset_, shape[b]), 0)
        off = offset + (-offset_ * stride[a] if size else 0)
    keep = [i for i in range(n) if i not in (a, b)]
    return (tuple(shape[i] for i in keep) + (size,),
            tuple(stride[i] for i in keep) + (stride[a] + stride[b],), off, comp)


def _diagonal_value(input, offset, dim1, dim2):
    a, b = _diag_dims(input.ndim, dim1, dim2)
    return jnp.diagonal(input, offset, a, b)


@op(**VIEW, view=_diag_meta)
def diagonal(input, offset=0, dim1=0, dim2=1):
    return _diagonal_value(input, offset, dim1, dim2)


@op(promote=False, saves=(), out=True, grad="DiagonalBackward0_copy")
def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    return _diagonal_value(input, offset, dim1, dim2)


def _diag_embed_value(input, offset, dim1, dim2):
    n = input.ndim + 1
    a, b = _diag_dims(n, dim1, dim2)
    k = input.shape[-1] if input.ndim else 1
    m = k + abs(offset)
    rows = np.arange(k) + max(-offset, 0)
    cols = np.arange(k) + max(offset, 0)
    res = jnp.zeros(input.shape[:-1] + (m, m), input.dtype)
    res = res.at[..., rows, cols].set(input)
    return jnp.moveaxis(res, (-2, -1), (a, b))


@op(promote=False, saves=(), out=True)
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    return _diag_embed_value(input, offset, dim1, dim2)


@op(promote=False, saves=(), function=False, method=False, grad=lambda key: key[0][-1])
def _diag_impl(input, diagonal, gname):
    if input.ndim == 1:
        return _diag_embed_value(input, diagonal, 0, 1)
    return jnp.diagonal(input, diagonal, 0, 1)


@composite()
def diag(input, diagonal=0, *, out=None):
    if input.dim() not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.dim()}D")
    r = call(OPS["_diag_impl"], (input,), (diagonal, "DiagEmbedBackward0" if input.dim() == 1
                                            else "DiagonalBackward0_copy"))
    return _into_out(out, r)


def _into_out(out, r, name=None, resize_warning=True):
    if out is None:
        return r
    from .registry import _write_out
    _write_out(out, [r], name, resize_warning)
    return out


@composite()
def diagflat(input, offset=0):
    return call(OPS["_diag_impl"], (input.contiguous().view(-1),), (offset, "DiagEmbedBackward0"))


def _tri(name, fn):
    def f(input, diagonal=0):
        if input.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return fn(input, diagonal)
    f.__name__ = name
    return op(promote=False, saves=(), inplace=True, out=True)(f)


tril = _tri("tril", lambda a, k: jnp.tril(a, k))
triu = _tri("triu", lambda a, k: jnp.triu(a, k))


@op(promote=False, saves=())
def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype == jnp.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    acc = input.dtype if jnp.issubdtype(input.dtype, jnp.inexact) else jnp.int64
    return jnp.trace(input.astype(acc))


# ---- joining ----
def _check_list(tensors, fname):
    if _is_tensor(tensors):
        raise TypeError(f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        "Tensor")
    for i, t in enumerate(tensors):
        if not _is_tensor(t):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")


@op(tensors=(), lists=("tensors",), promote=("tensors",), function=False, method=False,
    saves=(), name="cat")
def _cat(tensors, dim=0):
    return _cat_value(tensors, dim)


def _cat_value(tensors, dim):
    skip = [t.ndim == 1 and t.shape[0] == 0 for t in tensors]
    ref = next((t for t, s in zip(tensors, skip) if not s), None)
    if ref is None:
        return jnp.concatenate(tensors, 0) if tensors[0].ndim == 1 else tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = wrap_dim(dim, ref.ndim)
    parts = []
    for i, (t, s) in enumerate(zip(tensors, skip)):
        if s:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and "
                               f"{t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected "
                                   f"size {ref.shape[k]} but got size {t.shape[k]} for tensor number "
                                   f"{i} in the list.")
        parts.append(t)
    return jnp.concatenate(parts, axis=d)


def _check_overlap(out, tensors):
    if out is not None and any(t._st is out._st for t in tensors):
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")


def _cat_entry(fname):
    def f(tensors, dim=0, *, out=None):
        _check_list(tensors, fname)
        if not len(tensors):
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        _check_overlap(out, tensors)
        return call(OPS["cat"], (tuple(tensors),), (dim,), out)
    f.__name__ = f.__qualname__ = fname
    return composite(method=False)(f)


cat = _cat_entry("cat")
concat = _cat_entry("concat")
concatenate = _cat_entry("concatenate")


# ---- _chunk_cat: each tensor split into num_chunks (zero-padded) chunks along dim, the i-th
# chunks concatenated along dim + 1 ----
def _chunk_cat_value(tensors, d, num_chunks):
    parts = []
    for t in tensors:
        n = t.shape[d]
        p = -(-n // num_chunks) * num_chunks
        if p != n:
            t = jnp.pad(t, [(0, 0)] * d + [(0, p - n)] + [(0, 0)] * (t.ndim - d - 1))
        parts.append(t.reshape(t.shape[:d] + (num_chunks, -1)))
    return jnp.concatenate(parts, axis=d + 1)


@op(tensors=(), lists=("tensors",), promote=False, function=False, method=False, saves=(),
    grad="NotImplemented", name="_chunk_cat")
def _chunk_cat_op(tensors, dim, num_chunks):
    return no_derivative(_chunk_cat_value(tensors, dim, num_chunks), "_chunk_cat")


@composite(method=False)
def _chunk_cat(tensors, dim, num_chunks, *, out=None):
    _check_list(tensors, "_chunk_cat")
    if num_chunks < 1:
        raise RuntimeError("_chunk_cat expects positive num_chunks")
    if not len(tensors):
        raise RuntimeError("_chunk_cat expects a non-empty input tensor list")
    for t in tensors:
        if t.numel() == 0:
            raise RuntimeError("_chunk_cat expects non-empty tensor")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("_chunk_cat expects all input tensors with the same dtype")
    if len({t.dim() for t in tensors}) == 1:
        d = wrap_dim(dim, tensors[0].dim())
    else:
        if dim < 0:
            raise RuntimeError("_chunk_cat expects non-negative dim when input tensors have "
                               "different ndims")
        if any(dim >= t.dim() for t in tensors):
            raise RuntimeError("_chunk_cat expects dim < ndim for all input tensors")
        d = dim
    if any(t.shape[:d] != tensors[0].shape[:d] for t in tensors):
        raise RuntimeError("_chunk_cat expects same sizes of 0,...,dim-1 dimensions for all "
                           "tensors")
    return call(OPS["_chunk_cat"], (tuple(tensors),), (d, num_chunks), out)


@op(tensors=(), lists=("tensors",), promote=("tensors",), function=False, method=False,
    saves=(), name="stack")
def _stack(tensors, dim=0):
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry "
                               f"{i}")
    return jnp.stack(tensors, axis=wrap_dim(dim, tensors[0].ndim + 1))


@composite(method=False)
def stack(tensors, dim=0, *, out=None):
    _check_list(tensors, "stack")
    if not len(tensors):
        raise RuntimeError("stack expects a non-empty TensorList")
    return call(OPS["stack"], (tuple(tensors),), (dim,), out)


def _stacker(name, prep, dim_of):
    def f(tensors, *, out=None):
        _check_list(tensors, name)
        if not len(tensors):
            raise RuntimeError(f"{name} expects a non-empty TensorList")
        ts = tuple(prep(t) for t in tensors)
        return call(OPS["cat"], (ts,), (dim_of(ts),), out)
    f.__name__ = f.__qualname__ = name
    return composite(method=False)(f)


hstack = _stacker("hstack", lambda t: atleast_1d(t), lambda ts: 0 if ts[0].dim() == 1 else 1)
vstack = _stacker("vstack", lambda t: atleast_2d(t), lambda ts: 0)
row_stack = _stacker("row_stack", lambda t: atleast_2d(t), lambda ts: 0)
dstack = _stacker("dstack", lambda t: atleast_3d(t), lambda ts: 2)
column_stack = _stacker("column_stack", lambda t: t.reshape(t.numel(), 1) if t.dim() <= 1 else t,
                        lambda ts: 1)


def _atleast(n, name):
    def one(t):
        if t.dim() >= n:
            return t
        if n == 1:
            return t.reshape(1)
        if n == 2:
            return t.reshape(1, 1) if t.dim() == 0 else t.unsqueeze(0)
        if t.dim() == 0:
            return t.reshape(1, 1, 1)
        if t.dim() == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        return t.unsqueeze(-1)

    def f(*tensors):
        if len(tensors) == 1 and _is_tensor(tensors[0]):
            return one(tensors[0])
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = tensors[0]
        return tuple(one(t) for t in tensors)
    f.__name__ = f.__qualname__ = name
    return composite(method=False)(f)


atleast_1d = _atleast(1, "atleast_1d")
atleast_2d = _atleast(2, "atleast_2d")
atleast_3d = _atleast(3, "atleast_3d")


# ---- reordering ----
def _flip_dims(dims, ndim):
    return wrap_dims((dims,) if isinstance(dims, numbers.Integral) else tuple(dims), ndim)


@op(promote=False, saves=(), function=False, method=False, name="flip")
def _flip(input, dims):
    return jnp.flip(input, _flip_dims(dims, input.ndim))


@composite()
def flip(input, *dims, **kw):
    return call(OPS["flip"], (input,), (_varargs(dims, kw, "dims", "flip"),))


@composite()
def fliplr(input):
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input.flip(1)


@composite()
def flipud(input):
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input.flip(0)


def _roll_args(ndim, shifts, dims):
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    dims = () if dims is None else ((dims,) if isinstance(dims, numbers.Integral) else tuple(dims))
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return shifts, None
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return shifts, tuple(wrap_dim(d, ndim) for d in dims)


@op(promote=False, saves=())
def roll(input, shifts, dims=()):
    shifts, dims = _roll_args(input.ndim, shifts, dims)
    if dims is None:
        return jnp.roll(input.reshape(-1), shifts[0]).reshape(input.shape)
    for s, d in zip(shifts, dims):
        input = jnp.roll(input, s, d)
    return input


@op(promote=False, saves=(), function=False, method=False, name="rot90")
def _rot90(input, k=1, dims=(0, 1)):
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = wrap_dim(dims[0], input.ndim), wrap_dim(dims[1], input.ndim)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    return jnp.rot90(input, k, (a, b))


@composite()
def rot90(input, k=1, dims=(0, 1)):
    r = call(OPS["rot90"], (input,), (k, tuple(dims)))
    if k % 4 in (1, 3):  # torch: flip, then transpose_ the contiguous result's layout
        a, b = (wrap_dim(d, input.dim()) for d in dims)
        transposed_layout(r, _swap(r.dim(), a, b))
    return r


def transposed_layout(r, perm):
    """Give a fresh result r torch's layout ``contiguous(shape permuted by perm).permute(perm)``
    (its storage holds r's values in the permuted order); perm is its own inverse."""
    v = r._st.value
    store = jnp.transpose(v, perm)
    cs = contiguous_strides(store.shape)
    r._st.value = store
    r._vm = ViewMeta(v.shape, tuple(cs[p] for p in perm), 0)
    r._vc, r._vv = v, r._st.version


@composite(function=False)
def repeat(input, *repeats, **kw):
    return call(OPS["repeat"], (input,), (_varargs(repeats, kw, "repeats", "repeat"),))


@op(promote=False, saves=(), function=False, method=False, name="repeat")
def _repeat(input, reps):
    if len(reps) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    shape = (1,) * (len(reps) - input.ndim) + tuple(input.shape)
    out = tuple(s * r for s, r in zip(shape, reps))
    if any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(o for o in out if o < 0)}: {list(out)}")
    return jnp.tile(input.reshape(shape), reps)


@composite()
def tile(input, dims):
    dims = _dims_arg((dims,)) if not isinstance(dims, numbers.Integral) else (int(dims),)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return input.repeat(dims)


@op(tensors=("repeats",), promote=False, differentiable=False, function=False, method=False)
def _ri_indices(repeats, total):
    return jnp.repeat(jnp.arange(repeats.shape[0], dtype=repeats.dtype), repeats,
                      total_repeat_length=total)


def _ri_index(repeats, output_size=None):
    if repeats.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.dtype not in (D.int64, D.int32):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                  f"'{D.SCALAR_NAME[repeats.dtype]}'")
    r = repeats._numpy()
    if (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    total = int(r.sum())
    if output_size is not None and output_size != total:
        raise RuntimeError("allocated size does not match required size")
    return call(OPS["_ri_indices"], (repeats,), (total,))


@composite()
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats)
        return _ri_index(input, output_size)
    if _is_tensor(repeats) and repeats.dim() == 0:
        repeats = repeats.reshape(1)
    x = input.flatten() if dim is None else input
    d = 0 if dim is None else wrap_dim(dim, input.dim())
    if isinstance(repeats, numbers.Integral):
        if repeats < 0:
            raise RuntimeError("Repeats must be non-negative")
        if output_size is not None and output_size != x.shape[d] * repeats:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected "
                               f"{x.shape[d] * repeats} but got {output_size}")
        sh = tuple(x.shape)
        e = x.unsqueeze(d + 1).expand(sh[:d + 1] + (repeats,) + sh[d + 1:]).clone()
        return e.view(sh[:d] + (sh[d] * repeats,) + sh[d + 1:])
    if repeats.dim() == 1 and repeats.shape[0] == 1:
        repeats = repeats.expand(x.shape[d])
    if repeats.dim() == 1 and repeats.shape[0] != x.shape[d]:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {repeats.shape[0]} and input.size({d}) = "
                           f"{x.shape[d]}")
    return x.index_select(d, _ri_index(repeats, output_size))


# ---- grids and products ----
@composite(method=False)
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        from .indexing import warn_once
        warn_once("torch.meshgrid: in an upcoming release, it will be required to pass the "
                  "indexing argument. (Triggered internally at /__w/pytorch/pytorch/aten/src/"
                  "ATen/native/TensorShape.cpp:4215.)")
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors[1:]:
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    if indexing not in ("xy", "ij"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = []
    for i, t in enumerate(ts):
        vs = [1] * len(ts)
        vs[i] = -1
        out.append(t.view(tuple(vs)).expand(shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


@composite(method=False)
def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.flatten() for g in grids], 1)


@composite(method=False)
def combinations(input, r=2, with_replacement=False):
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty(0)
    n = input.shape[0]
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    combos = np.array(list(gen(range(n), r)), dtype=np.int64).reshape(-1, r)
    from .._tensor import wrap
    cols = [input.index_select(0, wrap(jnp.asarray(combos[:, k]))) for k in range(r)]
    return stack(cols, 1)


# ---- unfold ----
def _unfold_check(shape, dimension, size, step):
    n = len(shape)
    d = wrap_dim(dimension, n) if n else (wrap_dim(dimension, 0))
    max_size = shape[d] if n else 1
    if size > max_size:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {max_size} but size is "
                           f"{size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return d, (max_size - size) // step + 1


def _unfold_meta(shape, stride, offset, comp, dimension, size, step):
    d, cnt = _unfold_check(shape, dimension, size, step)
    if not shape:
        return (size,), (1,), offset, comp
    return (shape[:d] + (cnt,) + shape[d + 1:] + (size,),
            stride[:d] + (stride[d] * step,) + stride[d + 1:] + (stride[d],), offset, comp)


@op(**VIEW, view=_unfold_meta)
def unfold(input, dimension, size, step):
    d, cnt = _unfold_check(input.shape, dimension, size, step)
    if input.ndim == 0:
        return input.reshape((1,))[:size]
    idx = np.arange(cnt)[:, None] * step + np.arange(size)[None, :]
    g = jnp.take(input, jnp.asarray(idx.reshape(-1), jnp.int64), axis=d)
    g = g.reshape(input.shape[:d] + (cnt, size) + input.shape[d + 1:])
    return jnp.moveaxis(g, d + 1, -1)


# ---- complex views ----
def _as_real_meta(sh, st, off, comp):
    return sh + (2,), tuple(2 * s for s in st) + (1,), 2 * off, comp


@op(**VIEW, view=_as_real_meta, grad="ViewAsRealBackward0", function=False, method=False,
    name="view_as_real")
def _view_as_real(input):
    if not jnp.issubdtype(input.dtype, jnp.complexfloating):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return jnp.stack([jnp.real(input), jnp.imag(input)], -1)


def _as_complex_meta(sh, st, off, comp):
    if st[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in st[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if off % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return sh[:-1], tuple(s // 2 for s in st[:-1]), off // 2, comp


@op(**VIEW, view=_as_complex_meta, grad="ViewAsComplexBackward0", function=False,
    method=False, name="view_as_complex")
def _view_as_complex(input):
    if input.dtype not in (jnp.float32, jnp.float64, jnp.float16):
        raise RuntimeError(f"view_as_complex is only supported for half, float and double tensors, "
                           f"but got a tensor of scalar type: "
                           f"{D.SCALAR_NAME[D.from_np(input.dtype)]}")
    if input.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if input.dtype == jnp.float16:
        raise RuntimeError("view_as_complex: torchjax has no complex32 (ComplexHalf) dtype")
    return jax_complex(input[..., 0], input[..., 1])


def _dtype_view(name):
    """view_as_real/view_as_complex: like torch, after an in-place write to their base they are
    re-derived by replaying the op on their input (not by as_strided)."""
    def f(input):
        r = call(OPS[name], (input,), ())
        r._regen = (name, input)
        return r
    f.__name__ = f.__qualname__ = name
    return composite(method=False)(f)


view_as_real = _dtype_view("view_as_real")
view_as_complex = _dtype_view("view_as_complex")


def jax_complex(re, im):
    import jax
    return jax.lax.complex(re, im)


@composite()
def sum_to_size(input, *size):
    size = _dims_arg(size)
    shape = tuple(input.shape)
    if not size:
        return input.sum()
    try:
        _expand_shape(size, shape)
    except RuntimeError:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}."
                           ) from None
    lead = len(shape) - len(size)
    dims = list(range(lead)) + [lead + i for i, s in enumerate(size)
                                if s == 1 and shape[lead + i] != 1]
    if not dims:
        return input
    r = input.sum(tuple(dims), keepdim=True)
    return r.view(size) if lead else r


@composite()
def contiguous(input, memory_format=None):
    if input.is_contiguous():
        return input
    return call(OPS["contiguous_copy"], (input,), ())


@op(**VIEW, view=lambda sh, st, off, c: (sh, st, off, c), grad="AliasBackward0",
    function=False, method=False)
def alias(input):
    return input


# ---- as_strided: any layout over the input's storage ----
def _as_strided_meta(sh, st, off, comp, size, stride, storage_offset, idx, sidx, root=None):
    return size, stride, storage_offset, comp


@op(tensors=("input", "root"), **VIEW, view=_as_strided_meta, function=False, method=False,
    grad="AsStridedBackward0", name="_as_strided")
def _as_strided_op(input, size, stride, storage_offset, idx, sidx, root=None):
    """idx: the flat positions of the result's elements among the input's (static). Elements
    of the storage outside a view input (idx -1) are read from the root's value at sidx, without
    a gradient, as torch's as_strided reads the whole storage."""
    idx = np.asarray(idx, np.int64)
    out = input.reshape(-1)[np.maximum(idx, 0)]
    if sidx is not None:
        rest = lax.stop_gradient(root.reshape(-1)[np.asarray(sidx, np.int64)])
        out = jnp.where(idx >= 0, out, rest.astype(out.dtype))
    return out.reshape(size)


def _as_strided_root(input, statics):
    """The storage's root value as a tensor when as_strided reads outside a view input."""
    return None if statics[-1] is None else wrap(input._st.value)


def _check_layout(size, stride):
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")


def _check_storage(size, stride, off, isz, have):
    """torch's setStorage bounds check (sizes in bytes)."""
    need = isz * (off + 1 + sum((n - 1) * s for n, s in zip(size, stride))) \
        if math.prod(size) else 0
    if need > have:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {off}, and itemsize {isz} requiring a storage size of {need} "
                           f"are out of bounds for storage of size {have}")


def _as_strided_args(input, size, stride, storage_offset):
    """as_strided's statics: the layout and its elements' positions among the input's."""
    from .._views import index_in_base
    size, stride = _dims_arg((size,)), _dims_arg((stride,))
    off = input.storage_offset() if storage_offset is None else int(storage_offset)
    _check_layout(size, stride)
    st = input._st.value
    _check_storage(size, stride, off, input.dtype.itemsize, st.size * st.dtype.itemsize)
    vm = ViewMeta(size, stride, off)
    if input._vm is None:
        return size, stride, off, tuple(vm.np_index().tolist()), None
    dt = input._value.dtype
    idx = np.asarray(index_in_base(vm, dt, input._vm, dt, outside=input._vm.comp is None))
    sidx = tuple(vm.np_index().tolist()) if (idx < 0).any() else None
    return size, stride, off, tuple(idx.tolist()), sidx


@composite()
def as_strided(input, size, stride, storage_offset=None):
    statics = _as_strided_args(input, size, stride, storage_offset)
    return call(OPS["_as_strided"], (input, _as_strided_root(input, statics)), statics)


# as_strided_copy: as_strided's values as a fresh tensor
op(tensors=("input", "root"), promote=False, saves=(), function=False, method=False,
   grad="AsStridedBackward0_copy", name="_as_strided_copy")(_as_strided_op)


@composite(method=False)
def as_strided_copy(input, size, stride, storage_offset=None, *, out=None):
    statics = _as_strided_args(input, size, stride, storage_offset)
    r = call(OPS["_as_strided_copy"], (input, _as_strided_root(input, statics)), statics)
    return _into_out(out, r, "as_strided_copy", False)


# ---- as_strided_scatter: src written into a copy of input's storage at as_strided's positions
def _as_strided_scatter_grad(size, stride, boff, src, g):
    """torch's as_strided_scatter_backward: over grad.contiguous(), input's gradient is grad AT
    the slice's positions (zero elsewhere), src's is grad.as_strided(size, stride, boff)."""
    _check_storage(size, stride, boff, g.dtype.itemsize, g.size * g.dtype.itemsize)
    gf, bidx = g.reshape(-1), ViewMeta(size, stride, boff).np_index()
    gi = jnp.zeros_like(gf).at[bidx].set(gf[bidx]).reshape(g.shape)
    return gi, gf[bidx].reshape(src.shape).astype(src.dtype)


@op(tensors=("input", "src"), promote=False, saves=(),
    name="_as_strided_scatter", function=False, method=False, grad="AsStridedScatterBackward0")
def _as_strided_scatter_op(input, src, sel, size, stride, boff):
    """sel: for each input element, the src element written over it (-1: none); boff: the
    slice's storage offset in the contiguous gradient."""
    sel = np.asarray(sel, np.int64)

    def fwd(a, b):
        if b.size == 0:
            return a + 0
        out = jnp.where(sel >= 0, b.reshape(-1)[np.maximum(sel, 0)].astype(a.dtype), a.reshape(-1))
        return out.reshape(a.shape)
    f = jax.custom_vjp(fwd)
    f.defvjp(lambda a, b: (f(a, b), b),
             lambda b, g: _as_strided_scatter_grad(size, stride, boff, b, g))
    return f(input, src)


@composite()
def as_strided_scatter(input, src, size, stride, storage_offset=None):
    size, stride = _dims_arg((size,)), _dims_arg((stride,))
    _check_layout(size, stride)
    if input.requires_grad and not input.is_contiguous():
        raise RuntimeError("!self.requires_grad() || self.is_contiguous() INTERNAL ASSERT FAILED. "
                           "as_strided_scatter is currently only supported for contiguous inputs")
    # the result copies input's storage and layout; an overlapping input becomes contiguous
    shape, isz = tuple(input.shape), input.dtype.itemsize
    if _non_overlapping(shape, input.stride()):
        lay = ViewMeta(shape, tuple(input.stride()), input.storage_offset())
        st = input._st.value
        have = st.size * st.dtype.itemsize
    else:
        lay, have = ViewMeta(shape, contiguous_strides(shape), 0), input.numel() * isz
    off = lay.offset if storage_offset is None else int(storage_offset)
    _check_storage(size, stride, off, isz, have)
    idx = ViewMeta(size, stride, off).np_index()
    if len(set(idx.tolist())) < idx.size:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(size)}")
    slot = {p: j for j, p in enumerate(idx.tolist())}
    sel = tuple(slot.get(p, -1) for p in lay.np_index().tolist())
    boff = 0 if storage_offset is None else off
    return call(OPS["_as_strided_scatter"], (input, src), (sel, size, stride, boff))


# ---- in-place shape ops: the tensor takes the layout of the view op's result ----
def _inplace_view_op(base, grad):
    E = OPS[base]
    op(tensors=E.tnames, **VIEW, view=E.view, grad=grad, function=False, method=False,
       name=f"_{base}_inplace")(E.fn)


_inplace_view_op("unsqueeze", "UnsqueezeBackward1")
_inplace_view_op("squeeze", lambda key: "SqueezeBackward" + (
    "3" if key[0][0] is None else "4" if isinstance(key[0][0], numbers.Integral) else "5"))
_inplace_view_op("transpose", "TransposeBackward1")
_inplace_view_op("t", "TBackward1")
_inplace_view_op("_as_strided", "AsStridedBackward1")


def _restride_(self, name, statics, extra=()):
    from ..autograd.graph import check_inplace
    check_inplace(self)
    r = call(OPS[f"_{name}_inplace"], (self, *extra), statics)
    st = self._st
    self._vm, value = r._vm, r._value
    if r._grad_fn is not None:
        self._grad_fn, self._output_nr, self._gv = r._grad_fn, 0, r._gv
    st.version += 1
    self._vc, self._vv = value, st.version
    return self


@composite(function=False)
def unsqueeze_(input, dim):
    return _restride_(input, "unsqueeze", (dim,))


@composite(function=False)
def squeeze_(input, dim=None):
    return _restride_(input, "squeeze", (dim,))


@composite(function=False, aliases=("swapdims_",))
def transpose_(input, dim0, dim1):
    return _restride_(input, "transpose", (dim0, dim1))


@composite(function=False)
def swapaxes_(input, axis0, axis1):
    return _restride_(input, "transpose", (axis0, axis1))


@composite()
def as_strided_(input, size, stride, storage_offset=None):
    statics = _as_strided_args(input, size, stride, storage_offset)
    return _restride_(input, "_as_strided", statics, (_as_strided_root(input, statics),))


@composite(function=False)
def t_(input):
    if input.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    return _restride_(input, "t", ())


# ---- *_copy variants: the view ops' values as fresh tensors ----
def _copy_variant(base, name=None, method=False):
    E = OPS[base]
    g = E.grad_name
    grad = (lambda key: g(key) + "_copy") if callable(g) else g + "_copy"
    op(promote=False, saves=(), out=True, method=method, name=name or base + "_copy",
       grad=grad)(E.fn)


for _b in ("view", "permute", "expand", "transpose", "t", "squeeze", "unsqueeze", "unfold",
           "alias", "select", "slice", "view_as_real"):
    _copy_variant(_b)
del _b


@composite()
def narrow_copy(input, dim, start, length, *, out=None):
    d, start = _narrow_args(input, dim, start, length, copy=True)
    return _into_out(out, call(OPS["_slice_copy"], (input,), (d, start, start + length, 1,
                                                               "NarrowCopyBackward0")), "narrow_copy", False)


@composite(method=False)
def split_with_sizes_copy(input, split_sizes, dim=0, *, out=None):
    d = _split_dim(input, dim, "split_with_sizes")
    res = _split_views(input, d, _sizes_bounds(input.shape[d], split_sizes, d),
                       "SplitWithSizesBackward0_copy", copy=True)
    return _into_list(out, res)


@composite(method=False)
def split_copy(input, split_size, dim=0, *, out=None):
    d = _split_dim(input, dim)
    res = _split_views(input, d, _split_bounds(input.shape[d], int(split_size)),
                       "SplitBackward0_copy", copy=True)
    return _into_list(out, res)


@composite(method=False)
def unbind_copy(input, dim=0, *, out=None):
    if input.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, input.dim())
    res = tuple(call(OPS["_select_copy_named"], (input,), (d, i, "UnbindBackward0_copy"))
                for i in range(input.shape[d]))
    return _into_list(out, res)


@op(promote=False, saves=(), function=False, method=False, grad=lambda key: key[0][-1])
def _select_copy_named(input, dim, index, gname):
    d, i = _select_index(input.shape, dim, index)
    return jnp.take(input, i, axis=d)


def _into_list(out, res):
    if out is None:
        return res
    for o, r in zip(out, res):
        _into_out(o, r)
    return None


@op(tensors=(), lists=("tensors",), promote=("tensors",), function=False, method=False,
    saves=(), grad="BlockDiagBackward0", name="block_diag")
def _block_diag(tensors):
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        mats.append(t.reshape(1, -1) if t.ndim < 2 else t)
    rows = sum(m.shape[0] for m in mats)
    cols = sum(m.shape[1] for m in mats)
    dt = mats[0].dtype if mats else jnp.float32
    out = jnp.zeros((rows, cols), dt)
    r = c = 0
    for m in mats:
        out = out.at[r:r + m.shape[0], c:c + m.shape[1]].set(m)
        r, c = r + m.shape[0], c + m.shape[1]
    return out


@composite(method=False)
def block_diag(*tensors):
    if not tensors:
        from .._creation import empty
        return empty(1, 0)
    return call(OPS["block_diag"], (tuple(tensors),), ())


@composite(method=False)
def unravel_index(indices, shape):
    from .._tensor import wrap
    if not _is_tensor(indices):
        raise TypeError(f"expected 'indices' to be integer dtype, but got {type(indices)}")
    if indices.dtype._cat != 1:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    numel = math.prod(shape)
    a = indices._numpy().astype(np.int64)
    if not shape:
        return ()
    a = np.mod(a, numel) if numel else a
    outs = np.unravel_index(a, shape) if numel else [a] * len(shape)
    return tuple(wrap(jnp.asarray(np.asarray(o, np.int64))) for o in outs)


_install_props()
