"""nn.functional convolution, pooling and fold/unfold.

Convolutions are one ``lax.conv_general_dilated`` call (HIGHEST precision, so float32 matches
torch's CPU kernels). Fixed-size windows (max/avg pooling, unfold, fold) are strided slices of
the padded input, one per window element (``_offsets``), and ``lax.reduce_window``: max-pool values
come from ``reduce_window``, torch's indices from a scan over the slices in torch's order, and the
gradient is a gather of the tangent at those indices (so JAX's scatter routes it where torch's
does: the first maximum, or the last NaN). Variable windows (adaptive, fractional pooling) use
``_windows``: the flat index, within each (N, C) plane, of every element of every window, so one
gather builds all windows. As in torch, 1-d pools (and 1-d unpooling) are the 2-d op on an
unsqueezed input, and an unbatched convolution is the batched one on a batch of one, so they record
torch's chain of nodes (SqueezeBackward1, the 2-d op's, UnsqueezeBackward0)."""
import math
import warnings
from functools import partial

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from ._util import wrap_dim, wrap_dims
from ._cascade import _pos0, fmean
from .pointwise import _isf, _tname, _not_impl
from .registry import op, composite, call, OPS, NAMESPACES

F = "nn.functional"
_SPEC = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _tup(v, n, what):
    """An int or a 1/n-list as an n-tuple (torch's expand_param_if_needed)."""
    if isinstance(v, (list, tuple)):
        v = tuple(int(x) for x in v)
        if len(v) == 1:
            return v * n
        if len(v) != n:
            raise RuntimeError(f"expected {what} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got {what}="
                               f"{list(v)}")
        return v
    return (int(v),) * n


# ---------------------------------------------------------------- convolution

def _check_conv(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    n = w.ndim - 2
    ws, xs = list(w.shape), list(x.shape)
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if x.ndim != w.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight"
                           f"{ws}, but got {x.ndim}-dimensional input of size {xs} instead")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {ws} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{ws}] instead")
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x)} but found {_tname(w)}")
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_tname(x).lower()}) and bias type ({_tname(b).lower()}) "
                           "should be the same")
    if not transposed:
        if xs[1] != ws[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {ws}, expected input{xs} to "
                               f"have {ws[1] * groups} channels, but got {xs[1]} channels instead")
        if b is not None and (b.ndim != 1 or b.shape[0] != ws[0]):
            raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                               f"{ws[0]} elements, but got bias of size {list(b.shape)} instead")
        padded = [xs[2 + i] + 2 * padding[i] for i in range(n)]
        kern = [(ws[2 + i] - 1) * dilation[i] + 1 for i in range(n)]
        if any(k > p for k, p in zip(kern, padded)):
            raise RuntimeError(f"Calculated padded input size per channel: ("
                               f"{' x '.join(map(str, padded))}). Kernel size: ("
                               f"{' x '.join(map(str, kern))}). Kernel size can't be greater than "
                               "actual input size")
    else:
        if xs[1] != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected input{xs} to "
                               f"have {ws[0]} channels, but got {xs[1]} channels instead")
        if b is not None and (b.ndim != 1 or b.shape[0] != ws[1] * groups):
            raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected bias to be "
                               f"1-dimensional with {ws[1] * groups} elements, but got bias of "
                               f"size {list(b.shape)} instead")
        if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
            if n == 1:  # torch runs it as a 2-d convolution of height 1
                output_padding, stride = (0, *output_padding), (1, *stride)
                dilation = (1, *dilation)
            names = ("depth", "height", "width")[3 - len(stride):]
            parts = [f"output_padding_{k}: {o}" for k, o in zip(names, output_padding)]
            parts += [f"stride_{k}: {s}" for k, s in zip(names, stride)]
            parts += [f"dilation_{k}: {d}" for k, d in zip(names, dilation)]
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got {' '.join(parts)}")


def _conv_value(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    _check_conv(x, w, b, stride, padding, dilation, transposed, output_padding, groups)
    n = w.ndim - 2
    if x.dtype == jnp.bool_:
        _not_impl(f"slow_conv_transpose{max(n, 2)}d_out_cpu" if transposed else
                  f"slow_conv{max(n, 2)}d_cpu", x)
    lo_hi = [(p, p) for p in padding]
    spec = _SPEC[n]
    hp = lax.Precision.HIGHEST
    if not transposed:
        y = lax.conv_general_dilated(x, w, stride, lo_hi, rhs_dilation=dilation,
                                     dimension_numbers=spec, feature_group_count=groups,
                                     precision=hp)
    else:
        # the gradient of a convolution: dilate the input by stride, pad by d*(k-1)-p, and
        # correlate with the flipped kernel whose in/out channels are swapped per group
        cin, cog, ks = w.shape[0], w.shape[1], w.shape[2:]
        wt = w.reshape(groups, cin // groups, cog, *ks).swapaxes(1, 2)
        wt = jnp.flip(wt.reshape(groups * cog, cin // groups, *ks), tuple(range(2, 2 + n)))
        pads = [(d * (k - 1) - lo, d * (k - 1) - hi + o)
                for k, d, (lo, hi), o in zip(ks, dilation, lo_hi, output_padding)]
        y = lax.conv_general_dilated(x, wt, (1,) * n, pads, lhs_dilation=stride,
                                     rhs_dilation=dilation, dimension_numbers=spec,
                                     feature_group_count=groups, precision=hp)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * n)
    return y


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="ConvolutionBackward0")
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups):
    return _conv_value(input, weight, bias, stride, padding, dilation, transposed,
                       output_padding, groups)


@op(tensors=("self", "weight", "bias"), promote=False, method=False, namespace=("", F),
    grad="ConvTbcBackward0")
def conv_tbc(self, weight, bias, pad=0):
    """(time, batch, channel) input, (k, in, out) weight."""
    if self.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if self.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output_channels).")
    y = _conv_value(self.transpose(1, 2, 0), weight.transpose(2, 1, 0), bias, (1,), (pad,),
                    (1,), False, (0,), 1)
    return y.transpose(2, 0, 1)


def _check_dim(input, n, name):
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, "
                           f"but got input of size: {list(input.shape)}")
    return input.dim() == n + 1


def _check_param_dims(weight, stride):
    """torch expands stride & co to the weight's spatial dims: a mismatch names stride."""
    if weight.dim() - 2 != len(stride):
        _tup(stride, weight.dim() - 2, "stride")


def _same_padding(x, weight, stride, dilation):
    """torch's padding='same': half the kernel's extent on each side, the odd remainder by a
    zero-pad of the input at the end."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    tot = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
    if any(t % 2 for t in tot) and x.dim() == weight.dim():
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                      "require a zero-padded copy of the input be created")
        x = call(OPS["constant_pad_nd"], (x,), (sum(((0, t % 2) for t in tot[::-1]), ()), 0))
    return x, tuple(t // 2 for t in tot)


def _conv_nd(n, name, input, weight, bias, stride, padding, dilation, groups):
    unb = _check_dim(input, n, name)
    x = input.unsqueeze(0) if unb else input  # torch: an unbatched input is a batch of one
    stride = _tup(stride, n, "stride")
    dilation = _tup(dilation, n, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * n
        elif padding == "same":
            x, padding = _same_padding(x, weight, stride, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _tup(padding, n, "padding")
        _check_param_dims(weight, stride)
    y = call(OPS["convolution"], (x, weight, bias),
             (stride, padding, dilation, False, (0,) * n, int(groups)))
    return y.squeeze(0) if unb else y


def _convt_nd(n, name, input, weight, bias, stride, padding, output_padding, groups, dilation):
    unb = _check_dim(input, n, name)
    x = input.unsqueeze(0) if unb else input
    st = (_tup(stride, n, "stride"), _tup(padding, n, "padding"), _tup(dilation, n, "dilation"))
    _check_param_dims(weight, st[0])
    y = call(OPS["convolution"], (x, weight, bias),
             (*st, True, _tup(output_padding, n, "output_padding"), int(groups)))
    return y.squeeze(0) if unb else y


@composite(method=False, namespace=("", F))
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


@composite(method=False, namespace=("", F))
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


@composite(method=False, namespace=("", F))
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv_nd(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


@composite(method=False, namespace=("", F))
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _convt_nd(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding,
                     groups, dilation)


@composite(method=False, namespace=("", F))
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _convt_nd(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding,
                     groups, dilation)


@composite(method=False, namespace=("", F))
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _convt_nd(3, "conv_transpose3d", input, weight, bias, stride, padding, output_padding,
                     groups, dilation)


# ---------------------------------------------------------------- windows

def _windows(size, starts, kernel, dilation, lengths=None):
    """Flat plane indices (prod(out), prod(k)) and validity of every window element.

    size: spatial input size; starts[d]: (out_d,) first position of each window (may be
    negative: padding); kernel[d]: window extent; lengths[d]: (out_d,) valid extent per window
    (adaptive pooling), else windows are clipped only by the input bounds."""
    n = len(size)
    flat, valid, plane = 0, True, 1
    for d in reversed(range(n)):
        pos = starts[d][:, None] + np.arange(kernel[d])[None, :] * dilation[d]
        ok = (pos >= 0) & (pos < size[d])
        if lengths is not None:
            ok &= np.arange(kernel[d])[None, :] < lengths[d][:, None]
        shape = [1] * (2 * n)
        shape[d], shape[n + d] = pos.shape
        flat = flat + np.clip(pos, 0, size[d] - 1).reshape(shape) * plane
        valid = valid & ok.reshape(shape)
        plane *= size[d]
    outs = [len(s) for s in starts]
    full = (int(np.prod(outs)), int(np.prod(kernel)))
    flat = np.broadcast_to(flat, outs + list(kernel)).reshape(full)
    valid = np.broadcast_to(valid, outs + list(kernel)).reshape(full)
    return flat, valid, outs


def _gather(x, flat, n):
    """(B..., *spatial) -> (B..., prod(out), prod(k)) windows."""
    lead = x.shape[:-n]
    return x.reshape(lead + (math.prod(x.shape[-n:]),))[..., jnp.asarray(flat)]


def _lowest(x):
    return -jnp.inf if _isf(x) else jnp.iinfo(x.dtype).min


def _max_windows(x, flat, valid, outs, n):
    """Values and torch's indices of the max of each window (first max; NaN wins, last NaN)."""
    w = jnp.where(jnp.asarray(valid), _gather(x, flat, n), jnp.asarray(_lowest(x), x.dtype))
    k = jnp.argmax(w, axis=-1)
    if _isf(x):
        nan = jnp.isnan(w)
        last = w.shape[-1] - 1 - jnp.argmax(nan[..., ::-1], axis=-1)
        k = jnp.where(nan.any(-1), last, k)
    val = jnp.take_along_axis(w, k[..., None], -1)[..., 0]
    idx = jnp.asarray(flat)[jnp.arange(flat.shape[0]), k]
    shape = x.shape[:-n] + tuple(outs)
    return val.reshape(shape), idx.astype(jnp.int64).reshape(shape)


# ---------------------------------------------------------------- strided windows

def _pad_to(x, n, outs, k, s, p, d, fill):
    """x padded with fill so that window o starts at o * s: p before, and after whatever the
    last window needs (ceil_mode windows run past the end; an unused tail is cropped)."""
    cfg = [(0, 0, 0)] * (x.ndim - n)
    cfg += [(pp, (o - 1) * ss + dd * (kk - 1) + 1 - L - pp, 0)
            for L, o, kk, ss, pp, dd in zip(x.shape[-n:], outs, k, s, p, d)]
    return lax.pad(x, jnp.asarray(fill, x.dtype), cfg)


def _offsets(k, d):
    """Start of each window element in the padded input, in torch's scan order."""
    return [tuple(i * dd for i, dd in zip(off, d)) for off in np.ndindex(*k)]


def _strided(xp, n, start, outs, s):
    """The element at `start` of every window of the padded input: (..., *outs)."""
    lead = xp.ndim - n
    end = tuple(a + (o - 1) * ss + 1 for a, o, ss in zip(start, outs, s))
    return lax.slice(xp, (0,) * lead + start, xp.shape[:lead] + end, (1,) * lead + tuple(s))


def _plane_index(size, pos):
    """Flat plane index and in-bounds mask of a grid of positions (one (o_d,) array per dim)."""
    grid = np.meshgrid(*pos, indexing="ij")
    ok = np.logical_and.reduce([(g >= 0) & (g < L) for g, L in zip(grid, size)])
    return np.ravel_multi_index([np.clip(g, 0, L - 1) for g, L in zip(grid, size)], size), ok


_UNROLL = 64  # windows with more elements find their max index with one gather


def _max_scan(x, n, outs, k, s, p, d):
    """Max and torch's index of each window: scan it in order, taking an element when it is
    greater than the running max or NaN (the first maximum, or the last NaN); the scan starts
    at the window's first in-bounds element with the lowest value."""
    size = x.shape[-n:]
    starts = [np.arange(o) * ss - pp for o, ss, pp in zip(outs, s, p)]
    if math.prod(k) > _UNROLL:
        flat, valid, _ = _windows(size, starts, k, d)
        return _max_windows(x, flat, valid, outs, n)
    lo = jnp.asarray(_lowest(x), x.dtype)
    xp = _pad_to(x, n, outs, k, s, p, d, lo)
    shape = x.shape[:-n] + tuple(outs)
    best = jnp.broadcast_to(lo, shape)
    first = np.meshgrid(*[st + np.maximum(-st + dd - 1, 0) // dd * dd  # torch: not clipped
                          for st, dd in zip(starts, d)], indexing="ij")
    first = sum(g * math.prod(size[i + 1:]) for i, g in enumerate(first))
    it = jnp.int32 if math.prod(size) < 2 ** 31 else jnp.int64
    idx = jnp.broadcast_to(jnp.asarray(first, it), shape)
    for start in _offsets(k, d):
        flat, ok = _plane_index(size, [st + a for st, a in zip(starts, start)])
        v = _strided(xp, n, start, outs, s)
        take = jnp.asarray(ok) & ((v > best) | (v != v))
        best = jnp.where(take, v, best)
        idx = jnp.where(take, jnp.asarray(flat, it), idx)
    return best, idx.astype(jnp.int64)


def _take(x, idx, n):
    """x[..., idx] within each plane of the last n dims."""
    lead = x.shape[:-n]
    flat = x.reshape(lead + (math.prod(x.shape[-n:]),))
    at = idx.reshape(lead + (math.prod(idx.shape[-n:]),))
    return jnp.take_along_axis(flat, at, -1).reshape(idx.shape)


@partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _max_pool_value(x, geom, indices):
    """Max over each window, and torch's indices if asked (the scan), else reduce_window (NaN
    propagates). The derivative takes the tangent at torch's index, so gradients land where
    torch's do."""
    if indices:
        return _max_scan(x, *geom)
    n, outs, k, s, p, d = geom
    lo = np.asarray(_lowest(x), x.dtype)  # concrete: reduce_window's max monoid
    one = (1,) * (x.ndim - n)
    return lax.reduce_window(_pad_to(x, n, outs, k, s, p, d, lo), lo, lax.max, one + k, one + s,
                             "VALID", window_dilation=one + d)


@_max_pool_value.defjvp
def _max_pool_jvp(geom, indices, primals, tangents):
    (x,), (t,) = primals, tangents
    out = _max_pool_value(x, geom, indices)
    idx = out[1] if indices else _max_scan(x, *geom)[1]
    dv = _take(t, idx, geom[0])
    return out, (dv, np.zeros(idx.shape, jax.dtypes.float0)) if indices else dv


def _pool_out(L, k, p, s, d, ceil):
    o = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= L + p:
        o -= 1
    return o


def _pool_check(x, n, k, s, p, d, outs, name):
    sp = x.shape[-n:]
    if any(v <= 0 for v in k):
        raise RuntimeError("kernel size should be greater than zero, but got " +
                           " ".join(f"k{c}: {v}" for c, v in zip("THW"[3 - n:], k)))
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should be greater than zero, but got " +
                           " ".join(f"d{c}: {v}" for c, v in zip("THW"[3 - n:], s)))
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got " +
                           " ".join(f"dilation{c}: {v}" for c, v in zip("THW"[3 - n:], d)))
    if n == 3 and x.ndim in (4, 5):
        for i in range(x.ndim - 4, x.ndim):
            if x.shape[i] == 0:
                raise RuntimeError("max_pool3d_with_indices_out_cpu_template(): Expected input's "
                                   "non-batch dimensions to have positive length, but input has a "
                                   f"shape of {list(x.shape)} and non-batch dimension {i} has "
                                   "length zero!" if name == "max_pool3d" else
                                   f"non-empty 4D or 5D (batch mode) tensor expected for input")
    if name == "avg_pool2d":
        wrap_dim(-3, x.ndim)  # torch reads the channels first
    if n == 2 and (x.ndim in (3, 4) or name == "avg_pool2d"):  # torch's pool2d_shape_check
        if not (x.ndim == 3 and 0 not in x.shape or x.ndim == 4 and 0 not in x.shape[1:]):
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                               f"size for input, but got:{list(x.shape)}")
    if x.ndim not in (n + 1, n + 2) or any(v == 0 for v in x.shape[1:]):
        raise RuntimeError(f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for input")
    if name == "avg_pool3d" and any(L < kk for L, kk in zip(sp, k)):
        raise RuntimeError(f"input image (T: {sp[0]} H: {sp[1]} W: {sp[2]}) smaller than kernel "
                           f"size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    # max pools bound the padding by the kernel too, after the effective kernel
    over = name.startswith("max_pool") and any(pp > kk // 2 for kk, pp in zip(k, p))
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    if over:
        head = "pad should be smaller than or equal to half of kernel size, but got "
        if n == 3:
            raise RuntimeError(head + f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} "
                               f"padW: {p[2]} padH: {p[1]}")
        raise RuntimeError(head + f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if any(o < 1 for o in outs):
        c = x.shape[-n - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + sp))}). Calculated "
                           f"output size: ({'x'.join(map(str, (c,) + tuple(outs)))}). Output size "
                           "is too small")


def _pool_outs(x, n, k, s, p, d, ceil, name):
    """The checked output size of a pooling."""
    sp = x.shape[-n:]
    outs = tuple(_pool_out(L, kk, pp, ss, dd, ceil) for L, kk, pp, ss, dd in zip(sp, k, p, s, d))
    _pool_check(x, n, k, s, p, d, outs, name)
    return outs


# ---------------------------------------------------------------- max pooling

def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, indices, n):
    outs = _pool_outs(input, n, kernel_size, stride, padding, dilation, ceil_mode,
                      f"max_pool{n}d")
    if input.dtype == jnp.bool_ or jnp.issubdtype(input.dtype, jnp.complexfloating):
        _not_impl(f"max_pool{n}d", input)
    return _max_pool_value(input, (n, outs, kernel_size, stride, padding, dilation), indices)


for _n in (2, 3):
    def _mp(input, kernel_size, stride, padding, dilation, ceil_mode, indices, _n=_n):
        return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, indices, _n)
    op(promote=False, method=False, function=False, name=f"_max_pool{_n}d",
       grad=f"MaxPool{_n}DWithIndicesBackward0")(_mp)


def _pool_arg(v, n, what, name, default=None):
    if v is None or (isinstance(v, (list, tuple)) and len(v) == 0 and default is not None):
        return default
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) == n:
            return tuple(int(x) for x in v)
        ints = {1: "", 2: "two ", 3: "three "}[n]
        if what == "stride":
            raise RuntimeError(f"{name}: stride must either be omitted, a single int, or a tuple "
                               f"of {ints}ints")
        raise RuntimeError(f"{name}: {what} must either be a single int, or a tuple of {ints}ints"
                           if n > 1 else f"{name}: {what} must be a single int")
    return (int(v),) * n


def _pool_args(n, name, kernel_size, stride, padding, dilation=1):
    k = _pool_arg(kernel_size, n, "kernel_size", name)
    s = _pool_arg(stride, n, "stride", name, default=k)
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    p = _pool_arg(padding, n, "padding", name)
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    return k, s, p, _pool_arg(dilation, n, "dilation", name)


def _max_pool_nd(n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if n == 1:
        return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode,
                           return_indices)
    k, s, p, d = _pool_args(n, f"max_pool{n}d", kernel_size, stride, padding, dilation)
    return call(OPS[f"_max_pool{n}d"], (input,), (k, s, p, d, bool(ceil_mode),
                                                 bool(return_indices)))


def _max_pool_fn(n, both):
    def f(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
          return_indices=False):
        return _max_pool_nd(n, input, kernel_size, stride, padding, dilation, ceil_mode,
                            return_indices or both)
    return f


for _n in (1, 2, 3):
    composite(method=False, namespace=("", F), name=f"max_pool{_n}d")(_max_pool_fn(_n, False))
    composite(method=False, namespace=("", F) if _n == 1 else F,
              name=f"max_pool{_n}d_with_indices")(_max_pool_fn(_n, True))


# ---------------------------------------------------------------- average pooling
# torch's CPU kernels (cpu_avg_pool, avg_pool3d_out_frame, cpu_adaptive_avg_pool) add each
# window's elements one by one in row-major order to a sum that starts at +0, then divide:
# once by the divide factor (avg_pool), or by each dim's window length in turn (adaptive:
# sum / kh / kw). Their backwards divide the gradient the same way and add it into a
# zero-filled input gradient window by window, in output order. Here the same additions run
# as strided slices added in that order (or XLA's reduce_window where it adds in that order
# too), and each division rounds as an IEEE division (XLA would multiply by the reciprocal).

def _seq_terms(term, ks, reverse=False):
    """The sum of term(off) over the offsets of a ks-shaped window, added one by one in
    row-major order (or its reverse). Long windows run as a loop over the leading offsets
    (term then gets traced offsets) with up to _UNROLL trailing ones unrolled in its body."""
    j, inner = len(ks), 1
    while j and inner * ks[j - 1] <= _UNROLL:
        j -= 1
        inner *= ks[j]
    step = -1 if reverse else 1
    head, tail = list(np.ndindex(*ks[:j]))[::step], list(np.ndindex(*ks[j:]))[::step]

    def chunk(acc, h):
        for t in tail:
            acc = term(h + t) if acc is None else acc + term(h + t)
        return acc
    acc = chunk(None, head[0])
    if len(head) == 1:
        return acc
    tab = jnp.asarray(np.array(head, np.int64))
    return lax.fori_loop(1, len(head), lambda i, a: chunk(a, tuple(tab[i])), acc)


def _win(xp, n, start, outs, s):
    """_strided for a static or a traced start."""
    if all(isinstance(a, int) for a in start):
        return _strided(xp, n, start, outs, s)
    lead = xp.ndim - n
    size = xp.shape[:lead] + tuple((o - 1) * ss + 1 for o, ss in zip(outs, s))
    w = lax.dynamic_slice(xp, (0,) * lead + tuple(start), size)
    return lax.slice(w, (0,) * xp.ndim, w.shape, (1,) * lead + tuple(s))


def _divide(a, divs):
    """a / divs[0] / divs[1] ... (numpy integer divisors broadcasting against a's trailing
    dims), each an IEEE division rounded on its own, as torch's C++ divides by integers."""
    for i, d in enumerate(divs):
        d = np.asarray(d, np.float64)
        if a.dtype == jnp.float32 and np.abs(d).max() <= 2 ** 20:
            # float32(a * float64(1 / d)) is the IEEE float32 a / d: its relative error (under
            # 2^-52) is far below the distance from a / d to any float32 rounding midpoint it
            # is not on (over 2^-25 / d), and a product is much cheaper than a division
            a = (a.astype(jnp.float64) * jnp.asarray(1 / d)).astype(jnp.float32)
            continue
        if i:  # XLA rewrites (a / b) / c as a / (b * c)
            a = lax.optimization_barrier(a)
        # XLA turns a division by a constant or a broadcast into a product with the reciprocal;
        # this divisor is neither, and needs no materialised array (a NaN stays NaN over 1)
        a = a / jnp.where(a != a, jnp.ones((), a.dtype), jnp.asarray(d, a.dtype))
    return a


def _avg_div(size, outs, k, s, p, count_include_pad, divisor_override):
    """torch's divide factor of every window, (*outs)."""
    if divisor_override:
        return np.full(outs, float(divisor_override))
    n = len(outs)
    div = np.ones(outs)
    for d in range(n):  # the window clipped to the padded input, or to the input
        L = size[d]
        st = np.arange(outs[d]) * s[d] - p[d]
        en = np.minimum(st + k[d], L + (p[d] if count_include_pad else 0))
        shape = [1] * n
        shape[d] = outs[d]
        div = div * (en - (st if count_include_pad else np.maximum(st, 0))).reshape(shape)
    return div


def _wide(dt):
    """torch sums half-precision windows in float32."""
    return jnp.float32 if dt in (jnp.float16, jnp.bfloat16) else dt


def _window_sums(xp, n, outs, k, s):
    """Each window's sum in torch's order, windows o * s + [0, k) of the padded input. XLA's
    reduce_window adds in row-major order from +0 (measured) except for windows that tile the
    input (k == s wherever k > 1) and long windows (from ~47 elements along the last dim), which
    it sums in other orders: those take strided slices (slower: XLA pads slowly)."""
    tiles = all(kk == 1 or kk == ss for kk, ss in zip(k, s))
    if tiles or max(k) > 16 or math.prod(k) > _UNROLL:
        return _pos0(_seq_terms(lambda off: _win(xp, n, off, outs, s), k))
    lead = (1,) * (xp.ndim - n)
    return lax.reduce_window(xp, np.zeros((), xp.dtype), lax.add, lead + k, lead + s, "VALID")


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def _avg_float(x, geom):
    """Float average pooling, torch's sums and divisions; geom: (n, size, outs, k, s, p,
    count_include_pad, divisor_override)."""
    n, size, outs, k, s, p, cip, dov = geom
    xp = _pad_to(x.astype(_wide(x.dtype)), n, outs, k, s, p, (1,) * n, 0)
    div = _avg_div(size, outs, k, s, p, cip, dov)
    r = _divide(_window_sums(xp, n, outs, k, s), [div])
    # torch adds the quotient to a zero-filled output: +0 over a negative divisor_override is +0
    return (_pos0(r) if (div < 0).any() else r).astype(x.dtype)


def _avg_float_fwd(x, geom):
    return _avg_float(x, geom), None


def _avg_float_bwd(geom, _, g):
    """cpu_avg_pool_backward: g / divide_factor added into each window's elements, windows in
    output order; at one padded position, that is the offsets in reverse row-major order."""
    n, size, outs, k, s, p, cip, dov = geom
    gd = _divide(g, [_avg_div(size, outs, k, s, p, cip, dov)])
    lead = g.ndim - n
    ext = tuple((o - 1) * ss + kk for o, ss, kk in zip(outs, s, k))  # _pad_to's extent
    zero = jnp.zeros((), g.dtype)
    if math.prod(k) <= _UNROLL:
        def term(off):
            return lax.pad(gd, zero, [(0, 0, 0)] * lead + [
                (a, e - a - (o - 1) * ss - 1, ss - 1) for a, e, o, ss in zip(off, ext, outs, s)])
        gp = _pos0(_seq_terms(term, k, reverse=True))
    else:
        dil = lax.pad(gd, zero, [(0, 0, 0)] * lead + [(0, 0, ss - 1) for ss in s])
        tab = jnp.asarray(np.array(list(np.ndindex(*k))[::-1], np.int64))

        def body(j, acc):
            at = (0,) * lead + tuple(tab[j])
            return lax.dynamic_update_slice(acc, lax.dynamic_slice(acc, at, dil.shape) + dil, at)
        gp = lax.fori_loop(0, len(tab), body, jnp.zeros(g.shape[:lead] + ext, g.dtype))
    # back to the input: drop the padding (and a ceil_mode overhang), zeros past the last window
    return (lax.pad(gp, zero, [(0, 0, 0)] * lead + [(-pp, L + pp - e, 0)
                                                    for pp, L, e in zip(p, size, ext)]),)


_avg_float.defvjp(_avg_float_fwd, _avg_float_bwd)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n):
    one = (1,) * n
    outs = _pool_outs(input, n, kernel_size, stride, padding, one, ceil_mode, f"avg_pool{n}d")
    if not (jnp.issubdtype(input.dtype, jnp.floating) or input.dtype == jnp.int64):
        _not_impl("avg_pool3d_out_frame" if n == 3 else "avg_pool2d", input)
    size = input.shape[-n:]
    if _isf(input):
        return _avg_float(input, (n, size, outs, kernel_size, stride, padding,
                                  bool(count_include_pad), divisor_override))
    div = _avg_div(size, outs, kernel_size, stride, padding, count_include_pad,
                   divisor_override)
    xp = _pad_to(input, n, outs, kernel_size, stride, padding, one, 0)
    lead = (1,) * (input.ndim - n)
    s = lax.reduce_window(xp, np.zeros((), input.dtype), lax.add, lead + kernel_size,
                          lead + stride, "VALID")
    dv = jnp.asarray(div.astype(np.int64))
    return (jnp.sign(s) * jnp.sign(dv) * (jnp.abs(s) // jnp.abs(dv))).astype(input.dtype)


for _n in (2, 3):
    def _ap(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
            _n=_n):
        return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                         divisor_override, _n)
    op(promote=False, method=False, function=False, name=f"_avg_pool{_n}d",
       grad=f"AvgPool{_n}DBackward0")(_ap)


def _avg_pool_nd(n, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override):
    k, s, p, _ = _pool_args(n, f"avg_pool{n}d", kernel_size, stride, padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return call(OPS[f"_avg_pool{n}d"], (input,), (k, s, p, bool(ceil_mode),
                                                 bool(count_include_pad), divisor_override))


@composite(method=False, namespace=F)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool_nd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override)


@composite(method=False, namespace=F)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _avg_pool_nd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override)


# ---------------------------------------------------------------- adaptive pooling

def _adaptive_grid(x, n, output_size, name):
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got "
                           f"{list(x.shape)}")
    # torch's 2-d average checks the spatial dims only
    _check_nonempty(x, x.ndim - n if name == "adaptive_avg_pool2d" else 1, name)
    sp = x.shape[-n:]
    outs = list(output_size)
    starts, lens, ks = [], [], []
    for L, o in zip(sp, outs):
        st = (np.arange(o) * L) // o
        en = -((-(np.arange(o) + 1) * L) // o)
        starts.append(st)
        lens.append(en - st)
        ks.append(int((en - st).max()) if o else 0)
    flat, valid, _ = _windows(sp, starts, ks, (1,) * n, lens)
    return flat, valid, outs


def _check_nonempty(x, first, name):
    for i in range(first, x.ndim):
        if x.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x.shape)} with dimension "
                               f"{i} being empty")


def _uniform(size, outs):
    """The window size when adaptive windows are all equal and disjoint, else None."""
    if all(o > 0 and L % o == 0 for L, o in zip(size, outs)):
        return tuple(L // o for L, o in zip(size, outs))
    return None


def _spatial_mean(x, n):
    """torch's adaptive average to size 1: a mean over the last n dims (no other checks)."""
    if not _isf(x):
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_tname(x)}")
    return fmean(x, wrap_dims(tuple(range(-1, -n - 1, -1)), x.ndim), keepdim=True)


def _runs(L, o):
    """Adaptive windows along one dim: (start, length) per output, and the transpose (first
    covering output, count) per input position."""
    i = np.arange(o)
    st = i * L // o
    ln = -(-(i + 1) * L // o) - st
    h = np.arange(L)
    first = np.searchsorted(st + ln, h, side="right")     # first window ending past h
    last = np.searchsorted(st, h, side="right") - 1         # last window starting at or before h
    return (st, ln), (first, last - first + 1)


def _run_sum(v, n, runs):
    """out[o] = the sum of v over positions start_d[o_d] + i_d, i_d < count_d[o_d], added in
    row-major order of i from +0; runs[d] = (start, count) over the last n dims in turn."""
    lead = v.ndim - n
    ks, steps = [], []
    for d, (st, cnt) in enumerate(runs):
        ax, m, K = lead + d, len(st), int(cnt.max())
        size = v.shape[ax]
        step = int(st[1] - st[0]) if m > 1 else 1
        if (cnt == K).all() and step > 0 and np.array_equal(st, st[0] + step * np.arange(m)):
            # evenly spaced windows of one length: strided slices of v
            v = lax.slice_in_dim(v, int(st[0]), int(st[0]) + step * (m - 1) + K, axis=ax)
        elif K == 1 and size and m % size == 0 and np.array_equal(st, np.arange(m) // (m // size)):
            # each entry repeated (the transpose of equal disjoint windows)
            w = jnp.expand_dims(v, ax + 1)
            w = jnp.broadcast_to(w, w.shape[:ax + 1] + (m // size,) + w.shape[ax + 2:])
            v, step = w.reshape(v.shape[:ax] + (m,) + v.shape[ax + 1:]), 1
        else:  # gathered into (m, K) windows, zeros past each one's count
            idx = np.minimum(st[:, None] + np.arange(K), size - 1).reshape(-1)
            ok = (np.arange(K) < cnt[:, None]).reshape((-1,) + (1,) * (v.ndim - ax - 1))
            v = jnp.where(jnp.asarray(ok), jnp.take(v, jnp.asarray(idx), axis=ax),
                          jnp.zeros((), v.dtype))
            step = K
        ks.append(K)
        steps.append(step)
    outs = [len(st) for st, _ in runs]
    return _pos0(_seq_terms(lambda off: _win(v, n, off, outs, steps), tuple(ks)))


def _adaptive_lens(fw, n):
    """Each dim's window lengths, shaped to divide the pooled dims."""
    return [ln.reshape((-1,) + (1,) * (n - 1 - d)) for d, (_, ln) in enumerate(fw)]


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def _adaptive_float(x, geom):
    """cpu_adaptive_avg_pool: each window summed in order, then sum / kh / kw; geom: (input
    size, output size) of the pooled dims. Half precision sums and divides in float32 in 2-d,
    in its own type in 3-d (measured)."""
    fw, _ = zip(*map(_runs, *geom))
    n = len(fw)
    sm = _run_sum(x.astype(_wide(x.dtype)) if n == 2 else x, n, fw)
    return _divide(sm, _adaptive_lens(fw, n)).astype(x.dtype)


def _adaptive_float_fwd(x, geom):
    return _adaptive_float(x, geom), None


def _adaptive_float_bwd(geom, _, g):
    """cpu_adaptive_avg_pool_backward: g / kh / kw added into each window's elements, in
    output order; at one input position, that is its covering windows in row-major order."""
    fw, bw = zip(*map(_runs, *geom))
    n = len(fw)
    return (_run_sum(_divide(g, _adaptive_lens(fw, n)), n, bw),)


_adaptive_float.defvjp(_adaptive_float_fwd, _adaptive_float_bwd)


def _adaptive_avg_grad(n):
    return lambda key: ("MeanBackward1" if set(key[0][0]) == {1} else
                        f"AdaptiveAvgPool{n}DBackward0")


for _n in (2, 3):
    def _aap(input, output_size, _n=_n):
        if set(output_size) == {1}:
            return _spatial_mean(input, _n)
        name = f"adaptive_avg_pool{_n}d"
        if input.ndim not in (_n + 1, _n + 2):
            raise RuntimeError(f"{name}(): Expected {_n + 1}D or {_n + 2}D tensor, but got "
                               f"{list(input.shape)}")
        # torch's 2-d average checks the spatial dims only
        _check_nonempty(input, input.ndim - _n if _n == 2 else 1, name)
        if not jnp.issubdtype(input.dtype, jnp.floating):
            _not_impl("adaptive_avg_pool3d_cpu" if _n == 3 else "adaptive_avg_pool2d", input)
        outs = tuple(output_size)
        if 0 in outs:
            return jnp.zeros(input.shape[:-_n] + outs, input.dtype)
        return _adaptive_float(input, (tuple(input.shape[-_n:]), outs))

    def _amp(input, output_size, _n=_n):
        flat, valid, outs = _adaptive_grid(input, _n, output_size, f"adaptive_max_pool{_n}d")
        if not jnp.issubdtype(input.dtype, jnp.floating):
            _not_impl("adaptive_max_pool3d_cpu" if _n == 3 else "adaptive_max_pool2d", input)
        if 0 in outs:
            shape = input.shape[:-_n] + tuple(outs)
            return jnp.zeros(shape, input.dtype), jnp.zeros(shape, jnp.int64)
        k = _uniform(input.shape[-_n:], outs)
        if k:  # equal windows: max pooling with stride = kernel
            return _max_pool_value(input, (_n, tuple(outs), k, k, (0,) * _n, (1,) * _n), True)
        return _max_windows(input, flat, valid, outs, _n)
    op(promote=False, method=False, function=False, name=f"_adaptive_avg_pool{_n}d",
       grad=_adaptive_avg_grad(_n))(_aap)
    op(promote=False, method=False, function=False, name=f"_adaptive_max_pool{_n}d",
       grad=f"AdaptiveMaxPool{_n}DBackward0")(_amp)


def _out_size(output_size, n):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) == 1:
            return tuple(output_size) * n
        if len(output_size) != n:
            raise RuntimeError(f"adaptive_avg_pool{n}d: output_size must be {n}")
        return tuple(int(o) for o in output_size)
    return (int(output_size),) * n


def _list_with_default(output_size, input, n):
    """torch's: None entries take the input's size (2-d and 3-d adaptive pools)."""
    if isinstance(output_size, (list, tuple)):
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        output_size = [L if o is None else o
                       for o, L in zip(output_size, input.shape[-len(output_size):])]
    return _out_size(output_size, n)


def _adaptive_avg_nd(n, input, output_size):
    if n == 1:
        return _adaptive_avg_pool1d(input, output_size)
    out = _list_with_default(output_size, input, n)
    if any(o < 0 for o in out):
        raise RuntimeError(f"adaptive_avg_pool{n}d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{', '.join(map(str, out))}}}")
    return call(OPS[f"_adaptive_avg_pool{n}d"], (input,), (out,))


def _adaptive_max_nd(n, input, output_size):
    if n == 1:
        return _adaptive_max_pool1d(input, output_size)
    size = _list_with_default(output_size, input, n)
    if any(o < 0 for o in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(input.shape[:-n]) + list(size)}")
    return call(OPS[f"_adaptive_max_pool{n}d"], (input,), (size,))


def _adaptive_avg(n):
    def f(input, output_size):
        return _adaptive_avg_nd(n, input, output_size)
    return f


def _adaptive_max(n, both):
    def f(input, output_size, return_indices=False):
        out, idx = _adaptive_max_nd(n, input, output_size)
        return (out, idx) if return_indices or both else out
    return f


for _n in (1, 2, 3):
    composite(method=False, namespace=("", F) if _n == 1 else F,
              name=f"adaptive_avg_pool{_n}d")(_adaptive_avg(_n))
    composite(method=False, namespace=F, name=f"adaptive_max_pool{_n}d")(_adaptive_max(_n, False))
    composite(method=False, namespace=F,
              name=f"adaptive_max_pool{_n}d_with_indices")(_adaptive_max(_n, True))
composite(method=False, name="adaptive_max_pool1d")(_adaptive_max(1, True))  # torch.*: a tuple


# ---------------------------------------------------------------- 1-d pooling: 2-d on (..., 1, L)

def _check_dim_range(input, name):
    """torch's checkDimRange(name, self, 2, 4)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {name})")


def _int1(v, name, what):
    """torch's check1d: an int or a list of one."""
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise RuntimeError(f"{name}() argument '{what}' should contain one int (got {len(v)})")
        v = v[0]
    return int(v)


def _pool1d_args(name, input, kernel_size, stride, padding, dilation=1):
    """The checked input rank, then kernel, stride (default: the kernel), padding, dilation."""
    _check_dim_range(input, name)
    if stride is None or isinstance(stride, (list, tuple)) and len(stride) == 0:
        stride = kernel_size
    return tuple(_int1(v, name, what) for v, what in zip(
        (kernel_size, stride, padding, dilation), ("kernel_size", "stride", "padding", "dilation")))


_MAX1D_FORMS = {"kernel_size": "an int, list of ints or tuple of ints",
                "stride": "None, an int, list of ints, or tuple of ints",
                "padding": "an int, list of ints, or tuple of ints",
                "dilation": "an int, list of ints or tuple of ints"}


def _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's max_pool1d checks (1-d messages); kernel, stride, padding, dilation as ints."""
    shape = list(input.shape)
    if not (input.dim() == 2 and 0 not in shape or input.dim() == 3 and 0 not in shape[1:]):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{shape}")
    vals = {}
    for (what, form), v in zip(_MAX1D_FORMS.items(), (kernel_size, stride, padding, dilation)):
        v = [] if v is None else list(v) if isinstance(v, (list, tuple)) else [v]
        if len(v) != 1 and (v or what != "stride"):
            raise RuntimeError(f"max_pool1d() {what} must be {form} of size 1 but got size "
                               f"{len(v)}")
        vals[what] = int(v[0]) if v else vals["kernel_size"]
    k, s, p, d = vals.values()
    for what in ("kernel_size", "stride"):
        if vals[what] <= 0:
            raise RuntimeError(f"max_pool1d() {what} must be greater than zero, but got "
                               f"{vals[what]}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _pool_out(input.shape[-1], k, p, s, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return k, s, p, d


def _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    """torch's max_pool1d checks its arguments itself (and runs its own kernel for inputs that
    need no gradient: floats only); max_pool1d_with_indices leaves them to max_pool2d."""
    if return_indices:
        k, s, p, d = _pool1d_args("max_pool1d", input, kernel_size, stride, padding, dilation)
    else:
        k, s, p, d = _check_max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode)
        if not input.dtype.is_floating_point:
            raise NotImplementedError(f'"max_pool1d_impl" not implemented for '
                                      f"'{D.SCALAR_NAME[input.dtype]}'")
    out = _max_pool_nd(2, input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                       return_indices)
    return tuple(t.squeeze(-2) for t in out) if return_indices else out.squeeze(-2)


@composite(method=False, namespace=("", F))
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    k, s, p, _ = _pool1d_args("avg_pool1d", input, kernel_size, stride, padding)
    return _avg_pool_nd(2, input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                        count_include_pad, None).squeeze(-2)


def _adaptive_avg_pool1d(input, output_size):
    _check_dim_range(input, "adaptive_avg_pool1d")
    size = (1, _int1(output_size, "adaptive_avg_pool1d", "output_size"))
    return _adaptive_avg_nd(2, input.unsqueeze(-2), size).squeeze(-2)


def _adaptive_max_pool1d(input, output_size):
    _check_dim_range(input, "adaptive_max_pool1d")
    size = (1, _int1(output_size, "adaptive_max_pool1d", "output_size"))
    _check_nonempty(input, 1, "adaptive_max_pool1d")
    out, idx = _adaptive_max_nd(2, input.unsqueeze(-2), size)
    return out.squeeze(-2), idx.squeeze(-2)


# ---------------------------------------------------------------- fractional max pooling

for _n in (2, 3):
    def _fmp(input, index, output_size, _n=_n):
        lead = input.shape[:-_n]
        w = jnp.take_along_axis(input.reshape(lead + (1, -1)), index.reshape(lead + (-1,))
                                [..., None, :], -1).reshape(index.shape)
        k = jnp.argmax(w, axis=-1)
        if _isf(input):
            nan = jnp.isnan(w)
            k = jnp.where(nan.any(-1), w.shape[-1] - 1 - jnp.argmax(nan[..., ::-1], -1), k)
        val = jnp.take_along_axis(w, k[..., None], -1)[..., 0]
        idx = jnp.take_along_axis(index, k[..., None], -1)[..., 0]
        return val.reshape(lead + output_size), idx.reshape(lead + output_size)
    op(tensors=("input", "index"), promote=False, method=False, function=False,
       name=f"_fractional_max_pool{_n}d", grad=f"FractionalMaxPool{_n}DBackward0")(_fmp)


def _intervals(sample, size, out, pool):
    """torch's generate_intervals, in the samples' dtype."""
    seq = np.zeros(out, np.int64)
    if out > 1:
        t = sample.dtype.type
        alpha = t(size - pool) / t(out - 1)
        for i in range(out - 1):
            seq[i] = int(t(t(i) + sample) * alpha) - int(t(sample * alpha))
    if out > 0:
        seq[out - 1] = size - pool
    return seq


def _fractional(n, input, kernel_size, output_size, output_ratio, return_indices, samples):
    import torchjax as T
    name = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if n == 2 and len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a single "
                             "Int or tuple of Ints.")
        ratio = (tuple(output_ratio) if isinstance(output_ratio, (list, tuple)) else
                 (output_ratio,) * n)
        output_size = [int(input.size(-n + d) * ratio[d]) for d in range(n)]
    if samples is None:
        nb = 1 if input.dim() == n + 1 else input.size(0)
        samples = T.rand(nb, input.size(-n - 1), n, dtype=input.dtype, device=input.device)
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    k = _pool_arg(kernel_size, n, "kernel_size", name)
    out = _pool_arg(output_size, n, "output_size", name)
    size = tuple(input.shape[-n:])
    what = ("time", "height", "width")[3 - n:]
    for d in range(n):
        if out[d] + k[d] - 1 > size[d]:
            raise RuntimeError(f"{name}_out(): pool {what[d]} {k[d]} too large relative to input "
                               f"{what[d]} {size[d]}")
    nb = 1 if input.dim() == n + 1 else input.size(0)
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.dim()}")
    if samples.size(0) < nb:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.size(1) != input.size(-n - 1):
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.size(2) != n:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got {samples.size(2)}.")
    smp = samples.detach().numpy()[:nb]
    order = list(reversed(range(n))) if n == 2 else list(range(n))  # 2d: sample 0 is width
    index = np.empty(smp.shape[:2] + (int(np.prod(out)), int(np.prod(k))), np.int64)
    for b in range(smp.shape[0]):
        for c in range(smp.shape[1]):
            starts = [_intervals(smp[b, c, order[d]], size[d], out[d], k[d]) for d in range(n)]
            index[b, c] = _windows(size, starts, k, (1,) * n)[0]
    if input.dim() == n + 1:
        index = index[0]
    res, idx = call(OPS[f"_fractional_max_pool{n}d"], (input, T.from_numpy(index)), (out,))
    return (res, idx) if return_indices else res


@composite(method=False, namespace=F)
def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


@composite(method=False, namespace=F)
def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices,
                       _random_samples)


@composite(method=False, namespace=F)
def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return _fractional(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


@composite(method=False, namespace=F)
def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    return _fractional(3, input, kernel_size, output_size, output_ratio, True, _random_samples)


# ---------------------------------------------------------------- max unpooling, lp pooling

for _n in (2, 3):
    def _unpool(input, indices, output_size, _n=_n):
        if not _isf(input):
            _not_impl(f"max_unpool{_n}d", input)
        lead = input.shape[:-_n]
        size = int(np.prod(output_size))
        flat = input.reshape(lead + (math.prod(input.shape[-_n:]),))
        idx = indices.reshape(flat.shape)
        out = jnp.zeros(lead + (size,), input.dtype)
        rows = jnp.indices(idx.shape)[:-1]
        at = out.at[(*rows, idx)]
        # value: the scatter; gradient: torch's gather of grad_output (duplicates each get it)
        add = at.add(flat, mode="drop")
        out = lax.stop_gradient(at.set(flat, mode="drop")) + add - lax.stop_gradient(add)
        return out.reshape(lead + tuple(output_size))
    op(tensors=("input", "indices"), promote=False, method=False, function=False,
       name=f"_max_unpool{_n}d", grad=f"MaxUnpool{_n}DBackward0")(_unpool)


def _unpool_size(n, input, kernel_size, stride, padding, output_size):
    """torch's _unpool_output_size: the spatial output size, default or checked."""
    k, s, p, _ = _pool_args(n, f"max_unpool{n}d", kernel_size, stride, padding)
    sp = input.shape[-n:]
    default = [(i - 1) * ss - 2 * pp + kk for i, ss, pp, kk in zip(sp, s, p, k)]
    if output_size is None:
        out = default
    else:
        out = output_size[2:] if len(output_size) == n + 2 else output_size
        if len(out) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(out)}'")
        for d in range(n):
            lo, hi = default[d] - s[d], default[d] + s[d]
            if not lo < out[d] < hi:
                raise ValueError(f'invalid output_size "{out}" (dim {d} must be between '
                                 f'{lo} and {hi})')
    for d in range(n):
        if out[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={out[d]}")
    return tuple(int(v) for v in out)


def _max_unpool(n, input, indices, out):
    """torch's max_unpooling{n}d checks, then the op."""
    if indices.dtype != D.int64:
        raise RuntimeError("elements in indices should be type int64" +
                           (f" but got: {D.SCALAR_NAME[indices.dtype]}" if n == 2 else ""))
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"Input to max_unpooling{n}d should be a {n + 1}d or {n + 2}d Tensor, "
                           f"but got a tensor with {input.dim()} dimensions.")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor ("
                           f"{list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"max_unpooling{n}d_forward_out_cpu(): Expected input to have "
                               f"non-zero size for non-batch dimensions, but got "
                               f"{list(input.shape)} with dimension {i} being empty.")
    total = math.prod(out)
    if indices.numel() and (int(indices.max()) >= total or int(indices.min()) < 0):
        bad = int(indices.max()) if int(indices.max()) >= total else int(indices.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, out))})")
    return call(OPS[f"_max_unpool{n}d"], (input, indices), (out,))


def _max_unpool_nd(n, input, indices, kernel_size, stride, padding, output_size):
    out = _unpool_size(n, input, kernel_size, stride, padding, output_size)
    if n == 1:  # torch's: max_unpool2d of (..., L, 1)
        return _max_unpool(2, input.unsqueeze(-1), indices.unsqueeze(-1), out + (1,)).squeeze(-1)
    return _max_unpool(n, input, indices, out)


def _max_unpool_fn(n):
    def f(input, indices, kernel_size, stride=None, padding=0, output_size=None):
        return _max_unpool_nd(n, input, indices, kernel_size, stride, padding, output_size)
    return f


for _n in (1, 2, 3):
    composite(method=False, namespace=F, name=f"max_unpool{_n}d")(_max_unpool_fn(_n))


def _lp_pool(n, input, norm_type, kernel_size, stride, ceil_mode):
    import torchjax as T
    k = _pool_arg(kernel_size, n, "kernel_size", f"lp_pool{n}d")
    if norm_type in (math.inf, -math.inf):
        mp = NAMESPACES[F][f"max_pool{n}d"]
        if norm_type > 0:
            return mp(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -mp(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[n - 1]
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    kw = int(np.prod(k))
    return (T.sign(out) * T.relu(T.abs(out))).mul(kw).pow(1.0 / norm_type)


@composite(method=False, namespace=F)
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


@composite(method=False, namespace=F)
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


@composite(method=False, namespace=F)
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


# ---------------------------------------------------------------- unfold / fold

def _col_grid(size, k, d, p, s):
    return tuple((L + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for L, kk, dd, pp, ss in
                 zip(size, k, d, p, s))


@op(promote=False, method=False, function=False, name="_im2col", grad="Im2ColBackward0")
def _im2col(input, kernel_size, dilation, padding, stride):
    if input.ndim not in (3, 4) or any(v == 0 for v in input.shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(input.shape)}")
    outs = _col_grid(input.shape[-2:], kernel_size, dilation, padding, stride)
    if min(outs) < 1:
        raise RuntimeError(f"Given input with spatial size ({input.shape[-2]}, "
                           f"{input.shape[-1]}), kernel_size=({kernel_size[0]}, {kernel_size[1]}), "
                           f"dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, "
                           f"{padding[1]}), calculated shape of the array of sliding blocks as "
                           f"({outs[0]}, {outs[1]}), but its components must be at least one.")
    if not _isf(input) and input.dtype != jnp.bool_:
        _not_impl("im2col_out_cpu", input)
    xp = _pad_to(input, 2, outs, kernel_size, stride, padding, dilation, 0)
    cols = jnp.stack([_strided(xp, 2, start, outs, stride)
                      for start in _offsets(kernel_size, dilation)], -3)  # (..., C, K, *outs)
    return cols.reshape(input.shape[:-3] + (cols.shape[-4] * cols.shape[-3], outs[0] * outs[1]))


@op(promote=False, method=False, function=False, name="_col2im", grad="Col2ImBackward0")
def _col2im(input, output_size, kernel_size, dilation, padding, stride):
    kk = kernel_size[0] * kernel_size[1]
    if input.ndim not in (2, 3) or any(v == 0 for v in input.shape[1:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           f"size and non-zero dimensions for input, but got: {list(input.shape)}")
    if input.shape[-2] % kk:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={input.shape[-2]} and "
                           f"kernel_size=({kernel_size[0]}, {kernel_size[1]}).")
    outs = _col_grid(output_size, kernel_size, dilation, padding, stride)
    if min(outs) < 1 or outs[0] * outs[1] != input.shape[-1]:
        raise RuntimeError(f"Given output_size=({output_size[0]}, {output_size[1]}), "
                           f"kernel_size=({kernel_size[0]}, {kernel_size[1]}), dilation=("
                           f"{dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), "
                           f"stride=({stride[0]}, {stride[1]}), expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks "
                           f"{outs[0]} * {outs[1]} = {outs[0] * outs[1]}, but got "
                           f"input.size(2)={input.shape[-1]}.")
    if not _isf(input) and input.dtype != jnp.bool_:
        _not_impl("col2im_out_cpu", input)
    if input.dtype == jnp.bool_:  # sums of bools: any
        return _col2im(input.astype(jnp.float32), output_size, kernel_size, dilation, padding,
                       stride) != 0
    lead = input.shape[:-2] + (input.shape[-2] // kk,)
    # one piece per window element (a split: its gradient is one concatenation, not K pads)
    pieces = lax.split(input.reshape(lead + (kk,) + outs), (1,) * kk, len(lead))
    out = jnp.zeros(lead + tuple(output_size), input.dtype)
    for piece, start in zip(pieces, _offsets(kernel_size, dilation)):
        # element `start` of every block, spread at the stride into the (cropped) output
        cfg = [(0, 0, 0)] * len(lead)
        for a, o, L, pp, ss in zip(start, outs, output_size, padding, stride):
            cfg.append((a - pp, L - (a - pp) - (o - 1) * ss - 1, ss - 1))
        out = out + lax.pad(piece.reshape(lead + outs), jnp.zeros((), input.dtype), cfg)
    return out


def _pair(v):
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (int(v[0]),) * 2
        return tuple(int(x) for x in v)
    return (int(v),) * 2


@composite(method=False, namespace=F)
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    st = tuple(_pair(v) for v in (kernel_size, dilation, padding, stride))
    return call(OPS["_im2col"], (input,), st)


@composite(method=False, namespace=F)
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    st = tuple(_pair(v) for v in (output_size, kernel_size, dilation, padding, stride))
    return call(OPS["_col2im"], (input,), st)
