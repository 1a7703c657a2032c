"""nn.functional ops: batch/instance/layer/group/RMS/local-response normalization.

Each functional is one jitted op computing in torch's CPU accumulate type (float32 for half types,
float64 for double). Batch/instance norm return their updated running statistics as extra
(non-differentiable) outputs; the composite writes them into the running_mean/running_var
tensors in place, as torch's kernel does.

float32 on the CPU replays torch's own kernels bit for bit, forward, running statistics and
backward (custom_vjp): layer_norm_kernel.cpp, batch_norm_kernel.cpp with Normalization.cpp's
statistics (instance norm is batch norm over (1, N*C, *)), group_norm_kernel.cpp (contiguous),
and rms_norm's composite of tensor ops (float64 too). Those kernels are registered with
REGISTER_DISPATCH, so an AVX512 machine runs their AVX2 build: 8-lane vectors, the explicit
fmadd of RowwiseMoments, and the multiply-adds GCC contracted into one rounding (which ones was
read off torch's results; see _fma); per-thread buffers follow at::parallel_for's split over
torch's thread count (_cascade.THREADS).

Not replayed, taking the plain formulas below: float64 layer/batch/instance/group norm (torch's
double kernels fuse multiply-adds as well, and an exact float64 fma is not cheap to emulate
here), float16/bfloat16 (mixed-type kernels), other backends. Gradients reaching
native_group_norm's mean and rstd (torch then switches to a composite formula) and
create_graph=True double backward (idem) differentiate these formulas instead: close to torch,
not bitwise."""
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .._grad_state import STATE
from ._cascade import THREADS, fence, fma32 as _fma, fmean, fsum, on_cpu, sum_to, _seq
from .registry import op, composite, call, OPS, scalar_array
from ._util import wrap_dim

F = "nn.functional"


def _acc(x):
    return jnp.float64 if x.dtype == jnp.float64 else jnp.float32


def _sizes(shape):
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _per_channel(v, c, shape, acc):
    """A per-channel vector (or None) broadcast against (N, C, *)."""
    return None if v is None else v.reshape(c).astype(acc).reshape(shape)


def _check_numel(name, expected, t, times=1):
    if t is not None and t.size * times != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t.size * times}")


def _affine(x, mean, invstd, weight, bias):
    """torch's transform: alpha = invstd * weight, beta = bias - mean * alpha, x * alpha + beta."""
    alpha = invstd if weight is None else invstd * weight
    beta = -mean * alpha if bias is None else bias - mean * alpha
    return x * alpha + beta


def _update(running, stat, m):
    """momentum * stat + (1 - momentum) * running, in the running tensor's dtype."""
    m = m.astype(running.dtype)
    return lax.stop_gradient(m * stat.astype(running.dtype) + (1 - m) * running)


# ---------------------------------------------------------------- torch's CPU kernels (float32)

_F32, _F64 = jnp.float32, jnp.float64
_K = 8   # lanes of Vectorized<float> in the AVX2 build these kernels run (REGISTER_DISPATCH: the
         # AVX512 slot falls back to AVX2)


def _exact(*xs):
    """float32 throughout, on the CPU: the kernels below replay torch's order of operations."""
    return all(x is None or x.dtype == _F32 for x in xs)


def _rmul(a, b):
    """a * b rounded on its own (XLA would contract it into a following add)."""
    return fence(jnp.asarray(a) * jnp.asarray(b))


def _div(a, b):
    """IEEE a / b (XLA rewrites a division by a constant or a broadcast into a product with
    the reciprocal, and 1 / sqrt(x) into rsqrt)."""
    a = jnp.asarray(a)
    b = jnp.asarray(b, a.dtype)
    shape = jnp.broadcast_shapes(jnp.shape(a), jnp.shape(b))
    return a / lax.optimization_barrier(jnp.broadcast_to(b, shape))


def _pos0(x):
    """x + 0 (a -0 becomes +0)."""
    return jnp.where(x == 0, jnp.zeros((), x.dtype), x)


def _tree8(v):
    """vec_reduce_all of a float sum on AVX2: lanes i and i + 4, then i and i + 2, then 0 and 1."""
    u = v[..., :4] + v[..., 4:]
    w = u[..., :2] + u[..., 2:]
    return w[..., 0] + w[..., 1]


def _chunks(n):
    """at::parallel_for(0, n, 1)'s split over torch's threads: [(begin, end), ...]."""
    t = THREADS[0]
    if n <= 1 or t <= 1:
        return [(0, n)]
    ch = -(-n // min(t, n))
    return [(b, min(n, b + ch)) for b in range(0, n, ch)]


def _fold(step, init, rows, mask=None):
    """acc = step(acc, *row) over the leading axis of ``rows`` in order (lax.scan when long);
    ``mask`` (R, ...) keeps acc where False."""
    n = rows[0].shape[0]

    def body(acc, v):
        new = step(acc, *v[:len(rows)])
        return (new if mask is None else jnp.where(v[-1], new, acc)), None
    xs = tuple(rows) + (() if mask is None else (mask,))
    if n <= 8:
        acc = init
        for i in range(n):
            acc = body(acc, tuple(x[i] for x in xs))[0]
        return acc
    return lax.scan(body, init, xs)[0]


def _seq_rows(step, *rows):
    """``acc = step(acc, *row)`` over the rows (R, ...) in order, from zero: torch's
    accumulators start at +0, so the result is never -0 (XLA folds 0 + x into x)."""
    init = jnp.zeros(rows[0].shape[1:], rows[0].dtype)
    return _pos0(_fold(step, init, rows))


def _by_thread(step, *rows):
    """at::parallel_for(0, R, 1) over the rows: each thread folds its chunk in order with
    ``acc = step(acc, *row)`` from a row of zeros (its zeroed buffer). Returns one
    accumulator per thread of torch's pool, zeros for the threads parallel_for leaves idle."""
    cs = _chunks(rows[0].shape[0])
    ln = max(e - b for b, e in cs)

    def lay(r):   # (ln, chunks, ...): the chunks side by side, padded at the end
        return jnp.stack([jnp.pad(r[b:e], [(0, ln - (e - b))] + [(0, 0)] * (r.ndim - 1))
                          for b, e in cs], axis=1)
    ok = np.asarray([[i < e - b for b, e in cs] for i in range(ln)])
    ok = jnp.asarray(ok.reshape(ok.shape + (1,) * (rows[0].ndim - 1)))
    init = jnp.zeros((len(cs),) + rows[0].shape[1:], rows[0].dtype)
    acc = _pos0(_fold(step, init, tuple(lay(r) for r in rows), ok))
    out = [acc[i] for i in range(len(cs))]
    return out + [jnp.zeros_like(out[0])] * (max(THREADS[0], 1) - len(cs))


def _map_reduce(p, tail=None):
    """vec::map*_reduce_all(map, +) over the rows of (M, N): ``p`` the mapped values (products
    rounded on their own), ``tail`` (a, b) when the last partial vector's product is fused
    into its add (fma(a, b, acc)). The first vector starts the accumulator, the full vectors
    are added in order, then the horizontal sum; fewer than 8 elements: a running sum."""
    m, n = p.shape
    p = fence(p)
    if n < _K:
        return _seq(p, 1)
    nv = n // _K
    acc = _seq(p[:, :nv * _K].reshape(m, nv, _K), 1)
    r = n - nv * _K
    if r:
        if tail is None:
            new = acc[:, :r] + p[:, nv * _K:]
        else:
            new = _fma(tail[0][:, nv * _K:], tail[1][:, nv * _K:], acc[:, :r])
        acc = jnp.concatenate([new, acc[:, r:]], axis=1)
    return _tree8(acc)


# ---------------------------------------------------------------- RowwiseMoments

def _add_moments_vec(acc, add, cnt_acc, cnt_add):
    """AddMomentsVec(m0_add, m1_add, m2_add, m0, m1, m2) on stacked (M, k, 8) moments (an empty
    stack slot: zeros, count 0); the counts are static (k,) arrays. When a side is empty the
    products are exact (by 0 or 1) and need neither the fence nor the fused multiply-add."""
    m1, m2 = acc
    m1a, m2a = add
    n = cnt_acc + cnt_add
    c = np.where(n == 0, np.float32(0),
                 cnt_add.astype(np.float32) / np.maximum(n, 1).astype(np.float32))
    plain = bool(np.all((cnt_acc == 0) | (cnt_add == 0)))
    c = jnp.asarray(c.astype(np.float32))[None, :, None]
    m0f = jnp.asarray(cnt_acc.astype(np.float32))[None, :, None]
    delta = m1a - m1
    m2_tmp = m2 + m2a
    if plain:
        cd = c * delta
        return m1 + cd, m2_tmp + (delta * m0f) * cd
    cd = _rmul(c, delta)
    return m1 + cd, _fma(delta * m0f, cd, m2_tmp)


def _cascade_moments(m1, m2, counts):
    """RowwiseMomentsImpl's stack of partial moments over the chunks' (M, m, 8) moments, in the
    order of its AddMomentsVec calls: a chunk enters an empty slot (a copy) before its right
    neighbour is added, so whole blocks of 2^L chunks form a binary tree, evaluated a level at a
    time; what is left (the binary digits of the chunk count) is folded from the lowest slot up.
    Returns (m1, m2) of shape (M, 8)."""
    m = len(counts)
    M = m1.shape[0]
    d = 1 if m <= 2 else (m - 1).bit_length()
    zero = jnp.zeros((M, 1, _K), _F32)
    none = (zero, zero, np.zeros(1, np.int64))

    def merge(a, b):
        r1, r2 = _add_moments_vec(a[:2], b[:2], a[2], b[2])
        return r1, r2, a[2] + b[2]

    def part(t, lo, hi):
        return t[0][:, lo:hi], t[1][:, lo:hi], t[2][lo:hi]
    levels = [(m1, m2, np.asarray(counts, np.int64))]
    while len(levels) <= d and len(levels[-1][2]) >= 2:
        t = levels[-1]
        k = len(t[2]) // 2
        left = (t[0][:, 0:2 * k:2], t[1][:, 0:2 * k:2], t[2][0:2 * k:2])
        right = (t[0][:, 1:2 * k:2], t[1][:, 1:2 * k:2], t[2][1:2 * k:2])
        zk = jnp.zeros(left[0].shape, _F32)
        copy = merge((zk, zk, np.zeros(k, np.int64)), left)
        levels.append(merge(copy, right))
    if m == 1 << d or (d == 1 and m == 2):
        top = part(levels[d], 0, 1)
        r = 0
    else:
        top = merge(none, part(levels[d - 1], 0, 1))
        r = m - (1 << (d - 1))
    if d == 1:
        res = top
    else:
        stk = [None] * (d - 1)
        pos = 1 << (d - 1)
        for j in reversed(range(d - 1)):
            if (r >> j) & 1:
                stk[j] = merge(none, part(levels[j], pos >> j, (pos >> j) + 1))
                pos += 1 << j
        acc = stk[0] or none
        for j in range(1, d - 1):
            acc = merge(acc, stk[j] or none)
        res = merge(acc, top)
    return res[0][:, 0], res[1][:, 0]


_CV = [np.float32(1) / np.float32(j + 1) for j in range(16)]


def _rowwise_moments(x):
    """RowwiseMoments(X, N) of each row of the float32 (M, N) x: (mean, biased var)."""
    M, N = x.shape
    n = N // _K
    m = -(-n // 16)
    if m:
        xv = x[:, :n * _K].reshape(M, n, _K)
        xv = jnp.pad(xv, ((0, 0), (0, m * 16 - n), (0, 0))).reshape(M, m, 16, _K)
        last = n - 16 * (m - 1)
        cv = jnp.asarray(np.asarray(_CV, np.float32))
        live = jnp.asarray((np.arange(16)[:, None] < np.asarray([16] * (m - 1) + [last])[None, :]))

        def step(c, v):
            m1, m2 = c
            xj, cj, ok = v
            d = xj - m1
            n1 = _fma(cj, d, m1)
            n2 = _fma(d, xj - n1, m2)
            ok = ok[None, :, None]
            return (jnp.where(ok, n1, m1), jnp.where(ok, n2, m2)), None
        z = jnp.zeros((M, m, _K), _F32)
        (m1, m2), _ = lax.scan(step, (z, z), (jnp.moveaxis(xv, 2, 0), cv, live))
        v1, v2 = _cascade_moments(m1, m2, [16] * (m - 1) + [last])
    else:
        v1 = v2 = jnp.zeros((M, _K), _F32)
    c0 = 0
    a1 = jnp.zeros((M,), _F32)
    a2 = jnp.zeros((M,), _F32)
    for i in range(n * _K, N):     # the scalar tail, products rounded
        xi = x[:, i]
        d = xi - a1
        c0 += 1
        a1 = a1 + _div(d, np.float32(c0))
        a2 = a2 + _rmul(d, xi - a1)
    for i in range(_K):            # AddMoments of each lane (both fused)
        nn = c0 + n
        c = np.float32(0) if nn == 0 else np.float32(n) / np.float32(nn)
        delta = v1[:, i] - a1
        a1 = _fma(c, delta, a1)
        a2 = a2 + _fma((delta * delta) * c, np.float32(c0), v2[:, i])
        c0 = nn
    return a1, _div(a2, np.float32(N))


# ---------------------------------------------------------------- batch norm kernels (float32)

def _bn_stats(x):
    """batch_norm_cpu_collect_stats: (mean, var_sum) per channel of the float32 (N, C, HW) x.
    An image of more than one element (the contiguous kernel): running sums in double over each
    channel in memory order, the squares rounded to float first. HW == 1 (the channels-last
    kernel): with more rows than threads, float sums per thread (squares fused) added in double;
    otherwise float sums (C <= 16 or C > 2048, or one thread) or the double ones."""
    N, C, HW = x.shape
    n = N * HW
    add = lambda a, r: a + r
    sq = lambda a, r: _fma(r, r, a)
    t = THREADS[0]
    if HW == 1 and N > t:
        rows = x[:, :, 0]
        s = jnp.zeros((C,), _F64)
        for b in _by_thread(add, rows):
            s = s + b.astype(_F64)
        mean = _div(_pos0(s), np.float64(N)).astype(_F32)
        v = jnp.zeros((C,), _F64)
        for b in _by_thread(sq, rows - mean):
            v = v + b.astype(_F64)
        return mean, _pos0(v).astype(_F32)
    if HW == 1 and (t == 1 or C <= 16 or C > 2048):
        rows = x[:, :, 0]
        mean = _div(_seq_rows(add, rows), np.float32(N))
        return mean, _seq_rows(sq, rows - mean)
    rows = jnp.transpose(x, (0, 2, 1)).reshape(n, C)
    mean = _div(_seq_rows(add, rows.astype(_F64)), np.float64(n)).astype(_F32)
    d = rows - mean   # (the squares fenced: LLVM narrows a two-term double sum to float)
    return mean, _seq_rows(add, fence(d * d).astype(_F64)).astype(_F32)


def _bn_invstd(var_sum, n, eps):
    """InvStd<double>(var_sum / n, eps): the variance a float, the rest in double."""
    var = _div(var_sum, np.float32(n)).astype(_F64)
    inv = _div(np.float64(1), jnp.sqrt(var + eps)).astype(_F32)
    return inv if eps != 0 else jnp.where(var != 0, inv, jnp.zeros((), _F32))


def _bn_running(rm, rv, mean, var_sum, n, momentum):
    """momentum * stat + (1 - momentum) * running, as batch_norm_cpu_update_stats_template:
    the mean's in float (both products rounded), the variance's in double (var_sum / (n - 1) a
    float)."""
    m = momentum.astype(_F32)
    om = np.float32(1) - m
    new_rm = None if rm is None else _rmul(m, mean) + _rmul(om, rm)
    new_rv = None
    if rv is not None:
        uv = _div(var_sum, np.float32(n - 1)).astype(_F64)
        new_rv = (m.astype(_F64) * uv + (om * rv).astype(_F64)).astype(_F32)
    return new_rm, new_rv


def _bn_forward(x, w, b, rm, rv, momentum, train, eps):
    """((out, save_mean, save_invstd, new_rm, new_rv), eval-mode backward invstd) of torch's
    float32 CPU batch norm on the (N, C, HW) x: the statistics (training), then
    batch_norm_cpu_kernel's x * alpha + beta (fused) with alpha = invstd * w and
    beta = b - mean * alpha (fused)."""
    N, C, HW = x.shape
    n = N * HW
    if train:
        mean, var_sum = _bn_stats(x)
        invstd = invstd_b = _bn_invstd(var_sum, n, eps)
        new_rm, new_rv = _bn_running(rm, rv, mean, var_sum, n, momentum)
    else:   # the backward's invstd is computed in double
        mean = rm
        invstd = _div(np.float32(1), jnp.sqrt(rv + np.float32(eps)))
        invstd_b = _div(np.float64(1), jnp.sqrt(rv.astype(_F64) + eps)).astype(_F32)
        new_rm = new_rv = None
    alpha = invstd if w is None else invstd * w
    beta = _pos0(_fma(-mean, alpha, 0)) if b is None else _fma(-mean, alpha, b)
    out = _fma(x, alpha[:, None], beta[:, None])
    return (out, mean, invstd, new_rm, new_rv), invstd_b


@partial(jax.custom_vjp, nondiff_argnums=(6, 7))
def _bn_exact(x, w, b, rm, rv, momentum, train, eps):
    """(out, save_mean, save_invstd, new_rm, new_rv); the statistics are not differentiable
    outputs (the caller stops their gradients)."""
    return _bn_forward(x, w, b, rm, rv, momentum, train, eps)[0]


def _bn_fwd(x, w, b, rm, rv, momentum, train, eps):
    res, invstd_b = _bn_forward(x, w, b, rm, rv, momentum, train, eps)
    return res, (x, w, b, rm, rv, momentum, res[1], res[2], invstd_b)


def _bn_bwd(train, eps, res, cts):
    """batch_norm_cpu_backward_kernel (the statistics' own gradients are not used)."""
    x, w, b, rm, rv, momentum, mean, invstd, invstd_b = res
    g = cts[0]
    N, C, HW = x.shape
    n = N * HW
    inv = invstd if train else invstd_b
    xm = x - mean[:, None]
    if HW > 1:   # per channel: a float reduce of each image, added in double over the batch
        s = _map_reduce(g.reshape(N * C, HW)).reshape(N, C)
        dp = _map_reduce((xm * g).reshape(N * C, HW),
                         (xm.reshape(N * C, HW), g.reshape(N * C, HW))).reshape(N, C)
        add = lambda a, r: a + r
        ssum = _seq_rows(add, s.astype(_F64))
        dotp = _seq_rows(add, dp.astype(_F64))
        gw = (dotp * inv.astype(_F64)).astype(_F32)
        gb = ssum.astype(_F32)
        if train:
            k = _div((dotp.astype(_F32) * inv) * inv, np.float32(n))
            gm = _div(ssum, np.float64(n)).astype(_F32)
            dx = _fma(-xm, k[:, None], g - gm[:, None]) * inv[:, None]
        else:
            dx = g * inv[:, None]
        if w is not None:
            dx = dx * w[:, None]
    else:        # channels last: float sums per thread, added in double
        g2, xm2 = g[:, :, 0], xm[:, :, 0]
        ssum = jnp.zeros((C,), _F64)
        for t in _by_thread(lambda a, r: a + r, g2):
            ssum = ssum + t.astype(_F64)
        dotp = jnp.zeros((C,), _F64)
        for t in _by_thread(lambda a, u, v: _fma(u, v, a), xm2, g2):
            dotp = dotp + t.astype(_F64)
        ssum, dotp = _pos0(ssum).astype(_F32), _pos0(dotp).astype(_F32)
        gw, gb = dotp * inv, ssum
        if train:
            k = _div((dotp * inv) * inv, np.float32(N))
            t = g2 - _div(ssum, np.float32(N))
            full = C // _K * _K    # whole vectors fuse (x - mean) * k into the subtraction
            inner = jnp.concatenate([_fma(-xm2[:, :full], k[:full], t[:, :full]),
                                     t[:, full:] - _rmul(xm2[:, full:], k[full:])], axis=1)
            dx = inner * inv
        else:
            dx = g2 * inv
        if w is not None:
            dx = dx * w
        dx = dx[:, :, None]
    z = lambda t: None if t is None else jnp.zeros_like(t)
    return (dx, None if w is None else gw, None if b is None else gb, z(rm), z(rv),
            z(momentum))


_bn_exact.defvjp(_bn_fwd, _bn_bwd)


# ---------------------------------------------------------------- layer norm kernels (float32)

def _ln_forward(x, w, b, eps):
    """LayerNormKernelImplInternal on the float32 rows of x (M, N): (y, mean, rstd)."""
    mean, var = _rowwise_moments(x)
    rstd = _div(np.float32(1), jnp.sqrt(var + np.float32(eps)))
    xm = x - mean[:, None]
    r = rstd[:, None]
    if w is not None and b is not None:    # (x - mean) * rstd * gamma + beta, fused
        y = _fma(xm * r, w, b)
    elif w is not None:                     # the scalar loop: ... * gamma + 0
        y = _pos0(xm * r * w)
    elif b is not None:                     # ... * 1 + beta: fused
        y = _fma(xm, r, b)
    else:
        y = _pos0(xm * r)
    return y, mean, rstd


@partial(jax.custom_vjp, nondiff_argnums=(3,))
def _ln_exact(x, w, b, eps):
    return _ln_forward(x, w, b, eps)


def _ln_exact_fwd(x, w, b, eps):
    y, mean, rstd = _ln_forward(x, w, b, eps)
    return (y, mean, rstd), (x, w, b, mean, rstd)


def _ln_exact_bwd(eps, res, cts):
    """LayerNormBackwardKernelImplInternal (mean and rstd are not differentiable outputs)."""
    x, w, b, mean, rstd = res
    g = cts[0]
    M, N = x.shape
    if w is not None:
        gx = g * x
        ds = _map_reduce(gx * w, (gx, jnp.broadcast_to(w, x.shape)))
        db = _map_reduce(g * w, (g, jnp.broadcast_to(w, x.shape)))
    else:
        ds = _map_reduce(g * x, (g, x))
        db = _map_reduce(g)
    scale = np.float32(1) / np.float32(N)
    bb = _fma(db, mean, -ds) * rstd * rstd * rstd * scale
    c = _fma(-bb, mean, -(db * rstd * scale))
    ag = rstd[:, None] * g
    dx = _fma(bb[:, None], x, ag if w is None else ag * w) + c[:, None]
    dw = dbias = None
    if w is not None:   # per-thread buffers of rows, then added over the threads from 0
        h = _fma(rstd[:, None], x, (-rstd * mean)[:, None])
        dw = jnp.zeros((N,), _F32)
        for t in _by_thread(lambda a, u, v: _fma(u, v, a), g, h):
            dw = dw + t
        dw = _pos0(dw)
    if b is not None:
        dbias = jnp.zeros((N,), _F32)
        for t in _by_thread(lambda a, u: a + u, g):
            dbias = dbias + t
        dbias = _pos0(dbias)
    return dx, dw, dbias


_ln_exact.defvjp(_ln_exact_fwd, _ln_exact_bwd)


# ---------------------------------------------------------------- group norm kernels (float32)

def _gn_forward(x, w, b, G, eps):
    """GroupNormKernelImplInternal on the float32 (N, C, HW) x: (y, mean, rstd), (N, G)."""
    N, C, HW = x.shape
    D = C // G
    mean, var = _rowwise_moments(x.reshape(N * G, D * HW))
    rstd = _div(np.float64(1), jnp.sqrt(jnp.maximum(var, 0).astype(_F64) + eps)).astype(_F32)
    mean, rstd = mean.reshape(N, G), rstd.reshape(N, G)
    x4 = x.reshape(N, G, D, HW)
    if w is None and b is None:
        y = (x4 - mean[:, :, None, None]) * rstd[:, :, None, None]
    else:
        scale = rstd[:, :, None] * (1 if w is None else w.reshape(G, D))
        bias = (_pos0(_fma(-scale, mean[:, :, None], 0)) if b is None else
                _fma(-scale, mean[:, :, None], b.reshape(G, D)))
        y = _fma(scale[..., None], x4, bias[..., None])
    return y.reshape(N, C, HW), mean, rstd


def _gn_backward(x, w, b, mean, rstd, g, G):
    """GroupNormBackwardKernelImplInternal: (dx, dgamma, dbeta)."""
    N, C, HW = x.shape
    D = C // G
    ds = _map_reduce((g * x).reshape(N * C, HW)).reshape(N, G, D)
    db = _map_reduce(g.reshape(N * C, HW)).reshape(N, G, D)
    wv = jnp.ones((G, D), _F32) if w is None else w.reshape(G, D)
    d8 = D // _K * _K

    def calc(v):   # CalcDsDb: vectors of 8 channels fused into 8 lanes, lanes summed from 0,
        val = jnp.zeros((N, G), _F32)   # then the remaining channels fused one at a time
        if d8:
            blocks = jnp.moveaxis((v[..., :d8]).reshape(N, G, d8 // _K, _K), 2, 0)
            wb = jnp.broadcast_to(wv[:, :d8].reshape(G, d8 // _K, _K).transpose(1, 0, 2)[:, None],
                                  blocks.shape)
            acc = _seq_rows(lambda a, u, q: _fma(u, q, a), blocks, wb)
            for i in range(_K):
                val = val + acc[..., i]
            val = _pos0(val)
        for j in range(d8, D):
            val = _fma(v[..., j], wv[:, j], val)
        return val
    dsv, dbv = calc(ds), calc(db)
    s = np.float32(1) / np.float32(D * HW)
    c2 = _fma(dbv, mean, -dsv) * rstd * rstd * rstd * s
    c3 = _fma(-(dbv * rstd), s, -c2 * mean)
    c1 = rstd[:, :, None] * wv
    x4, g4 = x.reshape(N, G, D, HW), g.reshape(N, G, D, HW)
    dx = _fma(c1[..., None], g4, c2[:, :, None, None] * x4) + c3[:, :, None, None]
    dw = dbias = None
    if w is not None:   # GammaBackward: over the batch, (ds - db * mean) * rstd, both fused
        dw = _seq_rows(lambda a, u, v, mu, r: _fma(_fma(-v, mu, u), r, a), ds, db,
                       jnp.broadcast_to(mean[:, :, None], ds.shape),
                       jnp.broadcast_to(rstd[:, :, None], ds.shape)).reshape(C)
    if b is not None:
        dbias = _seq_rows(lambda a, u: a + u, db).reshape(C)
    return dx.reshape(N, C, HW), dw, dbias


@partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _gn_exact(x, w, b, G, eps):
    return _gn_forward(x, w, b, G, eps)


def _gn_exact_fwd(x, w, b, G, eps):
    y, mean, rstd = _gn_forward(x, w, b, G, eps)
    return (y, mean, rstd), (x, w, b, mean, rstd)


def _gn_exact_bwd(G, eps, res, cts):
    """native_group_norm_backward's kernel. Given a gradient for mean or rstd too, torch takes
    its composite formula instead, which uses them only when both are given (here: the plain
    formula's derivative)."""
    x, w, b, mean, rstd = res
    gy, gm, gr = cts
    N, C = x.shape[:2]

    def plain(with_stats):
        def run():
            f = lambda x, w, b: _group_norm_plain(x, w, b, N, C, G, eps)
            z = jnp.zeros_like
            return jax.vjp(f, x, w, b)[1]((gy, gm, gr) if with_stats else (gy, z(gm), z(gr)))
        return run
    kern = lambda: _gn_backward(x, w, b, mean, rstd, gy, G)
    has_m, has_r = jnp.any(gm != 0), jnp.any(gr != 0)
    return lax.cond(has_m & has_r, plain(True),
                    lambda: lax.cond(has_m | has_r, plain(False), kern))


_gn_exact.defvjp(_gn_exact_fwd, _gn_exact_bwd)


# ---------------------------------------------------------------- rms norm (float32/float64)

def _rms_parts(x, w, axes, eps):
    """rms_norm's composite: x * rsqrt(mean(x^2) + eps) (* weight), each op rounded."""
    rs = _div(np.ones((), x.dtype), jnp.sqrt(fmean(fence(x * x), axes, keepdim=True) + eps))
    r = x * rs
    return r, rs, (r if w is None else r * w)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _rms_exact(x, w, axes, eps):
    return _rms_parts(x, w, axes, eps)[2]


def _rms_exact_fwd(x, w, axes, eps):
    r, rs, y = _rms_parts(x, w, axes, eps)
    return y, (x, w, r, rs)


def _rms_exact_bwd(axes, eps, res, g):
    """torch's autograd of the composite: MulBackward0 (weight, then rsqrt's result),
    RsqrtBackward0 (-0.5 * grad * result^3), MeanBackward1 (grad / n), PowBackward0
    (grad * 2x); each product rounded, the two paths into x added last."""
    x, w, r, rs = res
    dw = None
    if w is not None:
        dw = sum_to(g * r, w.shape)
        g = g * w
    grs = sum_to(g * x, rs.shape)
    gad = (grs * np.asarray(-0.5, x.dtype)) * (rs * rs * rs)
    n = math.prod(x.shape[a] for a in axes)
    gsq = _div(jnp.broadcast_to(gad, x.shape), np.asarray(n, x.dtype))
    dx = fence(g * rs) + fence(gsq * (x * np.asarray(2, x.dtype)))
    return dx, dw


_rms_exact.defvjp(_rms_exact_fwd, _rms_exact_bwd)


# ---------------------------------------------------------------- batch norm

@op(tensors=("input", "weight", "bias", "running_mean", "running_var", "momentum"), promote=False,
    function=False, method=False, grad=lambda key: key[0][-1], saves=("input", "weight"))
def _batch_norm_impl(input, weight, bias, running_mean, running_var, momentum, training, eps,
                     node):
    """(out, save_mean, save_invstd[, new_running_mean][, new_running_var])."""
    c = input.shape[wrap_dim(1, input.ndim)]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
        _check_numel(name, c, t)
    _check_numel("weight", c, weight)
    _check_numel("bias", c, bias)

    def exact():
        x = input.reshape(input.shape[0], c, -1)
        out, mean, invstd, new_rm, new_rv = _bn_exact(
            x, weight if weight is None else weight.reshape(c),
            bias if bias is None else bias.reshape(c),
            running_mean if running_mean is None else running_mean.reshape(c),
            running_var if running_var is None else running_var.reshape(c),
            momentum, bool(training), float(eps))
        res = (out.reshape(input.shape), lax.stop_gradient(mean), lax.stop_gradient(invstd))
        for t, new_t in ((running_mean, new_rm), (running_var, new_rv)):
            if training and t is not None:
                res += (lax.stop_gradient(new_t).reshape(t.shape),)
        return res

    def plain():
        acc = _acc(input)
        shape = (1, c) + (1,) * (input.ndim - 2)
        axes = (0,) + tuple(range(2, input.ndim))
        x = input.astype(acc)
        if training:
            n = input.size // c if c else 0
            mean = jnp.mean(x, axes)
            var_sum = jnp.sum(jnp.square(x - mean.reshape(shape)), axes)
            invstd = 1 / jnp.sqrt(var_sum / n + eps)
        else:
            mean = running_mean.reshape(c).astype(acc)
            invstd = 1 / jnp.sqrt(running_var.reshape(c).astype(acc) + eps)
        out = _affine(x, mean.reshape(shape), invstd.reshape(shape),
                      _per_channel(weight, c, shape, acc), _per_channel(bias, c, shape, acc))
        res = (out.astype(input.dtype), lax.stop_gradient(mean), lax.stop_gradient(invstd))
        if training and running_mean is not None:
            res += (_update(running_mean, mean.reshape(running_mean.shape), momentum),)
        if training and running_var is not None:
            unbiased = (var_sum / (n - 1)).reshape(running_var.shape)
            res += (_update(running_var, unbiased, momentum),)
        return res

    if _exact(input, weight, bias, running_mean, running_var):
        return on_cpu(exact, plain)
    return plain()


def _double(momentum):
    """momentum as a float64 device scalar (torch casts the double to the stats' dtype)."""
    return scalar_array(float(momentum), D.float64)


def _write_running(res, k, running_mean, running_var):
    """Copy the updated statistics res[k:] into the running tensors (torch's kernel writes them)."""
    for t in (running_mean, running_var):
        if t is not None:
            t._assign(res[k]._value)
            k += 1


def _no_grad_stats(running_mean, running_var):
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t._rg and STATE.enabled:
            raise RuntimeError(f"The function 'native_batch_norm' is not differentiable with "
                               f"respect to argument '{name}'. This input cannot have "
                               f"requires_grad True.")


def _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                       node="NativeBatchNormBackward0"):
    _no_grad_stats(running_mean, running_var)
    if input.numel() == 0:  # torch: a copy, scaled by weight[0] / shifted by bias[0]
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        if bias is not None:
            out = out + bias[0]
        return out, None, None
    res = call(_BN, (input, weight, bias, running_mean, running_var, _double(momentum)),
               (bool(training), float(eps), node))
    if training:
        _write_running(res, 3, running_mean, running_var)
        return res[:3]
    return res[0], res[0].new_empty(0), res[0].new_empty(0)


_BN = OPS["_batch_norm_impl"]


@composite(method=False)
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)[0]


@composite(method=False)
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                      *, out=None):
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)


@composite(method=False)
def _native_batch_norm_legit(input, weight, bias, *args, **kw):
    """(input, weight, bias, running_mean, running_var, training, momentum, eps) or
    (input, weight, bias, training, momentum, eps) without running statistics."""
    names = ("running_mean", "running_var", "training", "momentum", "eps")
    if len(args) + len(kw) == 3:
        a = dict(zip(names[2:], args), **kw)
        return _native_batch_norm(input, weight, bias, None, None, a["training"],
                                  a["momentum"], a["eps"], "NativeBatchNormLegitBackward1")
    a = dict(zip(names, args), **kw)
    return _native_batch_norm(input, weight, bias, a["running_mean"], a["running_var"],
                              a["training"], a["momentum"], a["eps"],
                              "NativeBatchNormLegitBackward0")


def _verify_batch_size(size):
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


@composite(method=False, namespace=F, name="batch_norm")
def _f_batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
                  momentum=0.1, eps=1e-5):
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)[0]


# ---------------------------------------------------------------- instance norm

@op(tensors=("input", "weight", "bias", "running_mean", "running_var", "momentum"), promote=False,
    function=False, method=False, grad="ViewBackward0", saves=("input", "weight"))
def _instance_norm_impl(input, weight, bias, running_mean, running_var, momentum, use_input_stats,
                        eps):
    """batch_norm over (1, N*C, *) like torch; running stats are the mean over N of the per
    instance updates. Returns (out[, new_running_mean][, new_running_var])."""
    b, c = input.shape[0], input.shape[wrap_dim(1, input.ndim)]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_numel(name, b * c, t, b)

    def exact():
        rep = lambda t: None if t is None else _repeat(t.reshape(c), b)
        tile = lambda t: None if t is None else jnp.tile(t.reshape(c), b)
        out, _, _, new_rm, new_rv = _bn_exact(
            input.reshape(1, b * c, -1), rep(weight), rep(bias), tile(running_mean),
            tile(running_var), momentum, bool(use_input_stats), float(eps))
        res = (out.reshape(input.shape),)
        for t, new in ((running_mean, new_rm), (running_var, new_rv)):
            if use_input_stats and t is not None:   # running_.view(b, c).mean(0)
                res += (lax.stop_gradient(fmean(new.reshape(b, c), (0,))).reshape(t.shape),)
        return res

    def plain():
        acc = _acc(input)
        x = input.astype(acc).reshape(b, c, -1)
        shape = (1, c, 1)
        if use_input_stats:
            n = x.shape[2]
            mean = jnp.mean(x, 2, keepdims=True)
            var_sum = jnp.sum(jnp.square(x - mean), 2, keepdims=True)
            invstd = 1 / jnp.sqrt(var_sum / n + eps)
        else:
            mean = running_mean.reshape(shape).astype(acc)
            invstd = 1 / jnp.sqrt(running_var.reshape(shape).astype(acc) + eps)
        out = _affine(x, mean, invstd, _per_channel(weight, c, shape, acc),
                      _per_channel(bias, c, shape, acc))
        res = (out.reshape(input.shape).astype(input.dtype),)
        for t, stat in ((running_mean, lambda: mean), (running_var, lambda: var_sum / (n - 1))):
            if use_input_stats and t is not None:
                new = _update(t.reshape(1, c), stat().reshape(b, c), momentum)
                res += (jnp.mean(new, 0).reshape(t.shape),)
        return res

    if _exact(input, weight, bias, running_mean, running_var) and input.size:
        return on_cpu(exact, plain)
    return plain()


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def _repeat(t, b):
    """t.repeat(b); its gradient is torch's repeat_backward (a sum over the copies)."""
    return jnp.tile(t, b)


def _repeat_fwd(t, b):
    return jnp.tile(t, b), None


def _repeat_bwd(b, _, g):
    return (g if b == 1 else fsum(fence(g.reshape(b, -1)), (0,)),)


_repeat.defvjp(_repeat_fwd, _repeat_bwd)


@composite(method=False)
def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled):
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    _no_grad_stats(running_mean, running_var)
    res = call(OPS["_instance_norm_impl"],
               (input, weight, bias, running_mean, running_var, _double(momentum)),
               (bool(use_input_stats), float(eps)))
    if use_input_stats:
        _write_running(res, 1, running_mean, running_var)
    return res[0]


@composite(method=False, namespace=F, name="instance_norm")
def _f_instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                     use_input_stats=True, momentum=0.1, eps=1e-5):
    if use_input_stats:
        size, prod = input.size(), 1
        for s in size[2:]:
            prod *= s
        if prod == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {size}")
    return instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                         momentum, eps, False)


# ---------------------------------------------------------------- layer norm / rms norm

def _norm_shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def _check_norm_inputs(input, normalized_shape, weight, bias, sep=", "):
    ns = list(_norm_shape(normalized_shape))
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           f"containing at least one element, but got normalized_shape = {ns}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != tuple(ns):
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {_sizes(t.shape)} and normalized_shape = "
                               f"{_sizes(ns)}")
    nd = len(ns)
    if input.ndim < nd or tuple(input.shape[input.ndim - nd:]) != tuple(ns):
        raise RuntimeError(f"Given normalized_shape={_sizes(ns)}, expected input with shape "
                           f"[*{''.join(sep + str(s) for s in ns)}], but got input of size"
                           f"{_sizes(input.shape)}")
    return tuple(range(input.ndim - nd, input.ndim))


def _layer_norm_core(input, normalized_shape, weight, bias, eps):
    axes = _check_norm_inputs(input, normalized_shape, weight, bias)

    def exact():
        n = math.prod(input.shape[a] for a in axes)
        y, mean, rstd = _ln_exact(input.reshape(-1, n), None if weight is None else
                                  weight.reshape(n), None if bias is None else bias.reshape(n),
                                  float(eps))
        keep = tuple(1 if a in axes else s for a, s in enumerate(input.shape))
        return y.reshape(input.shape), mean.reshape(keep), rstd.reshape(keep)

    def plain():
        acc = _acc(input)
        x = input.astype(acc)
        mean = jnp.mean(x, axes, keepdims=True)
        rstd = 1 / jnp.sqrt(jnp.mean(jnp.square(x - mean), axes, keepdims=True) + eps)
        y = (x - mean) * rstd
        if weight is not None:
            y = y * weight.astype(acc)
        if bias is not None:
            y = y + bias.astype(acc)
        return y.astype(input.dtype), mean, rstd

    if _exact(input, weight, bias) and input.size:
        return on_cpu(exact, plain)
    return plain()


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeLayerNormBackward0", saves=("input", "weight", "bias"))
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return _layer_norm_core(input, normalized_shape, weight, bias, eps)[0]


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeLayerNormBackward0", saves=("input", "weight", "bias"))
def native_layer_norm(input, normalized_shape, weight, bias, eps):
    y, mean, rstd = _layer_norm_core(input, normalized_shape, weight, bias, eps)
    return y, lax.stop_gradient(mean), lax.stop_gradient(rstd)


@composite(method=False, namespace=F, name="layer_norm")
def _f_layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return call(OPS["layer_norm"], (input, weight, bias), (_norm_shape(normalized_shape),
                                                           float(eps), True))


@op(tensors=("input", "weight"), promote=False, method=False, grad="MulBackward0",
    saves=("input", "weight"))
def rms_norm(input, normalized_shape, weight=None, eps=None):
    axes = _check_norm_inputs(input, normalized_shape, weight, None, sep="")  # torch's text
    acc = _acc(input)
    if eps is None:
        eps = float(jnp.finfo(acc).eps)

    def exact():
        return _rms_exact(input, weight, axes, np.asarray(eps, input.dtype)[()])

    def plain():
        e = jnp.asarray(eps, input.dtype).astype(acc)  # torch holds eps in the input's dtype
        x = input.astype(acc)
        y = (x * lax.rsqrt(jnp.mean(jnp.square(x), axes, keepdims=True) + e)).astype(input.dtype)
        return y if weight is None else y * weight

    if (input.dtype in (_F32, _F64) and input.size and
            (weight is None or weight.dtype == input.dtype)):
        return on_cpu(exact, plain)
    return plain()


@composite(method=False, namespace=F, name="rms_norm")
def _f_rms_norm(input, normalized_shape, weight=None, eps=None):
    return call(OPS["rms_norm"], (input, weight), (_norm_shape(normalized_shape),
                                                   None if eps is None else float(eps)))


# ---------------------------------------------------------------- group norm

def _group_norm_core(input, weight, bias, n, c, group, eps):
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.size != c):  # torch prints weight's shape
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{_sizes((0,) if weight is None else weight.shape)} and input of "
                               f"shape {_sizes(input.shape)}")

    def exact():
        y, mean, rstd = _gn_exact(input.reshape(n, c, -1), weight, bias, group, float(eps))
        return y.reshape(input.shape), mean, rstd

    def plain():
        return _group_norm_plain(input, weight, bias, n, c, group, eps)

    if _exact(input, weight, bias) and input.size:
        return on_cpu(exact, plain)
    return plain()


def _group_norm_plain(input, weight, bias, n, c, group, eps):
    acc = _acc(input)
    hw = math.prod(input.shape[2:])
    x = input.astype(acc).reshape(n, group, (c // group) * hw)
    mean = jnp.mean(x, 2, keepdims=True)
    rstd = 1 / jnp.sqrt(jnp.mean(jnp.square(x - mean), 2, keepdims=True) + eps)
    y = ((x - mean) * rstd).reshape(n, c, hw)
    if weight is not None:
        y = y * weight.astype(acc).reshape(1, c, 1)
    if bias is not None:
        y = y + bias.astype(acc).reshape(1, c, 1)
    # mean and rstd are differentiable outputs of torch's native_group_norm (its backward uses
    # their grads when both are given, as in OpInfo's check; alone, torch ignores either one)
    return y.reshape(input.shape).astype(input.dtype), mean.reshape(n, group), rstd.reshape(n, group)


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeGroupNormBackward0", saves=("input", "weight"))
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    n, c = input.shape[0], input.shape[wrap_dim(1, input.ndim)]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {_sizes(input.shape)} and "
                           f"num_groups={num_groups}")
    return _group_norm_core(input, weight, bias, n, c, num_groups, eps)[0]


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeGroupNormBackward0", saves=("input", "weight"))
def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    return _group_norm_core(input, weight, bias, N, C, group, eps)


@composite(method=False, namespace=F, name="group_norm")
def _f_group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] +
                       list(input.size()[2:]))
    return call(OPS["group_norm"], (input, weight, bias), (int(num_groups), float(eps), True))


# ---------------------------------------------------------------- local response norm

@op(method=False, function=False, grad="DivBackward0", saves=("input",))
def _local_response_norm(input, size, alpha, beta, k):
    """input / (k + alpha * avg_c(input^2))^beta, the average over a zero-padded channel
    window of ``size`` (torch's avg_pool over the padded squares)."""
    pad = [(0, 0)] * input.ndim
    pad[1] = (size // 2, (size - 1) // 2)
    sq = jnp.pad(input * input, pad)
    c = input.shape[1]
    s = sq[:, :c]
    for i in range(1, size):
        s = s + sq[:, i:i + c]
    if jnp.issubdtype(input.dtype, jnp.integer):  # an integer average, then default float
        s = (s // size).astype(D._default[0].np)
    else:
        s = s / size
    div = s * jnp.asarray(alpha, s.dtype) + jnp.asarray(k, s.dtype)
    return input / div ** jnp.asarray(beta, s.dtype)


@composite(method=False, namespace=F)
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    return call(OPS["_local_response_norm"], (input,), (int(size), float(alpha), float(beta),
                                                         float(k)))



# ---------------------------------------------------------------- weight norm

def _except_axes(ndim, dim):
    """norm_except_dim's reduced axes and keepdim (dim -1: the whole tensor)."""
    if dim == -1:
        return tuple(range(ndim)), False
    d = dim if dim in (0, ndim - 1) else wrap_dim(dim, ndim)
    return tuple(a for a in range(ndim) if a != d), True


@op(tensors=("v",), function=False, method=False, grad=lambda key: key[0][-1], saves=("v",))
def _norm_except_dim(v, pow, dim, node):
    from .linalg import _vnorm
    return _vnorm(v, pow, *_except_axes(v.ndim, dim))


@op(tensors=("v", "g"), function=False, method=False, grad=lambda key: key[0][-1])
def _weight_norm_impl(v, g, dim, node):
    from .linalg import _vnorm
    return v * (g / _vnorm(v, 2, *_except_axes(v.ndim, dim)))


@composite(method=False)
def norm_except_dim(v, pow=2, dim=0):
    node = ("NormBackward0" if dim == -1 else "ViewBackward0" if dim in (0, v.dim() - 1)
            else "TransposeBackward0")
    return call(OPS["_norm_except_dim"], (v,), (pow, dim, node))


@composite(method=False)
def _weight_norm(v, g, dim=0):
    """v * (g / norm_except_dim(v, 2, dim)); torch's fused kernel (dim first or last, no half)
    records WeightNormInterfaceBackward0."""
    fused = D.float16 not in (v.dtype, g.dtype) and dim in (0, v.dim() - 1)
    return call(OPS["_weight_norm_impl"], (v, g),
                (dim, "WeightNormInterfaceBackward0" if fused else "MulBackward0"))
