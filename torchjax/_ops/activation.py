"""Activation functions: torch.nn.functional.* and the torch.* / Tensor.* forms torch has.

Values and gradients follow torch's CPU kernels, including the gradient at the kinks (relu at 0,
hardtanh/relu6 at the bounds, leaky_relu/elu at 0, threshold at the threshold, hardshrink at
lambda) and the overflow-safe formulas of silu/mish/softplus/logsigmoid. ``inplace=True`` writes
into the input through the op's in-place form, whose grad_fn name is torch's (EluBackward1,
LeakyReluBackward1, ...)."""
import math
from functools import partial

import jax
import numpy as np
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from . import _sleef as S
from ._sleef import f as _f, mul as _mul, fma as _fma, opaque as _opaque, kernel as _kernel
from ._cascade import on_cpu
from ._util import wrap_dim
from .pointwise import _avx2_block, _cjvp, _isf, _isc, _not_impl, _tname, _opmath
from .registry import op, composite, call, OPS, NAMESPACES, _inplace

F = "nn.functional"
_NN = NAMESPACES.setdefault(F, {})


def _twin(fn, name, grad, igrad, ifn=None, **kw):
    """Register ``fn`` as op ``name`` (grad_fn ``grad``) and as ``name_`` whose in-place form
    records ``igrad`` (torch's XxxBackward1 for in-place activations; ``ifn``: its function when
    its gradient formula differs)."""
    op(name=name, grad=grad, **kw)(fn)
    op(name=name + "_", grad=igrad, function=False, method=False, saves=("result",))(ifn or fn)
    return OPS[name], OPS[name + "_"]


def _run(E, Ei, inplace, input, statics):
    if inplace:
        return _inplace(Ei, (input,), statics)
    return call(E, (input,), statics)


def _float_only(x, kernel):
    if not _isf(x):
        _not_impl(kernel, x)


# torch's float32 CPU kernels, bit for bit: the Vectorized<float> lambda (SLEEF math) on whole
# pairs of vectors, the scalar lambda (glibc math) on the rest of each contiguous run, FMAs where
# the compiler contracts them (see _sleef.py); the gradient is torch's backward kernel.

def _pick(exact, plain, x):
    """exact(x) for float32 compiled for the CPU, plain(x) otherwise."""
    return on_cpu(exact, plain, x) if x.dtype == jnp.float32 else plain(x)


def _kvjp(fwd, bwd):
    """fwd(x), whose vjp is torch's backward kernel bwd(grad, x, result)."""
    h = jax.custom_vjp(fwd)

    def h_fwd(x):
        y = fwd(x)
        return y, (x, y)

    def h_bwd(res, g):
        return (bwd(g.astype(res[0].dtype), *res),)
    h.defvjp(h_fwd, h_bwd)
    return h


def _k1(vec, scalar=None, **kw):
    """A unary cpu_kernel_vec: ``vec`` on vector elements, ``scalar`` (default: ``vec``) on the
    scalar loop's."""
    return lambda x: _kernel(vec, scalar or vec, x, **kw)


def _k2(vec, scalar=None, **kw):
    """A binary cpu_kernel_vec (grad, x) for the backward kernels."""
    return lambda g, x, y: _kernel(vec, scalar or vec, g, x, **kw)


def _cdiv(x, c):
    """x / c for a constant c, as a division (XLA would multiply by 1 / c)."""
    return x / _opaque(jnp.full(jnp.shape(x), c, x.dtype))


def _vmin(a, b):
    """vec::minimum / vec::maximum: NaN if either is."""
    return jnp.where(jnp.isnan(a) | jnp.isnan(b), _f(np.nan), jnp.minimum(a, b))


def _vmax(a, b):
    return jnp.where(jnp.isnan(a) | jnp.isnan(b), _f(np.nan), jnp.maximum(a, b))


# ---------------------------------------------------------------- relu family

def _relu(input):
    if input.dtype == jnp.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    # torch's clamp_min(self, 0): NaN and -0 pass through; threshold_backward's gradient is 0
    # where x <= 0 (NaN passes it)
    low = jnp.where(input < 0, jnp.zeros((), input.dtype), lax.stop_gradient(input))
    return jnp.where(input <= 0, low, input)


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
    if not _isf(input):
        return _clamp(input, lo, hi)
    # hardtanh_backward: the vector body drops a NaN input's gradient, the scalar loop keeps it
    z = jnp.zeros((), input.dtype)
    return _kvjp(lambda x: _clamp(x, lo, hi), _k2(
        lambda g, x: jnp.where((x > lo) & (x < hi), g, z),
        lambda g, x: jnp.where((x <= lo) | (x >= hi), z, g), block=_avx2_block(input.dtype)))(input)


def _clamp(x, lo, hi):
    """clamp by scalars: NaN and ties (-0 against +0) give x."""
    return jnp.where(x < lo, lo, jnp.where(x > hi, hi, x))


def _shrink_bwd(lam, dt):
    """shrink_backward (soft and hard): the vector body drops a NaN input's gradient."""
    z = jnp.zeros((), dt)
    return _k2(lambda g, x: jnp.where((x < -lam) | (x > lam), g, z),
               lambda g, x: jnp.where((x >= -lam) & (x <= lam), z, g), block=_avx2_block(dt))


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

def _elu_core(x, alpha, scale, input_scale, is_result=False, grad_input_scale=None):
    _float_only(x, "elu_cpu")

    def fn(x):
        return _pick(_elu_exact(alpha, scale, input_scale, is_result, grad_input_scale),
                     lambda x: _elu_value(x, alpha, scale, input_scale), x)
    return _opmath(fn)(x)


def _elu_exact(alpha, scale, input_scale, is_result, grad_input_scale=None):
    """elu_kernel: expm1(x * input_scale) * (alpha * scale) for x <= 0, x * scale above; its
    backward elu_backward_kernel from the input (EluBackward0) or, after an in-place elu, from
    the result (EluBackward1); celu's formula passes 1.0 / alpha.toFloat() as its input_scale."""
    neg = np.float32(np.float32(alpha) * np.float32(scale))
    pos, fin = np.float32(scale), np.float32(input_scale)
    nin = fin if grad_input_scale is None else np.float32(grad_input_scale)
    fwd = _k1(lambda x: jnp.where(x > 0, _mul(x, pos), _mul(S.expm1f(_mul(x, fin)), neg)),
              lambda x: jnp.where(x <= 0, _mul(S.g_expm1f(_mul(x, fin)), neg), _mul(x, pos)))
    if is_result:
        def bwd(g, x, y):
            return _kernel(
                lambda g, y: jnp.where(y > 0, _mul(g, pos), _mul(_mul(g, nin), y + neg)),
                lambda g, y: jnp.where(y <= 0, _mul(_mul(g, nin), y + neg), _mul(g, pos)), g, y)
    else:
        def neg_part(ex):
            return lambda g, x: _mul(_mul(_mul(g, nin), neg), ex(_mul(x, nin)))
        bwd = _k2(lambda g, x: jnp.where(x > 0, _mul(g, pos), neg_part(S.expf)(g, x)),
                  lambda g, x: jnp.where(x <= 0, neg_part(S.g_expf)(g, x), _mul(g, pos)))
    return _kvjp(fwd, bwd)


def _elu_value(x, alpha, scale, input_scale):
    c = [np.asarray(v, x.dtype)[()] for v in (alpha * scale, scale, input_scale)]

    def f(x):
        neg = x <= 0
        xn = jnp.where(neg, x, jnp.zeros((), x.dtype))  # no overflow on the unused side
        return jnp.where(neg, jnp.expm1(xn * c[2]) * c[0], x * c[1])

    def d(x, r):
        # torch's exp(x * input_scale) * input_scale * alpha * scale: JAX's expm1 derivative
        # (expm1 + 1) is 0 below x = -37 (float64), where torch's is exp(x)
        xn = jnp.where(x <= 0, x, jnp.zeros((), x.dtype))
        return jnp.where(x <= 0, c[2] * c[0] * jnp.exp(xn * c[2]), c[1])
    return _cjvp(f, d)(x)


def _elu(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _elu_core(input, alpha, scale, input_scale)


def _elu_i(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _elu_core(input, alpha, scale, input_scale, True)


_ELU, _ELU_I = _twin(_elu, "elu", "EluBackward0", "EluBackward1", _elu_i, function=False,
                     method=False)


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


def _selu_i(input):
    return _elu_core(input, _SELU_ALPHA, _SELU_SCALE, 1.0, True)


_SELU, _SELU_I = _twin(_selu, "selu", "EluBackward0", "EluBackward1", _selu_i, method=False)
NAMESPACES[""]["selu_"] = lambda input: _inplace(_SELU_I, (input,), ())


@composite(method=False, namespace=F, name="selu")
def _f_selu(input, inplace=False):
    return _run(_SELU, _SELU_I, inplace, input, ())


def _celu(input, alpha=1.0):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu_core(input, alpha, 1.0, 1.0 / alpha, False, 1.0 / float(np.float32(alpha)))


def _celu_i(input, alpha=1.0):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu_core(input, alpha, 1.0, 1.0 / alpha, True, 1.0 / float(np.float32(alpha)))


_CELU, _CELU_I = _twin(_celu, "celu", "CeluBackward0", "CeluBackward1", _celu_i, method=False)
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
    # torch's use_mkldnn: contiguous float32 / bfloat16 of more than one element go to oneDNN
    dnnl = input.dtype in (jnp.float32, jnp.bfloat16) and input.size > 1
    return _opmath(lambda x: _pick(_gelu_exact(approximate, x.size, dnnl),
                                     lambda x: _gelu_value(x, approximate), x))(input)


_GELU_BETA_F = np.float32(_GELU_BETA)
_GELU_KAPPA_F = np.float32(_GELU_KAPPA)


def _gelu_tanh_fwd(th):
    def g(x):
        inner = _mul(_GELU_BETA_F, _fma(_GELU_KAPPA_F, _mul(_mul(x, x), x), x))
        return _mul(_mul(_f(0.5), x), _f(1) + th(inner))
    return g


def _gelu_tanh_bwd(th):
    def g(dy, x):
        x_sq = _mul(x, x)
        t = th(_mul(_GELU_BETA_F, _fma(_GELU_KAPPA_F, _mul(x_sq, x), x)))
        left_d = _mul(_f(0.5), _f(1) + t)
        inner_d = _mul(_GELU_BETA_F, _fma(np.float32(3 * _GELU_KAPPA_F), x_sq, _f(1)))
        right_d = _mul(_mul(_mul(_f(0.5), x), _fma(-t, t, _f(1))), inner_d)
        return _mul(dy, left_d + right_d)
    return g


def _erff(x):
    # glibc's erff is not ported; the float64 erf rounds to the same float nearly always
    return jax.scipy.special.erf(x.astype(jnp.float64)).astype(jnp.float32)


def _gelu_erf_fwd(erf):
    return lambda x: _mul(_mul(x, _f(0.5)), _f(1) + erf(_mul(x, np.float32(_SQRT1_2))))


def _gelu_erf_bwd(erf, ex, fused):
    beta = np.float32(2 / math.sqrt(math.pi) * _SQRT1_2 * 0.5)

    def g(dy, x):
        cdf = _mul(_f(0.5), _f(1) + erf(_mul(x, np.float32(_SQRT1_2))))
        pdf = _mul(beta, ex(_mul(_mul(x, x), _f(-0.5))))
        return _mul(dy, _fma(x, pdf, cdf) if fused else cdf + _mul(x, pdf))
    return g


def _gelu_exact(approximate, n, dnnl):
    """GeluKernelImpl / GeluBackwardKernelImpl (the vector loop's cdf + x * pdf is an FMA, the
    scalar loop's is not), or for approximate='none' on oneDNN's eltwise_gelu_erf."""
    from ._cascade import THREADS
    if approximate == "tanh":
        grain = n // THREADS[0] if n > 16384 else S.GRAIN    # GELU_MIN_ELEMENTS_FOR_MULTI_THREADING
        return _kvjp(_k1(_gelu_tanh_fwd(S.tanhf), _gelu_tanh_fwd(S.g_tanhf), grain=grain),
                     _k2(_gelu_tanh_bwd(S.tanhf), _gelu_tanh_bwd(S.g_tanhf)))
    if dnnl:
        return _kvjp(S.dnnl_gelu_erf, lambda g, x, y: _mul(g, S.dnnl_gelu_erf_grad(x)))
    grain = n // THREADS[0] if n > 16384 else S.GRAIN
    return _kvjp(_k1(_gelu_erf_fwd(S.erf_vec), _gelu_erf_fwd(_erff), grain=grain),
                 _k2(_gelu_erf_bwd(S.erf_vec, S.expf, True), _gelu_erf_bwd(_erff, S.g_expf, False)))


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


def _silu_k(ex):
    return lambda x: x / (_f(1) + ex(-x))


def _silu_bk(ex):
    def g(dy, x):
        s = _f(1) / (_f(1) + ex(-x))
        return _mul(_mul(dy, s), _fma(x, _f(1) - s, _f(1)))
    return g


_silu_exact = _kvjp(_k1(_silu_k(S.expf), _silu_k(S.g_expf)),
                    _k2(_silu_bk(S.expf), _silu_bk(S.g_expf)))


def _silu(input):
    _float_only(input, "silu_cpu")
    return _opmath(partial(_pick, _silu_exact, _silu_f))(input)


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


def _mish_k(ex, l1, th):
    return lambda x: _mul(x, th(l1(ex(x))))


def _mish_bk(ex, l1, th):
    def g(dy, x):
        s = _f(1) / (_f(1) + ex(-x))
        t = th(l1(ex(x)))
        return _mul(dy, _fma(_mul(x, s), _fma(-t, t, _f(1)), t))
    return g


_mish_exact = _kvjp(_k1(_mish_k(S.expf, S.log1pf, S.tanhf),
                        _mish_k(S.g_expf, S.g_log1pf, S.g_tanhf)),
                    _k2(_mish_bk(S.expf, S.log1pf, S.tanhf),
                        _mish_bk(S.g_expf, S.g_log1pf, S.g_tanhf)))


def _mish(input):
    _float_only(input, "mish_cpu")
    if _isc(input):
        _not_impl("mish_cpu", input)
    return _opmath(partial(_pick, _mish_exact, _mish_f))(input)


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


def _softplus_exact(beta, threshold):
    """softplus_kernel / softplus_backward_kernel (beta and threshold rounded to float)."""
    b, t = np.float32(beta), np.float32(threshold)

    def fk(ex, l1):
        return lambda x: jnp.where(_mul(x, b) > t, x, _cdiv(l1(ex(_mul(x, b))), b))

    def bk(ex):
        def g(dy, x):
            z = ex(_mul(x, b))
            return jnp.where(_mul(x, b) > t, dy, _mul(dy, z) / (z + _f(1)))
        return g
    return _kvjp(_k1(fk(S.expf, S.log1pf), fk(S.g_expf, S.g_log1pf)),
                 _k2(bk(S.expf), bk(S.g_expf)))


@op(namespace=F, method=False, grad="SoftplusBackward0", saves=("input",))
def softplus(input, beta=1, threshold=20):
    if not _isf(input) or _isc(input):
        _not_impl("softplus_cpu", input)
    return _opmath(partial(_pick, _softplus_exact(beta, threshold),
                           _softplus_fn(beta, threshold)))(input)


def _logsigmoid_raw(x):
    return jnp.minimum(x, jnp.zeros((), x.dtype)) - jnp.log1p(jnp.exp(-jnp.abs(x)))


def _logsigmoid_d(x, r):
    neg = x < 0
    z = jnp.exp(-jnp.abs(x))
    one, zero = jnp.ones((), x.dtype), jnp.zeros((), x.dtype)
    return jnp.where(neg, one, zero) - jnp.where(neg, one, -one) * (z / (1 + z))


_logsigmoid_f = _cjvp(_logsigmoid_raw, _logsigmoid_d)


def _logsigmoid_bk(dy, x, y):
    b = S.expf(-jnp.abs(x))        # the forward's buffer
    neg = x < 0
    md = jnp.where(neg, _f(1), _f(0))
    sg = jnp.where(neg, _f(1), _f(-1))
    return _mul(md - _mul(sg, b / (_f(1) + b)), dy)


# log_sigmoid_cpu_kernel runs whole and partial (masked) vectors only: no scalar loop
_logsigmoid_exact = _kvjp(lambda x: jnp.minimum(x, _f(0)) - S.log1pf(S.expf(-jnp.abs(x))),
                          _logsigmoid_bk)


@op(namespace=F, method=False, grad="LogSigmoidBackward0", saves=("input",))
def logsigmoid(input):
    if not _isf(input) or _isc(input):
        _not_impl("log_sigmoid_cpu", input)
    return _opmath(partial(_pick, _logsigmoid_exact, _logsigmoid_f))(input)


# ---------------------------------------------------------------- hard* / shrink / threshold

def _hardswish_d(x, r):
    return jnp.where(x <= -3, jnp.zeros((), x.dtype),
                     jnp.where(x < 3, x / 3 + 0.5, jnp.ones((), x.dtype)))


_hardswish_f = _cjvp(lambda x: x * jnp.minimum(jnp.maximum(x + 3, 0), 6) / 6, _hardswish_d)


def _hsw_bk(vector):
    """hardswish_backward_kernel: 0 for x <= -3, grad for x >= 3, grad * (x / 3 + 0.5) between
    (a NaN x: the middle formula in the vector loop, grad in the scalar one)."""
    def g(dy, x):
        mid = _mul(dy, _cdiv(x, 3.0) + _f(0.5))
        if vector:
            return jnp.where(x <= _f(-3), _f(0), jnp.where(x >= _f(3), dy, mid))
        return jnp.where(x <= _f(-3), _f(0), jnp.where(x < _f(3), mid, dy))
    return g


_hardswish_exact = _kvjp(_k1(lambda x: _cdiv(_mul(x, _vmin(_vmax(x + _f(3), _f(0)), _f(6))), 6.0)),
                         _k2(_hsw_bk(True), _hsw_bk(False)))


def _hardswish(input):
    _float_only(input, "hardswish_cpu")
    return _opmath(partial(_pick, _hardswish_exact, _hardswish_f))(input)


_HSW, _HSW_I = _twin(_hardswish, "hardswish", "HardswishBackward0", "HardswishBackward0",
                     function=False, method=False)


@composite(method=False, namespace=F)
def hardswish(input, inplace=False):
    return _run(_HSW, _HSW_I, inplace, input, ())


# (torch's backward multiplies by the float 1.0f / 6.0f, in double too)
_hardsigmoid_f = _cjvp(lambda x: jnp.minimum(jnp.maximum(x + 3, 0), 6) / 6,
                       lambda x, r: jnp.where((x > -3) & (x < 3),
                                              jnp.asarray(np.float32(1) / np.float32(6), x.dtype),
                                              jnp.zeros((), x.dtype)))


_hardsigmoid_exact = _kvjp(
    _k1(lambda x: _cdiv(_vmin(_vmax(x + _f(3), _f(0)), _f(6)), 6.0)),
    _k2(lambda dy, x: jnp.where((x > _f(-3)) & (x < _f(3)), _mul(dy, _f(1.0 / 6.0)), _f(0))))


def _hardsigmoid(input):
    _float_only(input, "hardsigmoid_cpu")
    return _opmath(partial(_pick, _hardsigmoid_exact, _hardsigmoid_f))(input)


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
    z = jnp.zeros((), input.dtype)
    return _kvjp(lambda x: jnp.where((x >= -lam) & (x <= lam), z, x),
                 _shrink_bwd(lam, input.dtype))(input)


@op(namespace=F, method=False, grad="SoftshrinkBackward0", saves=("input",))
def softshrink(input, lambd=0.5):
    _float_only(input, "softshrink_cpu")
    _lambd_check(input, lambd)
    lam = jnp.asarray(lambd, input.dtype)
    z = jnp.zeros((), input.dtype)

    def shrink(inside):
        return lambda x: jnp.where(x > lam, x - lam, jnp.where(x < -lam, x + lam, inside(x)))
    # inside the band the vector body gives +0 (NaN stays NaN), the scalar loop a * 0 (-0 for -a)
    fwd = _k1(shrink(lambda x: jnp.where(jnp.isnan(x), x, z)), shrink(lambda x: x * z),
              block=_avx2_block(input.dtype))
    return _kvjp(fwd, _shrink_bwd(lam, input.dtype))(input)


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
