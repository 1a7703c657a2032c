"""Sorting, selection and set ops: sort/argsort/msort, topk, kthvalue, median/nanmedian, mode,
unique/unique_consecutive, searchsorted/bucketize.

Indices follow torch's CPU kernels exactly, ties included (see ``_stdsort``): a stable sort is
used where it provably agrees (no relevant ties), the emulation of torch's algorithm otherwise.
Values are gathered from the input at the returned indices, so gradients flow to those
elements (median()/nanmedian() without dim split theirs evenly among equal elements)."""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .. import return_types as RT
from .._tensor import Tensor, wrap
from ._util import wrap_dim
from .registry import op, composite, call, OPS
from . import _stdsort as S

_I64 = jnp.int64
_I32 = jnp.int32


def _name(dt):
    return D.SCALAR_NAME[D.from_np(dt)]


def _rows(x, d):
    """(B, n) view of x with dim d last, and a function mapping (B, k) results back."""
    moved = jnp.moveaxis(x, d, -1)
    lead = moved.shape[:-1]
    rows = moved.reshape((int(np.prod(lead)), moved.shape[-1]))

    def back(r):
        r = r.reshape(lead + (r.shape[-1],))
        return jnp.moveaxis(r, -1, d)
    return rows, back


def _key(x):
    return lax.stop_gradient(x.astype(jnp.uint8) if x.dtype == jnp.bool_ else x)


def _iota(rows):
    return lax.broadcasted_iota(_I32, rows.shape, 1)


def _row_ties(sv, desc):
    """Per row: does the (sorted) row hold two tied neighbours?"""
    if sv.shape[-1] < 2:
        return jnp.zeros(sv.shape[:1], bool)
    return jnp.any(S.equiv(sv[:, 1:], sv[:, :-1], desc), axis=-1)


def _nonempty(name, x, d):
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _named_out(name, r, out):
    return getattr(RT, name + "_out")(tuple(out)) if out is not None else r


def _no_overlap(input, out, name):
    if out is None:
        return
    from .._grad_state import STATE
    if STATE.enabled and (input.requires_grad or any(o.requires_grad for o in out)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if any(isinstance(o, Tensor) and o._st is input._st for o in out):
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")


# ---------------------------------------------------------------- sort / argsort / msort

def _sort_index(rows, desc, stable):
    """Per-row indices of torch's sort (std::sort for stable=False, stable sort otherwise)."""
    ix = _iota(rows)
    sv, si = S.stable_sort(rows, ix, desc)
    n = rows.shape[-1]
    if stable or n <= 16 or rows.shape[0] == 0:
        return si
    return S.on_rows(_row_ties(sv, desc), lambda v, i: S.std_sort_row(v, i, desc)[1], si,
                     rows, ix)


def _sort_impl(input, dim, descending, stable):
    if jnp.issubdtype(input.dtype, jnp.complexfloating):
        raise RuntimeError(" Sort does not support complex dtypes on CPU")
    d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return input, jnp.zeros((), _I64)
    rows, back = _rows(_key(input), d)
    idx = back(_sort_index(rows, descending, stable)).astype(_I64)
    return jnp.take_along_axis(input, idx, axis=d), idx


@op(promote=False, function=False, method=False, name="sort", returns=RT.returns(RT.sort),
    saves=("result1",),
    grad=lambda key: "SortBackward1" if key[0][2] else "SortBackward0")
def _sort_k(input, dim, descending, stable):
    return _sort_impl(input, dim, descending, stable)


@op(promote=False, function=False, method=False, name="argsort", differentiable=False)
def _argsort_k(input, dim, descending, stable):
    return _sort_impl(input, dim, descending, stable)[1]


@composite()
def sort(input, dim=-1, descending=False, *, stable=None, out=None):
    _no_overlap(input, out, 'sort')
    r = call(OPS["sort"], (input,), (int(dim), bool(descending), bool(stable)), out)
    return _named_out("sort", r, out)


@composite()
def argsort(input, dim=-1, descending=False, *, stable=False, out=None):
    return call(OPS["argsort"], (input,), (int(dim), bool(descending), bool(stable)), out)


@composite()
def msort(input, *, out=None):
    r = call(OPS["sort"], (input,), (0, False, False))
    if out is not None:
        from .registry import _write_out
        _write_out(out, [r[0]], "sort")
        return out
    return r[0]


# ---------------------------------------------------------------- topk

_INT_OF = {2: jnp.int16, 4: jnp.int32, 8: jnp.int64}


def _first_key(x, largest):
    """A key whose descending order is torch's topk order (NaN first for largest, last for
    smallest), for lax.top_k. -0.0 and 0.0 get distinct keys; callers check ties by value."""
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.uint8)
    if jnp.issubdtype(x.dtype, jnp.floating):
        if largest:
            return x
        it = _INT_OF[x.dtype.itemsize]
        bits = lax.bitcast_convert_type(x, it)
        top = jnp.iinfo(it).max
        key = jnp.where(bits < 0, bits ^ jnp.asarray(top, it), bits)
        key = jnp.where(jnp.isnan(x), jnp.asarray(top, it), key)
        return ~key
    return x if largest else ~x


def _topk_index(rows, k, largest, sorted_):
    ix = _iota(rows)
    n = rows.shape[-1]
    kk = min(k + 1, n)
    si = lax.top_k(_first_key(rows, largest), kk)[1].astype(_I32)
    sv = jnp.take_along_axis(rows, si, axis=1)

    def exact(v, i):
        if k * 64 <= n:
            return S.partial_sort_row(v, i, k, largest)[1]
        v, i = S.nth_element_row(v, i, k - 1, largest)
        if sorted_ and k - 1 > 1:
            i = i.at[:k - 1].set(S.std_sort_row(v[:k - 1], i[:k - 1], largest)[1])
        return i[:k]
    if not sorted_ and k * 64 > n:  # nth_element's arrangement is returned as is
        return S.on_rows(jnp.ones(rows.shape[:1], bool), exact, si[:, :k], rows, ix)
    return S.on_rows(_row_ties(sv[:, :k + 1], largest), exact, si[:, :k], rows, ix)


@op(promote=False, function=False, method=False, name="topk", returns=RT.returns(RT.topk),
    saves=("result1",))
def _topk_k(input, k, dim, largest, sorted):
    if input.dtype == jnp.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if jnp.issubdtype(input.dtype, jnp.complexfloating):
        raise NotImplementedError(f"\"topk_cpu\" not implemented for '{_name(input.dtype)}'")
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return input, jnp.zeros((), _I64)
    if k == 0:
        shape = list(input.shape)
        shape[d] = 0
        return jnp.zeros(shape, input.dtype), jnp.zeros(shape, _I64)
    rows, back = _rows(_key(input), d)
    idx = back(_topk_index(rows, k, largest, sorted)).astype(_I64)
    return jnp.take_along_axis(input, idx, axis=d), idx


@composite()
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    _no_overlap(input, out, 'topk')
    r = call(OPS["topk"], (input,), (int(k), int(dim), bool(largest), bool(sorted)), out)
    return _named_out("topk", r, out)


# ---------------------------------------------------------------- kthvalue / median / mode

def _select_at(input, d, keepdim, idx_rows, back):
    idx = back(idx_rows[:, None]).astype(_I64)
    vals = jnp.take_along_axis(input, idx, axis=d)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, d), jnp.squeeze(idx, d)
    return vals, idx


def _check_sel_dtype(kernel, input):
    if input.dtype == jnp.bool_ or jnp.issubdtype(input.dtype, jnp.complexfloating):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_name(input.dtype)}'")


@op(promote=False, function=False, method=False, name="kthvalue", saves=("result1",),
    returns=RT.returns(RT.kthvalue))
def _kthvalue_k(input, k, dim, keepdim):
    _check_sel_dtype("kthvalue_cpu", input)
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if input.ndim:
        _nonempty("kthvalue", input, d)
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if input.ndim == 0:
        return input, jnp.zeros((), _I64)
    rows, back = _rows(_key(input), d)
    ix = _iota(rows)
    sv, si = S.stable_sort(rows, ix, False)
    c = sv[:, k - 1]
    tie = jnp.zeros(c.shape, bool)
    if k >= 2:
        tie = tie | S.equiv(sv[:, k - 2], c)
    if k < n:
        tie = tie | S.equiv(sv[:, k], c)

    pick = S.on_rows(tie, lambda v, i: S.quickselect_row(v, i, k - 1)[1][k - 1], si[:, k - 1],
                     rows, ix)
    return _select_at(input, d, keepdim, pick, back)


@composite()
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    _no_overlap(input, out, 'kthvalue')
    r = call(OPS["kthvalue"], (input,), (int(k), int(dim), bool(keepdim)), out)
    return _named_out("kthvalue", r, out)


def _median_pick(rows, ignore_nan):
    """torch's median index: the ((n-1)//2)-th in stable order (first NaN if any NaN, unless
    ignore_nan, where NaNs are dropped from the count)."""
    ix = _iota(rows)
    sv, si = S.stable_sort(rows, ix, False)
    n = rows.shape[-1]
    if jnp.issubdtype(rows.dtype, jnp.floating):
        isn = jnp.isnan(rows)
        cnt = n - jnp.sum(isn, axis=-1)
        if ignore_nan:
            k = jnp.maximum((cnt - 1) // 2, 0)
            return jnp.take_along_axis(si, k[:, None].astype(_I32), axis=1)[:, 0]
        first_nan = jnp.argmax(isn, axis=-1).astype(_I32)
        return jnp.where(cnt < n, first_nan, si[:, (n - 1) // 2])
    return si[:, (n - 1) // 2]


def _median_dim(name, ignore_nan):
    def fn(input, dim, keepdim):
        _check_sel_dtype("median_out", input)
        d = wrap_dim(dim, input.ndim)
        if input.ndim == 0:
            return input, jnp.zeros((), _I64)
        _nonempty(name, input, d)
        rows, back = _rows(_key(input), d)
        return _select_at(input, d, keepdim, _median_pick(rows, ignore_nan), back)
    return fn


op(promote=False, function=False, method=False, name="_median_dim", grad="MedianBackward1",
   saves=("result1",), returns=RT.returns(RT.median))(_median_dim("median", False))
op(promote=False, function=False, method=False, name="_nanmedian_dim", saves=("result1",),
   grad="NanmedianBackward1", returns=RT.returns(RT.nanmedian))(_median_dim("nanmedian", True))


@partial(jax.custom_jvp, nondiff_argnums=(1,))
def _median_all_f(x, ignore_nan):
    flat = x.reshape(1, -1)
    if flat.shape[1] == 0:
        return jnp.asarray(jnp.nan, x.dtype) if jnp.issubdtype(x.dtype, jnp.inexact) else \
            jnp.zeros((), x.dtype)
    return flat[0, _median_pick(_key(flat), ignore_nan)[0]]


@_median_all_f.defjvp
def _median_all_jvp(ignore_nan, primals, tangents):
    """torch's evenly_distribute_backward: the gradient is shared by the elements equal to the
    result (by the NaNs when the result is NaN)."""
    (x,), (t,) = primals, tangents
    y = _median_all_f(x, ignore_nan)
    m = (x == y) | (jnp.isnan(x) & jnp.isnan(y))
    inv = 1 / jnp.sum(m).astype(x.dtype)
    return y, jnp.sum(t * jnp.where(m, inv, inv * 0))


def _median_all(name, ignore_nan):
    def fn(input):
        _check_sel_dtype("median_cpu", input)
        return _median_all_f(input, ignore_nan)
    return fn


op(promote=False, function=False, method=False, name="_median_all", grad="MedianBackward0",
   saves=("input", "result"))(
    _median_all("median", False))
op(promote=False, function=False, method=False, name="_nanmedian_all", saves=("input", "result"),
   grad="NanmedianBackward0")(_median_all("nanmedian", True))


def _median_call(name, input, dim, keepdim, out):
    _no_overlap(input, out, name)
    if dim is None:
        return call(OPS["_" + name + "_all"], (input,), (), out)
    r = call(OPS["_" + name + "_dim"], (input,), (int(dim), bool(keepdim)), out)
    return _named_out(name, r, out)


@composite()
def median(input, dim=None, keepdim=False, *, out=None):
    return _median_call("median", input, dim, keepdim, out)


@composite()
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    return _median_call("nanmedian", input, dim, keepdim, out)


def _mode_pick(rows):
    """torch's mode: std::sort the row by value, then the first longest run of equal values
    wins (the smallest mode); its index is the last one of that run in the sorted order."""
    ix = _iota(rows)
    sv, si = S.stable_sort(rows, ix, False)
    # std::sort only reorders tied values; mode's comparator is a plain `<` (NaN-unaware), so
    # rows with NaN take the step-by-step insertion sort
    need = _row_ties(sv, False) if rows.shape[-1] > 16 else jnp.zeros(rows.shape[:1], bool)
    v, i = S.on_rows(need, lambda v, i: S.std_sort_row(v, i, False), (sv, si), rows, ix)
    if jnp.issubdtype(rows.dtype, jnp.floating):
        v, i = S.on_rows(jnp.any(jnp.isnan(rows), axis=-1),
                         lambda v, i: S.std_sort_row(v, i, False, False, True), (v, i), rows, ix)
    pos = lax.broadcasted_iota(_I32, rows.shape, 1)
    brk = jnp.concatenate([jnp.ones((rows.shape[0], 1), bool), v[:, 1:] != v[:, :-1]], axis=1)
    start = lax.cummax(jnp.where(brk, pos, 0), axis=1)
    end = jnp.concatenate([brk[:, 1:], jnp.ones((rows.shape[0], 1), bool)], axis=1)
    length = jnp.where(end, pos - start + 1, 0)
    best = jnp.argmax(length, axis=1)
    return jnp.take_along_axis(i, best[:, None], axis=1)[:, 0]


@op(promote=False, function=False, method=False, name="mode", returns=RT.returns(RT.mode),
    saves=("result1",))
def _mode_k(input, dim, keepdim):
    if jnp.issubdtype(input.dtype, jnp.complexfloating):
        raise NotImplementedError(f"\"mode_cpu\" not implemented for '{_name(input.dtype)}'")
    d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return input, jnp.zeros((), _I64)
    _nonempty("mode", input, d)
    rows, back = _rows(_key(input), d)
    if rows.shape[0] == 0:
        shape = tuple(1 if i == d else s for i, s in enumerate(input.shape)
                      if i != d or keepdim)
        return jnp.zeros(shape, input.dtype), jnp.zeros(shape, _I64)
    return _select_at(input, d, keepdim, _mode_pick(rows), back)


@composite()
def mode(input, dim=-1, keepdim=False, *, out=None):
    _no_overlap(input, out, 'mode')
    r = call(OPS["mode"], (input,), (int(dim), bool(keepdim)), out)
    return _named_out("mode", r, out)


# ---------------------------------------------------------------- searchsorted / bucketize

def _bsearch(bd, vals, right, sorter):
    """ATen's cus_lower_bound / cus_upper_bound: the same binary search (so unsorted or NaN
    boundaries give torch's answers too). bd (m,), vals (...) -> int indices."""
    m = bd.shape[0]
    start = jnp.zeros(vals.shape, _I64)
    end = jnp.full(vals.shape, m, _I64)
    steps = max(m, 1).bit_length() + 1

    def body(_, s):
        start, end = s
        go = start < end
        mid = start + ((end - start) >> 1)
        midc = jnp.clip(mid, 0, max(m - 1, 0))
        if sorter is not None:
            midc = sorter[midc]
        mv = bd[midc] if m else jnp.zeros(vals.shape, bd.dtype)
        adv = ~(mv > vals) if right else ~(mv >= vals)
        return (jnp.where(go & adv, mid + 1, start), jnp.where(go & ~adv, mid, end))
    start, _ = lax.fori_loop(0, steps, body, (start, end))
    return start


def _ss_dtype(a, b):
    dt = jnp.promote_types(a.dtype, b.dtype)
    return a.astype(dt), b.astype(dt)


def _shape_str(s):
    return "[" + ", ".join(map(str, s)) + "]"


@op(tensors=("sorted_sequence", "input", "sorter"), promote=False, method=False,
    name="searchsorted", out=True, differentiable=False)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got "
                               f"{side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    bd, x = sorted_sequence, input
    if bd.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if sorter is not None:
        if sorter.dtype != _I64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {_name(sorter.dtype)}")
        if sorter.shape != bd.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {_shape_str(bd.shape)}and got "
                               f"sorter tensor {_shape_str(sorter.shape)}")
    if bd.ndim != 1 and (x.ndim == 0 or bd.shape[:-1] != x.shape[:-1]):
        if x.ndim == 0:
            raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries tensor "
                               f"dim({bd.ndim}) and input value's dim({x.ndim}) numel(1)")
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           f"first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {_shape_str(bd.shape)} and "
                           f"input value tensor {_shape_str(x.shape)}")
    bd, x = _ss_dtype(bd, x)
    odt = _I32 if out_int32 else _I64
    if bd.ndim == 1:
        return _bsearch(bd, x, right, sorter).astype(odt)
    lead = bd.shape[:-1]
    B = int(np.prod(lead))
    bdr = bd.reshape(B, bd.shape[-1])
    xr = x.reshape(B, x.shape[-1])
    if sorter is None:
        r = jax.vmap(lambda b, v: _bsearch(b, v, right, None))(bdr, xr)
    else:
        sr = sorter.reshape(B, bd.shape[-1])
        r = jax.vmap(lambda b, v, s: _bsearch(b, v, right, s))(bdr, xr, sr)
    return r.reshape(x.shape).astype(odt)


@op(tensors=("input", "boundaries"), promote=False, name="bucketize", out=True, method=False,
    differentiable=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    bd, x = _ss_dtype(boundaries, input)
    return _bsearch(bd, x, right, None).astype(_I32 if out_int32 else _I64)


# ---------------------------------------------------------------- unique (data-dependent sizes)

def _concrete(t, name):
    v = t._value
    if isinstance(v, jax.core.Tracer):
        raise RuntimeError(f"{name}(): the output size depends on the input values, which are "
                           "not known while tracing (jit/vmap); call it outside the traced "
                           "function")
    return np.asarray(v)


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def _nograd_take(x, idx, opname):
    return x.reshape(-1)[idx]


def _nograd_fwd(x, idx, opname):
    return x.reshape(-1)[idx], None


def _nograd_bwd(opname, res, g):
    raise NotImplementedError(f"the derivative for '{opname}' is not implemented.")


_nograd_take.defvjp(_nograd_fwd, _nograd_bwd)


def _uname(key):
    return "UniqueDimBackward0" if key[0][0] == "unique_dim" else (
        "UniqueConsecutiveBackward0" if key[0][0] == "unique_consecutive" else "Unique2Backward0")


@op(tensors=("input", "idx"), promote=False, function=False, method=False,
    name="_unique_values", grad=_uname, saves=())
def _unique_values(input, idx, opname, shape):
    aten = {"unique2": "_unique2", "unique_dim": "unique_dim",
            "unique_consecutive": "unique_consecutive"}[opname]
    return _nograd_take(input, idx, aten).reshape(shape)


def _unique_out(input, flat_idx, shape, opname, inverse, counts, return_inverse, return_counts):
    vals = call(OPS["_unique_values"], (input, wrap(jnp.asarray(flat_idx, _I64))),
                (opname, tuple(shape)))
    outs = [vals]
    if return_inverse:
        outs.append(wrap(jnp.asarray(inverse, _I64)))
    if return_counts:
        outs.append(wrap(jnp.asarray(counts, _I64)))
    return outs[0] if len(outs) == 1 else tuple(outs)


def _np_order(a):
    """A total order key for numpy sorting that matches torch (NaN last)."""
    return a.astype(np.uint8) if a.dtype == np.bool_ else a


def _unique_dim_check(a, dim):
    d = wrap_dim(dim, a.ndim)
    if a.size == 0 and a.shape[d] != 0:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    return d


@composite()
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    a = _concrete(input, "unique")
    if input.dtype.is_complex:
        raise NotImplementedError(f"\"unique\" not implemented for '{D.SCALAR_NAME[input.dtype]}'")
    if dim is None:
        flat = a.reshape(-1)
        # torch sorts with its default (std::sort) order; NaNs stay distinct, so their
        # relative order shows in the inverse indices
        order = np.asarray(_sort_index(jnp.asarray(_np_order(flat))[None], False, False))[0]
        sv = flat[order]
        if sv.size:
            new = np.concatenate([[True], sv[1:] != sv[:-1]])
        else:
            new = np.zeros(0, bool)
        first = order[new]
        group = np.cumsum(new) - 1
        inverse = np.empty(flat.size, np.int64)
        inverse[order] = group
        counts = np.diff(np.append(np.flatnonzero(new), flat.size))
        return _unique_out(input, first, (first.size,), "unique2", inverse.reshape(a.shape),
                           counts, return_inverse, return_counts)
    d = _unique_dim_check(a, dim)
    moved = np.moveaxis(a, d, 0)
    n = moved.shape[0]
    rows = moved.reshape(n, -1) if n else moved.reshape(0, 0)
    if n == 0:
        order, new = np.zeros(0, np.int64), np.zeros(0, bool)
    else:
        if rows.dtype.kind == "f" and np.isnan(rows).any():
            # torch sorts the slices with std::sort and a lexicographic `<` that skips NaN
            # pairs; emulate it exactly (host-side, only when NaNs make the order matter)
            def comp(i, j):
                for x, y in zip(rows[i], rows[j]):
                    if x < y:
                        return True
                    if x > y:
                        return False
                return False
            order = np.asarray(S.py_std_sort(list(range(n)), comp), np.int64)
        else:
            order = np.lexsort(tuple(_np_order(rows[:, j])
                                     for j in range(rows.shape[1] - 1, -1, -1)))
        sr = rows[order]
        new = np.concatenate([[True], np.any(sr[1:] != sr[:-1], axis=1)]) if n else \
            np.zeros(0, bool)
    first = order[new]
    group = np.cumsum(new) - 1
    inverse = np.empty(n, np.int64)
    inverse[order] = group
    counts = np.diff(np.append(np.flatnonzero(new), n))
    # flat indices of the chosen slices, in the input's own layout
    full = np.arange(a.size).reshape(a.shape)
    pick = np.take(full, first, axis=d)
    return _unique_out(input, pick.reshape(-1), pick.shape, "unique_dim", inverse, counts,
                       return_inverse, return_counts)


@composite()
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    a = _concrete(input, "unique_consecutive")
    if dim is None:
        flat = a.reshape(-1)
        new = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
        first = np.flatnonzero(new)
        inverse = (np.cumsum(new) - 1).reshape(a.shape)
        counts = np.diff(np.append(first, flat.size))
        return _unique_out(input, first, (first.size,), "unique_consecutive", inverse, counts,
                           return_inverse, return_counts)
    d = _unique_dim_check(a, dim)
    moved = np.moveaxis(a, d, 0)
    n = moved.shape[0]
    rows = moved.reshape(n, -1) if n else moved.reshape(0, 0)
    new = np.concatenate([[True], np.any(rows[1:] != rows[:-1], axis=1)]) if n else \
        np.zeros(0, bool)
    first = np.flatnonzero(new)
    inverse = np.cumsum(new) - 1
    counts = np.diff(np.append(first, n))
    full = np.arange(a.size).reshape(a.shape)
    pick = np.take(full, first, axis=d)
    return _unique_out(input, pick.reshape(-1), pick.shape, "unique_consecutive", inverse,
                       counts, return_inverse, return_counts)
