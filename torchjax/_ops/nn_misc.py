"""nn.functional shape-level ops: padding, embedding, one_hot, normalize, resampling
(interpolate), pixel/channel shuffle.

Non-constant padding and resampling are gathers through index vectors, or products with
per-axis weight matrices (linear / cubic / antialiased modes), computed on the host with torch's
exact index and weight rules, so values and gradients match torch's kernels."""
import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as _D
from .._tensor import Tensor
from .linalg import _vnorm
from .pointwise import _not_impl, _tname
from .registry import op, composite, call, OPS, NAMESPACES, _inplace
from .shape import _legacy

F = "nn.functional"


def _shape_str(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# ---------------------------------------------------------------- padding

@op(method=False, promote=False, saves=())
def constant_pad_nd(input, pad, value=0):
    if len(pad) % 2:
        raise RuntimeError("Length of pad must be even but instead it equals " + str(len(pad)))
    if len(pad) > 2 * input.ndim:
        raise RuntimeError(
            "Length of pad should be no more than twice the number of dimensions of the input. "
            f"Pad length is {len(pad)} while the input has {input.ndim} dimensions.")
    cfg = [(0, 0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        d = input.ndim - 1 - i
        lo, hi, size = pad[2 * i], pad[2 * i + 1], input.shape[d]
        # torch narrows negative pads first (left, then right): its narrow() error texts
        if lo < 0:
            size += lo
            if size < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        if hi < 0 and size + hi < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        cfg[d] = (lo, hi, 0)
    return lax.pad(input, jnp.asarray(value).astype(input.dtype), cfg)


def _pad_index(mode, size, lo, hi):
    """The input index each output position reads along one padded dim (torch's kernels)."""
    k = np.arange(size + lo + hi) - lo
    if mode == "reflect":
        k = np.abs(k)
        return np.where(k > size - 1, 2 * (size - 1) - k, k)
    if mode == "replicate":
        return np.clip(k, 0, size - 1)
    return _circular_index(size, lo, hi)


def _circular_index(size, lo, hi):
    """torch's _pad_circular: copy the interior, then the left and right wraps from the output."""
    n = size + lo + hi
    out = np.full(n, -1)
    out[max(lo, 0):n - max(hi, 0)] = np.arange(max(-lo, 0), size - max(-hi, 0))
    if lo > 0:
        src = n - lo - max(hi, 0)
        if src < lo:
            raise _overlap()
        out[:lo] = out[src:src + lo]
    if hi > 0:
        src = max(lo, 0)
        if src + hi > n - hi:
            raise _overlap()
        out[n - hi:] = out[src:src + hi]
    return out


def _overlap():
    return RuntimeError("unsupported operation: some elements of the input tensor and the "
                        "written-to tensor refer to a single memory location. Please clone() the "
                        "tensor before performing the operation.")


_KERNEL = {"reflect": "reflection_pad", "replicate": "replication_pad"}


def _pad_grad(key):
    pad, mode = key[0]
    if mode == "circular":
        return "CopySlices"
    return {"reflect": "ReflectionPad", "replicate": "ReplicationPad"}[mode] + \
        f"{len(pad) // 2}DBackward0"


def _check_pad(input, pad, mode):
    k, shape = len(pad) // 2, input.shape
    if mode == "circular":
        for i in range(k):
            size, lo, hi = shape[-1 - i], pad[2 * i], pad[2 * i + 1]
            if lo > size or hi > size:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if size + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        return
    if input.dtype == jnp.bool_:
        _not_impl(f"{_KERNEL[mode]}{k}d", input)
    if not ((input.ndim == k + 1 and all(shape)) or (input.ndim == k + 2 and all(shape[1:]))):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           f"batch size and other non-zero dimensions for input, but got: "
                           f"{_shape_str(shape)}")
    if mode == "reflect":
        for i in range(k):
            size, lo, hi = shape[-1 - i], pad[2 * i], pad[2 * i + 1]
            if lo >= size or hi >= size:
                raise RuntimeError(
                    f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                    f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                    f"{input.ndim - 1 - i} of input {_shape_str(shape)}")
    ins = shape[-k:]
    outs = [ins[-1 - i] + pad[2 * i] + pad[2 * i + 1] for i in range(k)][::-1]
    if all(o < 1 for o in outs):
        if k == 1:
            txt = f"input (W: {ins[0]}) is too small. Calculated output W: {outs[0]}"
        elif k == 2:
            sp = "" if mode == "reflect" else " "
            txt = (f"input (H: {ins[0]}, W: {ins[1]}{sp}) is too small. Calculated output "
                   f"H: {outs[0]} W: {outs[1]}")
        else:
            txt = (f"input (D: {ins[0]} H: {ins[1]}, W: {ins[2]}) is too small. Calculated "
                   f"output D: {outs[0]} H: {outs[1]} W: {outs[2]}")
        raise RuntimeError(txt)
    full = list(shape[:-k]) + outs
    if any(o < 0 for o in outs):
        if mode == "reflect" and k == 2:
            raise RuntimeError("numel: integer multiplication overflow")
        neg = next(o for o in outs if o < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg}: "
                           f"{_shape_str(full)}")


@op(method=False, function=False, promote=False, saves=(), grad=_pad_grad)
def _pad_nd(input, pad, mode):
    _check_pad(input, pad, mode)
    for i in range(len(pad) // 2):
        d = input.ndim - 1 - i
        idx = _pad_index(mode, input.shape[d], pad[2 * i], pad[2 * i + 1])
        input = jnp.take(input, jnp.asarray(idx, jnp.int32), axis=d)
    return input


_PAD_HELP = ("Supported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


@composite(method=False, namespace=F)
def pad(input, pad, mode="constant", value=None):
    pad = tuple(int(p) for p in pad)
    nd = input.dim()
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * nd:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{nd}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return call(OPS["constant_pad_nd"], (input,), (pad, 0 if value is None else value))
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if not (len(pad) in (2, 4, 6) and nd in (len(pad) // 2 + 1, len(pad) // 2 + 2)):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {nd}D input "
                                  f"tensor.\n{_PAD_HELP}")
    return call(OPS["_pad_nd"], (input,), (pad, mode))


# ---------------------------------------------------------------- embedding

@jax.custom_vjp
def _grad_scale(x, s):
    """x, with its gradient multiplied by s (padding rows: 0; scale_grad_by_freq: 1/count)."""
    return x


_grad_scale.defvjp(lambda x, s: (x, s), lambda s, g: (g * s.astype(g.dtype), None))


def _check_indices(indices, api):
    if indices.dtype not in (jnp.int64, jnp.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {_legacy(indices.dtype)} instead "
                           f"(while checking arguments for {api})")


@op(tensors=("weight", "indices"), promote=False, method=False, saves=("indices",))
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(indices, "embedding")
    rows = jnp.take(weight, indices.reshape(-1), axis=0)
    if jnp.issubdtype(weight.dtype, jnp.inexact) and (padding_idx >= 0 or scale_grad_by_freq):
        flat = indices.reshape(-1)
        s = jnp.ones(flat.shape, weight.dtype)
        if scale_grad_by_freq:
            s = s / jnp.zeros(weight.shape[0], weight.dtype).at[flat].add(1)[flat]
        s = jnp.where(flat == padding_idx, 0, s)[:, None]
        rows = _grad_scale(rows, s)
    return rows.reshape(indices.shape + weight.shape[1:])


def _index_range(targs, statics):
    """torch's 'index out of range in self' (checked on the host: values are data)."""
    weight, idx = targs[0], targs[1]
    if weight.dim() == 2 and idx.numel():  # a bad weight raises torch's error when traced
        v = np.asarray(idx._value)
        if v.min() < 0 or v.max() >= weight.shape[0]:
            raise IndexError("index out of range in self")


OPS["embedding"].value_check = _index_range


@op(tensors=("input", "indices"), promote=False, method=False, function=False)
def _embedding_renorm(input, indices, max_norm, norm_type):
    flat = indices.reshape(-1)
    used = jnp.zeros(input.shape[0], bool).at[flat].set(True)
    n = _vnorm(input, norm_type, (1,), True)
    scale = jnp.asarray(max_norm, input.dtype) / (n + jnp.asarray(1e-7, input.dtype))
    return jnp.where(used[:, None] & (n > max_norm), input * scale, input)


OPS["_embedding_renorm"].value_check = _index_range


def embedding_renorm_(input, indices, max_norm, norm_type):
    return _inplace(OPS["_embedding_renorm"], (input, indices), (max_norm, norm_type))


NAMESPACES[""]["embedding_renorm_"] = embedding_renorm_


def _padding_idx(padding_idx, num):
    if (padding_idx > 0 and padding_idx >= num) or padding_idx < -num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num if padding_idx < 0 else padding_idx


@composite(method=False, namespace=F, name="embedding")
def _f_embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False):
    padding_idx = -1 if padding_idx is None else _padding_idx(padding_idx, weight.size(0))
    if max_norm is not None:
        from ..autograd.grad_mode import no_grad
        with no_grad():
            embedding_renorm_(weight, input, max_norm, norm_type)
    return call(OPS["embedding"], (weight, input), (padding_idx, scale_grad_by_freq, sparse))


# ---------------------------------------------------------------- one_hot, normalize

@op(tensors=("tensor",), promote=False, method=False, function=False, differentiable=False)
def one_hot(tensor, num_classes=-1):
    return (tensor[..., None] == jnp.arange(num_classes, dtype=tensor.dtype)).astype(jnp.int64)


def _one_hot_check(t, n):
    if t.dtype != _D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if t.numel() == 0:
        if n == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return
    v = np.asarray(t._value)
    if v.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if n != -1 and v.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")


@composite(method=False, namespace=F, name="one_hot")
def _f_one_hot(tensor, num_classes=-1):
    _one_hot_check(tensor, num_classes)
    if num_classes == -1:
        num_classes = int(np.asarray(tensor._value).max()) + 1
    return call(OPS["one_hot"], (tensor,), (num_classes,))


@op(method=False, function=False, promote=False, grad="DivBackward0", saves=())
def _normalize(input, p, dim, eps):
    from .linalg import _vnorm_checks
    axes = _vnorm_checks(input, p, dim, None)
    n = _vnorm(input, p, axes, True)
    # norm.clamp_min(eps): a NaN norm stays NaN
    return input / jnp.where(n < eps, jnp.asarray(eps, n.dtype), n).astype(input.dtype)


@composite(method=False, namespace=F)
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    return call(OPS["_normalize"], (input,), (p, dim, eps), out)


# ---------------------------------------------------------------- interpolate / upsample

def _opmath_np(dtype):
    return np.float64 if dtype == jnp.float64 else np.float32


def _scale_value(scale, insz, outsz, t):
    """torch's compute_scales_value: 1/scale_factor when given, else in/out."""
    return t(1.0 / scale) if scale is not None and scale > 0 else t(insz) / t(outsz)


def _nearest_index(insz, outsz, scale, exact):
    s = _scale_value(scale, insz, outsz, np.float32)
    j = np.arange(outsz)
    if exact:  # area_pixel_compute_source_index (clamped at 0), then floor(x + 0.5)
        src = np.maximum(s * (j.astype(np.float32) + np.float32(0.5)) - np.float32(0.5), 0)
        src = np.floor(src + np.float32(0.5))
    else:
        src = np.floor(j.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), insz - 1)


def _cubic_coeffs(t):
    A = -0.75
    c1 = lambda x: ((A + 2) * x - (A + 3)) * x * x + 1
    c2 = lambda x: ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]


def _interp_matrix(insz, outsz, scale, align, cubic, t):
    """(out, in) weights of torch's linear / cubic upsampling along one dim (opmath type t)."""
    if align:
        s = t(insz - 1) / t(outsz - 1) if outsz > 1 else t(0)
    else:
        s = _scale_value(scale, insz, outsz, t)
    j = np.arange(outsz).astype(t)
    real = s * j if align else s * (j + t(0.5)) - t(0.5)
    if not align and not cubic:
        real = np.maximum(real, t(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), insz - 1)  # guard_index_and_lambda
    lam = np.clip(real - i0.astype(t), t(0), t(1))
    m = np.zeros((outsz, insz), t)
    rows = np.arange(outsz)
    if cubic:
        for k, w in enumerate(_cubic_coeffs(lam)):
            np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, insz - 1)), w)
    else:
        np.add.at(m, (rows, i0), t(1) - lam)
        np.add.at(m, (rows, i0 + (i0 < insz - 1)), lam)
    return m


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def _take_vjp(x, idx, bidx, axis):
    """A gather along axis whose gradient scatters through bidx (torch's nearest backward
    kernel computes its indices differently from the forward)."""
    return jnp.take(x, idx, axis=axis)


def _take_fwd(x, idx, bidx, axis):
    return jnp.take(x, idx, axis=axis), (x.shape, bidx)


def _take_bwd(axis, res, g):
    shape, bidx = res
    g = jnp.moveaxis(g, axis, 0)
    gx = jnp.zeros((shape[axis],) + g.shape[1:], g.dtype).at[bidx].add(g)
    return jnp.moveaxis(gx, 0, axis), None, None


_take_vjp.defvjp(_take_fwd, _take_bwd)


_UP_NAMES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear",
             "bilinear": "Bilinear", "bicubic": "Bicubic", "trilinear": "Trilinear"}


def _upsample_grad(key):
    output_size, scales, mode, align = key[0]
    return f"Upsample{_UP_NAMES[mode]}{len(output_size)}DBackward0"


def _upsample_checks(input, output_size, mode, aa=False):
    k = len(output_size)
    ins = input.shape[2:]
    if any(s <= 0 for s in ins) or any(s <= 0 for s in output_size):
        names = "DHW"[3 - k:]
        fmt = lambda sz: ", ".join(f"{n}: {s}" for n, s in zip(names, sz))
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"({fmt(ins)}){' and' if k == 1 else ''} output ({fmt(output_size)})")
    if not all(input.shape[1:]):
        raise RuntimeError(f"Non-empty {k + 2}D data tensor expected but got a tensor with sizes "
                           f"{_shape_str(input.shape)}")
    if aa:  # the aa kernels copy an unchanged shape before dispatching on the dtype
        if input.dtype not in (jnp.float32, jnp.float64, jnp.uint8) and tuple(ins) != output_size:
            _not_impl("compute_index_ranges_weights", input)
        return
    if jnp.issubdtype(input.dtype, jnp.floating):
        return
    if input.dtype == jnp.uint8 and mode in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        return
    if k == 2 and mode in ("nearest", "nearest-exact", "bilinear"):
        kernel = f"upsample_{mode.split('-')[0]}2d_channels_last"
    else:
        kernel = "compute_indices_weights_" + ("cubic" if mode == "bicubic" else
                                               "nearest" if mode.startswith("nearest") else
                                               "linear")
    _not_impl(kernel, input)


@op(method=False, function=False, promote=False, saves=(), grad=_upsample_grad)
def _upsample(input, output_size, scales, mode, align_corners):
    _upsample_checks(input, output_size, mode)
    k = len(output_size)
    scales = scales or (None,) * k
    x = input
    # torch's bicubic backward kernel copies the gradient when no size changes
    same = mode == "bicubic" and tuple(input.shape[2:]) == tuple(output_size)
    if not mode.startswith("nearest"):
        t = _opmath_np(input.dtype)
        x = lax.stop_gradient(input).astype(t) if same else input.astype(t)
    for i in range(k):
        d = input.ndim - k + i
        insz, outsz = input.shape[d], output_size[i]
        if mode.startswith("nearest"):
            idx = bidx = _nearest_index(insz, outsz, scales[i], mode == "nearest-exact")
            if mode == "nearest" and outsz in (insz, 2 * insz):
                # torch's nearest_idx special-cases these sizes: in every backward kernel, and
                # in the 2d forward kernel only
                bidx = np.arange(outsz) // (outsz // insz)
                if k == 2:
                    idx = bidx
            x = _take_vjp(x, jnp.asarray(idx, jnp.int32), jnp.asarray(bidx, jnp.int32), d)
        elif insz == outsz and mode != "bicubic":  # torch's linear kernels copy equal sizes
            continue
        else:
            m = jnp.asarray(_interp_matrix(insz, outsz, scales[i], align_corners,
                                           mode == "bicubic", t))
            x = jnp.moveaxis(jnp.tensordot(x, m, axes=((d,), (1,)),
                                           precision=lax.Precision.HIGHEST), -1, d)
    if input.dtype == jnp.uint8 and not mode.startswith("nearest"):
        x = jnp.clip(jnp.round(x), 0, 255)
    x = x.astype(input.dtype)
    return _identity_grad(input, x) if same else x


@jax.custom_vjp
def _identity_grad(x, y):
    """y, with the gradient passed to x unchanged (same shapes)."""
    return y


_identity_grad.defvjp(lambda x, y: (y, None), lambda _, g: (g, None))


# antialiased resampling (torch's _upsample_{bilinear,bicubic,lanczos}2d_aa, PIL's algorithm): per
# output index a filter window of taps/2 input pixels, widened by the scale when downsampling,
# weights normalised to sum 1; one (out, in) weight matrix per axis, width first then height.

_AA_TAPS = {"bilinear": 2, "bicubic": 4, "lanczos": 6}


def _aa_filter(mode, x, t):
    """torch's aa filters at |x|, in type t as its AVX2 build computes them: fused multiply-adds
    in the cubic, float32 sin as a rounded double sin."""
    x, f64 = np.abs(x), np.float64
    if mode == "bilinear":
        return np.where(x < 1, t(1) - x, t(0))
    if mode == "bicubic":  # Keys' cubic with a = -0.5 (PIL's)
        wide = np.longdouble if t is f64 else f64  # exact products here (x87 or wider)
        fma = lambda a, b, c: (wide(a) * b.astype(wide) + wide(c)).astype(t)
        c1 = fma(fma(1.5, x, -2.5) * x, x, 1.0)
        c2 = fma(fma(fma(-0.5, x, 2.5), x, -4.0), x, 2.0)
        return np.where(x < 1, c1, np.where(x < 2, c2, t(0)))
    with np.errstate(divide="ignore", invalid="ignore"):  # lanczos: sinc(x) * sinc(x / 3.0)
        px = (x * t(np.pi)).astype(t)
        s1 = np.where(x == 0, t(1), np.sin(f64(px)).astype(t) / px)
        v = f64(x) / 3.0 * np.pi  # a double sinc
        s2 = np.where(x == 0, 1.0, np.sin(v) / v)
        return np.where(x < 3, (f64(s1) * s2).astype(t), t(0))


def _aa_matrix(insz, outsz, scale, align, mode, t):
    """(out, in) weights of torch's _compute_indices_min_size_weights_aa, with its mixed
    float/double arithmetic (t: the weights' type)."""
    if align:
        s = t(insz - 1) / t(outsz - 1) if outsz > 1 else t(0)
    else:
        s = _scale_value(scale, insz, outsz, t)
    half = _AA_TAPS[mode] * 0.5
    support = t(half * float(s)) if s >= 1 else t(half)
    invscale = float(t(1.0 / float(s))) if s >= 1 else 1.0
    center = (float(s) * (np.arange(outsz) + 0.5)).astype(t)
    f64 = lambda v: v.astype(np.float64)  # "+ 0.5" is a double operation in torch
    xmin = np.maximum(np.trunc(f64(center - support) + 0.5).astype(np.int64), 0)
    xmax = np.minimum(np.trunc(f64(center + support) + 0.5).astype(np.int64), insz)
    xsize = np.clip(xmax - xmin, 0, int(np.ceil(support)) * 2 + 1)
    idx = xmin[:, None] + np.arange(xsize.max(initial=0))
    used = idx < (xmin + xsize)[:, None]
    arg = ((f64(idx.astype(t) - center[:, None]) + 0.5) * invscale).astype(t)
    w = np.where(used, _aa_filter(mode, arg, t), t(0)).astype(t)
    total = np.cumsum(w, axis=1, dtype=t)[:, -1:] if w.size else np.ones((outsz, 1), t)
    w = np.where(total != 0, w / np.where(total != 0, total, t(1)), w).astype(t)
    m = np.zeros((outsz, insz), t)
    rows = np.broadcast_to(np.arange(outsz)[:, None], idx.shape)
    m[rows[used], idx[used]] = w[used]
    return m


def _int16_weights(m):
    """torch's uint8 path: float64 weights as int16 at the largest precision (< 22 bits) that
    keeps the biggest weight in range."""
    wmax = m.max()
    p = next((p for p in range(22) if int(0.5 + wmax * (1 << (p + 1))) >= 1 << 15), 22)
    v = m * (1 << p)
    return np.trunc(v + np.where(v < 0, -0.5, 0.5)).astype(np.int32), p


def _sep2d(x, mh, mw):
    """x (N, C, H, W) resampled along W by mw (W', W), then along H by mh (H', H); None: skip."""
    hp = lax.Precision.HIGHEST
    if mw is not None:
        x = jnp.tensordot(x, mw, axes=((3,), (1,)), precision=hp)
    if mh is not None:
        x = jnp.moveaxis(jnp.tensordot(x, mh, axes=((2,), (1,)), precision=hp), -1, 2)
    return x


@jax.custom_vjp
def _aa_resample(x, fwd, bwd):
    """_sep2d(x, *fwd), with the gradient of _sep2d(x, *bwd): torch's aa backward kernel computes
    the weights of every axis, while its forward skips unchanged axes and repeats the first row
    for a width-1 output."""
    return _sep2d(x, *fwd)


def _aa_fwd(x, fwd, bwd):
    return _sep2d(x, *fwd), bwd


def _aa_bwd(bwd, g):
    return _sep2d(g, bwd[0].T, bwd[1].T), None, None


_aa_resample.defvjp(_aa_fwd, _aa_bwd)


def _u8_pass(x, m, axis):
    q, p = _int16_weights(m)
    y = jnp.tensordot(x.astype(jnp.int32), jnp.asarray(q), axes=((axis,), (1,)),
                      preferred_element_type=jnp.int32)
    y = jnp.moveaxis(y, -1, axis)
    return jnp.clip((y + (1 << (p - 1))) >> p, 0, 255).astype(jnp.uint8)


def _aa_grad(key):
    return f"Upsample{key[0][1].capitalize()}2DAaBackward0"


@op(method=False, function=False, promote=False, saves=(), grad=_aa_grad)
def _upsample_aa(input, output_size, mode, align_corners, scales):
    _upsample_checks(input, output_size, mode, aa=True)
    (h, w), (oh, ow) = input.shape[2:], output_size
    scales = scales or (None, None)
    u8 = input.dtype == jnp.uint8
    t = np.float64 if u8 or input.dtype == jnp.float64 else np.float32
    mh, mw = (_aa_matrix(i, o, sc, align_corners, mode, t)
              for i, o, sc in ((h, oh, scales[0]), (w, ow, scales[1])))
    # torch's generic kernel (floats; uint8 with more than 4 channels, else its AVX kernel runs)
    # copies row 0 of the height pass into every row of a width-1 output
    generic = not u8 or input.shape[1] > 4
    fh = None if oh == h else (np.repeat(mh[:1], oh, 0) if generic and ow == 1 else mh)
    fw = None if ow == w else mw
    if u8:
        if input.shape[1] == 3 and (oh, ow) == (1, 1) and fh is not None:
            raise RuntimeError("num_channels == unpacked_output.size(0) INTERNAL ASSERT FAILED at "
                               "\"/__w/pytorch/pytorch/aten/src/ATen/native/cpu/UpSampleKernelAVX"
                               "Antialias.h\":269, please report a bug to PyTorch. ")
        x = input if fw is None else _u8_pass(input, fw, 3)
        return x if fh is None else _u8_pass(x, fh, 2)
    if fh is None and fw is None and input.dtype not in (jnp.float32, jnp.float64):
        return input  # an unchanged shape of any dtype is copied
    return _aa_resample(input, (fh, fw), (mh, mw))


_LINEAR_DIM = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _is_int(v):
    return isinstance(v, (int, np.integer)) or (isinstance(v, Tensor) and
                                                 not v.is_floating_point())


@composite(method=False, namespace=F)
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(s) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                    f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    "format and scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(spatial[i] * scales[i]) for i in range(dim)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if output_size is None:  # torch's compute_output_size: truncate input * scale
        output_size = [int(spatial[i] * scales[i]) for i in range(dim)]
    nd = input.dim()
    if nd == 4 and mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if antialias and nd == 4 and mode in _AA_TAPS:
        return call(OPS["_upsample_aa"], (input,), (tuple(output_size), mode,
                                                    bool(align_corners), scales and tuple(scales)))
    if nd in (3, 4, 5) and mode in ("nearest", "nearest-exact"):
        return call(OPS["_upsample"], (input,), (tuple(output_size), scales and tuple(scales),
                                                 mode, None))
    if nd in (3, 4, 5) and mode == "area":
        return NAMESPACES[F][f"adaptive_avg_pool{nd - 2}d"](input, output_size)
    want = _LINEAR_DIM.get(mode)
    if want is not None and nd == want:
        return call(OPS["_upsample"], (input,), (tuple(output_size), scales and tuple(scales),
                                                 mode, bool(align_corners)))
    if want is not None and nd in (3, 4, 5) and mode != "bicubic":
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {want}D input")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                              f"{nd}D) for the modes: {_MODES} (got {mode})")


@composite(method=False, namespace=F)
def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    import warnings
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


@composite(method=False, namespace=F)
def upsample_nearest(input, size=None, scale_factor=None):
    import warnings
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


@composite(method=False, namespace=F)
def upsample_bilinear(input, size=None, scale_factor=None):
    import warnings
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------- pixel / channel shuffle

def _shuffle_checks(input, factor, api, what):
    if input.ndim < 3:
        raise RuntimeError(f"{api} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{api} expects a positive {what}, but got {factor}")


@op(namespace=("", F), method=False, saves=(), promote=False)
def pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    _shuffle_checks(input, r, "pixel_shuffle", "upscale_factor")
    *b, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    n = len(b)
    x = input.reshape(*b, c // (r * r), r, r, h, w)
    x = x.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*b, c // (r * r), h * r, w * r)


@op(namespace=("", F), method=False, saves=(), promote=False)
def pixel_unshuffle(input, downscale_factor):
    r = downscale_factor
    _shuffle_checks(input, r, "pixel_unshuffle", "downscale_factor")
    *b, c, h, w = input.shape
    for name, d, s in (("height", -2, h), ("width", -1, w)):
        if s % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({d})={s} is not divisible by {r}")
    n = len(b)
    x = input.reshape(*b, c, h // r, r, w // r, r)
    x = x.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*b, c * r * r, h // r, w // r)


@op(namespace=("", F), method=False, saves=(), promote=False)
def channel_shuffle(input, groups):
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {_shape_str(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and "
                           f"{groups} groups.")
    x = input.reshape(n, groups, c // groups, *rest).swapaxes(1, 2)
    return x.reshape(input.shape)


# ---------------------------------------------------------------- embedding_bag

@op(tensors=("weight", "indices", "offsets", "per_sample_weights"), promote=False, method=False,
    function=False, grad="EmbeddingBagBackward0")
def _embedding_bag(weight, indices, offsets, per_sample_weights, scale_grad_by_freq, mode,
                   include_last_offset, padding_idx):
    n, nb = indices.shape[0], offsets.shape[0] - (1 if include_last_offset else 0)
    pos = jnp.arange(n)
    seg = jnp.searchsorted(offsets[:nb], pos, side="right") - 1
    end = offsets[-1] if include_last_offset else n
    keep = (pos < end) & (indices != padding_idx)
    seg = jnp.where(keep, seg, nb)  # dropped entries go to an extra segment
    rows = jnp.take(weight, indices, axis=0)
    if scale_grad_by_freq and mode != 2 and n:
        # torch's CPU backward divides the u-th distinct index's rows by counts[sorted[u]] (it
        # indexes the sorted indices by the group number), not by that index's own count
        count = jnp.zeros(weight.shape[0], weight.dtype).at[indices].add(1)
        srt = jnp.sort(indices)
        group = jnp.cumsum(jnp.concatenate([jnp.zeros(1, srt.dtype), srt[1:] != srt[:-1]]))
        rows = _grad_scale(rows, (1 / count[srt[group[jnp.searchsorted(srt, indices)]]])[:, None])
    if per_sample_weights is not None:
        rows = rows * per_sample_weights[:, None].astype(rows.dtype)
    if mode == 2:  # max: the gradient goes to the first maximum of each bag and feature
        m = jax.ops.segment_max(rows, seg, nb + 1)
        first = jax.ops.segment_min(jnp.where(rows == m[seg], pos[:, None], n), seg, nb + 1)
        rows = jnp.where(pos[:, None] == first[seg], rows, 0)
    out = jax.ops.segment_sum(rows, seg, nb + 1)[:nb]
    if mode == 1:
        cnt = jax.ops.segment_sum(keep.astype(weight.dtype), seg, nb + 1)[:nb]
        out = out / jnp.maximum(cnt, 1)[:, None]
    return out


def _bag_check(targs, statics):
    weight, indices, offsets = targs[:3]
    n, num = indices.numel(), weight.shape[0]
    off = np.asarray(offsets._value)
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {off[0]}\n"
                           f"[ {_legacy(offsets._value.dtype)}{{}} ]")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {off[-1]}")
    v = np.asarray(indices._value)
    bad = np.nonzero((v < 0) | (v >= num))[0]
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {v[bad[0]]} which is not in the "
                           f"valid range [0, {num})")


OPS["_embedding_bag"].value_check = _bag_check


@composite(method=False, namespace=F)
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    if weight.dtype == _D.int64 and input.is_floating_point():
        import warnings
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        offsets = NAMESPACES[""]["arange"](0, input.numel(), input.size(1), dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    modes = {"sum": 0, "mean": 1, "max": 2}
    if mode not in modes:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        from ..autograd.grad_mode import no_grad
        with no_grad():
            embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    _check_indices(input._value, "embedding_bag")
    num = weight.size(0)
    if padding_idx is not None and not -num <= padding_idx < num:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} "
                           f"through {num - 1}, but got {padding_idx}")
    pad = -1 if padding_idx is None else padding_idx % num
    return call(OPS["_embedding_bag"], (weight, input, offsets, per_sample_weights),
                (scale_grad_by_freq, modes[mode], include_last_offset, pad))


# ---------------------------------------------------------------- affine_grid / grid_sample

def _neg_one_to_one(n, align, dt):
    if n <= 1:
        return jnp.zeros((1,), dt)
    r = jnp.linspace(-1, 1, n, dtype=dt)
    return r if align else r * ((n - 1) / n)


@op(tensors=("theta",), promote=False, method=False, saves=())
def affine_grid_generator(theta, size, align_corners):
    n, sp = size[0], size[2:]
    if theta.shape[0] != n:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {len(sp) + 1}] but got: [{theta.shape[0]}, {len(sp) + 1}].")
    axes = [_neg_one_to_one(s, align_corners, theta.dtype) for s in sp]
    mesh = jnp.meshgrid(*axes, indexing="ij")  # (D,) H, W
    base = jnp.stack([*mesh[::-1], jnp.ones(mesh[0].shape, theta.dtype)], -1)  # x, y, (z), 1
    grid = jnp.matmul(base.reshape(1, -1, len(sp) + 1), jnp.swapaxes(theta, 1, 2),
                      precision=lax.Precision.HIGHEST)
    return grid.reshape(n, *sp, len(sp))


_GRID_WARN = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
              "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
              "See the documentation of grid_sample for details.")


def _warn(msg):
    import warnings
    warnings.warn(msg, stacklevel=3)


@composite(method=False, namespace=F)
def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        _warn(_GRID_WARN)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(size[2:]) == 1:
        _warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
              "align_corners=True. This is not an intended use case of affine_grid. See the "
              "documentation of affine_grid for details.")
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    return call(OPS["affine_grid_generator"], (theta,), (tuple(size), bool(align_corners)))


def _clip(x, hi):
    """torch's clip_coordinates (the bounds count as outside: gradient 0 there)."""
    return jnp.where(x <= 0, 0, jnp.where(x >= hi, hi, x))


def _reflect(x, twice_low, twice_high):
    if twice_low == twice_high:
        return jnp.zeros_like(x)
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    x = x - lo
    x = jnp.where(x < 0, -x, x)
    extra = jnp.fmod(x, span)
    flips = jnp.floor(x / span)
    return jnp.where(jnp.fmod(flips, 2) == 0, extra + lo, span - extra + lo)


def _source_coord(coord, size, padding_mode, align):
    x = ((coord + 1) / 2) * (size - 1) if align else ((coord + 1) * size - 1) / 2
    return _pad_coord(x, size, padding_mode, align)


def _pad_coord(x, size, padding_mode, align):
    if padding_mode == 1:
        x = _clip(x, size - 1)
    elif padding_mode == 2:
        x = _reflect(x, 0, 2 * (size - 1)) if align else _reflect(x, -1, 2 * size - 1)
        x = _clip(x, size - 1)
    return x


def _gather(flat, idx):
    """flat (N, C, L) at idx (N, P) -> (N, C, P)."""
    return jnp.take_along_axis(flat, idx[:, None, :], axis=2)


def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    k = input.ndim - 2
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input)} but found {_tname(grid)}")
    if grid.shape[-1] != k:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {k} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    for d in range(2, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {d} being empty")
    if interpolation_mode == 2 and k != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not jnp.issubdtype(input.dtype, jnp.floating):
        _not_impl(f"grid_sampler_{k}d_cpu_kernel_impl", input)
    n, c, sizes = input.shape[0], input.shape[1], input.shape[2:]
    out_sp = grid.shape[1:-1]
    g = grid.reshape(n, -1, k)
    # source coordinates, spatial order (z,) y, x: grid's last dim is x, y, (z)
    src = [_source_coord(g[..., k - 1 - d], sizes[d], padding_mode, align_corners)
           for d in range(k)]
    flat = input.reshape(n, c, int(np.prod(sizes)))
    strides = [int(np.prod(sizes[d + 1:])) for d in range(k)]

    def corner(idx):
        ok = jnp.ones(idx[0].shape, bool)
        lin = 0
        for d in range(k):
            ok = ok & (idx[d] >= 0) & (idx[d] < sizes[d])
            lin = lin + jnp.clip(idx[d], 0, sizes[d] - 1) * strides[d]
        v = _gather(flat, lin.astype(jnp.int32))
        return jnp.where(ok[:, None, :], v, 0)

    if interpolation_mode == 2:  # bicubic: 4x4 taps, each tap's coordinate padded
        raw = [((g[..., k - 1 - d] + 1) / 2) * (sizes[d] - 1) if align_corners else
               ((g[..., k - 1 - d] + 1) * sizes[d] - 1) / 2 for d in range(k)]
        lo = [jnp.floor(r) for r in raw]
        cy, cx = (_cubic_coeffs(r - f) for r, f in zip(raw, lo))
        tap = lambda d, i: lax.stop_gradient(_pad_coord(lo[d] - 1 + i, sizes[d], padding_mode,
                                                        align_corners)).astype(jnp.int64)
        out = 0
        for i in range(4):
            for j in range(4):
                out = out + corner([tap(0, i), tap(1, j)]) * (cy[i] * cx[j])[:, None, :]
    elif interpolation_mode == 1:
        out = corner([jnp.round(s).astype(jnp.int64) for s in src])
    else:
        lo = [jnp.floor(s) for s in src]
        out = 0
        for bits in itertools.product((0, 1), repeat=k):
            w = 1
            for d, b in enumerate(bits):
                w = w * ((src[d] - lo[d]) if b else (lo[d] + 1 - src[d]))
            out = out + corner([(lo[d] + b).astype(jnp.int64) for d, b in
                                enumerate(bits)]) * w[:, None, :]
    return out.reshape(n, c, *out_sp)


for _k in (2, 3):
    op(tensors=("input", "grid"), promote=False, method=False, name=f"grid_sampler_{_k}d",
       grad=f"GridSampler{_k}DBackward0")(_grid_sampler)


@composite(method=False)
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    E = OPS["grid_sampler_3d" if input.dim() == 5 else "grid_sampler_2d"]
    return call(E, (input, grid), (interpolation_mode, padding_mode, align_corners))


@composite(method=False, namespace=F)
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn(_GRID_WARN)
        align_corners = False
    return grid_sampler(input, grid, *(
                (("bilinear", "nearest", "bicubic").index(mode),
                 ("zeros", "border", "reflection").index(padding_mode), bool(align_corners))))
