"""Pointwise ops. Each is a pure function of jax arrays already cast to torch's common dtype.

Gradients follow torch's derivative formulas at their special points (see
/work/shared/reference/views-inplace-autograd.md): where JAX's derivative differs (0/0, inf*0,
ties, clamp bounds, NaN) the op carries a custom jvp (``_cjvp``) with torch's formula. Ops torch
cannot differentiate (floor_divide, heaviside, ...) raise torch's error when a gradient flows.

Tensor params whose Python-number form changes torch's grad_fn name (``x % 2`` is
RemainderBackward0, ``x % y`` RemainderBackward1) are ``static_scalars``; they arrive here as
Python numbers and are turned into arrays of the computation dtype with ``_arr``.
"""
import builtins
import functools
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
import jax.scipy.special as jss
from jax.custom_derivatives import SymbolicZero

from .. import _dtype as D
from .._tensor import Tensor
from ._cascade import fence, on_cpu, sum_to
from ._util import bcast
from .misc_api import checked
from .registry import op, composite, call, OPS, METHODS, NAMESPACES, _inplace, cross_saves

BIN = dict(tensors=("input", "other"), inplace=True, out=True, bcast=True)
UN = dict(inplace=True, out=True)
_I64 = jnp.int64


# ---------------------------------------------------------------- helpers

def _isf(a):
    return jnp.issubdtype(a.dtype, jnp.inexact)


def _isc(a):
    return jnp.issubdtype(a.dtype, jnp.complexfloating)


def _isint(a):
    return jnp.issubdtype(a.dtype, jnp.integer)


def _tname(a):
    return D.SCALAR_NAME[D.from_np(a.dtype)]


def _not_impl(kernel, a):
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(a)}'")


def _is_num(v):
    return isinstance(v, numbers.Number) and not isinstance(v, (np.ndarray, jax.Array))


def _arr(v, like):
    """A static Python number as an array of ``like``'s dtype (ints wrap like torch)."""
    if _is_num(v):
        dt = like.dtype if hasattr(like, "dtype") else like
        return jnp.asarray(np.asarray(v).astype(dt))
    return v


def _static(key, name):
    """Whether tensor param ``name`` was a Python number (a static scalar) in this call."""
    return any(n == name for n, _ in key[2])


def _tjvp(f, *tans):
    """f with a custom jvp: ``tans[i](*args, result, t)`` is the tangent contribution of args[i]
    (linear in t; written like torch's backward formula so values match to the last bit).
    None: no dependence; an exception instance: raised when a gradient flows to that input."""
    g = jax.custom_jvp(f)

    def jvp(primals, tangents):
        r = g(*primals)
        terms = []
        for d, t in zip(tans, tangents):
            if d is None or isinstance(t, SymbolicZero):
                continue
            if isinstance(d, BaseException):
                raise d
            terms.append(d(*primals, r, t))
        if not terms:
            return r, jnp.zeros_like(r)
        t = functools.reduce(jnp.add, terms)
        return r, jnp.broadcast_to(t, r.shape).astype(r.dtype)
    g.defjvp(jvp, symbolic_zeros=True)
    return g


def _cjvp(f, *derivs):
    """f with a custom jvp: ``derivs[i](*args, result)`` is the partial derivative wrt args[i]
    (None: no dependence; an exception instance: raised when a gradient flows to that input)."""
    return _tjvp(f, *[d if d is None or isinstance(d, BaseException) else
                      (lambda d: lambda *a: a[-1] * d(*a[:-1]))(d) for d in derivs])


def _tvjp(f, *grads):
    """f (on real float arrays) with torch's backward formulas: ``grads[i](g, *args, result)``
    is args[i]'s gradient, written as derivatives.yaml writes it so every rounding happens where
    torch's does (None: no gradient). A broadcast argument's gradient goes through sum_to."""
    h = jax.custom_vjp(f)

    def fwd(*args):
        r = f(*args)
        return r, (args, r)

    def bwd(res, g):
        args, r = res
        return tuple(None if d is None or not _isf(a) else
                     sum_to(d(g, *args, r), jnp.shape(a)).astype(a.dtype)
                     for d, a in zip(grads, args))
    h.defvjp(fwd, bwd)
    return h


def _rmul(a, b):
    """a * b rounded on its own: XLA contracts a product feeding an add into one FMA (torch's
    separate ops round twice), even written as float64 and rounded (LLVM narrows that back)."""
    return fence(a * b)


def _zero_where(mask, g):
    """g.masked_fill(mask, 0): +0 where masked (g * 0 would keep a negative gradient's sign)."""
    return jnp.where(mask, jnp.zeros((), g.dtype), g)


def _no_grad(f, msg, exc=RuntimeError, nargs=2):
    """f whose gradient raises torch's 'not implemented' error (at backward time)."""
    return _cjvp(f, *([exc(msg)] * nargs))


def _up(x):
    """float16/bfloat16 compute in float32 (torch's opmath)."""
    return x.astype(jnp.float32) if x.dtype in (jnp.float16, jnp.bfloat16) else x


def _opmath(f):
    """Run f with float16/bfloat16 arrays upcast to float32, rounding the result back (torch's
    CPU kernels compute half types in float)."""
    @functools.wraps(f)
    def g(*args):
        low = [a.dtype for a in args if hasattr(a, "dtype") and a.dtype in (jnp.float16,
                                                                             jnp.bfloat16)]
        if not low:
            return f(*args)
        r = f(*[a.astype(jnp.float32) if hasattr(a, "dtype") and a.dtype in (
            jnp.float16, jnp.bfloat16) else a for a in args])
        return r.astype(low[0]) if r.dtype == jnp.float32 else r
    return g


def _where0(mask, v):
    return jnp.where(mask, v, jnp.zeros((), v.dtype))


# ---------------------------------------------------------------- arithmetic

def _alpha_check(a, alpha):
    """torch's checks of add/sub's alpha (data: its dtype is the Python type given)."""
    if alpha is None:
        return
    if alpha.dtype == jnp.bool_ and a.dtype != jnp.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if not _isf(a) and jnp.issubdtype(alpha.dtype, jnp.inexact):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if _isc(alpha) and not _isc(a):
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")


def _times_alpha(x, alpha):
    if alpha is None:
        return x
    return x & (alpha != 0) if x.dtype == jnp.bool_ else x * alpha.astype(x.dtype)


def _plus_alpha(a, b, alpha, sign=1):
    """a + sign * alpha * b. For float16/bfloat16 torch's vectorized CPU kernel rounds alpha to the
    dtype, then computes in float32 and rounds once (its scalar tail, n % 16 elements of a
    contiguous run on AVX2, rounds alpha * b first: not reproduced)."""
    if alpha is not None and a.dtype in (jnp.float16, jnp.bfloat16):
        al = alpha.astype(a.dtype).astype(jnp.float32)
        return (a.astype(jnp.float32) + (al * sign) * b.astype(jnp.float32)).astype(a.dtype)
    if alpha is not None and a.dtype in (jnp.float32, jnp.float64):
        # torch's vectorized kernel is fmadd(b, alpha, a); XLA contracts a + alpha * b into an
        # FMA too, but not when b is broadcast inside the fused loop: materialise it first
        shape = jnp.broadcast_shapes(a.shape, b.shape)
        bb = fence(jnp.broadcast_to(b, shape)) if b.shape != shape else b
        r = a + _times_alpha(bb, alpha) if sign > 0 else a - _times_alpha(bb, alpha)
        unfused = _scalar_tail(shape, (a.shape, b.shape), a.dtype)
        if unfused is None:
            return r
        # (its own product, or XLA shares r's; a fenced sum, or LLVM rewrites the select of two
        # sums of a as a sum of a select, leaving no multiply-add to fuse)
        p = fence(_times_alpha(bb, fence(alpha)))
        return jnp.where(unfused, fence(a + p if sign > 0 else a - p), r)
    b = _times_alpha(b, alpha)
    if a.dtype == jnp.bool_:
        return a | b
    return a + b if sign > 0 else a - b


def _scalar_tail(shape, in_shapes, dtype):
    """Where torch's loop leaves a + alpha * b unfused, or None. When b is broadcast along the
    innermost (coalesced) dimension, cpu_kernel_vec runs blocks of two vectors
    (16 float32 / 8 float64 elements) as FMAs; each run's remaining L elements go to a
    compiler-vectorised scalar loop: its first element and last (L - 1) % w are fused, the w-wide
    groups between are not (w = 4 float32, 2 float64). Runs are rows cut at parallel chunks."""
    from ._cascade import loop_rows, run_bounds
    loop = loop_rows(shape, in_shapes)
    if loop is None or loop[1][0] == 0 or loop[1][1] != 0:   # (self broadcast: all fused)
        return None
    block, w = (16, 4) if dtype == jnp.float32 else (8, 2)
    p, lo, hi = run_bounds(shape, loop[0], loop[2])
    t0 = lo + (hi - lo) // block * block
    t = p - t0
    return ((t >= 1) & (t <= (hi - t0 - 1) // w * w)).reshape(shape)


@op(**BIN, dunders=("add", "radd", "iadd"), saves=(), data=("alpha",))
def add(input, other, *, alpha=None):
    bcast(input, other)
    _alpha_check(input, alpha)
    return _plus_alpha(input, other, alpha)


@op(**BIN, dunders=("sub", "isub"), saves=(), aliases=("subtract",), data=("alpha",))
def sub(input, other, *, alpha=None):
    bcast(input, other)
    _alpha_check(input, alpha)
    return _plus_alpha(input, other, alpha, -1)


def _rsub_name(key):
    return "RsubBackward1" if _static(key, "other") else "RsubBackward0"


@op(tensors=("input", "other"), static_scalars=("other",), grad=_rsub_name, saves=(),
    data=("alpha",), bcast=True)
def rsub(input, other, *, alpha=None):
    other = _arr(other, input)
    bcast(input, other)
    _alpha_check(input, alpha)
    return _plus_alpha(other, input, alpha, -1)


@op(**BIN, dunders=("mul", "rmul", "imul"), aliases=("multiply",), saves=cross_saves)
def mul(input, other):
    bcast(input, other)
    if input.dtype == jnp.bool_:
        return input & other
    if other.dtype != input.dtype:  # a float32 scalar (Op.opmath): torch's reduced-float kernel
        return (input.astype(other.dtype) * other).astype(input.dtype)
    return input * other


def _div(input, other, rounding_mode):
    bcast(input, other)
    if rounding_mode is None:
        if not _isf(input):
            dt = D.get_default_dtype().np
            input, other = input.astype(dt), other.astype(dt)
        if other.dtype != input.dtype:  # a float32 scalar (Op.opmath): torch's reduced-float kernel
            return true_div(input.astype(other.dtype), other).astype(input.dtype)
        return true_div(input, other)
    if rounding_mode == "trunc":
        if not _isf(input):
            if input.dtype == jnp.bool_:
                input, other = input.astype(jnp.uint8), other.astype(jnp.uint8)
            input, other = jnp.broadcast_arrays(input, other)
            return lax.div(input, other)
        return jnp.trunc(_ieee_div(input, other))
    if rounding_mode == "floor":
        if input.dtype == jnp.bool_:
            return jnp.floor_divide(input.astype(jnp.uint8), other.astype(jnp.uint8)).astype(
                jnp.bool_)
        if _isf(input):
            return _floor_div_float(input, other)
        return jnp.floor_divide(input, other)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


def _floor_div_float(a, b):
    """torch's div_floor_floating_vec: floor((a - fmod(a, b)) / b) with its fix-ups; a zero
    quotient takes the sign of a / b."""
    basic = _ieee_div(a, b)
    mod = lax.rem(*jnp.broadcast_arrays(a, b))
    top = jnp.where((jnp.abs(basic) == jnp.inf) & (jnp.abs(a) != jnp.inf), a, a - mod)
    div = _ieee_div(top, b)
    div = jnp.where((mod != 0) & ((b < 0) != (mod < 0)), div - 1, div)
    fl = jnp.floor(div)
    fl = jnp.where(div - fl > 0.5, fl + 1, fl)
    fl = jnp.where(div == 0, jnp.copysign(jnp.zeros((), a.dtype), basic), fl)
    return jnp.where(b == 0, basic, fl)


def _ieee_div(a, b):
    """IEEE a / b. XLA's CPU simplifier rewrites a / broadcast(b) as a * (1 / b), 1 ulp off torch
    in about a fifth of the elements; a barrier hides the divisor (a broadcast here, or one
    made upstream in the same trace) from it."""
    if jnp.issubdtype(b.dtype, jnp.floating):
        b = lax.optimization_barrier(jnp.broadcast_to(b, jnp.broadcast_shapes(a.shape, b.shape)))
    return a / b


def true_div(a, b):
    """a / b; real floats take torch's gradient formulas (below)."""
    if jnp.issubdtype(a.dtype, jnp.floating) and a.dtype == b.dtype:
        return _true_div(a, b)
    return _ieee_div(a, b)


# torch's DivBackward0: grad / other and -grad * ((self / other) / other), each division
# rounded on its own (XLA would fold the two into self / (other * other))
_true_div = _tvjp(_ieee_div, lambda g, a, b, r: _ieee_div(g, b),
                  lambda g, a, b, r: -g * _ieee_div(lax.optimization_barrier(_ieee_div(a, b)), b))


def _div_name(key):
    return "DivBackward0" if key[0][0] is None else "DivBackward2"


@op(**BIN, dunders=("truediv", "itruediv"), aliases=("divide",), grad=_div_name)
def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None and _isc(input):
        raise RuntimeError("div_trunc_cpu not implemented for complex" if rounding_mode == "trunc"
                           else "div_floor_cpu not implemented for complex")
    return _div(input, other, rounding_mode)


@op(**BIN, to_float=True, grad="DivBackward0")
def true_divide(input, other):
    return _div(input, other, None)


def _floor_div(a, b):
    return _div(a, b, "floor")


_floor_div_nograd = _no_grad(_floor_div, "derivative for aten::floor_divide is not implemented")


@op(**BIN, dunders=("floordiv", "rfloordiv", "ifloordiv"), grad="NotImplemented", saves=())
def floor_divide(input, other):
    bcast(input, other)
    if _isc(input):
        _not_impl("div_floor_cpu", input)
    return _floor_div_nograd(input, other) if _isf(input) else _floor_div(input, other)


def _rem_name(key):
    if _static(key, "input"):
        return "NotImplemented"
    return "RemainderBackward0" if _static(key, "other") else "RemainderBackward1"


def _remainder(a, b):
    if _isf(a):
        # torch: a - b * floor(a / b), with the sign fix-up of Python's modulo
        r = jnp.fmod(a, b)
        fix = (r != 0) & ((r < 0) != (b < 0))
        return jnp.where(fix, r + b, r)
    return jnp.remainder(a, b)


_remainder_f = _cjvp(_remainder, lambda a, b, r: jnp.ones((), a.dtype),
                     lambda a, b, r: -_floor_div_float(a, b))
_remainder_ng = _no_grad(_remainder, "derivative for aten::remainder is not implemented")


@op(**BIN, static_scalars=("input", "other"), dunders=("mod", "rmod", "imod"), grad=_rem_name,
    saves=("other",))
def remainder(input, other):
    if _is_num(input) and _is_num(other):
        raise TypeError("remainder() received an invalid combination of arguments - got (int, int)")
    scalar_self = _is_num(input)
    like = other if scalar_self else input
    input, other = _arr(input, like), _arr(other, like)
    bcast(input, other)
    if _isc(input):
        _not_impl("remainder_cpu", input)
    if input.dtype == jnp.bool_:
        _not_impl("remainder_cpu", input)
    if not _isf(input):
        return _remainder(input, other)
    return (_remainder_ng if scalar_self else _remainder_f)(input, other)


def _fmod_name(key):
    return "FmodBackward0" if _static(key, "other") else "FmodBackward1"


_fmod_f = _cjvp(jnp.fmod, lambda a, b, r: jnp.ones((), a.dtype),
                lambda a, b, r: -jnp.trunc(_ieee_div(a, b)))


@op(**BIN, static_scalars=("other",), grad=_fmod_name, saves=("other",))
def fmod(input, other):
    other = _arr(other, input)
    bcast(input, other)
    if _isc(input) or input.dtype == jnp.bool_:
        _not_impl("fmod_cpu", input)
    return _fmod_f(input, other) if _isf(input) else jnp.fmod(input, other)


# ---- pow

def _pow_name(key):
    if _static(key, "input") or _static(key, "self"):
        return "PowBackward2"
    return "PowBackward0" if _static(key, "exponent") else "PowBackward1"


def _ipow(b, e):
    """Integer power with wrap-around and torch's rule for negative exponents."""
    b, e = jnp.broadcast_arrays(b, e.astype(b.dtype))
    if b.dtype == jnp.bool_:
        return b | (e == 0)
    nbits = jnp.iinfo(b.dtype).bits

    def body(i, st):
        acc, base, ee = st
        acc = jnp.where((ee & 1) == 1, acc * base, acc)
        return acc, base * base, ee >> 1
    one = jnp.ones_like(b)
    acc, _, _ = lax.fori_loop(0, nbits, body, (one, b, jnp.where(e < 0, 0, e)))
    if jnp.issubdtype(b.dtype, jnp.unsignedinteger):
        return acc
    neg = jnp.where(b == 1, one, jnp.where(b == -1, jnp.where(e % 2 == 0, one, -one),
                                           jnp.zeros_like(b)))
    return jnp.where(e < 0, neg, acc)


def _pow_scalar_value(x, e):
    if e == 0:
        return jnp.ones_like(x)
    if e == 1:
        return x
    if e == 0.5:
        return jnp.sqrt(x)
    if e == -0.5:
        return lax.rsqrt(x)
    if e == -1:
        return 1 / x
    if float(e).is_integer() and builtins.abs(e) < 2 ** 31:
        r = lax.integer_pow(x, int(builtins.abs(e)))
        return 1 / r if e < 0 else r
    return jnp.power(x, jnp.asarray(e, x.dtype))


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _pow_scalar(x, e):
    return _pow_scalar_value(x, e)


@_pow_scalar.defjvp
def _pow_scalar_jvp(e, primals, tangents):
    (x,), (t,) = primals, tangents
    r = _pow_scalar(x, e)
    if e == 0:
        return r, jnp.zeros_like(r)
    return r, t * (jnp.asarray(e, x.dtype) * _pow_scalar(x, e - 1))


def _pow_dx(x, y, r):
    return _where0(y != 0, y * jnp.power(x, y - 1)) if not _isc(x) else jnp.where(
        y == 0, jnp.zeros((), x.dtype), y * jnp.power(x, y - 1))


def _pow_dy(x, y, r):
    cond = (x == 0) & (jnp.real(y) >= 0)
    return jnp.where(cond, jnp.zeros((), r.dtype), r * jnp.log(x))


_pow_tt = _cjvp(jnp.power, _pow_dx, _pow_dy)


def _pow_impl(input, exponent, name="pow"):
    if _is_num(input) and _is_num(exponent):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (int, int)")
    if _is_num(exponent) and not isinstance(exponent, bool):
        if _isint(input) and exponent < 0 and float(exponent).is_integer():
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if not _isf(input):
            if input.dtype == jnp.bool_ and isinstance(exponent, bool):
                return input | (not exponent)
            return _ipow(input, _arr(exponent, input))
        if isinstance(exponent, complex) and not _isc(input):
            return _pow_tt(input, _arr(exponent, input))
        if _isc(input):
            return _pow_tt(input, _arr(exponent, input))
        return _pow_scalar(input, exponent)
    like = exponent if _is_num(input) else input
    input, exponent = _arr(input, like), _arr(exponent, like)
    bcast(input, exponent)
    if not _isf(input):
        return _ipow(input, exponent)
    return _pow_tt(input, exponent)


@op(tensors=("input", "exponent"), static_scalars=("input", "exponent"), inplace=True, out=True,
    bcast=True,
    dunders=("pow", "rpow", "ipow"), grad=_pow_name, saves=("input", "exponent"))
def pow(input, exponent):
    return _pow_impl(input, exponent)


def _float_power_dtype(*vals):
    return jnp.complex128 if any((_is_num(v) and isinstance(v, complex)) or
                                 (not _is_num(v) and _isc(v)) for v in vals) else jnp.float64


@op(tensors=("input", "exponent"), static_scalars=("input", "exponent"), promote=False, out=True,
    grad=_pow_name, saves=("input", "exponent"))
def float_power(input, exponent):
    if _is_num(input) and _is_num(exponent):
        raise TypeError("float_power() received an invalid combination of arguments")
    dt = _float_power_dtype(input, exponent)
    input = input if _is_num(input) else input.astype(dt)
    exponent = exponent if _is_num(exponent) else exponent.astype(dt)
    if _is_num(input):
        input = _arr(complex(input) if dt == jnp.complex128 else float(input), dt)
    if _is_num(exponent):
        return _pow_impl(input, complex(exponent) if dt == jnp.complex128 else float(exponent))
    return _pow_impl(input, exponent)


def _float_power_(self, exponent):
    want = D.complex128 if (self.dtype.is_complex or (
        isinstance(exponent, Tensor) and exponent.dtype.is_complex) or
        isinstance(exponent, complex)) else D.float64
    if self.dtype is not want:
        raise RuntimeError(f"the base given to float_power_ has dtype {D.SCALAR_NAME[self.dtype]} "
                           f"but the operation's result requires dtype {D.SCALAR_NAME[want]}")
    return _inplace(OPS["float_power"], (self, exponent), ())


METHODS["float_power_"] = _float_power_


@op(**UN, dunders=("neg",), saves=(), aliases=("negative",))
def neg(input):
    if input.dtype == jnp.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return -input


@op(**UN, dunders=("abs",), aliases=("absolute",))
def abs(input):
    if input.dtype == jnp.bool_:
        _not_impl("abs_cpu", input)
    return _abs_real(input) if _isf(input) and not _isc(input) else jnp.abs(input)


_abs_real = _tjvp(jnp.abs, lambda x, r, t: t * jnp.sign(x))


@op(**UN, saves=())
def sign(input):
    if _isc(input):
        raise NotImplementedError("Unlike NumPy, torch.sign is not intended to support complex "
                                  "numbers. Please use torch.sgn instead.")
    return _sign(input)


def _sign(x):
    """torch's (0 < x) - (x < 0): +0 for -0 and for NaN."""
    if x.dtype == jnp.bool_:
        return x
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def _sgn_c(z):
    a = jnp.abs(z)
    return jnp.where(a == 0, jnp.zeros((), z.dtype), z / jnp.where(a == 0, 1, a).astype(z.dtype))


@op(**UN, saves=())
def sgn(input):
    if _isc(input):
        return _sgn_c(input)
    return _sign(input)


@op(**UN, grad="PowBackward0", saves=("input",))
def square(input):
    if input.dtype == jnp.bool_:
        return input.astype(_I64)
    return input * input if not _isf(input) else _pow_scalar(input, 2)


# ---------------------------------------------------------------- unary float functions

_DIGIT_NAMES = {"log1p": "Log1PBackward0"}  # torch capitalises a letter after a digit


def _unary_float(name, f, saves=None, aliases=(), grad=None, complex_ok=True):
    grad = grad or _DIGIT_NAMES.get(name)
    f = _opmath(f)

    def fn(input):
        if not complex_ok and _isc(input):
            _not_impl(f"{name}_vml_cpu", input)
        return f(input)
    fn.__name__ = name
    op(**UN, to_float=True, saves=saves, aliases=aliases, grad=grad)(fn)


# digamma / trigamma / polygamma (torch's own algorithms where JAX differs)

_PSI_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
          -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
          8.33333333333333333333E-2)


def _digamma_raw(x):
    """torch's calc_digamma in x's type: reflection for x < 0 (pi / tan(pi * frac(x)) in
    double), recurrence up to 10, then log(x) - 0.5 / x - z * polevl(z, A) with z = 1 / x^2.
    log is computed in float64 and rounded (glibc's logf differs in about 0.07% of values)."""
    x = _up(x)
    dt = x.dtype
    c = lambda v: np.asarray(v, dt)[()]
    neg = x < 0
    frac = jnp.fmod(x.astype(jnp.float64), 1.0)
    refl = (np.pi / jnp.tan(np.pi * frac)).astype(dt)
    v = jnp.where(neg, c(1) - x, x)
    result = jnp.zeros_like(v)
    for _ in range(10):        # x >= 1 (or tiny) reaches 10 in at most 10 steps
        m = v < 10
        result = jnp.where(m, result - c(1) / v, result)
        v = jnp.where(m, v + c(1), v)
    z = c(1) / (v * v)
    p = jnp.full_like(v, c(_PSI_A[0]))
    for a in _PSI_A[1:]:
        p = p * z + c(a)
    y = jnp.where(v < c(1e17), z * p, c(0))
    logv = jnp.log(v.astype(jnp.float64)).astype(dt)
    r = jnp.where(v == 10, result + c(2.25175258906672110764), result + logv - c(0.5) / v - y)
    r = jnp.where(neg, r - refl, r)
    r = jnp.where(neg & (x == jnp.trunc(x)), c(np.nan), r)
    return jnp.where(x == 0, jnp.copysign(c(np.inf), -x), r)


def _trigamma(x):
    """torch's trigamma (reflection for x < 0.5, six recurrence steps, asymptotic series)."""
    x = _up(x)
    dt = x.dtype
    pi = jnp.asarray(np.pi, dt)
    neg = x < 0.5
    s = jnp.sin(pi * x)
    result = jnp.where(neg, -(pi * pi) / (s * s), jnp.zeros((), dt))
    sign = jnp.where(neg, -jnp.ones((), dt), jnp.ones((), dt))
    x = jnp.where(neg, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (x * x)
        x = x + 1
    ixx = 1 / (x * x)
    c6, c30, c42 = (jnp.asarray(1 / 6, dt), jnp.asarray(1 / 30, dt), jnp.asarray(1 / 42, dt))
    result = result + (1 + 1 / (2 * x) + ixx * (c6 - ixx * (c30 - ixx * c42))) / x
    return sign * result


_ZETA_A = np.array([12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
                    7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
                    -4.5979787224074726105e15, 1.8152105401943546773e17,
                    -7.1661652561756670113e18])
_MACHEP = 1.11022302462515654042E-16


def _zeta64(x, q):
    """Hurwitz zeta in float64: torch's Cephes algorithm (Euler-Maclaurin), elementwise."""
    x, q = jnp.broadcast_arrays(x.astype(jnp.float64), q.astype(jnp.float64))
    zero = jnp.zeros(x.shape, jnp.float64)
    s0 = jnp.power(q, -x)

    def cond(st):
        return jnp.any(st[4])

    def body(st):
        i, a, b, s, active, done = st
        a2 = a + 1
        b2 = jnp.power(a2, -x)
        s2 = s + b2
        conv = (-_MACHEP * s2 < b2) & (b2 < _MACHEP * s2)
        i = jnp.where(active, i + 1, i)
        a, b, s = jnp.where(active, a2, a), jnp.where(active, b2, b), jnp.where(active, s2, s)
        done = done | (active & conv)
        active = active & ~conv & ((i < 9) | (a <= 9.0)) & (i < 100000)
        return i, a, b, s, active, done
    st = (jnp.zeros(x.shape, jnp.int32), q, zero, s0, jnp.ones(x.shape, bool),
          jnp.zeros(x.shape, bool))
    i, a, b, s, _, done = lax.while_loop(cond, body, st)
    w = a
    s = s + b * w / (x - 1)
    s = s - 0.5 * b
    a = jnp.ones_like(x)
    k = zero
    fin = done
    for j in range(12):
        a = a * (x + k)
        b = b / w
        t = a * b / _ZETA_A[j]
        s = jnp.where(fin, s, s + t)
        fin = fin | (jnp.abs(t / s) < _MACHEP)
        k = k + 1
        a = a * (x + k)
        b = b / w
        k = k + 1
    inf, nan = jnp.asarray(jnp.inf), jnp.asarray(jnp.nan)
    r = s
    qint = q == jnp.floor(q)
    r = jnp.where((q <= 0) & ~qint & (x != jnp.floor(x)), nan, r)
    r = jnp.where((q <= 0) & qint, inf, r)
    r = jnp.where(x < 1, nan, r)
    r = jnp.where(x == 1, inf, r)
    return r


def _polygamma_raw(n, x):
    if n == 0:
        return _digamma_raw(x)
    if n == 1:
        return _trigamma(x)
    fact = math.exp(math.lgamma(n + 1.0)) * (1.0 if n % 2 else -1.0)
    z = _zeta64(jnp.asarray(float(n + 1)), x).astype(_up(x).dtype)
    return (fact * z.astype(jnp.float64)).astype(_up(x).dtype)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _polygamma(n, x):
    return _polygamma_raw(n, x).astype(x.dtype)


@_polygamma.defjvp
def _polygamma_jvp(n, primals, tangents):
    (x,), (t,) = primals, tangents
    return _polygamma(n, x), t * _polygamma(n + 1, x)


def _digamma(x):
    return _polygamma(0, x)


def _lgamma_value(x):
    """JAX's float32 gammaln is off by up to 5e-7 absolute (lgamma(1) = 4.8e-7, not 0; 75% of
    values differ from torch's glibc lgammaf): computed in float64 and rounded (0.7% differ)."""
    if x.dtype in (jnp.float32, jnp.float16, jnp.bfloat16):
        return jss.gammaln(x.astype(jnp.float64)).astype(x.dtype)
    return jss.gammaln(x)


_lgamma = _tjvp(_lgamma_value, lambda x, r, t: t * _digamma(x))


def _erfinv_raw(x):
    dt = x.dtype
    return jss.erfinv(x.astype(jnp.float64)).astype(dt) if dt != jnp.float64 else jss.erfinv(x)


_erfinv = _tjvp(_erfinv_raw, lambda x, r, t: _c(0.5 * math.sqrt(math.pi), x) * jnp.exp(r * r) * t)

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_2_SQRTPI = 2.0 / math.sqrt(math.pi)


def _c(v, x):
    return jnp.asarray(v, x.dtype)


def _r(p):
    """A product rounded on its own: stops XLA/LLVM contracting ``a * b + c`` into one fma, so
    backward formulas round like torch's separate tensor ops (matters near singularities)."""
    return jnp.where(jnp.isnan(p), jnp.asarray(jnp.nan, p.dtype), p)


# (name, forward, torch's backward as a tangent map (x, result, t), saved, aliases)
_UNARY = [
    ("exp", jnp.exp, lambda x, r, t: t * r, ("result",), ()),
    ("exp2", jnp.exp2, lambda x, r, t: t * r * _c(_LN2, x), ("result",), ()),
    ("expm1", jnp.expm1, lambda x, r, t: t * (r + 1), ("result",), ()),
    ("log", jnp.log, lambda x, r, t: t / x, None, ()),
    ("log2", jnp.log2, lambda x, r, t: t / (x * _c(_LN2, x)), None, ()),
    ("log10", jnp.log10, lambda x, r, t: t / (x * _c(_LN10, x)), None, ()),
    ("log1p", jnp.log1p, lambda x, r, t: t / (x + 1), None, ()),
    ("sqrt", jnp.sqrt, lambda x, r, t: t / (2 * r), ("result",), ()),
    ("rsqrt", lax.rsqrt, lambda x, r, t: _c(-0.5, x) * t * (r * r * r), ("result",), ()),
    ("sin", jnp.sin, lambda x, r, t: t * jnp.cos(x), None, ()),
    ("cos", jnp.cos, lambda x, r, t: t * -jnp.sin(x), None, ()),
    ("tan", jnp.tan, lambda x, r, t: t * (1 + _r(r * r)), ("result",), ()),
    ("asin", jnp.arcsin, lambda x, r, t: t * lax.rsqrt(_r(-x * x) + 1), None, ("arcsin",)),
    ("acos", jnp.arccos, lambda x, r, t: t * -lax.rsqrt(_r(-x * x) + 1), None, ("arccos",)),
    ("atan", jnp.arctan, lambda x, r, t: t / (_r(x * x) + 1), None, ("arctan",)),
    ("sinh", jnp.sinh, lambda x, r, t: t * jnp.cosh(x), None, ()),
    ("cosh", jnp.cosh, lambda x, r, t: t * jnp.sinh(x), None, ()),
    ("tanh", jnp.tanh, lambda x, r, t: t * (1 - _r(r * r)), ("result",), ()),
    ("asinh", jnp.arcsinh, lambda x, r, t: t * lax.rsqrt(_r(x * x) + 1), None, ("arcsinh",)),
    ("acosh", jnp.arccosh, lambda x, r, t: t * lax.rsqrt(_r(x * x) - 1), None, ("arccosh",)),
    ("atanh", jnp.arctanh, lambda x, r, t: t * 1 / (1 - _r(x * x)), None, ("arctanh",)),
    ("reciprocal", lambda x: 1 / x, lambda x, r, t: -t * (r * r), ("result",), ()),
]
for _name, _f, _d, _saves, _al in _UNARY:
    _unary_float(_name, _tjvp(_f, _d), saves=_saves, aliases=_al)


def _sigmoid_k(ex):
    return lambda x: 1 / (1 + ex(-x))


def _sigmoid_exact_fwd(x):
    from . import _sleef as S
    return S.kernel(_sigmoid_k(S.expf), _sigmoid_k(S.g_expf), x)


def _sigmoid_exact_bwd(y, g):
    """sigmoid_backward_kernel: grad * (1 - y) * y, each product rounded."""
    from ._sleef import mul
    return (mul(mul(g.astype(y.dtype), 1 - y), y),)


_sigmoid_exact = jax.custom_vjp(_sigmoid_exact_fwd)
_sigmoid_exact.defvjp(lambda x: (lambda y: (y, y))(_sigmoid_exact_fwd(x)), _sigmoid_exact_bwd)
_sigmoid_any = _tjvp(jax.nn.sigmoid, lambda x, r, t: t * (1 - r) * r)


def _sigmoid(x):
    """torch's float32 CPU sigmoid bit for bit (1 / (1 + exp(-x)), SLEEF's exp on whole pairs
    of 16-lane vectors, glibc's on the rest of each contiguous run; see _sleef.py)."""
    if x.dtype == jnp.float32:
        return on_cpu(_sigmoid_exact, _sigmoid_any, x)
    return _sigmoid_any(x)


_unary_float("sigmoid", _sigmoid, saves=("result",))

_erf = _tjvp(jss.erf, lambda x, r, t: _c(_2_SQRTPI, x) * jnp.exp(-(x * x)) * t)
_erfc = _tjvp(jss.erfc, lambda x, r, t: _c(-_2_SQRTPI, x) * jnp.exp(-(x * x)) * t)
for _name, _f in [("erf", _erf), ("erfc", _erfc), ("erfinv", _erfinv),
                  ("lgamma", _lgamma), ("digamma", _digamma)]:
    _unary_float(_name, _f, complex_ok=False)


_i0 = _cjvp(lambda x: jss.i0(_up(x)).astype(x.dtype), lambda x, r: jss.i1(_up(x)).astype(x.dtype))


@op(**UN, to_float=True)
def i0(input):
    if _isc(input):
        _not_impl("i0_cpu", input)
    return _i0(input)


def _sinc_t(x, r, t):
    sp = x * _c(math.pi, x)
    ssp = x * x * _c(math.pi, x)
    d = ((sp * jnp.cos(sp)) - jnp.sin(sp)) / ssp
    return t * jnp.where(ssp == 0, jnp.zeros((), d.dtype), d)


_sinc = _opmath(_tjvp(jnp.sinc, _sinc_t))


@op(**UN, to_float=True)
def sinc(input):
    return _sinc(input)


def _logit_name(key):
    return "LogitBackward0"


def _logit_fn(eps):
    def f(x):
        z = x if eps is None else jnp.clip(x, eps, 1 - eps)
        return jnp.log(z / (1 - z))

    def d(x, r):
        g = 1 / (x * (1 - x))
        if eps is None:
            return jnp.where((x < 0) | (x > 1), jnp.asarray(jnp.nan, x.dtype), g)
        return jnp.where((x < eps) | (x > 1 - eps), jnp.zeros((), x.dtype), g)
    return _cjvp(f, d)


@op(**UN, to_float=True, saves=("input",))
def logit(input, eps=None):
    if _isc(input):
        _not_impl("logit_cpu", input)
    return _logit_fn(eps)(input)


def _xlogy_raw(x, y):
    return jnp.where(jnp.isnan(y), y, jnp.where(x == 0, jnp.zeros((), x.dtype), x * jnp.log(y)))


# self: xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0); other: grad * self / other
_xlogy_f = _tvjp(_xlogy_raw,
                 lambda g, x, y, r: _zero_where((x == 0) & (y <= 0), _xlogy_raw(g, y)),
                 lambda g, x, y, r: _ieee_div(g * x, y))


def _xlogy_name(key):
    if _static(key, "input"):
        return "XlogyBackward1"
    return "XlogyBackward2" if _static(key, "other") else "XlogyBackward0"


@op(**BIN, to_float=True, static_scalars=("input", "other"), grad=_xlogy_name)
def xlogy(input, other):
    if _is_num(input) and _is_num(other):
        raise TypeError("xlogy() received an invalid combination of arguments")
    like = other if _is_num(input) else input
    input, other = _arr(input, like), _arr(other, like)
    bcast(input, other)
    if _isc(input):
        _not_impl("xlogy_cpu", input)
    return _xlogy_f(input, other)


_LOG_PI = math.log(math.pi)


@op(inplace=True, out=True, to_float=True, saves=("input",))
def mvlgamma(input, p):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if _isc(input):
        _not_impl("mvlgamma", input)
    args = jnp.arange(-p / 2 + 0.5, 0.5, 0.5, dtype=input.dtype) + input[..., None]
    return jnp.sum(_lgamma(args), axis=-1) + jnp.asarray(p * (p - 1) * _LOG_PI / 4, input.dtype)


NAMESPACES.setdefault("special", {})["multigammaln"] = NAMESPACES[""]["mvlgamma"]


@op(tensors=("input",), function=False, inplace=True, grad="PolygammaBackward0",
    to_float=True, saves=("input",))
def polygamma(input, n):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if _isc(input):
        _not_impl("polygamma", input)
    return _polygamma(n, input)


_polygamma_E = OPS["polygamma"]


@composite(method=False, namespace=("", "special"))
def polygamma(n, input, *, out=None):  # noqa: F811
    return call(_polygamma_E, (input,), (n,), out)


# ---- rounding

for _name, _f, _al in [("floor", jnp.floor, ()), ("ceil", jnp.ceil, ()),
                       ("trunc", jnp.trunc, ("fix",))]:
    def _mk(f, name):
        def fn(input):
            if _isc(input):
                if name == "ceil":
                    _not_impl("ceil_vml_cpu", input)
                raise NotImplementedError(f"{name} is not supported for complex inputs")
            if input.dtype == jnp.bool_:
                _not_impl(f"{name}_vml_cpu", input)
            return f(input) if _isf(input) else input
        fn.__name__ = name
        return fn
    op(**UN, saves=(), aliases=_al)(_mk(_f, _name))


def _round_name(key):
    return "RoundBackward0" if key[0][0] == 0 else "RoundBackward1"


@op(**UN, saves=(), grad=_round_name)
def round(input, *, decimals=0):
    if _isc(input) or input.dtype == jnp.bool_:
        _not_impl("round_vml_cpu" if decimals == 0 else "round_cpu", input)
    if not _isf(input):
        if decimals != 0:
            _not_impl("round_cpu", input)
        return input
    if decimals == 0:
        return jnp.round(input)
    x = _up(input)
    ten = jnp.asarray(10.0 ** builtins.abs(decimals), x.dtype)
    r = jnp.round(x / ten) * ten if decimals < 0 else jnp.round(x * ten) / ten
    return r.astype(input.dtype)


@op(**UN, saves=())
def frac(input):
    if not _isf(input) or _isc(input):
        _not_impl("frac_cpu", input)
    return input - jnp.trunc(input)


# ---- angles / complex parts

@op(**UN, to_float=True, saves=(), grad="Deg2RadBackward0")
def deg2rad(input):
    if _isc(input):
        raise RuntimeError("deg2rad is not supported for complex tensors.")
    return input * jnp.asarray(math.pi / 180.0, input.dtype)


@op(**UN, to_float=True, saves=(), grad="Rad2DegBackward0")
def rad2deg(input):
    if _isc(input):
        raise RuntimeError("rad2deg is not supported for complex tensors.")
    return input * jnp.asarray(180.0 / math.pi, input.dtype)


@op(inplace=False, out=True, to_float=True, saves=("input",))
def angle(input):
    if _isc(input):
        return jnp.angle(input)
    v = jnp.where(input < 0, jnp.asarray(math.pi, input.dtype), jnp.zeros((), input.dtype))
    return jnp.where(jnp.isnan(input), lax.stop_gradient(input), v)


@composite()
def positive(input):
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


METHODS["__pos__"] = positive


@op(promote=False, saves=(), grad="ConjBackward0", function=False, method=False)
def _conj_c(input):
    return jnp.conj(input)


@composite()
def conj(input):
    return call(OPS["_conj_c"], (input,), ()) if input.dtype.is_complex else input


@op(promote=False, saves=(), grad="ConjPhysicalBackward0", function=False, method=False,
    name="_conj_physical_c")
def _conj_physical_c(input):
    return jnp.conj(input)


@composite()
def conj_physical(input, *, out=None):
    if out is not None:
        return call(OPS["_conj_physical_c"], (input,), (), out)
    return call(OPS["_conj_physical_c"], (input,), ()) if input.dtype.is_complex else input


def _conj_physical_(self):
    return _inplace(OPS["_conj_physical_c"], (self,), ()) if self.dtype.is_complex else self


METHODS["conj_physical_"] = _conj_physical_


# Tensor.resolve_conj/resolve_neg too once compat_suite/convert.py's target_numpy tells torch
# tensors apart by type rather than by a resolve_conj attribute
@composite(method=False)
def resolve_conj(input):
    return input


@composite(method=False)
def resolve_neg(input):
    return input


METHODS["is_conj"] = lambda self: False
METHODS["is_neg"] = lambda self: False
NAMESPACES[""]["is_conj"] = lambda input: False
NAMESPACES[""]["is_neg"] = lambda input: False


# ---------------------------------------------------------------- binary float functions

def _atan2_recip(a, b):
    den = _rmul(a, a) + _rmul(b, b)
    return _zero_where(den == 0, _ieee_div(jnp.ones((), a.dtype), den))


# atan2_backward: recip = 1 / (self * self + other * other) (0 where that is 0); then
# grad * other * recip and grad * -self * recip
_atan2_f = _tvjp(jnp.arctan2, lambda g, a, b, r: _rmul(g, b) * _atan2_recip(a, b),
                 lambda g, a, b, r: _rmul(g, -a) * _atan2_recip(a, b))


@op(**BIN, to_float=True, aliases=("arctan2",), saves=("input", "other"))
def atan2(input, other):
    bcast(input, other)
    if _isc(input):
        _not_impl("atan2_cpu", input)
    return _atan2_f(input, other)


def _hypot_value(a, b):
    """Correctly rounded like torch's (Sleef u05) for float32 and narrower: float64 squares are
    exact, their sum and root round once more than a float32 result can notice."""
    if a.dtype in (jnp.float32, jnp.float16, jnp.bfloat16):
        w = jnp.hypot(a.astype(jnp.float64), b.astype(jnp.float64))
        return w.astype(jnp.float32).astype(a.dtype)
    return jnp.hypot(a, b)


_hypot_f = _tvjp(_hypot_value, lambda g, a, b, r: _ieee_div(g * a, r),
                 lambda g, a, b, r: _ieee_div(g * b, r))


@op(**BIN, saves=("input", "other", "result"))
def hypot(input, other):
    bcast(input, other)
    if not _isf(input) or _isc(input):
        _not_impl("hypot_cpu", input)
    return _hypot_f(input, other)


def _minmax_g(first, mx):
    """where(self == other, grad / 2, grad).masked_fill_(loses, 0): ties split evenly, NaN on
    either side sends the gradient to both."""
    def d(g, a, b, r):
        lose = (a < b) if mx == first else (a > b)
        return _zero_where(lose, jnp.where(a == b, g / 2, g))
    return d


def _avx2_block(dt):
    """cpu_kernel_vec's block (two 32-byte vectors) in the AVX2 build torch runs most kernels in."""
    return 64 // jnp.dtype(dt).itemsize


def _tie_pick(a, b, r):
    """r, except where a == b (+0 against -0): torch's vector body returns b (the second operand
    of vec::maximum/minimum), its scalar loop a."""
    from ._cascade import vec_body
    vec = vec_body(r.shape, (a.shape, b.shape), _avx2_block(r.dtype))
    return jnp.where(a == b, a if vec is None else jnp.where(vec, b, a), r)


_maximum_f = _tvjp(lambda a, b: _tie_pick(a, b, jnp.maximum(a, b)),
                   _minmax_g(True, True), _minmax_g(False, True))
_minimum_f = _tvjp(lambda a, b: _tie_pick(a, b, jnp.minimum(a, b)),
                   _minmax_g(True, False), _minmax_g(False, False))


@op(**BIN, saves=("input", "other"))
def maximum(input, other):
    bcast(input, other)
    if _isc(input):
        raise RuntimeError("maximum not implemented for complex tensors.")
    return _maximum_f(input, other) if _isf(input) else jnp.maximum(input, other)


@op(**BIN, saves=("input", "other"))
def minimum(input, other):
    bcast(input, other)
    if _isc(input):
        raise RuntimeError("minimum not implemented for complex tensors.")
    return _minimum_f(input, other) if _isf(input) else jnp.minimum(input, other)


def _fmax_g(self_side, mx):
    """grad.masked_fill(...): self keeps it where it is selected (or other is NaN)."""
    def d(g, a, b, r):
        keep = ((a >= b) if mx else (a <= b)) | jnp.isnan(b)
        return _zero_where(~keep if self_side else keep, g)
    return d


# on ties (+0 against -0) torch's fmax/fmin return self
_fmax_f = _tvjp(lambda a, b: jnp.where(a == b, a, jnp.fmax(a, b)),
                _fmax_g(True, True), _fmax_g(False, True))
_fmin_f = _tvjp(lambda a, b: jnp.where(a == b, a, jnp.fmin(a, b)),
                _fmax_g(True, False), _fmax_g(False, False))


@op(tensors=("input", "other"), out=True, saves=("input", "other"), bcast=True)
def fmax(input, other):
    bcast(input, other)
    if _isc(input):
        _not_impl("fmax_cpu", input)
    return _fmax_f(input, other) if _isf(input) else jnp.maximum(input, other)


@op(tensors=("input", "other"), out=True, saves=("input", "other"), bcast=True)
def fmin(input, other):
    bcast(input, other)
    if _isc(input):
        _not_impl("fmin_cpu", input)
    return _fmin_f(input, other) if _isf(input) else jnp.minimum(input, other)


def _copysign_name(key):
    return "CopysignBackward1" if _static(key, "other") else "CopysignBackward0"


_copysign_f = _tvjp(jnp.copysign,
                    lambda g, a, b, r: g * _zero_where(a == 0, _ieee_div(r, a)),
                    lambda g, a, b, r: jnp.zeros(jnp.shape(b), b.dtype))


@op(**BIN, to_float=True, static_scalars=("other",), grad=_copysign_name,
    saves=("input", "result"))
def copysign(input, other):
    other = _arr(other, input)
    bcast(input, other)
    if _isc(input):
        _not_impl("copysign_cpu", input)
    return _copysign_f(input, other)


_nextafter_f = _cjvp(jnp.nextafter, lambda a, b, r: jnp.ones((), a.dtype),
                     lambda a, b, r: jnp.zeros((), a.dtype))


@op(**BIN, saves=())
def nextafter(input, other):
    bcast(input, other)
    if not _isf(input) or _isc(input):
        _not_impl("nextafter_cpu", input)
    return _nextafter_f(input, other)


def _logaddexp_raw(base2):
    def f(a, b):
        m = jnp.maximum(a, b)
        d = jnp.abs(a - b)
        if base2:
            r = m + jnp.log1p(jnp.exp2(-d)) / math.log(2)
        else:
            r = m + jnp.log1p(jnp.exp(-d))
        return jnp.where(jnp.isinf(a) & (a == b), a, r)
    return f


def _lae_d(base2, self_side):
    def d(a, b, r):
        x, y = (b, a) if self_side else (a, b)
        return 1 / (1 + (jnp.exp2(x - y) if base2 else jnp.exp(x - y)))
    return d


_logaddexp_f = _opmath(_cjvp(_logaddexp_raw(False), _lae_d(False, True), _lae_d(False, False)))
_logaddexp2_f = _opmath(_cjvp(_logaddexp_raw(True), _lae_d(True, True), _lae_d(True, False)))


@op(tensors=("input", "other"), out=True, saves=("input", "other"))
def logaddexp(input, other):
    bcast(input, other)
    if not _isf(input):
        _not_impl("logaddexp_cpu", input)
    if _isc(input):
        m = jnp.maximum(jnp.real(input), jnp.real(other))
        return jnp.log(jnp.exp(input - m) + jnp.exp(other - m)) + m
    return _logaddexp_f(input, other)


@op(tensors=("input", "other"), out=True, saves=("input", "other"))
def logaddexp2(input, other):
    bcast(input, other)
    if not _isf(input) or _isc(input):
        _not_impl("logaddexp2_cpu", input)
    return _logaddexp2_f(input, other)


@op(tensors=("input", "other"), promote=False, inplace=True, out=True, saves=("other", "result"))
def ldexp(input, other):
    bcast(input, other)
    # torch: input * pow(2.0, other)
    pdt = D.from_np(other.dtype) if _isf(other) else D.get_default_dtype()
    dt = D.promote_types(D.from_np(input.dtype), pdt).np
    p = _opmath(jnp.exp2)(other.astype(pdt.np))
    return _opmath(jnp.multiply)(input.astype(dt), p.astype(dt))


_heaviside_f = _no_grad(lambda x, v: jnp.where(x == 0, v, (x > 0).astype(x.dtype)),
                        "derivative for aten::heaviside is not implemented")


@op(tensors=("input", "values"), promote=False, inplace=True, out=True, grad="NotImplemented",
    saves=())
def heaviside(input, values):
    bcast(input, values)
    if _isc(input) or _isc(values):
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if input.dtype == jnp.bool_:
        return jnp.where(input == 0, values, input)
    return _heaviside_f(input, values) if _isf(input) else \
        jnp.where(input == 0, values, (input > 0).astype(input.dtype))


def _gcd_lcm(name, f):
    def fn(input, other):
        bcast(input, other)
        if not _isint(input):
            _not_impl(f"{name}_cpu", input)
        return f(input, other)
    fn.__name__ = name
    op(**BIN, saves=())(fn)


def _gcd(a, b):
    a, b = jnp.broadcast_arrays(jnp.abs(a), jnp.abs(b))

    def cond(st):
        return jnp.any(st[1] != 0)

    def body(st):
        x, y = st
        nz = y != 0
        ys = jnp.where(nz, y, 1)
        return jnp.where(nz, y, x), jnp.where(nz, x % ys, 0)
    return lax.while_loop(cond, body, (a, b))[0]


def _lcm(a, b):
    g = _gcd(a, b)
    gs = jnp.where(g == 0, 1, g)
    return jnp.where(g == 0, jnp.zeros_like(g), jnp.abs(a // gs * b))


_gcd_lcm("gcd", _gcd)
_gcd_lcm("lcm", _lcm)


def _igamma_f(fn, name, sign):
    def d_other(a, x, r):
        return sign * jnp.exp((a - 1) * jnp.log(x) - x - jss.gammaln(a))
    return _cjvp(fn, NotImplementedError(f"the derivative for '{name}: input' is not implemented."),
                 d_other)


def _igamma_cases(fn, upper):
    """torch's calc_igamma / calc_igammac special cases, in its order (a NaN a with x == 0 gives
    0 / 1, an infinite a with a NaN x gives 0 / 1), then the series."""
    def f(a, x):
        nan, lo, hi, half = (jnp.asarray(v, a.dtype) for v in (np.nan, upper, 1 - upper, 0.5))
        # JAX's series never ends once a + 1 == a (it steps a by 1 until the terms shrink): such
        # a's get the large-a limit (torch's asymptotic series: 0.5 at x == a, within 1e-5
        # of 0 or 1 elsewhere from a = 2^24 in float32)
        huge = a >= 2.0 ** (jnp.finfo(a.dtype).nmant + 1)
        r = fn(jnp.where(huge, 1, a), jnp.where(huge, 1, x))
        lim = jnp.where(x < a, lo, jnp.where(x > a, hi, half))
        r = jnp.where(huge, jnp.where(jnp.isnan(x), x, lim), r)
        return jnp.where((x < 0) | (a < 0), nan,
               jnp.where(a == 0, jnp.where(x > 0, hi, nan),
               jnp.where(x == 0, lo,
               jnp.where(jnp.isinf(a), jnp.where(jnp.isinf(x), nan, lo),
               jnp.where(jnp.isinf(x), hi, r)))))
    return f


_igamma = _igamma_f(_igamma_cases(jss.gammainc, 0), "igamma", 1)
_igammac = _igamma_f(_igamma_cases(jss.gammaincc, 1), "igammac", -1)


@op(**BIN, saves=("input", "other"))
def igamma(input, other):
    bcast(input, other)
    if not _isf(input) or _isc(input):
        _not_impl("igamma_cpu", input)
    return _igamma(input, other)


@op(**BIN, saves=("input", "other"))
def igammac(input, other):
    bcast(input, other)
    if not _isf(input) or _isc(input):
        _not_impl("igammac_cpu", input)
    return _igammac(input, other)


# ---------------------------------------------------------------- clamp / lerp / addc*

def _clamp_name(key):
    return "ClampBackward1" if key[2] else "ClampBackward0"


@jax.custom_jvp
def _with_value(v, r):
    """v's value with r's gradient (r equals v up to the sign of a zero)."""
    return v


_with_value.defjvp(lambda p, t: (p[0], t[1]))


def _clamp_core(x, lo, hi, tensor_bounds=False):
    """Value clamp(x, lo, hi) (NaN propagates) with torch's gradients to x, lo and hi. On ties
    (+0 against -0) torch returns x, except that with tensor bounds its vector body returns the
    bound (vec::maximum / minimum's second operand)."""
    res = _clamp_value(x, lo, hi)
    if not tensor_bounds or not _isf(x):
        return res
    from ._cascade import vec_body
    vec = vec_body(res.shape, [a.shape for a in (x, lo, hi) if a is not None],
                   _avx2_block(res.dtype))
    if vec is None:
        return res
    for b, t in ((lo, lambda r: x == lo), (hi, lambda r: r == hi)):
        if b is not None:
            res = jnp.where(vec & t(res), _with_value(jnp.broadcast_to(b, res.shape), res), res)
    return res


def _clamp_value(x, lo, hi):
    out = x
    if lo is not None:
        out = jnp.maximum(out, lo)
    if hi is not None:
        out = jnp.minimum(out, hi)
    if not _isf(x):
        return out
    out = lax.stop_gradient(out)
    if lo is not None and hi is not None:
        m_x = (x >= lo) & (x <= hi)
        m_lo = (x < lo) & (lo < hi)
        m_hi = (x > hi) | (hi < lo)
        r = jnp.where(m_hi, hi, out)
        r = jnp.where(m_lo, lo, r)
        return jnp.where(m_x, x, r)
    if lo is not None:
        return jnp.where(x >= lo, x, jnp.where(x < lo, lo, out))
    return jnp.where(x <= hi, x, jnp.where(x > hi, hi, out))


def _clamp_args(input, lo, hi, name):
    if _isc(input):
        raise NotImplementedError(f"{name} is not supported for complex types")
    if input.dtype == jnp.bool_ and (_is_num(lo) or _is_num(hi)):
        kind = "clamp" if lo is not None and hi is not None else (
            "clamp_min" if lo is not None else "clamp_max")
        _not_impl(f"{kind}_scalar_cpu", input)
    lo, hi = _arr(lo, input), _arr(hi, input)
    bcast(input, lo, hi)
    return lo, hi


@op(tensors=("input", "min", "max"), static_scalars=("min", "max"), inplace=True, out=True,
    bcast=True,
    aliases=("clip",), grad=_clamp_name)
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if (_is_num(min) and max is not None and not _is_num(max)) or (
            _is_num(max) and min is not None and not _is_num(min)):
        raise TypeError("clamp() received an invalid combination of arguments")
    lo, hi = _clamp_args(input, min, max, "clamp")
    r = _clamp_core(input, lo, hi, not _is_num(min if min is not None else max))
    return jnp.broadcast_to(r, jnp.broadcast_shapes(*(a.shape for a in (input, lo, hi)
                                                      if a is not None)))


def _cmin_name(key):
    return "ClampMinBackward0" if key[2] else "ClampMinBackward1"


def _cmax_name(key):
    return "ClampMaxBackward0" if key[2] else "ClampMaxBackward1"


@op(tensors=("input", "min"), static_scalars=("min",), inplace=True, out=True, grad=_cmin_name)
def clamp_min(input, min):
    lo, _ = _clamp_args(input, min, None, "clamp")
    return jnp.broadcast_to(_clamp_core(input, lo, None, not _is_num(min)),
                            jnp.broadcast_shapes(input.shape, lo.shape))


@op(tensors=("input", "max"), static_scalars=("max",), inplace=True, out=True, grad=_cmax_name)
def clamp_max(input, max):
    _, hi = _clamp_args(input, None, max, "clamp")
    return jnp.broadcast_to(_clamp_core(input, None, hi, not _is_num(max)),
                            jnp.broadcast_shapes(input.shape, hi.shape))


_META = {"float32": "float", "float64": "double", "float16": "c10::Half",
         "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
         "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
         "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _meta_name(a):
    """caffe2 TypeMeta name of an array's dtype (torch's dtype text in some messages)."""
    return _META.get(np.dtype(a.dtype).name, np.dtype(a.dtype).name)


def _lerp_name(key):
    return "LerpBackward0" if _static(key, "weight") else "LerpBackward1"


@op(tensors=("input", "end", "weight"), static_scalars=("weight",), promote=False, inplace=True,
    bcast=True,
    out=True, grad=_lerp_name)
def lerp(input, end, weight):
    if end.dtype != input.dtype:
        raise RuntimeError(f"expected dtype {_meta_name(input)} for `end` but got dtype "
                           f"{_meta_name(end)}")
    if not _is_num(weight) and weight.dtype != input.dtype:
        raise RuntimeError(f"expected dtype {_meta_name(input)} for `weight` but got dtype "
                           f"{_meta_name(weight)}")
    if not _isf(input):
        _not_impl("lerp_kernel_scalar" if _is_num(weight) else "lerp_kernel_tensor", input)
    w = _arr(weight, input)
    bcast(input, end, w)
    if input.dtype in (jnp.float32, jnp.float64):
        if _is_num(weight):   # self: grad * (1 - weight) in double, rounded; end: grad * weight
            one_w = jnp.asarray(1 - weight, input.dtype)
            return _tvjp(lambda a, b: _lerp(a, b, w), lambda g, a, b, r: g * one_w,
                         lambda g, a, b, r: g * w)(input, end)
        return _lerp_t(input, end, w)
    return _opmath(_lerp)(input, end, w)


def _lerp(a, b, w):
    return jnp.where(jnp.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


# LerpBackward1: grad * (1 - weight), grad * weight, grad * (end - self)
_lerp_t = _tvjp(_lerp, lambda g, a, b, w, r: g * (1 - w), lambda g, a, b, w, r: g * w,
                lambda g, a, b, w, r: g * (b - a))


@op(tensors=("input", "tensor1", "tensor2"), inplace=True, out=True, data=("value",), bcast=True)
def addcmul(input, tensor1, tensor2, *, value=None):
    bcast(input, tensor1, tensor2)
    if input.dtype == jnp.bool_:
        _not_impl("addcmul_cpu_out", input)
    # torch: input + value * tensor1 * tensor2 (an integer tensor truncates a float value)
    if input.dtype in (jnp.float32, jnp.float64):
        v = jnp.ones((), input.dtype) if value is None else value.astype(input.dtype)
        return _addcmul_f(input, tensor1, tensor2, v)
    return _opmath(lambda a, b, c: a + _times_alpha(b, value) * c)(input, tensor1, tensor2)


# tensor1: grad * (tensor2 * value); tensor2: grad * (tensor1 * value)
_addcmul_f = _tvjp(lambda a, b, c, v: a + v * b * c, lambda g, a, b, c, v, r: g,
                   lambda g, a, b, c, v, r: g * (c * v), lambda g, a, b, c, v, r: g * (b * v), None)


def _result_dtype(*arrs):
    """torch's result_type of tensors (0-d ones join by category)."""
    dims = [D.from_np(a.dtype) for a in arrs if a.ndim]
    zeros = [D.from_np(a.dtype) for a in arrs if not a.ndim]
    return D.result_type_of(dims, zeros, []).np


@op(tensors=("input", "tensor1", "tensor2"), promote=False, inplace=True, out=True, bcast=True,
    data=("value",))
def addcdiv(input, tensor1, tensor2, *, value=None):
    bcast(input, tensor1, tensor2)
    dt = _result_dtype(input, tensor1, tensor2)
    if not _isf(tensor1) and not _isf(tensor2):
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    input, tensor1, tensor2 = input.astype(dt), tensor1.astype(dt), tensor2.astype(dt)
    # torch: input + value * tensor1 / tensor2, so the product is rounded before the division
    if input.dtype in (jnp.float32, jnp.float64):
        v = jnp.ones((), input.dtype) if value is None else value.astype(input.dtype)
        return _addcdiv_f(input, tensor1, tensor2, v)
    return _opmath(lambda a, b, c: a + _ieee_div(_times_alpha(b, value), c))(input, tensor1, tensor2)


# tensor1: grad * (value / tensor2); tensor2: -grad * (value * tensor1 / (tensor2 * tensor2))
_addcdiv_f = _tvjp(lambda a, b, c, v: a + _ieee_div(v * b, c), lambda g, a, b, c, v, r: g,
                   lambda g, a, b, c, v, r: g * _ieee_div(v, c),
                   lambda g, a, b, c, v, r: -g * _ieee_div(v * b, c * c), None)


def _value_check(targs, statics):
    """torch converts addcmul/addcdiv's value to the input's (opmath) scalar type first."""
    v, t = (targs[3] if len(targs) > 3 else None), targs[0]
    if isinstance(v, numbers.Number) and isinstance(t, Tensor):
        checked(v, D.float32 if t.dtype in (D.float16, D.bfloat16) else t.dtype)


def _addcdiv_value_check(targs, statics):  # after addcdiv's integer-division error (in the op)
    if any(isinstance(t, Tensor) and t.dtype.is_floating_point for t in targs[1:3]):
        _value_check(targs, statics)


def _sub_check(targs, statics):
    """torch's sub_check, on the arguments' own dtypes (before promotion)."""
    bools = [x.dtype is D.bool if isinstance(x, Tensor) else isinstance(x, bool) for x in targs[:2]]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


OPS["sub"].value_check = OPS["rsub"].value_check = _sub_check
# torch's CPU mul/div kernels apply a one-element second operand to a float16/bfloat16 tensor in
# float32, from its value before promotion (iter.original_scalar_value<opmath_t>)
OPS["mul"].opmath = OPS["div"].opmath = OPS["true_divide"].opmath = ("other",)
OPS["addcmul"].value_check = _value_check
OPS["addcdiv"].value_check = _addcdiv_value_check


# ---------------------------------------------------------------- classification

@op(promote=False)
def isnan(input):
    return jnp.isnan(input)


@op(promote=False)
def isinf(input):
    return jnp.isinf(input) if _isf(input) else jnp.zeros(input.shape, bool)


@op(out=True, promote=False)
def isposinf(input):
    if _isc(input):
        raise RuntimeError("isposinf does not support complex inputs.")
    return jnp.isposinf(input) if _isf(input) else jnp.zeros(input.shape, bool)


@op(out=True, promote=False)
def isneginf(input):
    if _isc(input):
        raise RuntimeError("isneginf does not support complex inputs.")
    return jnp.isneginf(input) if _isf(input) else jnp.zeros(input.shape, bool)


@op(promote=False)
def isfinite(input):
    return jnp.isfinite(input) if _isf(input) else jnp.ones(input.shape, bool)


@op(promote=False)
def isreal(input):
    return jnp.imag(input) == 0 if _isc(input) else jnp.ones(input.shape, bool)


@op(out=True, promote=False)
def signbit(input):
    if _isc(input):
        raise RuntimeError("signbit is not implemented for complex tensors.")
    if _isf(input):
        return jnp.signbit(input)
    if input.dtype == jnp.bool_ or jnp.issubdtype(input.dtype, jnp.unsignedinteger):
        return jnp.zeros(input.shape, bool)
    return input < 0


def _nan_to_num_fn(nan, posinf, neginf):
    def f(x):
        fi = jnp.finfo(x.dtype)
        pv = fi.max if posinf is None else posinf
        nv = fi.min if neginf is None else neginf
        r = jnp.where(jnp.isnan(x), jnp.asarray(nan, x.dtype), x)
        r = jnp.where(x == jnp.inf, jnp.asarray(pv, x.dtype), r)
        return jnp.where(x == -jnp.inf, jnp.asarray(nv, x.dtype), r)
    return f


@op(inplace=True, out=True, promote=False, saves=("input",))
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if not _isf(input):
        return jnp.copy(input)
    f = _nan_to_num_fn(nan, posinf, neginf)
    if _isc(input):
        return lax.complex(f(jnp.real(input)), f(jnp.imag(input)))
    return f(input)


@op(tensors=("input", "other"), promote=False)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    if input.dtype != other.dtype:
        raise RuntimeError(f"{_tname(input)} did not match {_tname(other)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    bcast(input, other)
    close = input == other
    if equal_nan and _isf(input):
        close = close | (jnp.isnan(input) & jnp.isnan(other))
    if rtol == 0 and atol == 0:
        return jnp.broadcast_to(close, jnp.broadcast_shapes(input.shape, other.shape))
    if input.dtype == jnp.bool_:
        return jnp.broadcast_to(close, jnp.broadcast_shapes(input.shape, other.shape))
    a, b = input, other
    if not _isf(a):
        dt = D.get_default_dtype().np
        a, b = a.astype(dt), b.astype(dt)
    allowed = atol + jnp.abs(rtol * b)
    actual = jnp.abs(a - b)
    return close | (jnp.isfinite(actual) & (actual <= allowed))




@composite(method=True)
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(call(OPS["isclose"], (input, other), (rtol, atol, equal_nan)).all())


@composite(method=True)
def equal(input, other):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("equal(): argument 'other' must be Tensor")
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(call(OPS["eq"], (input, other), ()).all())


# ---------------------------------------------------------------- comparisons / logic

def _compare(name, f, dunder, aliases=()):
    def fn(input, other):
        bcast(input, other)
        if _isc(input) and name not in ("eq", "ne"):
            _not_impl(f"{name}_cpu", input)
        return f(input, other)
    fn.__name__ = name
    op(tensors=("input", "other"), inplace=True, out=True, dunders=(dunder,),
       aliases=aliases)(fn)


for _name, _f, _d, _al in [("eq", jnp.equal, "eq", ()), ("ne", jnp.not_equal, "ne", ("not_equal",)),
                           ("lt", jnp.less, "lt", ("less",)),
                           ("le", jnp.less_equal, "le", ("less_equal",)),
                           ("gt", jnp.greater, "gt", ("greater",)),
                           ("ge", jnp.greater_equal, "ge", ("greater_equal",))]:
    _compare(_name, _f, _d, _al)


@op(tensors=("condition", "input", "other"), promote=("input", "other"), saves=("condition",),
    bcast=True)
def where(condition, input, other):
    if condition.dtype != jnp.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {D.SCALAR_NAME[D.from_np(condition.dtype)]}")
    bcast(condition, input, other)
    return jnp.where(condition, input, other)


@op(**UN, promote=False)
def bitwise_not(input):
    if _isf(input):
        _not_impl("bitwise_not_cpu", input)
    return jnp.logical_not(input) if input.dtype == jnp.bool_ else jnp.invert(input)


def _bitwise(name, f, dunders):
    def fn(input, other):
        bcast(input, other)
        if _isf(input):
            _not_impl(f"{name}_cpu", input)
        return f(input, other)
    fn.__name__ = name
    op(**BIN, dunders=dunders)(fn)


_bitwise("bitwise_and", jnp.bitwise_and, ("and", "rand", "iand"))
_bitwise("bitwise_or", jnp.bitwise_or, ("or", "ror", "ior"))
_bitwise("bitwise_xor", jnp.bitwise_xor, ("xor", "rxor", "ixor"))


def _shift(name, kernel, left):
    def f(a, b):
        if a.dtype == jnp.bool_:
            a, b = a.astype(jnp.uint8), b.astype(jnp.uint8)
        bits = jnp.iinfo(a.dtype).bits
        bad = (b < 0) | (b >= bits)
        bs = jnp.where(bad, jnp.zeros((), b.dtype), b).astype(a.dtype)
        if left:
            return jnp.where(bad, jnp.zeros((), a.dtype), jnp.left_shift(a, bs))
        full = jnp.right_shift(a, jnp.asarray(bits - 1, a.dtype))
        if jnp.issubdtype(a.dtype, jnp.unsignedinteger):
            full = jnp.zeros_like(a)
        return jnp.where(bad, full, jnp.right_shift(a, bs))

    def fn(input, other):
        bcast(input, other)
        if _isf(input):
            _not_impl(kernel, input)
        return f(input, other)
    fn.__name__ = name
    op(**BIN, dunders=(("lshift", "rlshift", "ilshift") if left else
                       ("rshift", "rrshift", "irshift")))(fn)


_shift("bitwise_left_shift", "lshift_cpu", True)
_shift("bitwise_right_shift", "rshift_cpu", False)


def _logical(name, f):
    def fn(input, other):
        bcast(input, other)
        return f(input, other)
    fn.__name__ = name
    op(tensors=("input", "other"), promote=False, inplace=True, out=True)(fn)


_logical("logical_and", jnp.logical_and)
_logical("logical_or", jnp.logical_or)
_logical("logical_xor", jnp.logical_xor)


@op(**UN, promote=False)
def logical_not(input):
    return jnp.logical_not(input)


# ---------------------------------------------------------------- dunders torch defines in Python

def _rtruediv(self, other):  # torch: self.reciprocal() * other
    return call(OPS["mul"], (self.reciprocal(), other), ())


def _invert(self):
    if self.dtype.is_floating_point or self.dtype.is_complex:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return call(OPS["bitwise_not"], (self,), ())


METHODS["__invert__"] = _invert


def _rsub_dunder(self, other):
    if not isinstance(self, Tensor):  # torch turns the TypeError into NotImplemented
        return NotImplemented
    return call(OPS["rsub"], (self, other), ())


METHODS["__rtruediv__"] = METHODS["__rdiv__"] = _rtruediv
METHODS["__rsub__"] = _rsub_dunder
METHODS["__div__"] = METHODS["__truediv__"]
METHODS["__idiv__"] = METHODS["__itruediv__"]

# torch's argument parser: where a Python number is refused (TypeError). "any": at least one
# tensor argument must be a Tensor (torch.pow(2, 3) is refused, torch.pow(2, t) is not).
_TENSOR_ONLY = {
    ("input", "other"): "atan2 hypot maximum minimum fmax fmin nextafter logaddexp logaddexp2 "
                        "ldexp gcd lcm igamma igammac logical_and logical_or logical_xor isclose",
    ("input", "values"): "heaviside",
    ("input", "end"): "lerp",
    ("input",): "eq ne lt le gt ge rsub clamp clamp_min clamp_max fmod copysign",
    ("input", "tensor1", "tensor2"): "addcmul addcdiv",
    "any": "remainder pow float_power xlogy bitwise_and bitwise_or bitwise_xor "
           "bitwise_left_shift bitwise_right_shift",
}
for _params, _names in _TENSOR_ONLY.items():
    for _n in _names.split():
        OPS[_n].tensor_only = _params

# torch.<op>_(input, ...) functions of the in-place forms
for _n in ("abs neg negative exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square sin cos tan "
           "asin acos atan sinh cosh tanh asinh acosh atanh arcsin arccos arctan arcsinh arccosh "
           "arctanh sigmoid logit erf erfc i0 sinc xlogy floor ceil round trunc fix frac clamp "
           "clip clamp_min clamp_max nan_to_num conj_physical deg2rad rad2deg gcd lcm ldexp "
           "reciprocal").split():
    NAMESPACES[""][_n + "_"] = METHODS[_n + "_"]


# ---- integer division by zero raises like torch (an eager check: integer dtypes only) ----
def _int_zero_division(targs, statics, needs_mode=False):
    if needs_mode and statics[0] is None:
        return
    a, b = targs[0], targs[1]
    ints = [isinstance(x, int) and not isinstance(x, bool) or
            (isinstance(x, Tensor) and x.dtype._cat == 1) for x in (a, b)]
    if not all(ints):
        return
    if isinstance(b, Tensor):
        v = b._value
        if isinstance(v, jax.core.Tracer) or not bool((v == 0).any()):
            return
    elif b != 0:
        return
    raise RuntimeError("ZeroDivisionError")


for _n in ("floor_divide", "remainder", "fmod"):
    OPS[_n].value_check = _int_zero_division
OPS["div"].value_check = lambda targs, statics: _int_zero_division(targs, statics, True)
OPS["pow"].double_grad = OPS["mul"].double_grad = "MulBackward0"
