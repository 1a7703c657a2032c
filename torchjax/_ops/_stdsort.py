"""Exact tie order of torch's CPU sorting kernels, in vectorized JAX.

torch's ``sort`` (stable=False) is libstdc++ ``std::sort`` over (value, index) pairs, ``topk`` is
``std::nth_element`` (+ ``std::sort`` of the first k-1) or ``std::partial_sort`` when
k * 64 <= n, ``kthvalue`` is ATen's own quickselect, ``mode`` reads runs after a ``std::sort``.
None of these is stable, so with equal values the returned indices depend on the algorithm's
swap sequence. When a row has no relevant ties, a stable sort gives the same answer; only rows
with ties need the emulation (callers pick the branch with ``lax.cond`` on the whole batch).

Hoare partitions are computed in one vectorized step: with pivot P, the left pointer stops at
the positions A_1 < A_2 < ... whose value is not "less" than P, the right pointer at
B_1 > B_2 > ... not "greater" than P; the m-th swap exchanges A_m and B_m for every m with
A_m < B_m (positions between the pointers are untouched until they cross), and where the
pointers stop afterwards follows from the same lists. Introsort recursion levels run as rounds
over all segments of a row at once; leaf segments end with insertion sort, which is a stable
sort inside each segment. Every kernel works on one row (1-D arrays) and is vmapped.

Not emulated (documented gap): introsort/introselect's heap-sort fallback once the recursion
depth limit 2*floor(log2(n)) is hit (adversarial inputs only); such segments are sorted stably.
"""
import jax
import jax.numpy as jnp
from jax import lax

_I = jnp.int32


def comp_fn(v, desc, nan_aware=True):
    """comp(a, b) on values of v's dtype: torch's KeyValueCompAsc (NaN largest) or Desc."""
    fl = jnp.issubdtype(v.dtype, jnp.floating)

    def lt(a, b):
        if fl and nan_aware:
            return (~jnp.isnan(a) & jnp.isnan(b)) | (a < b)
        return a < b
    if desc:
        return lambda a, b: lt(b, a)
    return lt


def sort_keys(v, desc):
    """Keys for lax.sort whose lexicographic order is comp's order (equal keys = ties)."""
    if v.dtype == jnp.bool_:
        v = v.astype(jnp.uint8)
    if jnp.issubdtype(v.dtype, jnp.floating):
        nanf = jnp.isnan(v)
        if desc:
            return [(~nanf).astype(jnp.uint8), -v]
        return [nanf.astype(jnp.uint8), v]
    return [~v] if desc else [v]


def stable_sort(v, ix, desc, seg=None):
    """Stable sort of (v, ix) by comp (within segments ``seg`` when given)."""
    keys = sort_keys(v, desc)
    if seg is not None:
        keys = [seg] + keys
    out = lax.sort(tuple(keys) + (v, ix), num_keys=len(keys), is_stable=True)
    return out[-2], out[-1]


def equiv(a, b, desc=False):
    """Neither comp(a, b) nor comp(b, a): tied under torch's comparator."""
    c = comp_fn(a, desc)
    return ~c(a, b) & ~c(b, a)


# ---------------------------------------------------------------- std::sort

def _median_to_first(v, ix, f, a, b, c, comp, act):
    """libstdc++ __move_median_to_first(result=f, a, b, c), per position (segment-wise)."""
    va, vb, vc = v[a], v[b], v[c]
    ab, bc, ac = comp(va, vb), comp(vb, vc), comp(va, vc)
    pick = jnp.where(ab, jnp.where(bc, b, jnp.where(ac, c, a)),
                     jnp.where(ac, a, jnp.where(bc, c, b)))
    pos = jnp.arange(v.shape[0], dtype=_I)
    src = jnp.where(act & (pos == f), pick, jnp.where(act & (pos == pick), f, pos))
    return v[src], ix[src]


def _partition_round(v, ix, lo, hi, act, comp):
    """One __unguarded_partition_pivot on every active segment [lo, hi). Returns the permuted
    (v, ix) and, per position, its segment's cut."""
    n = v.shape[0]
    pos = jnp.arange(n, dtype=_I)
    f, l = lo, hi
    mid = f + (l - f) // 2
    v, ix = _median_to_first(v, ix, f, jnp.minimum(f + 1, n - 1), mid, jnp.maximum(l - 1, 0),
                             comp, act)
    piv = v[f]
    inside = act & (pos > f) & (pos < l)
    isA = inside & ~comp(v, piv)
    isB = inside & ~comp(piv, v)
    cA = jnp.cumsum(isA.astype(_I))
    cB = jnp.cumsum(isB.astype(_I))
    endA, endB, fA, fB = cA[l - 1], cB[l - 1], cA[f], cB[f]
    rankA = cA - fA                      # 1-based rank of an A position in its segment
    rankB = endB - cB + isB.astype(_I)   # 1-based rank of a B position from the right
    nA = endA - fA
    swapA = isA & ((endB - cB) >= rankA)
    cS = jnp.cumsum(swapA.astype(_I))
    M = cS[l - 1] - cS[f]
    swapB = isB & (rankB <= M)
    drop = jnp.full((), n, _I)
    posA = jnp.zeros(n + 1, _I).at[jnp.where(isA, f + rankA - 1, drop)].set(pos, mode="drop")
    posB = jnp.zeros(n + 1, _I).at[jnp.where(isB, f + rankB - 1, drop)].set(pos, mode="drop")
    partner = jnp.where(swapA, posB[jnp.clip(f + rankA - 1, 0, n)],
                        jnp.where(swapB, posA[jnp.clip(f + rankB - 1, 0, n)], pos))
    v, ix = v[partner], ix[partner]
    big = jnp.full((), n + 1, _I)
    a_next = jnp.where(M < nA, posA[jnp.clip(f + M, 0, n)], big)
    b_m = jnp.where(M > 0, posB[jnp.clip(f + M - 1, 0, n)], big)
    cut = jnp.where(M == 0, posA[jnp.clip(f, 0, n)], jnp.minimum(a_next, b_m))
    return v, ix, cut


def _lg(n):
    return max(n, 1).bit_length() - 1


def final_insertion_sort(v, ix, comp):
    """libstdc++ __final_insertion_sort, step by step (for comparators that are not strict weak
    orders, such as a plain ``<`` with NaNs, where no sort key reproduces it)."""
    n = v.shape[0]
    pos = jnp.arange(n, dtype=_I)

    def unguarded(v, ix, last):
        val, vix = v[last], ix[last]

        def c(s):
            v, ix, last = s
            return (last > 0) & comp(val, v[jnp.maximum(last - 1, 0)])

        def b(s):
            v, ix, last = s
            return v.at[last].set(v[last - 1]), ix.at[last].set(ix[last - 1]), last - 1
        v, ix, last = lax.while_loop(c, b, (v, ix, last))
        return v.at[last].set(val), ix.at[last].set(vix)

    def step(i, s):
        v, ix = s
        val, vix = v[i], ix[i]

        def to_front(s):
            v, ix = s
            sh = (pos >= 1) & (pos <= i)
            v = jnp.where(sh, jnp.roll(v, 1), v).at[0].set(val)
            ix = jnp.where(sh, jnp.roll(ix, 1), ix).at[0].set(vix)
            return v, ix
        guarded = (i < 16) & comp(val, v[0])
        return lax.cond(guarded, to_front, lambda s: unguarded(s[0], s[1], i), (v, ix))
    return lax.fori_loop(1, n, step, (v, ix))


def std_sort_row(v, ix, desc, nan_aware=True, sequential_final=False):
    """libstdc++ std::sort of the pairs (v, ix) with torch's comparator. sequential_final runs
    the final insertion sort step by step (needed when comp is not a strict weak order)."""
    n = v.shape[0]
    comp = comp_fn(v, desc, nan_aware)
    if n <= 16:
        return final_insertion_sort(v, ix, comp) if sequential_final else \
            stable_sort(v, ix, desc)
    lo = jnp.zeros(n, _I)
    hi = jnp.full(n, n, _I)
    depth = jnp.full(n, 2 * _lg(n), _I)

    def active(lo, hi, depth):
        return ((hi - lo) > 16) & (depth > 0)

    def cond(s):
        return jnp.any(active(s[2], s[3], s[4]))

    def body(s):
        v, ix, lo, hi, depth = s
        act = active(lo, hi, depth)
        v, ix, cut = _partition_round(v, ix, lo, hi, act, comp)
        pos = jnp.arange(n, dtype=_I)
        left = pos < cut
        lo = jnp.where(act & ~left, cut, lo)
        hi = jnp.where(act & left, cut, hi)
        depth = jnp.where(act, depth - 1, depth)
        return v, ix, lo, hi, depth

    v, ix, lo, hi, depth = lax.while_loop(cond, body, (v, ix, lo, hi, depth))
    if sequential_final:
        return final_insertion_sort(v, ix, comp)
    return stable_sort(v, ix, desc, seg=lo)


# ---------------------------------------------------------------- std::nth_element

def nth_element_row(v, ix, nth, desc):
    """libstdc++ std::nth_element(begin, begin + nth, end) with torch's topk comparator."""
    n = v.shape[0]
    comp = comp_fn(v, desc)
    pos = jnp.arange(n, dtype=_I)

    def cond(s):
        return ((s[3] - s[2]) > 3) & (s[4] > 0)

    def body(s):
        v, ix, first, last, depth = s
        lo = jnp.full(n, first, _I)
        hi = jnp.full(n, last, _I)
        act = (pos >= first) & (pos < last)
        v, ix, cut = _partition_round(v, ix, lo, hi, act, comp)
        c = cut[first]
        first = jnp.where(c <= nth, c, first)
        last = jnp.where(c <= nth, last, c)
        return v, ix, first, last, depth - 1

    s = (v, ix, jnp.zeros((), _I), jnp.full((), n, _I), jnp.full((), 2 * _lg(n), _I))
    v, ix, first, last, _ = lax.while_loop(cond, body, s)
    seg = jnp.where((pos >= first) & (pos < last), first, pos)  # only [first, last) moves
    return stable_sort(v, ix, desc, seg=seg)  # insertion sort of [first, last)


# ---------------------------------------------------------------- std::partial_sort (heaps)

def _adjust_heap(v, ix, hole, length, val, vix, comp):
    top = hole

    def c1(s):
        return s[3] < (length - 1) // 2

    def b1(s):
        v, ix, hole, sc = s
        sc = 2 * (sc + 1)
        sc = jnp.where(comp(v[sc], v[sc - 1]), sc - 1, sc)
        v = v.at[hole].set(v[sc])
        ix = ix.at[hole].set(ix[sc])
        return v, ix, sc, sc

    v, ix, hole, sc = lax.while_loop(c1, b1, (v, ix, hole, hole))
    tail = ((length & 1) == 0) & (sc == (length - 2) // 2)
    sc2 = 2 * (sc + 1)
    src = jnp.clip(sc2 - 1, 0, v.shape[0] - 1)
    v = jnp.where(tail, v.at[hole].set(v[src]), v)
    ix = jnp.where(tail, ix.at[hole].set(ix[src]), ix)
    hole = jnp.where(tail, sc2 - 1, hole)

    def c2(s):
        v, ix, hole = s
        parent = (hole - 1) // 2
        return (hole > top) & comp(v[jnp.maximum(parent, 0)], val)

    def b2(s):
        v, ix, hole = s
        parent = (hole - 1) // 2
        return v.at[hole].set(v[parent]), ix.at[hole].set(ix[parent]), parent

    v, ix, hole = lax.while_loop(c2, b2, (v, ix, hole))
    return v.at[hole].set(val), ix.at[hole].set(vix)


def partial_sort_row(v, ix, k, desc):
    """libstdc++ std::partial_sort(begin, begin + k, end): heap_select then sort_heap. Only the
    k-element heap is carried (pop_heap's writes past the middle are never read back)."""
    n = v.shape[0]
    comp = comp_fn(v, desc)
    kk = jnp.asarray(k, _I)
    hv, hi = v[:k], ix[:k]

    def mk(i, s):
        hv, hi = s
        parent = (k - 2) // 2 - i
        return _adjust_heap(hv, hi, parent, kk, hv[parent], hi[parent], comp)
    if k >= 2:
        hv, hi = lax.fori_loop(0, (k - 2) // 2 + 1, mk, (hv, hi))

    def sel(i, s):
        hv, hi = s
        val, vix = v[i], ix[i]
        return lax.cond(comp(val, hv[0]),
                        lambda s: _adjust_heap(s[0], s[1], jnp.zeros((), _I), kk, val, vix, comp),
                        lambda s: s, (hv, hi))
    hv, hi = lax.fori_loop(k, n, sel, (hv, hi))

    def srt(j, s):
        hv, hi = s
        last = k - 1 - j
        val, vix = hv[last], hi[last]
        hv = hv.at[last].set(hv[0])
        hi = hi.at[last].set(hi[0])
        return _adjust_heap(hv, hi, jnp.zeros((), _I), last, val, vix, comp)
    if k >= 2:
        hv, hi = lax.fori_loop(0, k - 1, srt, (hv, hi))
    return hv, hi


def on_rows(mask, fn, default, *rows, chunk=8):
    """fn (one row -> one row result) applied only to the rows where mask holds, ``chunk`` rows
    at a time inside a while loop, so the cost follows the number of such rows; the other rows
    keep ``default`` (results may be tuples of arrays)."""
    B = mask.shape[0]
    if B == 0:
        return default
    c = min(chunk, B)
    order = jnp.argsort(~mask, stable=True).astype(_I)
    order = jnp.concatenate([order, jnp.zeros(c, _I)])
    count = jnp.sum(mask.astype(_I))
    vfn = jax.vmap(fn)

    def cond(s):
        return s[0] < count

    def body(s):
        i, out = s
        sel = lax.dynamic_slice(order, (i,), (c,))
        res = vfn(*(r[sel] for r in rows))
        tgt = jnp.where(i + jnp.arange(c, dtype=_I) < count, sel, B)
        return i + c, jax.tree.map(lambda o, r: o.at[tgt].set(r, mode="drop"), out, res)
    return lax.while_loop(cond, body, (jnp.zeros((), _I), default))[1]


# ---------------------------------------------------------------- ATen quick_select_template

def quickselect_row(v, ix, k):
    """ATen's quick_select_template(arr, k, gt_or_nan) (kthvalue): returns (v, ix) with the
    k-th smallest (0-based) at position k."""
    n = v.shape[0]
    gt = comp_fn(v, True)  # gt_or_nan(a, b): a > b, NaN largest
    pos = jnp.arange(n, dtype=_I)

    def swap(v, ix, i, j):
        vi, vj, xi, xj = v[i], v[j], ix[i], ix[j]
        return v.at[i].set(vj).at[j].set(vi), ix.at[i].set(xj).at[j].set(xi)

    def cond(s):
        return s[3] > s[2] + 1

    def body(s):
        v, ix, L, R = s
        P = L + (R - L) // 2
        v, ix = swap(v, ix, P, L + 1)
        c = gt(v[L + 1], v[R])
        v, ix = jax.tree.map(lambda a, b: jnp.where(c, a, b), swap(v, ix, L + 1, R), (v, ix))
        c = gt(v[L], v[R])
        v, ix = jax.tree.map(lambda a, b: jnp.where(c, a, b), swap(v, ix, L, R), (v, ix))
        c = gt(v[L + 1], v[L])
        v, ix = jax.tree.map(lambda a, b: jnp.where(c, a, b), swap(v, ix, L + 1, L), (v, ix))
        piv = v[L]
        isA = (pos >= L + 2) & (pos <= R) & ~gt(piv, v)      # i stops
        isB = (pos >= L + 1) & (pos <= R - 1) & ~gt(v, piv)  # j stops
        cA = jnp.cumsum(isA.astype(_I))
        cB = jnp.cumsum(isB.astype(_I))
        nA, nB = cA[-1], cB[-1]
        rankA = cA
        rankB = nB - cB + isB.astype(_I)
        swapA = isA & ((nB - cB) >= rankA)
        M = jnp.sum(swapA.astype(_I))
        swapB = isB & (rankB <= M)
        drop = jnp.full((), n, _I)
        posA = jnp.zeros(n + 2, _I).at[jnp.where(isA, rankA - 1, drop)].set(pos, mode="drop")
        posB = jnp.zeros(n + 2, _I).at[jnp.where(isB, rankB - 1, drop)].set(pos, mode="drop")
        partner = jnp.where(swapA, posB[jnp.clip(rankA - 1, 0, n)],
                            jnp.where(swapB, posA[jnp.clip(rankB - 1, 0, n)], pos))
        v, ix = v[partner], ix[partner]
        big, small = jnp.full((), n + 5, _I), jnp.full((), -5, _I)

        def a_at(m):  # A_m (1-based), +inf when absent
            return jnp.where((m >= 1) & (m <= nA), posA[jnp.clip(m - 1, 0, n)], big)

        def b_at(m):  # B_m, -inf when absent
            return jnp.where((m >= 1) & (m <= nB), posB[jnp.clip(m - 1, 0, n)], small)
        b_m = jnp.where(M > 0, b_at(M), big)
        a_m = jnp.where(M > 0, a_at(M), small)
        eq = (a_at(M + 1) == b_at(M + 1)) & (M + 1 <= nA) & (M + 1 <= nB)
        i = jnp.where(eq, jnp.minimum(a_at(M + 2), b_m), jnp.minimum(a_at(M + 1), b_m))
        j = jnp.where(eq, jnp.maximum(b_at(M + 2), a_m), jnp.maximum(b_at(M + 1), a_m))
        v, ix = swap(v, ix, L, j)
        L2 = jnp.where(j <= k, i, L)
        R2 = jnp.where(j >= k, j - 1, R)
        return v, ix, L2, R2

    v, ix, L, R = lax.while_loop(cond, body, (v, ix, jnp.zeros((), _I), jnp.full((), n - 1, _I)))
    two = R == L + 1
    c = two & gt(v[L], v[jnp.clip(R, 0, n - 1)])
    sw = swap(v, ix, L, jnp.clip(R, 0, n - 1))
    return jax.tree.map(lambda a, b: jnp.where(c, a, b), sw, (v, ix))


# ---------------------------------------------------------------- host-side std::sort (eager ops)

def py_std_sort(a, comp):
    """libstdc++ std::sort of the Python list ``a`` in place (for host-computed ops such as
    unique(dim=...), whose comparator is a lexicographic ``<`` that NaNs make inconsistent)."""
    def ins(f, l):
        for i in range(f + 1, l):
            val = a[i]
            if comp(val, a[f]):
                a[f + 1:i + 1] = a[f:i]
                a[f] = val
            else:
                lin(i)

    def lin(last):
        val, nxt = a[last], last - 1
        while nxt >= 0 and comp(val, a[nxt]):
            a[last] = a[nxt]
            last, nxt = nxt, nxt - 1
        a[last] = val

    def med(r, x, y, z):
        if comp(a[x], a[y]):
            p = y if comp(a[y], a[z]) else (z if comp(a[x], a[z]) else x)
        else:
            p = x if comp(a[x], a[z]) else (z if comp(a[y], a[z]) else y)
        a[r], a[p] = a[p], a[r]

    def part(f, l):
        med(f, f + 1, f + (l - f) // 2, l - 1)
        p, lo, hi = f, f + 1, l
        while True:
            while lo < l - 1 and comp(a[lo], a[p]):
                lo += 1
            hi -= 1
            while hi > f and comp(a[p], a[hi]):
                hi -= 1
            if not lo < hi:
                return lo
            a[lo], a[hi] = a[hi], a[lo]
            lo += 1

    def loop(f, l, depth):
        while l - f > 16:
            if depth == 0:
                a[f:l] = sorted(a[f:l], key=_cmp_key(comp))  # heap-sort fallback (gap)
                return
            depth -= 1
            cut = part(f, l)
            loop(cut, l, depth)
            l = cut
    n = len(a)
    if n:
        loop(0, n, 2 * _lg(n))
        if n > 16:
            ins(0, 16)
            for i in range(16, n):
                lin(i)
        else:
            ins(0, n)
    return a


def _cmp_key(comp):
    import functools
    return functools.cmp_to_key(lambda x, y: -1 if comp(x, y) else (1 if comp(y, x) else 0))
