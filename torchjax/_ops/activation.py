"""Activation functions: torch.nn.functional.* and the torch.* / Tensor.* forms torch has.

Values and gradients follow torch's CPU kernels, including the gradient at the kinks (relu at 0,
hardtanh/relu6 at the bounds, leaky_relu/elu at 0, threshold at the threshold, hardshrink at
lambda) and the overflow-safe formulas of silu/mish/softplus/logsigmoid. ``inplace=True`` writes
into the input through the op's in-place form, whose grad_fn name is torch's (EluBackward1,
LeakyReluBackward1, ...)."""
import math

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from ._util import wrap_dim
from .pointwise import _cjvp, _isf, _isc, _not_impl, _tname, _opmath
from .registry import op, composite, call, OPS, NAMESPACES, _inplace

F = "nn.functional"
_NN = NAMESPACES.setdefault(F, {})


def _twin(fn, name, grad, igrad, **kw):
    """Register ``fn`` as op ``name`` (grad_fn ``grad``) and as ``name_`` whose in-place form
    records ``igrad`` (torch's XxxBackward1 for in-place activations)."""
    op(name=name, grad=grad, **kw)(fn)
    op(name=name + "_", grad=igrad, function=False, method=False, saves=("result",))(fn)
    return OPS[name], OPS[name + "_"]


def _run(E, Ei, inplace, input, statics):
    if inplace:
        return _inplace(Ei, (input,), statics)
    return call(E, (input,), statics)


def _float_only(x, kernel):
    if not _isf(x):
        _not_impl(kernel, x)


# ---------------------------------------------------------------- relu family

def _relu(input):
    if input.dtype == jnp.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return jnp.where(input > 0, input, jnp.zeros((), input.dtype))


_RELU, _RELU_I = _twin(_relu, "relu", "ReluBackward0", "ReluBackward0", saves=("result",),
                       inplace=True, out=False)


@composite(method=False, namespace=F, name="relu")
def _f_relu(input, inplace=False):
    return _run(_RELU, _RELU_I, inplace, input, ())


_NN["relu_"] = NAMESPACES[""]["relu_"] = lambda input: _inplace(_RELU_I, (input,), ())


def _hardtanh(input, min_val=-1.0, max_val=1.0):
    if input.dtype == jnp.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if jnp.issubdtype(input.dtype, jnp.unsignedinteger) and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    if _isc(input):
        _not_impl("hardtanh_cpu", input)
    lo = jnp.asarray(min_val).astype(input.dtype)
    hi = jnp.asarray(max_val).astype(input.dtype)
    r = jnp.minimum(jnp.maximum(input, lo), hi)
    if not _isf(input):
        return r
    keep = ~((input <= lo) | (input >= hi))
    return jnp.where(keep, input, lax.stop_gradient(r))


_HT, _HT_I = _twin(_hardtanh, "hardtanh", "HardtanhBackward0", "HardtanhBackward0",
                   function=False, method=False)


def _ht_check(min_val, max_val):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")


@composite(method=False, namespace=F)
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    _ht_check(min_val, max_val)
    return _run(_HT, _HT_I, inplace, input, (min_val, max_val))


@composite(method=False, namespace=F)
def hardtanh_(input, min_val=-1.0, max_val=1.0):
    _ht_check(min_val, max_val)
    return _inplace(_HT_I, (input,), (min_val, max_val))


@composite(method=False, namespace=F)
def relu6(input, inplace=False):
    return _run(_HT, _HT_I, inplace, input, (0.0, 6.0))


def _leaky_relu(input, negative_slope=0.01):
    _float_only(input, "leaky_relu_cpu")
    return jnp.where(input > 0, input, input * jnp.asarray(negative_slope, input.dtype))


_LR, _LR_I = _twin(_leaky_relu, "leaky_relu", "LeakyReluBackward0", "LeakyReluBackward1",
                   function=False, method=False)


@composite(method=False, namespace=F)
def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _run(_LR, _LR_I, inplace, input, (negative_slope,))


@composite(method=False, namespace=F)
def leaky_relu_(input, negative_slope=0.01):
    return _inplace(_LR_I, (input,), (negative_slope,))


# ---------------------------------------------------------------- elu family

def _elu_core(x, alpha, scale, input_scale):
    _float_only(x, "elu_cpu")
    return _opmath(lambda x: _elu_value(x, alpha, scale, input_scale))(x)


def _elu_value(x, alpha, scale, input_scale):
    neg = x <= 0
    xn = jnp.where(neg, x, jnp.zeros((), x.dtype))  # no overflow on the unused side
    return jnp.where(neg, jnp.expm1(xn * jnp.asarray(input_scale, x.dtype)) *
                     jnp.asarray(alpha * scale, x.dtype), x * jnp.asarray(scale, x.dtype))


def _elu(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _elu_core(input, alpha, scale, input_scale)


_ELU, _ELU_I = _twin(_elu, "elu", "EluBackward0", "EluBackward1", function=False, method=False)


@composite(method=False, namespace=F)
def elu(input, alpha=1.0, inplace=False):
    return _run(_ELU, _ELU_I, inplace, input, (alpha, 1.0, 1.0))


@composite(method=False, namespace=F)
def elu_(input, alpha=1.0):
    return _inplace(_ELU_I, (input,), (alpha, 1.0, 1.0))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu(input):
    return _elu_core(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


_SELU, _SELU_I = _twin(_selu, "selu", "EluBackward0", "EluBackward1", method=False)
NAMESPACES[""]["selu_"] = lambda input: _inplace(_SELU_I, (input,), ())


@composite(method=False, namespace=F, name="selu")
def _f_selu(input, inplace=False):
    return _run(_SELU, _SELU_I, inplace, input, ())


def _celu(input, alpha=1.0):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu_core(input, alpha, 1.0, 1.0 / alpha)


_CELU, _CELU_I = _twin(_celu, "celu", "CeluBackward0", "CeluBackward1", method=False)
NAMESPACES[""]["celu_"] = lambda input, alpha=1.0: _inplace(_CELU_I, (input,), (alpha,))


@composite(method=False, namespace=F, name="celu")
def _f_celu(input, alpha=1.0, inplace=False):
    return _run(_CELU, _CELU_I, inplace, input, (alpha,))


_NN["selu_"] = NAMESPACES[""]["selu_"]
_NN["celu_"] = NAMESPACES[""]["celu_"]


# ---------------------------------------------------------------- smooth activations

_SQRT1_2 = math.sqrt(0.5)
_GELU_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_GELU_KAPPA = 0.044715


@op(namespace=F, method=False, grad="GeluBackward0", saves=("input",))
def gelu(input, *, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if not _isf(input) or _isc(input):
        _not_impl("GeluKernelImpl", input)
    return _opmath(lambda x: _gelu_value(x, approximate))(input)


def _gelu_value(x, approximate):
    if approximate == "tanh":
        kappa = jnp.asarray(_GELU_KAPPA, x.dtype)
        inner = jnp.asarray(_GELU_BETA, x.dtype) * (x + kappa * x * x * x)
        return 0.5 * x * (1 + jnp.tanh(inner))
    return x * 0.5 * (1 + jax.scipy.special.erf(x * jnp.asarray(_SQRT1_2, x.dtype)))


def _silu_raw(x):
    return x / (1 + jnp.exp(-x))


def _silu_d(x, r):
    s = 1 / (1 + jnp.exp(-x))
    return s * (1 + x * (1 - s))


_silu_f = _cjvp(_silu_raw, _silu_d)


def _silu(input):
    _float_only(input, "silu_cpu")
    return _opmath(_silu_f)(input)


_SILU, _SILU_I = _twin(_silu, "silu", "SiluBackward0", "SiluBackward0", function=False,
                       method=False)


@composite(method=False, namespace=F)
def silu(input, inplace=False):
    return _run(_SILU, _SILU_I, inplace, input, ())


def _mish_d(x, r):
    s = 1 / (1 + jnp.exp(-x))
    t = jnp.tanh(jnp.log1p(jnp.exp(x)))
    return t + x * s * (1 - t * t)


_mish_f = _cjvp(lambda x: x * jnp.tanh(jnp.log1p(jnp.exp(x))), _mish_d)


def _mish(input):
    _float_only(input, "mish_cpu")
    if _isc(input):
        _not_impl("mish_cpu", input)
    return _opmath(_mish_f)(input)


_MISH, _MISH_I = _twin(_mish, "mish", "MishBackward0", "MishBackward0", function=False,
                       method=False)


@composite(method=False, namespace=F)
def mish(input, inplace=False):
    return _run(_MISH, _MISH_I, inplace, input, ())


def _softplus_fn(beta, threshold):
    def f(x):
        xb = x * jnp.asarray(beta, x.dtype)
        safe = jnp.where(xb > threshold, jnp.zeros((), x.dtype), xb)
        return jnp.where(xb > threshold, x, jnp.log1p(jnp.exp(safe)) / jnp.asarray(beta, x.dtype))

    def d(x, r):
        xb = x * jnp.asarray(beta, x.dtype)
        z = jnp.exp(jnp.where(xb > threshold, jnp.zeros((), x.dtype), xb))
        return jnp.where(xb > threshold, jnp.ones((), x.dtype), z / (z + 1))
    return _cjvp(f, d)


@op(namespace=F, method=False, grad="SoftplusBackward0", saves=("input",))
def softplus(input, beta=1, threshold=20):
    if not _isf(input) or _isc(input):
        _not_impl("softplus_cpu", input)
    return _opmath(_softplus_fn(beta, threshold))(input)


def _logsigmoid_raw(x):
    return jnp.minimum(x, jnp.zeros((), x.dtype)) - jnp.log1p(jnp.exp(-jnp.abs(x)))


def _logsigmoid_d(x, r):
    neg = x < 0
    z = jnp.exp(-jnp.abs(x))
    one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
    return jnp.where(neg, one, zero) - jnp.where(neg, one, -one) * (z / (1 + z))


_logsigmoid_f = _cjvp(_logsigmoid_raw, _logsigmoid_d)


@op(namespace=F, method=False, grad="LogSigmoidBackward0", saves=("input",))
def logsigmoid(input):
    if not _isf(input) or _isc(input):
        _not_impl("log_sigmoid_cpu", input)
    return _opmath(_logsigmoid_f)(input)


# ---------------------------------------------------------------- hard* / shrink / threshold

def _hardswish_d(x, r):
    return jnp.where(x <= -3, jnp.zeros((), x.dtype),
                     jnp.where(x < 3, x / 3 + 0.5, jnp.ones((), x.dtype)))


_hardswish_f = _cjvp(lambda x: x * jnp.minimum(jnp.maximum(x + 3, 0), 6) / 6, _hardswish_d)


def _hardswish(input):
    _float_only(input, "hardswish_cpu")
    return _opmath(_hardswish_f)(input)


_HSW, _HSW_I = _twin(_hardswish, "hardswish", "HardswishBackward0", "HardswishBackward0",
                     function=False, method=False)


@composite(method=False, namespace=F)
def hardswish(input, inplace=False):
    return _run(_HSW, _HSW_I, inplace, input, ())


_hardsigmoid_f = _cjvp(lambda x: jnp.minimum(jnp.maximum(x + 3, 0), 6) / 6,
                       lambda x, r: jnp.where((x > -3) & (x < 3), jnp.asarray(1 / 6, x.dtype),
                                              jnp.zeros((), x.dtype)))


def _hardsigmoid(input):
    _float_only(input, "hardsigmoid_cpu")
    return _opmath(_hardsigmoid_f)(input)


_HSG, _HSG_I = _twin(_hardsigmoid, "hardsigmoid", "HardsigmoidBackward0", "HardsigmoidBackward0",
                     function=False, method=False)


@composite(method=False, namespace=F)
def hardsigmoid(input, inplace=False):
    return _run(_HSG, _HSG_I, inplace, input, ())


def _lambd_check(x, lambd):
    if lambd < 0:
        fmax = float(jnp.finfo(x.dtype).max)
        raise RuntimeError(f"lambda must be in range [0, {fmax:g}] for input dtype "
                           f"{_tname(x)}, but found {lambd:g}")


@op(namespace=("", F), grad="HardshrinkBackward0", saves=("input",))
def hardshrink(input, lambd=0.5):
    _float_only(input, "hardshrink_cpu")
    lam = jnp.asarray(lambd, input.dtype)
    return jnp.where((input >= -lam) & (input <= lam), jnp.zeros((), input.dtype), input)


@op(namespace=F, method=False, grad="SoftshrinkBackward0", saves=("input",))
def softshrink(input, lambd=0.5):
    _float_only(input, "softshrink_cpu")
    _lambd_check(input, lambd)
    lam = jnp.asarray(lambd, input.dtype)
    zero = jnp.zeros((), input.dtype)
    r = jnp.where(input > lam, input - lam, jnp.where(input < -lam, input + lam, zero))
    return jnp.where(jnp.isnan(input), input, r)


@composite(method=False, namespace=F)
def tanhshrink(input):
    return input - input.tanh()


@composite(method=False, namespace=F)
def softsign(input):
    return input / (input.abs() + 1)


def _threshold(input, threshold, value):
    if input.dtype == jnp.bool_ or _isc(input):
        _not_impl("threshold_cpu", input)
    th = jnp.asarray(threshold).astype(input.dtype)
    return jnp.where(input <= th, jnp.asarray(value).astype(input.dtype), input)


_TH, _TH_I = _twin(_threshold, "threshold", "ThresholdBackward0", "ThresholdBackward1",
                   method=False)
NAMESPACES[""]["threshold_"] = lambda input, threshold, value: _inplace(
    _TH_I, (input,), (threshold, value))


@composite(method=False, namespace=F, name="threshold")
def _f_threshold(input, threshold, value, inplace=False):
    return _run(_TH, _TH_I, inplace, input, (threshold, value))


_NN["threshold_"] = NAMESPACES[""]["threshold_"]


# ---------------------------------------------------------------- glu / prelu / rrelu

@op(namespace=F, method=False, grad="GluBackward0", saves=("input",))
def glu(input, dim=-1):
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    _float_only(input, "glu_cpu")
    a, b = jnp.split(input, 2, axis=d)
    return _opmath(lambda a, b: a * jax.nn.sigmoid(b))(a, b)


@op(tensors=("input", "weight"), promote=False, namespace=("", F), grad="PreluKernelBackward0",
    saves=("input", "weight"))
def prelu(input, weight):
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_tname(input)} and "
                           f"{_tname(weight)}")
    if weight.size != 1:
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        ch = input.shape[1] if input.ndim > 1 else 1
        if ch != weight.size:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {weight.size} and channel size = {ch}.")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    _float_only(input, "prelu_cpu")
    w = weight
    if input.ndim != w.ndim:
        shape = [1] * input.ndim
        if input.ndim > 1:
            shape[1] = w.size
        w = w.reshape(shape)
    return jnp.where(input > 0, input, w * input)


def _rrelu_eval(input, lower=1.0 / 8, upper=1.0 / 3):
    _float_only(input, "leaky_relu_cpu")
    slope = jnp.asarray((lower + upper) / 2, input.dtype)
    return jnp.where(input > 0, input, input * slope)


_RR, _RR_I = _twin(_rrelu_eval, "_rrelu_eval", "RreluWithNoiseBackward0",
                   "RreluWithNoiseBackward1", function=False, method=False)


def _rrelu_noise(input, noise):
    return jnp.where(input > 0, input, input * noise)


op(tensors=("input", "noise"), promote=False, name="_rrelu_noise", grad="RreluWithNoiseBackward0",
   function=False, method=False)(_rrelu_noise)
op(tensors=("input", "noise"), promote=False, name="_rrelu_noise_", grad="RreluWithNoiseBackward1",
   saves=("noise",),
   function=False, method=False)(_rrelu_noise)


def _rrelu_train_noise(input, lower, upper, generator):
    """torch's CPU kernel: for each non-positive element in row-major order, one
    uniform_real_distribution<double>(float(lower), float(upper)) draw cast to the op-math
    type; the noise is 1 elsewhere."""
    import numpy as np
    from .random_ops import _gen, _host, _new
    g = _gen(generator, "rrelu")
    dt = np.dtype(input.dtype.np)
    om = np.float64 if dt == np.float64 else np.float32
    lo, hi = float(om(lower)), float(om(upper))
    x = _host(input)
    neg = x <= 0
    noise = np.ones(x.shape, dt)
    noise[neg] = (g._uniform53(int(neg.sum())) * (hi - lo) + lo).astype(om).astype(dt)
    return _new(noise, input.device)


def _rrelu(input, lower, upper, training, inplace, generator=None):
    if not training:
        return _run(_RR, _RR_I, inplace, input, (lower, upper))
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"leaky_relu_cpu\" not implemented for "
                                  f"'{D.SCALAR_NAME[input.dtype]}'")
    noise = _rrelu_train_noise(input, lower, upper, generator)
    if inplace:
        return _inplace(OPS["_rrelu_noise_"], (input, noise), ())
    return call(OPS["_rrelu_noise"], (input, noise), ())


@composite(method=False, namespace=F)
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    return _rrelu(input, lower, upper, training, inplace)


@composite(method=False, namespace=F)
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _rrelu(input, lower, upper, training, True)


@composite(method=False, name="rrelu")
def _t_rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _rrelu(input, lower, upper, training, False, generator)


@composite(method=False, name="rrelu_")
def _t_rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _rrelu(input, lower, upper, training, True, generator)


# ---------------------------------------------------------------- softmin, sigmoid, tanh

@composite(method=False, namespace=F)
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    from .reduction import _softmax_dim
    dim = _softmax_dim(input.dim(), dim, "softmin")
    return call(OPS["softmax"], (-input,), (dim, dtype))


_NN["sigmoid"] = NAMESPACES[""]["sigmoid"]
_NN["tanh"] = NAMESPACES[""]["tanh"]
