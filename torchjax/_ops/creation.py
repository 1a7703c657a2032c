"""Creation ops: ranges (arange/linspace/logspace with torch's exact CPU values), eye,
tril/triu_indices, complex/polar, and the Tensor.new_* methods.

Ranges are computed on the host with numpy reproducing torch's CPU kernels (including where those
kernels round in float32 vs double, fused multiply-adds and their 2x-vector blocks), then moved to
the device once."""
import builtins
import math
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._util import warn_user
from .registry import op, composite, call, OPS

_L = np.longdouble  # wide accumulator standing in for a fused multiply-add


def _scalar(v, name):
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise RuntimeError(f"{name} must be a scalar tensor")
        return v.item()
    return v


def _finish(arr, dtype, device, requires_grad, out):
    from .._creation import _finish as fin, _into
    t = fin(jnp.asarray(arr, dtype=dtype.np), device, requires_grad)
    return _into(out, t)


def range_out_warning(out, n):
    """torch's arange (and fftfreq, built on it) warns when a non-empty out= holds another number
    of elements."""
    if out is not None and out.numel() and out.numel() != n:
        warn_user(f"The number of elements in the out tensor of shape {list(out.shape)} is "
                      f"{out.numel()} which does not match the computed number of elements {n}. "
                      "Note that this may occur as a result of rounding error. The out tensor will "
                      f"be resized to a tensor of shape ({n},).")


def _check_range(start, end, step):
    for v in (start, end):
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {_fmt(start)} -> {_fmt(end)}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


def _fmt(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:g}"
    return str(v)


def _block_range(n, start, step, np_dt, acc, vec, fma):
    """start + step*i as torch's CPU arange kernel writes it: blocks of 2 vectors restart from a
    base rounded to the dtype, the tail is scalar."""
    i = np.arange(n, dtype=np.int64)
    A = _L if fma else acc
    pure = (A(start) + A(step) * i.astype(A)).astype(acc).astype(np_dt)
    nv = (n // (2 * vec)) * (2 * vec)
    if nv == 0:
        return pure
    head = i[:nv]
    base = (A(start) + A(step) * ((head // vec) * vec).astype(A)).astype(acc).astype(np_dt)
    B = _L if fma else acc
    v = (base.astype(B) + (head % vec).astype(B) * B(step)).astype(acc).astype(np_dt)
    pure[:nv] = v
    return pure


@composite(method=False)
def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    if end is None:
        start, end = 0, start
    start, end, step = _scalar(start, "start"), _scalar(end, "end"), _scalar(step, "step")
    if dtype is None and out is not None:
        dtype = out.dtype
    if dtype is None:
        dtype = D._default[0] if any(isinstance(v, float) for v in (start, end, step)) else D.int64
    if dtype is D.bool or dtype.is_complex:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{D.SCALAR_NAME[dtype]}'")
    if dtype._cat == 1 and int(step) == 0 and step != 0:
        raise ValueError("step must be nonzero")
    if dtype is D.int64:
        xs, xe, xst = int(start), int(end), int(step)
        _check_range(start, end, step)
        sgn = (xst > 0) - (xst < 0)
        q = xe - xs + xst - sgn
        n = abs(q) // abs(xst) * (1 if (q >= 0) == (xst > 0) else -1)
    else:
        _check_range(start, end, step)
        size_d = math.ceil((float(end) - float(start)) / float(step))
        if not size_d < 2 ** 63:
            raise RuntimeError("invalid size, possible overflow?")
        n = int(size_d)
        if dtype._cat == 1:
            xs, xst = int(start), int(step)
    n = max(n, 0)
    range_out_warning(out, n)
    if dtype._cat == 1:
        vals = (np.int64(xs) + np.int64(xst) * np.arange(n, dtype=np.int64)).astype(dtype.np)
    elif dtype is D.float64:
        vals = _block_range(n, float(start), float(step), np.float64, np.float64, 4, True)
    elif dtype is D.float32:
        vals = _block_range(n, float(start), float(step), np.float32, np.float64, 8, True)
    else:  # half types accumulate in float32
        vals = _block_range(n, np.float32(start), np.float32(step), dtype.np, np.float32, 16,
                            True)
    return _finish(vals, dtype, device, requires_grad, out)


@composite(method=False, name="range")
def _range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
                  "which produces values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    start, end, step = _scalar(start, "start"), _scalar(end, "end"), _scalar(step, "step")
    dtype = dtype or D._default[0]
    _check_range(start, end, step)
    n = int(math.floor((float(end) - float(start)) / float(step))) + 1
    i = np.arange(max(n, 0), dtype=np.float64)
    vals = (np.float64(start) + np.float64(step) * i)
    return _finish(vals.astype(dtype.np), dtype, device, requires_grad, out)


def _to_int(v):
    return int(v.real if isinstance(v, builtins.complex) else v)


def _lin_values(start, end, steps, dtype):
    """torch's linspace_kernel: halves computed from each end, step in the dtype (double for
    integer dtypes), one rounding per element (the compiler fuses the multiply-add)."""
    if steps == 0:
        return np.zeros((0,), dtype.np)
    i = np.arange(steps, dtype=np.int64)
    half = steps // 2
    if dtype.is_complex:
        cdt = dtype.np.type
        s, e = cdt(start), cdt(end)
        if steps == 1:
            return np.array([s], cdt)
        step = (e - s) / cdt(steps - 1)
        lo = s + step * i.astype(cdt)
        hi = e - step * (steps - i - 1).astype(cdt)
        return np.where(i < half, lo, hi).astype(cdt)
    if dtype._cat < 2:
        s, e = _to_int(start), _to_int(end)
        if steps == 1:
            return np.array([s]).astype(dtype.np)
        step = (np.float64(e) - np.float64(s)) / (steps - 1)
        lo = _L(s) + _L(step) * i.astype(_L)
        hi = _L(e) - _L(step) * (steps - i - 1).astype(_L)
        r = np.where(i < half, lo, hi).astype(np.float64)
        return _float_to_int(r, dtype)
    if dtype in (D.float16, D.bfloat16):  # c10::Half arithmetic: float ops, rounded each time
        h, f = dtype.np.type, np.float32
        s, e = h(start), h(end)
        if steps == 1:
            return np.array([s], dtype.np)
        step = h(f(h(f(e) - f(s))) / f(steps - 1))
        lo = (f(s) + (f(step) * i.astype(f)).astype(dtype.np).astype(f)).astype(dtype.np)
        hi = (f(e) - (f(step) * (steps - i - 1).astype(f)).astype(dtype.np).astype(f)).astype(
            dtype.np)
        return np.where(i < half, lo, hi)
    w = dtype.np.type
    s, e = w(start), w(end)
    if steps == 1:
        return np.array([s], dtype.np)
    step = w(w(e - s) / w(steps - 1))
    acc = _L if dtype is D.float64 else np.float64
    lo = acc(s) + acc(step) * i.astype(acc)
    hi = acc(e) - acc(step) * (steps - i - 1).astype(acc)
    return np.where(i < half, lo, hi).astype(np.float64).astype(dtype.np)


def _pow(base, ex):
    """libm pow per element (what torch calls); numpy's vectorised pow differs in the last ulp.
    Long ranges use an extended-precision pow instead of a Python loop."""
    if ex.size <= 10000:
        return np.array([_cpow(base, float(x)) for x in ex], np.float64)
    return np.power(_L(base), ex.astype(_L)).astype(np.float64)


def _cpow(b, x):
    """C's pow: inf on overflow, nan on a domain error (Python's math.pow raises instead)."""
    try:
        return math.pow(b, x)
    except OverflowError:
        return -math.inf if b < 0 and x == int(x) and int(x) % 2 else math.inf
    except ValueError:
        return math.nan


def _float_to_int(r, dtype):
    """A host float64 array cast as torch's CPU casts do (core._float_to_int)."""
    from .core import _float_to_int as cast
    return np.asarray(cast(jnp.asarray(r), dtype.np))


def _range_dtype(dtype, start, end):
    if dtype is not None:
        return dtype
    if isinstance(start, builtins.complex) or isinstance(end, builtins.complex):
        return D.default_complex()
    return D._default[0]


def _steps_check(steps):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, numbers.Integral):
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not "
                        f"{type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _range_endpoint(v, name):
    if isinstance(v, Tensor):
        if v.dim() != 0:
            raise RuntimeError(f"linspace only supports 0-dimensional start and end tensors, but "
                               f"got {name} with {v.dim()} dimension(s).")
        return v.item()
    return v


@composite(method=False)
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    start, end = _range_endpoint(start, "start"), _range_endpoint(end, "end")
    steps = _steps_check(steps)
    dtype = _range_dtype(dtype, start, end)
    return _finish(_lin_values(start, end, steps, dtype), dtype, device, requires_grad, out)


@composite(method=False)
def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    start, end = _range_endpoint(start, "start"), _range_endpoint(end, "end")
    steps = _steps_check(steps)
    dtype = _range_dtype(dtype, start, end)
    if steps == 0:
        vals = np.zeros((0,), dtype.np)
    elif dtype.is_complex:
        cdt = dtype.np.type
        s, e = cdt(start), cdt(end)
        step = (e - s) / (steps - 1) if steps > 1 else 0
        i = np.arange(steps)
        ex = np.where(i < steps // 2, s + step * i, e - step * (steps - i - 1))
        vals = np.power(builtins.complex(base), ex).astype(cdt)
    else:
        if dtype._cat < 2:
            s, e = _to_int(start), _to_int(end)
        else:
            s, e = dtype.np.type(start), dtype.np.type(end)
        if steps == 1:
            ex = np.array([float(start.real if isinstance(start, builtins.complex) else start)])
        else:
            step = np.float64(e - s) / (steps - 1)
            i = np.arange(steps, dtype=np.int64)
            lo = np.float64(s) + step * i
            hi = np.float64(e) - step * (steps - i - 1)
            ex = np.where(i < steps // 2, lo, hi)
        r = _pow(float(base), ex)
        vals = _float_to_int(r, dtype) if dtype._cat < 2 else r.astype(dtype.np)
    return _finish(vals, dtype, device, requires_grad, out)


@composite(method=False)
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is None:
        m = n
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dtype = dtype or D._default[0]
    return _finish(np.eye(n, m, dtype=dtype.np), dtype, device, requires_grad, out)


def _tri_indices(name, lower):
    def f(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
        if row < 0:
            raise RuntimeError(f"row must be non-negative, got{row}")
        if col < 0:
            raise RuntimeError(f"col must be non-negative, got{col}")
        dtype = dtype or D.int64
        if dtype not in (D.int64, D.int32):
            raise NotImplementedError(f"\"{name}\" not implemented for '{D.SCALAR_NAME[dtype]}'")
        r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
        return _finish(np.stack([r, c]).astype(dtype.np).reshape(2, -1), dtype, device, False,
                       None)
    f.__name__ = f.__qualname__ = name
    return composite(method=False)(f)


tril_indices = _tri_indices("tril_indices", True)
triu_indices = _tri_indices("triu_indices", False)


# ---- complex / polar ----
def _complex_check(a, b):
    fl = (jnp.float16, jnp.float32, jnp.float64)
    if a.dtype not in fl or b.dtype not in fl:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{D.SCALAR_NAME[D.from_np(a.dtype)]} and "
                           f"{D.SCALAR_NAME[D.from_np(b.dtype)]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {D.SCALAR_NAME[D.from_np(a.dtype)]} "
                           f"but got scalar type {D.SCALAR_NAME[D.from_np(b.dtype)]} for second "
                           "argument")
    if a.dtype == jnp.float16:
        raise NotImplementedError("torchjax has no complex32 dtype")


def _strict_out(out, real):
    if out is not None:
        want = D.from_np(real._value.dtype).to_complex()
        if out.dtype is not want:
            raise RuntimeError(f"Expected object of scalar type {D.SCALAR_NAME[want]} but got "
                               f"scalar type {D.SCALAR_NAME[out.dtype]} for argument 'out'")


@composite(method=False)
def complex(real, imag, *, out=None):
    if isinstance(real, Tensor) and isinstance(imag, Tensor) and real.dtype is imag.dtype:
        _strict_out(out, real)
    return call(OPS["complex"], (real, imag), (), out)


@composite(method=False)
def polar(abs, angle, *, out=None):
    if isinstance(abs, Tensor) and isinstance(angle, Tensor) and abs.dtype is angle.dtype:
        _strict_out(out, abs)
    return call(OPS["polar"], (abs, angle), (), out)


@op(tensors=("real", "imag"), promote=False, function=False, method=False, saves=(),
    name="complex")
def _complex(real, imag):
    _complex_check(real, imag)
    shape = jnp.broadcast_shapes(real.shape, imag.shape)
    return jax.lax.complex(jnp.broadcast_to(real, shape), jnp.broadcast_to(imag, shape))


@op(tensors=("abs", "angle"), promote=False, function=False, method=False, saves=("result",),
    name="polar")
def _polar(abs, angle):
    _complex_check(abs, angle)
    shape = jnp.broadcast_shapes(abs.shape, angle.shape)
    return _polar_fn(jnp.broadcast_to(abs, shape), jnp.broadcast_to(angle, shape))


@jax.custom_jvp
def _polar_fn(a, t):
    return jax.lax.complex(a * jnp.cos(t), a * jnp.sin(t))


@_polar_fn.defjvp
def _polar_jvp(primals, tangents):
    """torch's polar_backward: d/d(abs) uses sgn(result) (so a negative abs flips it)."""
    a, t = primals
    da, dt = tangents
    y = _polar_fn(a, t)
    sgn = jnp.where(y == 0, 0, y / jnp.abs(y).astype(y.dtype))
    return y, sgn * da.astype(y.dtype) + (y * 1j) * dt.astype(y.dtype)


# ---- Tensor.new_* ----
def _new_size(size):
    from .._creation import _size
    return _size(size)


@composite(function=False)
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):
    from .._creation import zeros
    return zeros(_new_size(size), dtype=dtype or self.dtype, device=device or self.device,
                 requires_grad=requires_grad)


@composite(function=False)
def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    from .._creation import ones
    return ones(_new_size(size), dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


@composite(function=False)
def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):
    from .._creation import empty
    return empty(_new_size(size), dtype=dtype or self.dtype, device=device or self.device,
                 requires_grad=requires_grad)


@composite(function=False)
def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                      layout=None, pin_memory=False):
    return new_empty(self, tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


@composite(function=False)
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):
    from .._creation import full
    return full(tuple(size), fill_value, dtype=dtype or self.dtype,
                device=device or self.device, requires_grad=requires_grad)
