"""Exact float helpers for the CPU random generator (numpy only).

- fma32 / fma64: correctly rounded fused multiply-add, vectorised, as the
  compiler-contracted kernels in torch's CPU build compute them.
- log_ps / sincos_ps: the Cephes float32 polynomials of ATen's avx_mathfun.h
  (log256_ps, sincos256_ps) with the FMA contractions the AVX2 build uses.
- libm: glibc's scalar double functions (what std::log etc. call in torch),
  reached through Python's math module or ctypes; numpy's own SIMD versions
  differ in the last bit.
"""
import ctypes
import ctypes.util
import math

import numpy as np

f32, f64 = np.float32, np.float64


# ---------------------------------------------------------------- fma ----

def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_odd(s, e):
    """s + e (s = RN(exact), e the exact error) rounded to odd, in float64."""
    bits = np.array(s, dtype=f64, copy=True).view(np.int64)
    fix = (e != 0) & ((bits & 1) == 0) & np.isfinite(s)
    step = np.where((e > 0) == (s > 0), 1, -1)
    bits += np.where(fix, step, 0)
    return bits.view(f64)


def fma32(a, b, c):
    """float32 fma: exact product in float64, sum rounded to odd, then to float32."""
    a, b, c = (np.asarray(v, dtype=f32) for v in (a, b, c))
    p = a.astype(f64) * b            # exact: 24 + 24 bits
    c = c.astype(f64)
    s = p + c
    bits = np.asarray(s).view(np.int64)
    # Only a float64 sum sitting exactly on a float32 rounding midpoint can
    # double-round wrongly (normal range); other sums go straight to float32.
    risky = ((bits & 0x1FFFFFFF) == 0x10000000) | (np.abs(s) < 2.0 ** -125)
    if np.any(risky):
        with np.errstate(all="ignore"):
            s = np.where(risky, _round_odd(s, _two_sum(p, c)[1]), s)
    return s.astype(f32)


def _split(a):
    t = a * 134217729.0  # 2^27 + 1
    hi = t - (t - a)
    return hi, a - hi


def fma64(a, b, c):
    """float64 fma (Boldo-Melquiond emulation: exact product, sum of three with
    round-to-odd)."""
    a, b, c = (np.asarray(v, dtype=f64) for v in (a, b, c))
    with np.errstate(all="ignore"):   # inf/nan inputs take the plain path below
        ph = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
        th, tl = _two_sum(c, ph)
        s, e = _two_sum(tl, pl)
        out = th + _round_odd(s, e)
    # zero or non-finite product: plain ph + c is exact there
    plain = (ph == 0) | ~np.isfinite(ph) | ~np.isfinite(c)
    return np.where(plain, ph + c, out) if np.ndim(out) else (ph + c if plain else out)


# ------------------------------------------------- Cephes float32 (AVX2) ----

_SQRTHF = f32(0.707106781186547524)
_LOG_P = [f32(v) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                           -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                           2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]
_LOG_Q1, _LOG_Q2 = f32(-2.12194440e-4), f32(0.693359375)
_DP = [f32(-0.78515625), f32(-2.4187564849853515625e-4), f32(-3.77489497744594108e-8)]
_SIN_P = [f32(-1.9515295891E-4), f32(8.3321608736E-3), f32(-1.6666654611E-1)]
_COS_P = [f32(2.443315711809948E-005), f32(-1.388731625493765E-003),
          f32(4.166664568298827E-002)]
_FOPI = f32(1.27323954473516)


def log_ps(x):
    """log256_ps for positive normal float32 x."""
    bits = np.asarray(x, dtype=f32).view(np.uint32)
    e = ((bits >> 23).astype(np.int32) - 127).astype(f32) + f32(1)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(f32)
    mask = m < _SQRTHF
    x = (m - f32(1)) + np.where(mask, m, f32(0))
    e = e - np.where(mask, f32(1), f32(0))
    z = x * x
    y = np.full_like(x, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = fma32(y, x, p)
    y = fma32(y * x, z, e * _LOG_Q1)
    y = fma32(z, f32(-0.5), y)
    x = x + y
    return fma32(e, _LOG_Q2, x)


def sincos_ps(x):
    """sincos256_ps for float32 x; returns (sin, cos)."""
    x = np.asarray(x, dtype=f32)
    sign_sin = x.view(np.uint32) & np.uint32(0x80000000)
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)          # cvttps: truncation
    j = (j + 1) & ~1
    y = j.astype(f32)
    sign_sin ^= ((j & 4).astype(np.uint32) << 29)
    poly = (j & 2) == 0
    for dp in _DP:
        x = fma32(y, dp, x)
    sign_cos = ((~(j - 2)) & 4).astype(np.uint32) << 29
    z = x * x
    yc = fma32(fma32(np.full_like(z, _COS_P[0]), z, _COS_P[1]), z, _COS_P[2])
    yc = fma32(yc * z, z, -(z * f32(0.5))) + f32(1)
    ys = fma32(fma32(np.full_like(z, _SIN_P[0]), z, _SIN_P[1]), z, _SIN_P[2])
    ys = fma32(ys * z, x, x)
    zero = f32(0)
    s1, s2 = np.where(poly, zero, yc), np.where(poly, ys, zero)
    s = (s1 + s2).view(np.uint32) ^ sign_sin
    c = ((yc - s1) + (ys - s2)).view(np.uint32) ^ sign_cos
    return s.view(f32), c.view(f32)


# ------------------------------------------------------------ glibc libm ----

def _libm_lgamma():
    path = ctypes.util.find_library("m") or "libm.so.6"
    fn = ctypes.CDLL(path).lgamma
    fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_double]
    return fn


lgamma = _libm_lgamma()  # CPython's math.lgamma is its own code, not glibc's


def libm(fn, x):
    """Apply a scalar libm function (math.log, math.cos, ...) elementwise."""
    x = np.asarray(x, dtype=f64)
    return np.fromiter(map(fn, x.ravel().tolist()), f64, x.size).reshape(x.shape)


def _ieee(fn, np_fn):
    """math.fn, but returning the IEEE value (inf, nan) where Python raises;
    glibc returns the same values there."""
    def f(x):
        try:
            return fn(x)
        except (ValueError, OverflowError):
            with np.errstate(all="ignore"):
                return float(np_fn(f64(x)))
    return f


log, log1p = _ieee(math.log, np.log), _ieee(math.log1p, np.log1p)
sin, cos, tan = _ieee(math.sin, np.sin), _ieee(math.cos, np.cos), _ieee(math.tan, np.tan)
exp = _ieee(math.exp, np.exp)
