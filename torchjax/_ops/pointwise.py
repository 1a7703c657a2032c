"""Pointwise ops. Each is a pure function of jax arrays already cast to torch's common dtype."""
import builtins

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from ._util import bcast
from .registry import op

BIN = dict(tensors=("input", "other"), inplace=True, out=True)
UN = dict(inplace=True, out=True)


# ---- arithmetic ----
@op(**BIN, dunders=("add", "radd", "iadd"), saves=())
def add(input, other, *, alpha=1):
    bcast(input, other)
    if input.dtype == jnp.bool_ and other.dtype == jnp.bool_:
        return input | (other & bool(alpha))
    return input + other * alpha if alpha != 1 else input + other


@op(**BIN, dunders=("sub", "isub"), saves=(), aliases=("subtract",))
def sub(input, other, *, alpha=1):
    bcast(input, other)
    if input.dtype == jnp.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    return input - other * alpha if alpha != 1 else input - other


@op(tensors=("input", "other"), grad="RsubBackward1", saves=())
def rsub(input, other, *, alpha=1):
    bcast(input, other)
    return other - input * alpha


@op(**BIN, dunders=("mul", "rmul", "imul"), aliases=("multiply",))
def mul(input, other):
    bcast(input, other)
    if input.dtype == jnp.bool_:
        return input & other
    return input * other


def _div(input, other, rounding_mode):
    bcast(input, other)
    if rounding_mode is None:
        if not jnp.issubdtype(input.dtype, jnp.inexact):
            dt = D.get_default_dtype().np
            input, other = input.astype(dt), other.astype(dt)
        return input / other
    if rounding_mode == "trunc":
        if jnp.issubdtype(input.dtype, jnp.integer):
            return lax.div(input, other)
        return jnp.trunc(input / other)
    if rounding_mode == "floor":
        return jnp.floor_divide(input, other)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


@op(**BIN, dunders=("truediv", "rtruediv", "itruediv"), aliases=("divide", "true_divide"))
def div(input, other, *, rounding_mode=None):
    return _div(input, other, rounding_mode)


@op(**BIN, dunders=("floordiv", "rfloordiv", "ifloordiv"), grad="DivBackward0")
def floor_divide(input, other):
    return _div(input, other, "floor")


@op(**BIN, dunders=("mod", "rmod", "imod"))
def remainder(input, other):
    bcast(input, other)
    return jnp.remainder(input, other)


@op(**BIN)
def fmod(input, other):
    bcast(input, other)
    return jnp.fmod(input, other)


def _pow_name(key):
    return "PowBackward0" if key[2] else "PowBackward1"


@op(tensors=("input", "exponent"), static_scalars=("exponent",), inplace=True, out=True,
    dunders=("pow", "rpow", "ipow"), grad=_pow_name)
def pow(input, exponent):
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if jnp.issubdtype(input.dtype, jnp.integer) and exponent < 0 and \
                float(exponent).is_integer():
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        special = {0.5: jnp.sqrt, -0.5: lax.rsqrt, 1: lambda x: x, -1: lambda x: 1 / x}
        if exponent in special and jnp.issubdtype(input.dtype, jnp.inexact):
            return special[exponent](input)
        if float(exponent).is_integer() and builtins.abs(exponent) < 2 ** 31:
            r = lax.integer_pow(input, builtins.int(builtins.abs(exponent)))
            return 1 / r if exponent < 0 else r
        return jnp.power(input, jnp.asarray(exponent, input.dtype))
    bcast(input, exponent)
    return jnp.power(input, exponent)


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
        raise RuntimeError('"abs_cpu" not implemented for \'Bool\'')
    return jnp.abs(input)


# ---- unary float functions ----
def _unary_float(name, f, grad=None, saves=None):
    def fn(input):
        return f(input)
    fn.__name__ = name
    op(**UN, to_float=True, grad=grad, saves=saves)(fn)


for _name, _f, _saves in [
        ("exp", jnp.exp, ("result",)), ("exp2", jnp.exp2, ("result",)),
        ("expm1", jnp.expm1, ("result",)), ("log", jnp.log, None), ("log2", jnp.log2, None),
        ("log10", jnp.log10, None), ("log1p", jnp.log1p, None), ("sqrt", jnp.sqrt, ("result",)),
        ("rsqrt", lax.rsqrt, ("result",)), ("sin", jnp.sin, None), ("cos", jnp.cos, None),
        ("tan", jnp.tan, ("result",)), ("asin", jnp.arcsin, None), ("acos", jnp.arccos, None),
        ("atan", jnp.arctan, None), ("sinh", jnp.sinh, None), ("cosh", jnp.cosh, None),
        ("tanh", jnp.tanh, ("result",)), ("asinh", jnp.arcsinh, None),
        ("acosh", jnp.arccosh, None), ("atanh", jnp.arctanh, None),
        ("sigmoid", jax.nn.sigmoid, ("result",)), ("erf", jax.scipy.special.erf, None),
        ("erfc", jax.scipy.special.erfc, None), ("erfinv", jax.scipy.special.erfinv, None),
        ("lgamma", jax.scipy.special.gammaln, None), ("digamma", jax.scipy.special.digamma, None),
        ("reciprocal", lambda x: 1 / x, ("result",))]:
    _unary_float(_name, _f, saves=_saves)


@op(**UN, saves=("result",), namespace=("", "nn.functional"))
def relu(input):
    if input.dtype == jnp.bool_:
        raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
    return jnp.where(input > 0, input, jnp.zeros((), input.dtype))


@op(**UN)
def square(input):
    return input * input if input.dtype != jnp.bool_ else (input & input).astype(jnp.int64)


@op(**UN, saves=())
def sign(input):
    return jnp.sign(input) if input.dtype != jnp.bool_ else input


for _name, _f in [("floor", jnp.floor), ("ceil", jnp.ceil), ("trunc", jnp.trunc)]:
    def _mk(f):
        def fn(input):
            return f(input) if jnp.issubdtype(input.dtype, jnp.inexact) else input
        return fn
    _g = _mk(_f)
    _g.__name__ = _name
    op(**UN, saves=())(_g)


@op(**UN, saves=())
def round(input, *, decimals=0):
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        return input
    if decimals == 0:
        return jnp.round(input)
    s = jnp.asarray(10.0 ** decimals, input.dtype)
    return jnp.round(input * s) / s


# ---- comparisons ----
def _compare(name, f, dunder, aliases=()):
    def fn(input, other):
        bcast(input, other)
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


@op(tensors=("condition", "input", "other"), promote=("input", "other"), saves=("condition",))
def where(condition, input, other):
    if condition.dtype != jnp.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with "
                           f"dtype {D.SCALAR_NAME[D.from_np(condition.dtype)]}")
    bcast(condition, input, other)
    return jnp.where(condition, input, other)


@op(tensors=("input", "min", "max"), inplace=True, out=True, aliases=("clip",),
    grad=lambda key: "ClampBackward1")
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    v = input
    mask = True
    if min is not None:
        v = jnp.maximum(v, min)
        mask = mask & (input >= min)
    if max is not None:
        v = jnp.minimum(v, max)
        mask = mask & (input <= max)
    return jnp.where(mask, input, lax.stop_gradient(v)) if jnp.issubdtype(
        input.dtype, jnp.inexact) else v


@op(**BIN)
def maximum(input, other):
    bcast(input, other)
    return jnp.maximum(input, other)


@op(**BIN)
def minimum(input, other):
    bcast(input, other)
    return jnp.minimum(input, other)


@op(**UN, dunders=("invert",), promote=False)
def bitwise_not(input):
    if jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return jnp.logical_not(input) if input.dtype == jnp.bool_ else jnp.invert(input)


def _bitwise(name, f, dunders):
    def fn(input, other):
        bcast(input, other)
        if jnp.issubdtype(input.dtype, jnp.inexact):
            raise RuntimeError(f"\"{name}_cpu\" not implemented for "
                               f"'{D.SCALAR_NAME[D.from_np(input.dtype)]}'")
        return f(input, other)
    fn.__name__ = name
    op(**BIN, dunders=dunders)(fn)


_bitwise("bitwise_and", jnp.bitwise_and, ("and", "rand", "iand"))
_bitwise("bitwise_or", jnp.bitwise_or, ("or", "ror", "ior"))
_bitwise("bitwise_xor", jnp.bitwise_xor, ("xor", "rxor", "ixor"))


@op(**UN, promote=False)
def logical_not(input):
    return jnp.logical_not(input)


@op(**UN, promote=False)
def isnan(input):
    return jnp.isnan(input)
