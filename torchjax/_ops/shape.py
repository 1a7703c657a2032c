"""Shape and view ops. View ops carry a ``view=`` meta rule (shape, stride, offset, comp,
*statics) -> new layout, so their results alias the input's storage like torch's."""
import math

import jax.numpy as jnp

from .._views import compute_view_stride, contiguous_strides
from ._util import wrap_dim, wrap_dims, shape_arg
from .registry import op, composite, call, OPS

VIEW = dict(promote=False, saves=())


# ---- view ----
def _view_meta(shape, stride, offset, comp, size):
    new = shape_arg(size, math.prod(shape))
    st = compute_view_stride(shape, stride, new)
    if st is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return new, st, offset, comp


@op(**VIEW, view=_view_meta, function=False)
def view(input, *size):
    if len(size) == 1 and not isinstance(size[0], (tuple, list, int)):
        raise NotImplementedError("view(dtype) is not supported by torchjax")
    return input.reshape(shape_arg(size, input.size))


@op(**VIEW, grad="UnsafeViewBackward0", function=False, method=False)
def _reshape_copy(input, shape):
    return jnp.reshape(input, shape)


@composite()
def reshape(input, *shape):
    from .._views import meta_of
    shape = shape_arg(shape, input.numel())
    sh, st, off, comp = meta_of(input)
    if comp is None and compute_view_stride(sh, st, shape) is not None:
        return input.view(shape)
    return call(OPS["_reshape_copy"], (input,), (shape,))


@composite()
def view_as(input, other):
    return input.view(other.shape)


@composite()
def reshape_as(input, other):
    return input.reshape(other.shape)


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
    d = wrap_dim(dim, len(sh))
    sizes = shape_arg((tuple(sizes),), sh[d])
    return input.view(sh[:d] + sizes + sh[d + 1:])


# ---- permutations ----
def _perm_meta(shape, stride, offset, comp, dims):
    return tuple(shape[d] for d in dims), tuple(stride[d] for d in dims), offset, comp


def _permute_dims(ndim, dims):
    dims = shape_arg(dims) if dims and isinstance(dims[0], (tuple, list)) else tuple(dims)
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {ndim} is not equal to len(dims) = {len(dims)}")
    return wrap_dims(dims, ndim)


@op(**VIEW, view=lambda sh, st, off, c, *dims: _perm_meta(sh, st, off, c,
                                                         _permute_dims(len(sh), dims)))
def permute(input, *dims):
    return jnp.transpose(input, _permute_dims(input.ndim, dims))


def _swap(n, d0, d1):
    p = list(range(n))
    a, b = wrap_dim(d0, n), wrap_dim(d1, n)
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
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims)"
                           f" should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src, dst = wrap_dims(src, n), wrap_dims(dst, n)
    order = [d for d in range(n) if d not in src]
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(order)
    perm = [p if p is not None else next(it) for p in perm]
    return input.permute(perm)


# ---- squeeze / unsqueeze / expand ----
def _unsq_meta(shape, stride, offset, comp, dim):
    d = wrap_dim(dim, len(shape) + 1)
    s = 1 if d >= len(shape) else shape[d] * stride[d]
    return shape[:d] + (1,) + shape[d:], stride[:d] + (s,) + stride[d:], offset, comp


@op(**VIEW, view=_unsq_meta)
def unsqueeze(input, dim):
    return jnp.expand_dims(input, wrap_dim(dim, input.ndim + 1))


def _sq_dims(shape, dim):
    dims = wrap_dims(dim, len(shape)) if dim is not None else tuple(range(len(shape)))
    return tuple(d for d in dims if shape[d] == 1)


def _sq_meta(shape, stride, offset, comp, dim=None):
    keep = [i for i in range(len(shape)) if i not in _sq_dims(shape, dim)]
    return tuple(shape[i] for i in keep), tuple(stride[i] for i in keep), offset, comp


@op(**VIEW, view=_sq_meta, grad=lambda key: "SqueezeBackward0" if key[0][0] is None else
    "SqueezeBackward1")
def squeeze(input, dim=None):
    return jnp.squeeze(input, _sq_dims(input.shape, dim))


def _expand_shape(shape, size):
    size = shape_arg(size)
    if len(size) < len(shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(size)}): the "
                           f"number of sizes provided ({len(size)}) must be greater or equal to the "
                           f"number of dimensions in the tensor ({len(shape)})")
    lead = len(size) - len(shape)
    out = []
    for i, s in enumerate(size):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            out.append(s)
        else:
            o = shape[i - lead]
            if s == -1:
                s = o
            elif o != 1 and s != o:
                raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                                   f"size ({o}) at non-singleton dimension {i}.  Target sizes: "
                                   f"{list(size)}.  Tensor sizes: {list(shape)}")
            out.append(s)
    return tuple(out)


def _expand_meta(shape, stride, offset, comp, size, implicit=False):
    new = _expand_shape(shape, size)
    lead = len(new) - len(shape)
    st = [0] * lead + [0 if (shape[i] == 1 and new[lead + i] != 1) else stride[i]
                       for i in range(len(shape))]
    return new, tuple(st), offset, comp


@op(**VIEW, view=_expand_meta, function=False)
def expand(input, *size, implicit=False):
    return jnp.broadcast_to(input, _expand_shape(input.shape, size))


@composite()
def expand_as(input, other):
    return input.expand(tuple(other.shape))


@composite()
def broadcast_to(input, size):
    return input.expand(tuple(size))


# ---- select / slice ----
def _select_meta(shape, stride, offset, comp, dim, index):
    d = wrap_dim(dim, len(shape))
    i = _check_index(shape[d], index, d)
    return shape[:d] + shape[d + 1:], stride[:d] + stride[d + 1:], offset + i * stride[d], comp


def _check_index(size, index, d):
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of bounds for dimension {d} with size {size}")
    return index % size if size else 0


@op(**VIEW, view=_select_meta)
def select(input, dim, index):
    d = wrap_dim(dim, input.ndim)
    return jnp.take(input, _check_index(input.shape[d], index, d), axis=d)


def _slice_range(size, start, end, step):
    if step <= 0:
        raise ValueError("step must be greater than zero")
    start = 0 if start is None else start
    end = size if end is None else end
    start = min(max(start + size if start < 0 else start, 0), size)
    end = min(max(end + size if end < 0 else end, start), size)
    return start, end, (end - start + step - 1) // step


def _slice_meta(shape, stride, offset, comp, dim=0, start=None, end=None, step=1):
    d = wrap_dim(dim, len(shape))
    s, e, n = _slice_range(shape[d], start, end, step)
    return (shape[:d] + (n,) + shape[d + 1:], stride[:d] + (stride[d] * step,) + stride[d + 1:],
            offset + s * stride[d], comp)


@op(**VIEW, view=_slice_meta, function=False, method=False, name="slice")
def slice_(input, dim=0, start=None, end=None, step=1):
    d = wrap_dim(dim, input.ndim)
    s, e, n = _slice_range(input.shape[d], start, end, step)
    idx = [slice(None)] * input.ndim
    idx[d] = slice(s, s + (n - 1) * step + 1 if n else s, step)
    return input[tuple(idx)]


@composite()
def narrow(input, dim, start, length):
    d = wrap_dim(dim, input.dim())
    size = input.shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    start %= size if size else 1
    if start + length > size or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return call(OPS["slice"], (input,), (d, start, start + length, 1))


@composite()
def split(tensor, split_size_or_sections, dim=0):
    d = wrap_dim(dim, tensor.dim())
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step == 0 and size:
            raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                               f"size of {size}")
        bounds = [(i, min(i + step, size)) for i in range(0, size, step)] if step else [(0, 0)]
        bounds = bounds or [(0, 0)]
    else:
        secs = list(split_size_or_sections)
        if sum(secs) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                               f"tensor's size at dimension {d}), but got split_sizes={secs}")
        bounds, s = [], 0
        for n in secs:
            bounds.append((s, s + n))
            s += n
    return tuple(call(OPS["slice"], (tensor,), (d, a, b, 1)) for a, b in bounds)


@composite()
def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    size = input.shape[wrap_dim(dim, input.dim())]
    return split(input, max(-(-size // chunks), 1) if size else 1, dim)


@composite()
def unbind(input, dim=0):
    d = wrap_dim(dim, input.dim())
    return tuple(input.select(d, i) for i in range(input.shape[d]))


def _diag_meta(shape, stride, offset, comp, offset_=0, dim1=0, dim2=1):
    n = len(shape)
    a, b = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if offset_ >= 0:
        size = max(min(shape[a], shape[b] - offset_), 0)
        off = offset + (offset_ * stride[b] if size else 0)
    else:
        size = max(min(shape[a] + offset_, shape[b]), 0)
        off = offset + (-offset_ * stride[a] if size else 0)
    keep = [i for i in range(n) if i not in (a, b)]
    return (tuple(shape[i] for i in keep) + (size,),
            tuple(stride[i] for i in keep) + (stride[a] + stride[b],), off, comp)


@op(**VIEW, view=_diag_meta)
def diagonal(input, offset=0, dim1=0, dim2=1):
    n = input.ndim
    a, b = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return jnp.diagonal(input, offset, a, b)


@composite()
def contiguous(input, memory_format=None):
    if input.is_contiguous():
        return input
    return call(OPS["contiguous_copy"], (input,), ())


# ---- joining ----
@op(tensors=(), lists=("tensors",), out=True, method=False, aliases=("concat", "concatenate"),
    saves=())
def cat(tensors, dim=0):
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    ref = next((t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)), tensors[0])
    d = wrap_dim(dim, ref.ndim)
    parts = []
    for i, t in enumerate(tensors):
        if t.ndim == 1 and t.shape[0] == 0 and ref.ndim != 1:
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


@op(tensors=(), lists=("tensors",), out=True, method=False, saves=())
def stack(tensors, dim=0):
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry "
                               f"{i}")
    return jnp.stack(tensors, axis=wrap_dim(dim, tensors[0].ndim + 1))


@op(promote=False, saves=())
def flip(input, dims):
    return jnp.flip(input, wrap_dims((dims,) if isinstance(dims, int) else dims, input.ndim))


@op(promote=False, saves=())
def roll(input, shifts, dims=None):
    if dims is None:
        return jnp.roll(input.reshape(-1), shifts).reshape(input.shape)
    return jnp.roll(input, shifts, wrap_dims((dims,) if isinstance(dims, int) else dims, input.ndim))
