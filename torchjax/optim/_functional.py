"""Shared pieces of the single-parameter updates (torch's CPU kernel formulas).

torch's single-tensor optimizers run each tensor op as its own kernel, so every op rounds once,
except where a kernel is itself fused (measured on torch 2.13's CPU kernels):
``a.add(b, alpha=s)`` is ``fmadd(b, s, a)``, ``a.addcmul(t1, t2, value=v)`` is
``fmadd(v * t1, t2, a)``, ``a.addcdiv(t1, t2, value=v)`` is ``a + (v * t1) / t2`` (no fusion), and
``lerp`` is one fmadd (below); Python-float scalars are rounded to the tensor's type first; on a
complex tensor ``add`` rounds the product first (``cadd``).

Here the whole update is one jitted function, in which LLVM contracts a product feeding an add
into an FMA, so torch's fused ops are written ``fma(x, y, z)``, and what torch rounds on its own
goes through ``rnd`` (``buf.mul_(momentum)`` before its ``add_``). LLVM's contraction holds in
plain vectorised loops, not where it vectorises the outer loop of an array with a short
innermost dim (interleaved accesses, some products left unfused): the optimizer runs such
arrays flat (``optimizer._group_update``), and ``fma`` emulates the FMA exactly where that is not
enough (see there). Divisions go through ``sdiv`` / ``tdiv``: XLA's simplifier rewrites ``x / s``
(a scalar) as ``x * (1 / s)`` and ``x / sqrt(y)`` as ``x * rsqrt(y)``, neither IEEE.

``rnd`` and ``tdiv`` hide a value from XLA and LLVM by OR-ing its bits with an int zero that the
optimizer passes as a jit argument (``opaque_zero``): nothing can be folded or contracted through
it, and nothing is materialised. Traced outside an optimizer step they fall back to a fence (a
materialised copy) and an optimization barrier."""
import jax.numpy as jnp
from jax import lax

from .._ops._cascade import fence, fma32
from .optimizer import _ns, _scalar_tensor, complex_param, opaque_zero, inner_dim, SAFE_INNER

_INT = {2: jnp.int16, 4: jnp.int32, 8: jnp.int64}


def _bits(x):
    return lax.bitcast_convert_type(x, _INT[jnp.dtype(x.dtype).itemsize])


def _hide(x, z):
    b = _bits(x)
    return lax.bitcast_convert_type(b | z.astype(b.dtype), x.dtype)


def rnd(x):
    """x rounded on its own (a separate torch op, e.g. ``buf.mul_(momentum)``): LLVM cannot
    contract it into the add that follows."""
    z = opaque_zero()
    return fence(x) if z is None else _hide(x, z)


def tdiv(x, y):
    """x / y, IEEE (torch's div): y broadcast to the result's shape and hidden from XLA's
    simplifier, which rewrites ``x / broadcast(s)`` as ``x * (1 / s)`` and ``x / sqrt(y)`` as
    ``x * rsqrt(y)`` (XLA's rsqrt is not 1 / sqrt). The hiding OR takes x's bits AND zero, so the
    divisor is no broadcast that XLA could sink the OR through."""
    shape = jnp.broadcast_shapes(jnp.shape(x), jnp.shape(y))
    y = jnp.broadcast_to(jnp.asarray(y, x.dtype), shape)
    z = opaque_zero()
    if z is None:
        return x / lax.optimization_barrier(y)
    b = _bits(y)
    return x / lax.bitcast_convert_type(b | (_bits(x) & z.astype(b.dtype)), x.dtype)


def sdiv(x, s):
    """x / s for a Python scalar s (rounded to x's type first), IEEE."""
    return tdiv(x, jnp.asarray(s, x.dtype))


def _two_sum(a, b):
    """(s, e): s = RN(a + b), e = a + b - s exactly (Knuth; no products, nothing to contract)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_odd(s, e, it):
    """s + e (s = RN(s + e)) rounded to odd: s, or its neighbour toward e when s is even and e
    nonzero. Rounding that to a narrower format is then correctly rounded."""
    b = lax.bitcast_convert_type(s, it)
    fix = (e != 0) & ((b & 1) == 0) & jnp.isfinite(s)
    step = jnp.where((e > 0) == (s > 0), jnp.ones((), it), -jnp.ones((), it))
    return lax.bitcast_convert_type(jnp.where(fix, b + step, b), s.dtype)


def _split(a, z):
    """Veltkamp's split of a float64: a = hi + lo, each of 26 bits (the product rounded on its
    own: a contracted ``C * a - a`` would break it)."""
    t = _hide(a * 134217729.0, z)
    hi = t - (t - a)
    return hi, a - hi


def _fma64(x, y, z, zero):
    """fma(x, y, z) in float64, correctly rounded (Boldo & Melquiond, 'Emulation of FMA and
    correctly rounded sums: proved algorithms using rounding to odd', 2008): Dekker's exact
    product (its partial products are exact, so contracting them changes nothing; the leading
    product is hidden), an exact sum, a sum rounded to odd, one final rounding."""
    naive = x * y + z
    x, y, z = _hide(x, zero), _hide(y, zero), _hide(z, zero)    # no product flows in unrounded
    xh, xl = _split(x, zero)
    yh, yl = _split(y, zero)
    uh = _hide(x * y, zero)
    ul = ((xh * yh - uh) + xh * yl + xl * yh) + xl * yl          # x * y = uh + ul exactly
    th, tl = _two_sum(z, uh)                                     # z + uh = th + tl exactly
    s, e = _two_sum(tl, ul)
    r = th + _round_odd(s, e, jnp.int64)
    return jnp.where(jnp.isfinite(naive), r, naive)              # infinities, NaN: as they come


def fma(x, y, z, exact=False):
    """x * y + z rounded once: torch's fused kernels (vec::fmadd). x, y, z (Python or float64
    scalars included) are first rounded to the result's type, as torch's scalars are.

    Arrays whose innermost dim (size-1 dims aside) is ``SAFE_INNER`` or more, and the flat
    vectors the optimizer makes of the others, are plain loops: ``x * y + z``, which LLVM
    contracts. Smaller arrays, and ``exact`` (operands sliced out of a larger array, whose loops
    are strided), emulate it exactly: float32 in float64, where x * y is exact, the sum rounded
    to odd, then to float32 (correctly rounded, whatever LLVM contracts); float64 with
    ``_fma64`` (outside an optimizer step: LLVM's contraction). Other types: ``x * y + z``."""
    dt = next(v.dtype for v in (z, x, y) if not getattr(v, "weak_type", True))
    x, y, z = (jnp.asarray(v, dt) for v in (x, y, z))
    shape = jnp.broadcast_shapes(x.shape, y.shape, z.shape)
    if dt not in (jnp.float32, jnp.float64) or (inner_dim(shape) >= SAFE_INNER and not exact):
        return x * y + z
    if dt == jnp.float32:
        return fma32(x, y, z)
    zero = opaque_zero()
    return x * y + z if zero is None else _fma64(x, y, z, zero)


def add(a, b, alpha):
    """torch's ``a.add(b, alpha=alpha)`` (real tensors): fmadd(b, alpha, a)."""
    return fma(b, alpha, a)


def cadd(a, b, alpha):
    """``add`` where torch runs it on the parameter's own tensors: for a complex parameter (seen
    here as its real view) torch's complex kernel rounds b * alpha, then adds."""
    if complex_param():
        return a + rnd(b * jnp.asarray(alpha, b.dtype))
    return fma(b, alpha, a)


def lerp(a, b, w):
    """torch's ``a.lerp(b, w)`` for a scalar weight (lerp_vec, LerpKernel.cpp): w rounded to the
    tensor's type, then one fmadd: ``fma(w, b - a, a)`` for |w| < 0.5, else
    ``fma(w - 1, b - a, b)``."""
    if a.dtype in (jnp.float16, jnp.bfloat16):  # computed in float32, rounded once
        return lerp(a.astype(jnp.float32), b.astype(jnp.float32), w).astype(a.dtype)
    w = jnp.asarray(w, a.dtype)
    small = jnp.abs(w) < 0.5
    return fma(jnp.where(small, w, w - 1), b - a, jnp.where(small, a, b))


def addcmul(a, t1, t2, v):
    """torch's ``a.addcmul(t1, t2, value=v)``: fmadd(v * t1, t2, a)."""
    return fma(jnp.asarray(v, t1.dtype) * t1, t2, a)


def decay_add_sq(x, beta, g, w):
    """``x.mul_(beta).addcmul_(g, g, value=w)``: the decayed x rounded, then fmadd(w * g, g, .)."""
    return addcmul(rnd(x * beta), g, g, w)


def zeros(p):
    return _ns().zeros_like(p)


def step0():
    return _scalar_tensor(0.0)


def check_lr(lr):
    from .._tensor import Tensor
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check(cond, msg):
    if not cond:
        raise ValueError(msg)


def check_betas(betas, eps, weight_decay):
    check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")

