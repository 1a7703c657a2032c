"""float32 math as torch 2.13's CPU kernels compute it on this (AVX512) build, bit for bit.

torch's vectorized kernels run Vectorized<float> (16 lanes) whose exp() is Sleef_expf16_u10,
log() Sleef_logf16_u10, log1p() Sleef_log1pf16_u10, expm1() Sleef_expm1f16_u10, tanh()
Sleef_tanhf16_u10; erf() is ATen's Abramowitz-Stegun polynomial around SLEEF's exp. ``expf``,
``logf``, ``log1pf``, ``expm1f``, ``tanhf``, ``erf_vec`` port sleef/src/libm/sleefsimdsp.c
(xexpf, xlogf_u1, xlog1pf of SLEEF >= 3.8, xexpm1f, xtanhf; the double-float helpers of
src/common/df.h with FMA; the AVX512F getexp / getmant / fixupimm flavour) operation by operation.

The elements a kernel leaves to its scalar loop (cpu_kernel_vec: the last n % 32 of each
contiguous run, see ``kernel``; the softmax kernels' tails) call glibc 2.36: ``g_expf`` (the
double-precision table algorithm of e_expf.c), ``g_log1pf``, ``g_expm1f``, ``g_tanhf`` (fdlibm's
float code). gelu(approximate='none') of a contiguous float32 / bfloat16 tensor runs oneDNN's
eltwise_gelu_erf instead: ``dnnl_gelu_erf`` and ``dnnl_gelu_erf_grad`` port its AVX512 JIT code
(a minimax polynomial per range of |x|; the backward around oneDNN's own exp).

XLA habits kept out: a float32 product feeding an add is contracted into an FMA where torch
rounds twice (``mul`` rounds the product behind a select LLVM does not see through); FMAs are
not left to that contraction but computed by ``fma``: the float product is exact in float64,
the sum rounds once in float64 and once to float32 (a double rounding that can differ from a
true FMA with probability about 2^-30 per operation; none seen in tens of millions of tests;
``_cascade.fma32`` rounds to odd in between and is exact, but makes these kernels 3-5x slower);
constant operands are reassociated ((a + c1) + c2, (a * c1) * c2, a / c: see ``opaque``); a
value several parts of one fusion share is computed once for each (``mat``).

Not reproduced: XLA's CPU arithmetic flushes subnormals (inputs and results), so where torch
returns or passes through a subnormal float (exp of -87.3 ... -104, softmax probabilities below
2^-126) the result here is zero or differs. float64 keeps jnp math (a float64 FMA has no wider
type to be emulated in).
"""
import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

F32, F64, I32 = jnp.float32, jnp.float64, jnp.int32
_INF = np.float32(np.inf)
_NAN = np.float32(np.nan)


def f(v):
    """A C float constant: the literal rounded to float."""
    return np.float32(v)


def _r(p):
    """p, rounded on its own: a select LLVM does not see through keeps XLA from contracting a
    float32 product into a following add (an FMA, where torch rounds twice)."""
    return jnp.where(jnp.isnan(p), _NAN, p)


def mul(a, b):
    """a * b rounded to float (not contracted into a following add)."""
    return _r(a * b)


def _w(v):
    """The float64 value of a float32 array or constant (exact)."""
    if isinstance(v, (float, np.floating)):
        return np.float64(np.float32(v))
    return v if v.dtype == F64 else v.astype(F64)


def fma(a, b, c):
    """fmaf(a, b, c): the exact product plus c, rounded (through float64)."""
    return (_w(a) * _w(b) + _w(c)).astype(F32)


def opaque(x):
    """x, hidden from XLA's simplifier, which reassociates float constants: (a + c1) + c2 becomes
    a + (c1 + c2), (a * c1) * c2 becomes a * (c1 * c2), a / c becomes a * (1 / c)."""
    return lax.optimization_barrier(x)


def _bits(x):
    return lax.bitcast_convert_type(x, I32)


def _flt(i):
    return lax.bitcast_convert_type(i, F32)


def _rint_i(x):
    """_mm512_cvtps_epi32 (round half to even) where it matters: the arguments here are at most
    a few hundred where the result is used."""
    return jnp.rint(jnp.clip(x, f(-512), f(512))).astype(I32)


def _pow2i(q):
    return _flt(jnp.left_shift(q + 0x7f, 23))


def _ldexp2(d, e):
    h = jnp.right_shift(e, 1)
    return d * _pow2i(h) * _pow2i(e - h)       # exact (a rounded product only if subnormal)


def _ldexp3(d, q):
    return _flt(_bits(d) + jnp.left_shift(q, 23))


def _getexp(x):
    """_mm512_getexp_ps: floor(log2|x|) as a float, exact for subnormals."""
    b = _bits(x) & 0x7fffffff
    ex = jnp.right_shift(b, 23)
    man = b & 0x7fffff
    e = jnp.where(ex == 0, (31 - lax.clz(man)) - 149, ex - 127).astype(F32)
    e = jnp.where(b == 0, -_INF, e)
    e = jnp.where(ex == 0xff, jnp.where(man == 0, _INF, _NAN), e)
    return e


def _getmant(x):
    """_mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_nan) for positive finite x."""
    b = _bits(x) & 0x7fffffff
    ex = jnp.right_shift(b, 23)
    man = b & 0x7fffff
    sh = lax.clz(man) - 8
    man = jnp.where(ex == 0, jnp.left_shift(man, jnp.maximum(sh, 0)) & 0x7fffff, man)
    return _flt(man | jnp.where(man < 0x400000, np.int32(0x3f800000), np.int32(0x3f000000)))


def _mulsign(x, y):
    return _flt(_bits(x) ^ (_bits(y) & np.int32(-2 ** 31)))


# ---------------------------------------------------------------- double-float arithmetic (df.h)

def _add(x, y):           # dfadd_vf2_vf_vf
    s = x + y
    return s, (x - s) + y


def _add2(x, y):          # dfadd2_vf2_vf_vf
    s = x + y
    if isinstance(x, np.floating):
        s = opaque(s)         # XLA folds (C + y) - C into y
    v = s - x
    return s, (x - (s - v)) + (y - v)


def _add_f2_f(x, y):      # dfadd_vf2_vf2_vf
    s = x[0] + y
    return s, ((x[0] - s) + y) + x[1]


def _add2_f2_f(x, y):     # dfadd2_vf2_vf2_vf
    s = x[0] + y
    v = s - x[0]
    t = (x[0] - (s - v)) + (y - v)
    return s, t + x[1]


def _add_f_f2(x, y):      # dfadd_vf2_vf_vf2
    s = x + y[0]
    return s, ((x - s) + y[0]) + y[1]


def _add_f2_f2(x, y):     # dfadd_vf2_vf2_vf2
    s = x[0] + y[0]
    return s, (((x[0] - s) + y[0]) + x[1]) + y[1]


def _add2_f2_f2(x, y):    # dfadd2_vf2_vf2_vf2
    s = x[0] + y[0]
    v = s - x[0]
    t = (x[0] - (s - v)) + (y[0] - v)
    return s, t + (x[1] + y[1])


def _mul_f2_f(x, y):      # dfmul_vf2_vf2_vf
    s = mul(x[0], y)
    return s, fma(x[1], y, fma(x[0], y, -s))


def _mul_f2_f2(x, y):     # dfmul_vf2_vf2_vf2
    s = mul(x[0], y[0])
    return s, fma(x[0], y[1], fma(x[1], y[0], fma(x[0], y[0], -s)))


def _squ(x):              # dfsqu_vf2_vf2
    s = mul(x[0], x[0])
    return s, fma(x[0] + x[0], x[1], fma(x[0], x[0], -s))


def _div(n, d):           # dfdiv_vf2_vf2_vf2
    t = 1 / d[0]
    s = mul(n[0], t)
    u = fma(t, n[0], -s)
    v = fma(-d[1], t, fma(-d[0], t, f(1)))
    return s, fma(s, v, fma(n[1], t, u))


def _rec(d):              # dfrec_vf2_vf2
    s = 1 / d[0]
    return s, mul(s, fma(-d[1], s, fma(-d[0], s, f(1))))


def _scale(x, s):        # by 2: exact
    return x[0] * s, x[1] * s


# ---------------------------------------------------------------- SLEEF (u10)

_R_LN2 = f(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2U = f(0.693145751953125)
_L2L = f(1.428606765330187045e-06)
_LN2_DF = (f(0.69314718246459960938), f(-1.904654323148236017e-09))


def expf(d):
    """Sleef_expf16_u10 (xexpf)."""
    q = _rint_i(d * _R_LN2)
    q64 = q.astype(F64)
    s = fma(q64, -_L2U, d)
    s = _w(fma(q64, -_L2L, s))
    u = _w(f(0.000198527617612853646278381))
    for c in (0.00139304355252534151077271, 0.00833336077630519866943359,
              0.0416664853692054748535156, 0.166666671633720397949219, 0.5):
        u = _w(fma(u, s, f(c)))
    s32 = s.astype(F32)
    u = f(1) + fma(s32 * s32, u, s)
    u = _ldexp2(u, q)
    u = jnp.where(d < f(-104), f(0), u)
    return jnp.where(f(100) < d, _INF, u)


def _log_core(e, x):
    """The shared tail of xlogf_u1 / xlog1pf: s = e*ln2 + 2x + x^3 * poly(x^2)."""
    x2 = x[0] * x[0]
    t = fma(f(0.3027294874), x2, f(0.3996108174))
    t = fma(t, x2, f(0.6666694880))
    s = _mul_f2_f(_LN2_DF, e)
    s = _add_f2_f2(s, _scale(x, f(2)))
    s = _add_f2_f(s, mul(x2 * x[0], t))
    return s[0] + s[1]


def logf(d):
    """Sleef_logf16_u10 (xlogf_u1, AVX512F: getexp / getmant / fixupimm)."""
    e = _getexp(d * f(1.0 / 0.75))
    e = jnp.where(e == _INF, f(128), e)
    m = _getmant(d)
    x = _div(_add2(f(-1), m), _add2(f(1), m))
    r = _log_core(e, x)
    r = jnp.where(d == _INF, _INF, r)
    r = jnp.where((d < 0) | jnp.isnan(d), _NAN, r)
    return jnp.where(d == 0, -_INF, r)


def log1pf(d):
    """Sleef_log1pf16_u10 (xlog1pf, AVX512F)."""
    dp1 = d + f(1)
    e = _getexp(dp1 * f(1.0 / 0.75))
    e = jnp.where(e == _INF, f(128), e)
    t = _ldexp3(jnp.ones_like(d), -_rint_i(e))
    m = fma(d, t, t - f(1))
    x = _div((m, jnp.zeros_like(m)), _add(f(2), m))
    r = _log_core(e, x)
    big = ~(d <= f(1e38))                       # SLEEF >= 3.8 (3.6 gives inf): logf there
    r = lax.cond(jnp.any(big), lambda r: jnp.where(big, logf(d), r), lambda r: r, r)
    r = jnp.where(f(-1) > d, _NAN, r)
    r = jnp.where(d == f(-1), -_INF, r)
    return jnp.where((d == 0) & jnp.signbit(d), f(-0.0), r)


def mat(v, like):
    """v, materialised (an XLA conditional is not fused across; its predicate reads ``like``, an
    array already in memory): XLA's loop emitter (torchjax's choice, _jit.py) computes a value
    that several parts of one long fusion share once for each, several times over."""
    if v.size == 0:
        return v
    first = like.reshape(-1)[0]
    return lax.cond(first == first, lambda y: y, lambda y: y * 1, v)


def _mat(pair, like):
    return mat(pair[0], like), mat(pair[1], like)


def _expk2f(d):
    """expk2f: exp of a double-float, as a double-float (no overflow handling)."""
    q = _rint_i((d[0] + d[1]) * _R_LN2)
    qf = q.astype(F32)
    s = _add2_f2_f(d, qf * -_L2U)               # exact
    s = _add2_f2_f(s, mul(qf, -_L2L))
    u = f(0.1980960224e-3)
    for c in (0.1394256484e-2, 0.8333456703e-2, 0.4166637361e-1):
        u = fma(u, s[0], f(c))
    t = _add2_f2_f(_mul_f2_f(s, u), f(0.166666659414234244790680580464))
    t = _add2_f2_f(_mul_f2_f2(s, t), f(0.5))
    t = _add2_f2_f2(s, _mul_f2_f2(_squ(s), t))
    t = _add_f_f2(f(1), t)
    t = (_ldexp2(t[0], q), _ldexp2(t[1], q))
    low = d[0] < f(-104)
    return jnp.where(low, f(0), t[0]), jnp.where(low, f(0), t[1])


def expm1f(a):
    """Sleef_expm1f16_u10 (xexpm1f)."""
    d = _add2_f2_f(_expk2f((a, jnp.zeros_like(a))), f(-1))
    x = d[0] + d[1]
    x = jnp.where(a > f(88.72283172607421875), _INF, x)
    x = jnp.where(a < f(-16.635532333438687426013570), f(-1), x)
    return jnp.where((a == 0) & jnp.signbit(a), f(-0.0), x)


def tanhf(x):
    """Sleef_tanhf16_u10 (xtanhf)."""
    y = jnp.abs(x)
    d = _mat(_expk2f((y, jnp.zeros_like(y))), x)
    e = _mat(_rec(d), x)
    d = _div(_mat(_add_f2_f2(d, (-e[0], -e[1])), x), _mat(_add_f2_f2(d, e), x))
    y = d[0] + d[1]
    y = jnp.where((jnp.abs(x) > f(8.664339742)) | jnp.isnan(y), f(1), y)
    y = _mulsign(y, x)
    return jnp.where(jnp.isnan(x), _NAN, y)


def erf_vec(x):
    """at::vec::Vectorized<float>::erf: Abramowitz-Stegun 7.1.26 around Sleef's expf."""
    a = jnp.abs(x)
    t = 1 / fma(f(0.3275911), a, f(1))
    r = fma(f(1.061405429), t, f(-1.453152027))
    r = fma(r, t, f(1.421413741))
    r = fma(r, t, f(-0.284496736))
    r = fma(r, t, f(0.254829592))
    e = expf(-(x * x))
    r = fma(-e * t, r, f(1))
    return _flt(_bits(r) ^ (_bits(x) & np.int32(-2 ** 31)))


# ---------------------------------------------------------------- oneDNN (gelu, approximate='none')
# torch hands a contiguous float32 gelu (more than one element) and its backward to oneDNN's
# eltwise_gelu_erf; on AVX512 its JIT injector (src/cpu/x64/injectors/
# jit_uni_eltwise_injector.cpp) evaluates erf(x / sqrt 2) as a degree-5 polynomial in |x|
# picked from 25 by the bits of |x| (forward), and the backward as Abramowitz-Stegun around its
# own exp.

def _tbl(*rows):
    return np.array(rows, np.uint32).view(np.float32)


_GELU_POL = [_tbl(*r) for r in (
    (0xa6f2cb94, 0x32827792, 0x3381cc0c, 0x34523d4a, 0x351ac44d, 0x35f36d88, 0x36ee8229,
     0x37b8a3bb, 0x3867a213, 0x3940033b, 0x3a2a5a1d, 0x3ae35863, 0x3b7828f2, 0x3c08b14b,
     0x3c515ed3, 0xbb503236, 0xbd8d8e5e, 0xbe8abcd9, 0xbf0c19a2, 0xbeccb328, 0x3e176ced,
     0x3f470d99, 0x3f7abb28, 0x3f800000, 0x00000000),
    (0x3f4c422a, 0x3f4c421f, 0x3f4c4207, 0x3f4c41cb, 0x3f4c413b, 0x3f4c3fad, 0x3f4c3a2f,
     0x3f4c2d40, 0x3f4c146a, 0x3f4bc341, 0x3f4ad08c, 0x3f48f8cf, 0x3f45fac7, 0x3f404e07,
     0x3f3b980f, 0x3f48dff3, 0x3f78b21b, 0x3fbb0704, 0x40019c32, 0x3fe536d6, 0x3f81331e,
     0x3e6c8684, 0x3c98f936, 0x00000000, 0x3f800000),
    (0xb62173f4, 0x3735e4cf, 0x37f2ff89, 0x388c23be, 0x3917535c, 0x39ab2ab0, 0x3a60fadb,
     0x3af9b960, 0x3b6e5491, 0x3c0a4ec5, 0x3ca5aa8c, 0x3d2138d9, 0x3d8737d4, 0x3ddfb660,
     0x3e0f27ab, 0x3d94004b, 0xbe0efdeb, 0xbf1d96c3, 0xbf89db58, 0xbf6d9897, 0xbef69fb8,
     0xbdc4f8a8, 0xbbde6422, 0x00000000, 0x00000000),
    (0xbe081a19, 0xbe084570, 0xbe08639b, 0xbe089837, 0xbe08f409, 0xbe09ab95, 0xbe0b66d0,
     0xbe0e400a, 0xbe124df8, 0xbe1bde02, 0xbe2f19c9, 0xbe4931bf, 0xbe685fbc, 0xbe89c95f,
     0xbe96cbca, 0xbe8044aa, 0xbe0550f2, 0x3dcfd6a1, 0x3e94c826, 0x3e79345f, 0x3decec91,
     0x3ca46568, 0x3aa1e00a, 0x00000000, 0x00000000),
    (0xba3d61db, 0x39f097a3, 0x3a5845dc, 0x3ab1fa35, 0x3b0cefb8, 0x3b653ab6, 0x3bcae527,
     0x3c221712, 0x3c6c5840, 0x3cc0a703, 0x3d1dcc19, 0x3d63656d, 0x3d955907, 0x3dbf9910,
     0x3dd53f69, 0x3db7dcef, 0x3d639ebe, 0xba6ede48, 0xbd22be69, 0xbd041cf1, 0xbc64f5ab,
     0xbb097a32, 0xb8ebf380, 0x00000000, 0x00000000),
    (0x3cb7d80c, 0x3c9b6050, 0x3c978d11, 0x3c92e850, 0x3c8d058b, 0x3c848454, 0x3c6cd623,
     0x3c4c824b, 0x3c2a7935, 0x3be0b390, 0x3b0651ac, 0xbb232f53, 0xbbd42fa0, 0xbc2c5366,
     0xbc492c9e, 0xbc2a7aa6, 0xbbd55d04, 0xba823a76, 0x3b102aa8, 0x3ae25a7e, 0x3a31f792,
     0x38b84375, 0x3689bb5a, 0x00000000, 0x00000000))]
_GELU_RBOUND = _tbl(0x40b15cee)[0]


def _vmin(a, b):
    """vminps / vmaxps: the second operand when either is NaN."""
    return jnp.where(a < b, a, b)


def _vmax(a, b):
    return jnp.where(a > b, a, b)


def dnnl_gelu_erf(x):
    """gelu_erf_minimax_approx_compute_vector_fwd."""
    a = jnp.abs(x)
    idx = jnp.right_shift(_bits(a) + np.int32(-0x3de00001), 21)      # + 0xc21fffff
    idx = jnp.clip(idx, 1, 24)
    idx = jnp.where(_GELU_RBOUND < a, 23, idx)
    p = jnp.asarray(_GELU_POL[5])[idx]
    for deg in range(4, -1, -1):
        p = fma(p, a, jnp.asarray(_GELU_POL[deg])[idx])
    p = _flt(_bits(p) ^ (_bits(x) & np.int32(-2 ** 31)))
    return mul(mul(x, p + f(1)), f(0.5))


def dnnl_expf(x):
    """exp_compute_vector_fwd."""
    lo, hi = _tbl(0xc2aeac50)[0], _tbl(0x42b17218)[0]
    under = x < lo
    x = _vmax(_vmin(x, hi), lo)
    fx = jnp.floor(mul(x, _tbl(0x3fb8aa3b)[0]) + f(0.5))
    r = fma(-fx, _tbl(0x3f317218)[0], x)
    n = _rint_i(fx - f(1))
    p2 = jnp.where(under, f(0), _flt(jnp.left_shift(n + 127, 23)))
    p = _tbl(0x3c07cfce)[0]
    for c in (0x3d2b9d0d, 0x3e2aad40, 0x3efffee3, 0x3f7ffffb, 0x3f800000):
        p = fma(p, r, _tbl(c)[0])
    return mul(mul(p, p2), f(2))


def dnnl_gelu_erf_grad(x):
    """gelu_erf_compute_vector_bwd: d gelu / dx (the kernel then multiplies by the gradient)."""
    r = mul(x, _tbl(0x3f3504f3)[0])
    q = dnnl_expf(-mul(r, r))
    t = mul(mul(r, _tbl(0x3f106eba)[0]), q)
    w = 1 / fma(_tbl(0x3ea7ba05)[0], jnp.abs(r), f(1))
    nq = mul(-q, w)
    p = _tbl(0x3f87dc22)[0]
    for c in (0xbfba00e3, 0x3fb5f0e3, 0xbe91a98e, 0x3e827906):
        p = fma(p, w, _tbl(c)[0])
    e = fma(nq, p, f(1))
    e = _flt(_bits(e) ^ (_bits(r) & np.int32(-2 ** 31)))
    return fma(e, f(0.5), t + f(0.5))


# ---------------------------------------------------------------- glibc 2.36 (scalar loops)

_EXP2F_T = np.array([
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
], np.uint64).view(np.int64)
_EXPF_N = 32
_EXPF_INVLN2N = float.fromhex("0x1.71547652b82fep+0") * _EXPF_N
_EXPF_C = (float.fromhex("0x1.c6af84b912394p-5") / _EXPF_N ** 3,
           float.fromhex("0x1.ebfce50fac4f3p-3") / _EXPF_N ** 2,
           float.fromhex("0x1.62e42ff0c52d6p-1") / _EXPF_N)


def g_expf(x):
    """glibc expf (sysdeps/ieee754/flt-32/e_expf.c): double arithmetic, 2^(k/32) table."""
    xd = x.astype(F64)
    z = np.float64(_EXPF_INVLN2N) * jnp.clip(xd, -200, 200)
    big = jnp.abs(x) >= f(88.0)
    z = jnp.where(jnp.isnan(x), np.float64(0), z)
    kd = jnp.rint(z)
    ki = kd.astype(jnp.int64)
    r = z - kd
    t = jnp.asarray(_EXP2F_T)[ki & 31] + jnp.left_shift(ki, 47)
    s = lax.bitcast_convert_type(t, F64)
    zz = np.float64(_EXPF_C[0]) * r + np.float64(_EXPF_C[1])
    r2 = r * r
    y = np.float64(_EXPF_C[2]) * r + np.float64(1)
    y = (zz * r2 + y) * s
    y = y.astype(F32)
    y = jnp.where(big & (x > f(float.fromhex("0x1.62e42ep6"))), _INF, y)
    y = jnp.where(big & (x < f(float.fromhex("-0x1.9fe368p6"))), f(0), y)
    return jnp.where(jnp.isnan(x), x, y)


def _i2f(i):
    return i.astype(F32)


def g_log1pf(x):
    """glibc log1pf (fdlibm s_log1pf.c, float arithmetic)."""
    ln2_hi, ln2_lo = _flt(np.int32(0x3f317180)), _flt(np.int32(0x3717f7d1))
    lp = [f(v) for v in (6.6666668653e-01, 4.0000000596e-01, 2.8571429849e-01, 2.2222198546e-01,
                         1.8183572590e-01, 1.5313838422e-01, 1.4798198640e-01)]
    hx = _bits(x)
    ax = hx & 0x7fffffff
    # k == 0 path: -0.2929 < x < 0.41422
    k0 = (hx < 0x3ed413d7) & ((hx > 0) | (hx <= np.int32(-0x416a09e1)))   # 0xbe95f61f
    # k != 0: reduce 1 + x
    u = opaque(f(1) + x)
    small = hx < 0x5a000000
    uu = jnp.where(small, u, x)
    hu = _bits(uu)
    k = jnp.right_shift(hu, 23) - 127
    c = jnp.where(k > 0, f(1) - (u - x), x - (u - f(1)))
    c = jnp.where(small, c / u, f(0))
    hu = hu & 0x7fffff
    lowm = hu < 0x3504f7
    uu = _flt(hu | jnp.where(lowm, np.int32(0x3f800000), np.int32(0x3f000000)))
    k = jnp.where(lowm, k, k + 1)
    hu = jnp.where(lowm, hu, jnp.right_shift(0x00800000 - hu, 2))
    fk = opaque(uu - f(1))
    fv = jnp.where(k0, x, fk)
    k = jnp.where(k0, 0, k)
    hu = jnp.where(k0, 1, hu)
    c = jnp.where(k0, f(0), c)
    kf = _i2f(k)
    hfsq = mul(mul(f(0.5), fv), fv)
    # hu == 0: |f| < 2**-20
    r0 = mul(hfsq, f(1) - mul(f(0.66666666666666666), fv))
    a0 = jnp.where(fv == 0, jnp.where(k == 0, f(0), mul(kf, ln2_hi) + (c + mul(kf, ln2_lo))),
                   jnp.where(k == 0, fv - r0,
                             mul(kf, ln2_hi) - ((r0 - (mul(kf, ln2_lo) + c)) - fv)))
    s = fv / (f(2) + fv)
    z = mul(s, s)
    R = lp[6]
    for c_ in lp[5::-1]:
        R = c_ + mul(z, R)
    R = mul(z, R)
    a1 = jnp.where(k == 0, fv - (hfsq - mul(s, hfsq + R)),
                   mul(kf, ln2_hi) - ((hfsq - (mul(s, hfsq + R) + (mul(kf, ln2_lo) + c))) - fv))
    r = jnp.where(hu == 0, a0, a1)
    # tiny and special arguments
    r = jnp.where(ax < 0x31000000, jnp.where(ax < 0x24800000, x, x - mul(mul(x, x), f(0.5))), r)
    r = jnp.where((hx < 0x3ed413d7) & (ax >= 0x3f800000),
                  jnp.where(x == f(-1), -_INF, _NAN), r)
    return jnp.where(hx >= 0x7f800000, x + x, r)


def g_expm1f(x):
    """glibc expm1f (fdlibm s_expm1f.c, float arithmetic)."""
    ln2_hi, ln2_lo = _flt(np.int32(0x3f317180)), _flt(np.int32(0x3717f7d1))
    q = [f(v) for v in (-3.3333335072e-02, 1.5873016091e-03, -7.9365076090e-05,
                        4.0082177293e-06, -2.0109921195e-07)]
    hx = _bits(x) & 0x7fffffff
    neg = jnp.signbit(x)
    # argument reduction
    near = hx < 0x3F851592
    kn = jnp.where(neg, -1, 1)
    kf = mul(_flt(np.int32(0x3fb8aa3b)), x) + jnp.where(neg, f(-0.5), f(0.5))
    kf = jnp.where(jnp.isfinite(kf), kf, f(0))
    kt = jnp.trunc(kf).astype(I32)
    k = jnp.where(near, kn, kt)
    t = _i2f(k)
    hi = jnp.where(near, jnp.where(neg, x + ln2_hi, x - ln2_hi), x - mul(t, ln2_hi))
    lo = jnp.where(near, jnp.where(neg, -ln2_lo, ln2_lo), mul(t, ln2_lo))
    xr = hi - lo
    c = (hi - xr) - lo
    red = hx > 0x3eb17218
    k = jnp.where(red, k, 0)
    xr = jnp.where(red, xr, x)
    c = jnp.where(red, c, f(0))
    # primary range
    hfx = mul(f(0.5), xr)
    hxs = mul(xr, hfx)
    r1 = q[4]
    for c_ in q[3::-1]:
        r1 = c_ + mul(hxs, r1)
    r1 = f(1) + mul(hxs, r1)
    t = f(3) - mul(r1, hfx)
    e = mul(hxs, (r1 - t) / (f(6) - mul(xr, t)))
    res0 = xr - (mul(xr, e) - hxs)
    e = mul(xr, e - c) - c
    e = e - hxs
    kf = _i2f(k)
    rm1 = mul(f(0.5), xr - e) - f(0.5)
    rp1 = jnp.where(xr < f(-0.25), mul(f(-2), e - (xr + f(0.5))), f(1) + mul(f(2), xr - e))
    ke = jnp.left_shift(k, 23)
    yb = _flt(_bits(f(1) - (e - xr)) + ke) - f(1)
    tk = _flt(np.int32(0x3f800000) - jnp.right_shift(np.int32(0x1000000), jnp.clip(k, 0, 31)))
    ys = _flt(_bits(tk - (e - xr)) + ke)
    tb = _flt(jnp.left_shift(0x7f - k, 23))
    yl = _flt(_bits((xr - (e + tb)) + f(1)) + ke)
    res = jnp.where((k <= -2) | (k > 56), yb, jnp.where(k < 23, ys, yl))
    res = jnp.where(k == 1, rp1, jnp.where(k == -1, rm1, res))
    res = jnp.where(k == 0, res0, res)
    # tiny and huge arguments
    res = jnp.where(hx < 0x33000000, x, res)
    res = jnp.where((hx >= 0x4195b844) & neg, f(-1), res)
    res = jnp.where((hx >= 0x4195b844) & ~neg & (x > f(8.8721679688e+01)), _INF, res)
    return jnp.where(jnp.isnan(x), x, res)


def g_tanhf(x):
    """glibc tanhf (fdlibm s_tanhf.c over expm1f)."""
    ix = _bits(x) & 0x7fffffff
    ax = jnp.abs(x)
    big = ix >= 0x3f800000
    t = g_expm1f(jnp.where(big, f(2) * ax, f(-2) * ax))
    z = jnp.where(big, f(1) - f(2) / (t + f(2)), -t / (t + f(2)))
    z = jnp.where(ix < 0x24000000, mul(ax, f(1) + ax), z)
    z = jnp.where(ix >= 0x41b00000, f(1), z)
    z = jnp.where(ix == 0, ax, z)
    z = jnp.where(jnp.signbit(x), -z, z)
    return jnp.where(jnp.isnan(x), x, z)


# ---------------------------------------------------------------- cpu_kernel_vec's two loops

GRAIN = 32768     # at::internal::GRAIN_SIZE
VEC = 16          # Vectorized<float>::size() on this AVX512 build


def runs(n, grain=GRAIN, threads=None):
    """TensorIterator::for_each's split of n contiguous elements over threads: [(begin, end)].
    Serial below ``grain`` elements; else at::parallel_for's ceil(n / t) chunks."""
    from ._cascade import THREADS
    t = THREADS[0] if threads is None else threads
    if n <= grain or t == 1 or n <= 1:
        return [(0, n)]
    t = min(t, -(-n // grain)) if grain > 0 else t
    ch = -(-n // t)
    return [(b, min(n, b + ch)) for b in range(0, n, ch)]


def scalar_idx(n, grain=GRAIN, block=2 * VEC):
    """Indices cpu_kernel_vec leaves to its scalar loop: the last L % block of each run."""
    idx = [np.arange(b + (e - b) // block * block, e) for b, e in runs(n, grain)]
    return np.concatenate(idx) if idx else np.zeros(0, np.int64)


def kernel(vec_fn, scalar_fn, *args, grain=GRAIN, block=2 * VEC):
    """cpu_kernel_vec over same-shape contiguous float32 arrays: ``vec_fn`` (the Vectorized
    lambda) everywhere, ``scalar_fn`` (the scalar lambda, glibc math) on the scalar loop's
    elements."""
    shape = jnp.shape(args[0])
    flat = [jnp.reshape(a, (-1,)) for a in args]
    n = flat[0].shape[0]
    idx = scalar_idx(n, grain, block)
    if idx.size == n:
        out = scalar_fn(*flat)
    else:
        out = vec_fn(*flat)
        if idx.size:
            out = out.at[idx].set(scalar_fn(*[a[idx] for a in flat]))
    return out.reshape(shape)


# ---------------------------------------------------------------- ATen's vectorized reductions

def tree(a, op):
    """VecReduceAllSIMD on 16 lanes (..., 16) -> (...): lanes i and i^8, then ^4, ^2, ^1."""
    for s in (8, 4, 2, 1):
        a = op(a, a[..., np.arange(VEC) ^ s])
    return a[..., 0]


def reduce_all(x, op):
    """at::vec::reduce_all / map_reduce_all over the rows of x (R, D): fewer than 16 elements go
    left to right; else lane-wise over whole vectors, the tail into its first lanes, then
    ``tree``. ``op`` is jnp.add (summed in order) or jnp.maximum (order-free). The result is
    materialised (fused into an elementwise consumer, XLA would redo the sum per element)."""
    from ._cascade import _seq, fence
    r, d = x.shape
    if d < VEC:
        acc = x[:, 0]
        for i in range(1, d):
            acc = op(acc, x[:, i])
        return fence(acc)
    nv = d // VEC
    v = x[:, :nv * VEC].reshape(r, nv, VEC)
    acc = _seq(v, 1) if op is jnp.add else jnp.max(v, axis=1)
    t = d - nv * VEC
    if t:
        acc = jnp.concatenate([op(acc[:, :t], x[:, nv * VEC:]), acc[:, t:]], axis=1)
    return fence(tree(fence(acc), op))


# ---------------------------------------------------------------- derivatives
# The ports above are exact in value but their bit manipulation has no useful derivative; a
# gradient of a gradient (create_graph=True) differentiates through them, so each carries the
# analytic derivative of the function it computes.

def _deriv(fn, d, materialise=True):
    def once(x):
        return mat(fn(x), x) if materialise else fn(x)
    once.__name__, once.__doc__ = fn.__name__, fn.__doc__
    g = jax.custom_jvp(once)

    @g.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y = g(x)
        return y, t * d(x, y)
    g.__name__, g.__doc__ = fn.__name__, fn.__doc__
    return g


def _erf_d(x, y):
    return f(2 / np.sqrt(np.pi)) * jnp.exp(-x * x)


def _gelu_dd(x, y):
    return f(1 / np.sqrt(2 * np.pi)) * jnp.exp(f(-0.5) * x * x) * (f(2) - x * x)


def _gelu_d(x, y):
    return (f(0.5) * (f(1) + jax.scipy.special.erf(x * f(np.sqrt(0.5)))) +
            x * f(1 / np.sqrt(2 * np.pi)) * jnp.exp(f(-0.5) * x * x))


expf = _deriv(expf, lambda x, y: y, materialise=False)
g_expf = _deriv(g_expf, lambda x, y: y, materialise=False)
dnnl_expf = _deriv(dnnl_expf, lambda x, y: y)
logf = _deriv(logf, lambda x, y: 1 / x)
log1pf = _deriv(log1pf, lambda x, y: 1 / (1 + x))
g_log1pf = _deriv(g_log1pf, lambda x, y: 1 / (1 + x))
expm1f = _deriv(expm1f, lambda x, y: y + 1)
g_expm1f = _deriv(g_expm1f, lambda x, y: y + 1)
tanhf = _deriv(tanhf, lambda x, y: 1 - y * y)
g_tanhf = _deriv(g_tanhf, lambda x, y: 1 - y * y)
erf_vec = _deriv(erf_vec, _erf_d)
dnnl_gelu_erf = _deriv(dnnl_gelu_erf, _gelu_d, materialise=False)
dnnl_gelu_erf_grad = _deriv(dnnl_gelu_erf_grad, _gelu_dd)
