"""torch's CPU summation order, so float sums and means are bit-identical to torch's.

torch sums floats with ``cascade_sum`` (ATen/native/cpu/SumKernel.cpp): 32-byte vectors, four
of them side by side, running sums of 16+ rows flushed into a 4-level cascade. Which of its
loops runs depends on TensorIterator's dimension order (reduced dims innermost, adjacent dims
coalesced) and, for full reductions, on the thread split (``parallel_reduce``: one chunk per
thread, partial sums added at the end). This module replays that order with slices and
elementwise adds, which XLA neither reorders nor fuses into a different order. Integer sums
are order-free and do not come here.

Scope: contiguous inputs (torchjax arrays are), float16/bfloat16/float32/float64/complex,
computations compiled for the CPU (``on_cpu``; accelerators keep ``jnp.sum``). Sums of a
non-contiguous view follow torch's order for the materialised array, not for the view's
strides."""
import glob
import math
import os
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

GRAIN = 32768    # at::internal::GRAIN_SIZE
_UNROLL = 64     # longer running sums use lax.scan instead of unrolled adds


def _default_threads():
    """torch's intra-op default: OMP_NUM_THREADS, then MKL_NUM_THREADS, then physical cores."""
    for var in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        try:
            n = int(os.environ.get(var, "").split(",")[0])
            if n > 0:
                return n
        except ValueError:
            pass
    cores = set()
    for topo in glob.glob("/sys/devices/system/cpu/cpu[0-9]*/topology"):
        try:
            with open(topo + "/physical_package_id") as f, open(topo + "/core_id") as g:
                cores.add((f.read().strip(), g.read().strip()))
        except OSError:
            pass
    return len(cores) or os.cpu_count() or 1


THREADS = [_default_threads()]   # torch.get_num_threads(): full sums split over this many chunks


def on_cpu(cpu, other, *args):
    """cpu(*args) where XLA compiles for the CPU (torch's CPU kernels replayed), other(*args) on
    an accelerator. Chosen when XLA lowers, not by JAX's default backend: a CPU tensor on a GPU
    machine still gets torch's CPU numerics. Both are traced; only the chosen one is compiled."""
    return lax.platform_dependent(*args, cpu=cpu, default=other)


def fsum(x, axes, keepdim=False):
    """Sum of ``x`` over ``axes`` (a tuple) in torch's order for float/complex on the CPU."""
    plain = partial(jnp.sum, axis=tuple(axes), keepdims=keepdim, dtype=x.dtype)
    if jnp.issubdtype(x.dtype, jnp.inexact):
        axes, n = tuple(axes), THREADS[0]
        return on_cpu(lambda v: _fsum(v, axes, keepdim, n), plain, x)
    return plain(x)


def fmean(x, axes, keepdim=False):
    """torch's CPU mean: the sum (in float32 for 16-bit floats), divided by the count."""
    n = 1
    for a in axes:
        n *= x.shape[a]
    wide = x.astype(jnp.float32) if x.dtype in (jnp.float16, jnp.bfloat16) else x
    return fdiv(fsum(wide, axes, keepdim), n).astype(x.dtype)


def fdiv(s, n):
    """s / n for a Python number n, rounded as IEEE division: XLA would compute s * (1 / n),
    1 ulp off in some elements. A barrier hides the divisor; for a 0-d s (a full mean, or its
    gradient g / numel) XLA sees through it, so the divisor comes out of a conditional on s."""
    if s.ndim == 0:
        c = jnp.asarray(n, s.dtype)
        return s / lax.cond(s == s, lambda: c, lambda: c * 1)
    return s / lax.optimization_barrier(jnp.full(s.shape, n, s.dtype))


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _fsum(x, axes, keepdim, threads):
    r = cascade_sum(x, axes, threads)
    return jnp.expand_dims(r, axes) if keepdim else r


@_fsum.defjvp
def _fsum_jvp(axes, keepdim, threads, primals, tangents):
    # the tangent is a plain sum, so the backward stays a broadcast
    return (_fsum(primals[0], axes, keepdim, threads),
            jnp.sum(tangents[0], axis=axes, keepdims=keepdim))


def _clog2(n):
    return 0 if n <= 1 else (n - 1).bit_length()


def _seq(a, axis):
    """((a[0] + a[1]) + a[2]) + ... along ``axis``: a running sum from zero."""
    n = a.shape[axis]
    if n == 0:
        return jnp.zeros(a.shape[:axis] + a.shape[axis + 1:], a.dtype)
    if n > _UNROLL:
        a = jnp.moveaxis(a, axis, 0)
        return lax.scan(lambda c, v: (c + v, None), a[0], a[1:])[0]
    acc = lax.index_in_dim(a, 0, axis, keepdims=False)
    for i in range(1, n):
        acc = acc + lax.index_in_dim(a, i, axis, keepdims=False)
    return acc


def _cascade(a):
    """multi_row_sum: (B, n, L) -> (B, L). Running sums of ``step`` rows feed level 1, whose
    running sums of ``step`` feed level 2, then level 3; the levels' remainders are added last.
    Empty terms are skipped: adding zero changes nothing but the sign of a zero sum."""
    b, n, l = a.shape
    step = 1 << max(4, _clog2(n) // 4)
    full = n // step * step
    if full == 0:
        return _seq(a, 1)
    terms = [a[:, full:]] if full < n else []
    cur = _seq(a[:, :full].reshape(b, full // step, step, l), 2)
    for _ in range(2):
        g = cur.shape[1] // step * step
        if g < cur.shape[1]:
            terms.append(cur[:, g:])
        cur = _seq(cur[:, :g].reshape(b, g // step, step, l), 2)
    if cur.shape[1]:
        terms.append(cur)
    out = _seq(terms[0], 1)
    for t in terms[1:]:
        out = out + _seq(t, 1)
    return out


def _row_sum(a):
    """row_sum: (B, n, L) -> (B, L), rows interleaved over 4 accumulators."""
    b, n, l = a.shape
    m = n // 4
    if m == 0:
        return _seq(a, 1)
    p = _cascade(a[:, :4 * m].reshape(b, m, 4 * l)).reshape(b, 4, l)
    p0 = p[:, 0]
    for i in range(4 * m, n):
        p0 = p0 + a[:, i]
    return ((p0 + p[:, 1]) + p[:, 2]) + p[:, 3]


def _widths(dt):
    """(elements per loaded vector, accumulator lanes) of torch's 32-byte Vectorized types."""
    if dt in (jnp.float16, jnp.bfloat16):
        return 16, 8
    v = 32 // jnp.dtype(dt).itemsize
    return v, v


def _inner(x):
    """vectorized_inner_sum / scalar_inner_sum of contiguous rows: (B, n) -> (B,), in the
    accumulation type (float32 for 16-bit floats)."""
    b, n = x.shape
    vec, lanes = _widths(x.dtype)
    acc = jnp.float32 if lanes != vec else x.dtype
    if n < vec:
        return _row_sum(x.astype(acc)[:, :, None])[:, 0]
    nv = n // vec
    v = x[:, :nv * vec].astype(acc)
    if x.dtype == jnp.bfloat16:    # load_fp32_from_bf16: lanes k and k + 8
        v = v.reshape(b, nv, 2, lanes)
        v = v[:, :, 0] + v[:, :, 1]
    elif lanes != vec:             # load_reduce_vec: neighbouring pairs
        v = v.reshape(b, nv, lanes, 2)
        v = v[..., 0] + v[..., 1]
    else:
        v = v.reshape(b, nv, lanes)
    vacc = _row_sum(v)
    f = _seq(x[:, nv * vec:].astype(acc), 1)
    for k in range(lanes):
        f = f + vacc[:, k]
    return f


def _outer(x):
    """vectorized_outer_sum / scalar_outer_sum: (P, R, K) contiguous in K -> (P, K). Columns in
    whole groups of four vectors (four columns without vectors) take one cascade over R; the
    rest take row_sum."""
    k = x.shape[2]
    vec, lanes = _widths(x.dtype)
    x = x.astype(jnp.float32 if lanes != vec else x.dtype)
    g = k // (4 * lanes) * (4 * lanes) if k >= vec else k // 4 * 4
    parts = ([_cascade(x[:, :, :g])] if g else []) + ([_row_sum(x[:, :, g:])] if g < k else [])
    return parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=1)


def _pos0(r):
    """torch adds every result into a zero-filled output, so a zero sum is +0."""
    if jnp.issubdtype(r.dtype, jnp.complexfloating):
        return lax.complex(_pos0(r.real), _pos0(r.imag))
    return jnp.where(r == 0, jnp.zeros((), r.dtype), r)


def _full(x, threads):
    """A reduction to one element: parallel_reduce's two-pass split over ``threads``."""
    dt = x.dtype
    n = x.size
    flat = x.reshape(1, n)
    if n < GRAIN or threads == 1:
        return _inner(flat)[0].astype(dt)
    nt = min(threads, -(-n // GRAIN))
    ch = -(-n // nt)
    even, chunks = n // ch, -(-n // ch)     # threads past the end leave their slot at 0
    parts = [_inner(flat[:, :even * ch].reshape(even, ch)).astype(dt)]
    if even < chunks:
        parts.append(_inner(flat[:, even * ch:]).astype(dt))
    parts.append(jnp.zeros((threads - chunks,), dt))
    buf = jnp.concatenate(parts)
    return _inner(buf[None])[0].astype(dt)


def cascade_sum(x, axes, threads):
    """Sum of the float array ``x`` over ``axes`` in torch's order; result has the kept dims."""
    dt = x.dtype
    axes = set(axes)
    out_shape = tuple(s for d, s in enumerate(x.shape) if d not in axes)
    if x.size == 0:
        return jnp.zeros(out_shape, dt)
    runs = []                      # TensorIterator's coalesced dims, outermost first
    for d, s in enumerate(x.shape):
        if s == 1:
            continue
        if runs and runs[-1][1] == (d in axes):
            runs[-1][0] *= s
        else:
            runs.append([s, d in axes])
    red = [i for i, (_, r) in enumerate(runs) if r]
    if not red:
        return _pos0(x.reshape(out_shape))
    if len(red) == len(runs):
        return _pos0(_full(x, threads).reshape(out_shape))
    if dt in (jnp.float16, jnp.bfloat16) and len(red) > 1:
        # sum_out's should_use_acc_buffer: sums in float32, casts once
        return cascade_sum(x.astype(jnp.float32), axes, threads).astype(dt)
    sizes = [s for s, _ in runs]
    xr = x.reshape(sizes)
    if runs[-1][1]:                # reduced rows contiguous: one result per row
        r = _inner(xr.reshape(-1, sizes[-1])).reshape(sizes[:-1])
        rest = runs[:-1]
    elif len(red) == 1:            # one reduced run, contiguous kept columns
        i = red[0]
        p, k = 1, 1
        for s in sizes[:i]:
            p *= s
        for s in sizes[i + 1:]:
            k *= s
        r = _outer(xr.reshape(p, sizes[i], k))
        return _pos0(r.astype(dt).reshape(out_shape))
    else:                          # strided reduced rows: row_sum per outer reduced index
        i = red[-1]
        outer_red = red[:-1]
        kept = [j for j in range(len(runs)) if j not in red]
        xt = jnp.transpose(xr, outer_red + [i] + kept)
        j = 1
        for o in outer_red:
            j *= sizes[o]
        r = _row_sum(xt.reshape(j, sizes[i], -1))
        return _pos0(_seq(r, 0).reshape(out_shape))
    outer_red = [j for j, (_, rd) in enumerate(rest) if rd]
    kept = [j for j, (_, rd) in enumerate(rest) if not rd]
    if not outer_red:
        return _pos0(r.astype(dt).reshape(out_shape))
    # the other reduced runs add one result at a time, in memory order (in dt: 16-bit floats
    # with several reduced runs were summed in float32 above)
    j = 1
    for o in outer_red:
        j *= rest[o][0]
    r = jnp.transpose(r, outer_red + kept).reshape(j, -1)
    return _pos0(_seq(r, 0).reshape(out_shape))


@jax.custom_jvp
def fma32(a, b, c):
    """fmaf(a, b, c): a * b + c rounded once to float32 (torch's vec::fmadd and the multiply-adds
    its compiler contracts). The product is exact in float64; the float64 sum is rounded to odd
    (its error from TwoSum), so rounding that to float32 is correct, not a double rounding."""
    a, b, c = (jnp.asarray(v, jnp.float32).astype(jnp.float64) for v in (a, b, c))
    p = a * b
    s = p + c
    bb = s - p
    e = (p - (s - bb)) + (c - bb)
    bits = lax.bitcast_convert_type(s, jnp.int64)
    fix = (e != 0) & ((bits & 1) == 0) & jnp.isfinite(s)
    bits = bits + jnp.where(fix, jnp.where((e > 0) == (s > 0), 1, -1), 0).astype(jnp.int64)
    return lax.bitcast_convert_type(bits, jnp.float64).astype(jnp.float32)


@fma32.defjvp
def _fma32_jvp(primals, tangents):
    (a, b, c), (ta, tb, tc) = primals, tangents
    return fma32(a, b, c), ta * b + a * tb + tc


def fence(x):
    """x, materialised. XLA fuses a producer into the sum's adds, and LLVM then contracts a
    product feeding an add into one FMA, where torch rounds the product first (measured: 14% of
    a (300, 70) gradient's column sums). A conditional on a traced predicate is not fused across
    (an optimization_barrier is dropped on the CPU); both branches return x."""
    if x.size == 0:
        return x
    first = x.reshape(-1)[0]
    return lax.cond(first == first, lambda y: y, lambda y: y * 1, x)


def sum_to(g, shape):
    """torch's at::sum_to: the gradient of a broadcast operand, one cascade sum over the leading
    dims and the dims ``shape`` has as 1."""
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and g.shape[lead + i] != 1)
    return fsum(fence(g), axes, keepdim=True).reshape(shape) if axes else g.reshape(shape)


@jax.custom_vjp
def bias_add(x, b):
    """x + b, b broadcast to x's shape; b's gradient is torch's sum_to, not XLA's reduce."""
    return x + b


def _bias_add_fwd(x, b):
    return x + b, b


def _bias_add_bwd(b, g):
    return g, sum_to(g, b.shape).astype(b.dtype)


bias_add.defvjp(_bias_add_fwd, _bias_add_bwd)


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def expand_to(x, shape):
    """broadcast_to whose gradient is torch's expand backward, sum_to (not XLA's reduce)."""
    return jnp.broadcast_to(x, shape)


def _expand_fwd(x, shape):
    return jnp.broadcast_to(x, shape), x


def _expand_bwd(shape, x, g):
    if not jnp.issubdtype(g.dtype, jnp.inexact):
        return (jnp.zeros(x.shape, g.dtype),)
    return (sum_to(g, x.shape).astype(g.dtype),)


expand_to.defvjp(_expand_fwd, _expand_bwd)


def seq_rows(t, block=64):
    """((0 + t[0]) + t[1]) + ... over the rows of t (m, K), in t's dtype: a sequential loop's
    order (XLA's reduce reorders). Blocks of rows are unrolled adds inside a lax.scan; the
    zero rows padding the last block add nothing (the terms must not be -0)."""
    m, k = t.shape
    if m <= _UNROLL:
        return _seq(jnp.concatenate([jnp.zeros((1, k), t.dtype), t]), 0)
    nb = -(-m // block)
    t = jnp.pad(t, ((0, nb * block - m), (0, 0))).reshape(nb, block, k)

    def body(acc, blk):
        for i in range(block):
            acc = acc + blk[i]
        return acc, None
    return lax.scan(body, jnp.zeros((k,), t.dtype), t)[0]


def loop_rows(shape, in_shapes):
    """TensorIterator's loop over an elementwise op whose contiguous inputs broadcast to shape:
    (n, strides, chunk): n the length of the coalesced innermost run, strides each input's
    stride along it (0: broadcast), chunk the parallel_for chunk (numel below GRAIN or one
    thread: numel). None for a 0-d or empty shape, or one made of 1s."""
    nd = len(shape)
    numel = math.prod(shape)
    dims = [d for d in range(nd) if shape[d] != 1]
    if not numel or not dims:
        return None
    strides = []
    for s in in_shapes:
        s = (1,) * (nd - len(s)) + tuple(s)
        st, acc = [], 1
        for d in reversed(range(nd)):
            st.append(0 if s[d] == 1 and shape[d] != 1 else acc)
            acc *= s[d]
        strides.append(st[::-1])
    out_st = [math.prod(shape[d + 1:]) for d in range(nd)]
    inner = dims[-1]
    n = shape[inner]
    for d in reversed(dims[:-1]):   # coalescing, innermost first
        if not all(st[d] == st[inner] * n for st in strides + [out_st]):
            break
        n *= shape[d]
    chunk = numel
    if numel >= GRAIN and THREADS[0] > 1:
        chunk = -(-numel // min(THREADS[0], -(-numel // GRAIN)))
    return n, [st[inner] for st in strides], chunk


def run_bounds(shape, n, chunk):
    """(p, lo, hi) per element p of ``shape``: the bounds of its run, a coalesced innermost row of
    length n (``loop_rows``) cut at the parallel chunks, which cpu_kernel_vec loops over."""
    p = lax.iota(jnp.int64, math.prod(shape))
    row, c0 = p - p % n, p - p % chunk
    return p, jnp.maximum(row, c0), jnp.minimum(row + n, c0 + chunk)


def vec_body(shape, in_shapes, block):
    """The elements cpu_kernel_vec runs in its vector body: each run in whole blocks of ``block``
    (two vectors), the rest of it in the scalar loop. None: all scalar (one element, or more than
    one input broadcast along the run: its vectorised loop takes one scalar operand at most)."""
    loop = loop_rows(shape, in_shapes)
    if loop is None or sum(st == 0 for st in loop[1]) > 1:
        return None
    p, lo, hi = run_bounds(shape, loop[0], loop[2])
    return (p < lo + (hi - lo) // block * block).reshape(shape)
