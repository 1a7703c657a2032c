"""Shape/view ops, indexing and creation ops against real torch (test-only dependency).

- OpInfo: every op_db entry of the shape/indexing/creation families runs through compat_suite's
  runner (all samples in float32/int64/bool, float32 gradients, error inputs).
- Views: strides, storage offsets, _is_view, grad_fn names, and that writes through a view reach
  its base (and other views), compared with torch on the same inputs.
- Indexing: __getitem__/__setitem__ with every index kind, result shapes, errors and messages.
- Scatter/gather family special points (ties, zeros, include_self) with gradients.
- Creation: arange/linspace/logspace values bit-for-bit, dtype inference, errors.
"""
import warnings

import numpy as np
import pytest
import torch

import torchjax as tj


# ---------------------------------------------------------------- helpers

from op_helpers import _flat, _np, _to  # noqa: E402


def _gname(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def _same(e, a, where="out", layout=True):
    if isinstance(e, torch.Tensor):
        assert isinstance(a, tj.Tensor), f"{where}: expected a tensor, got {type(a)}"
        assert tuple(a.shape) == tuple(e.shape), f"{where}: shape {tuple(a.shape)} != {tuple(e.shape)}"
        assert str(a.dtype) == str(e.dtype), f"{where}: dtype {a.dtype} != {e.dtype}"
        en, an = _np(e), _np(a)
        if en.dtype.kind in "biu":
            np.testing.assert_array_equal(an, en, err_msg=where)
        else:
            np.testing.assert_allclose(an, en, rtol=1.3e-6, atol=1e-5, equal_nan=True,
                                       err_msg=where)
        assert a.requires_grad == e.requires_grad, f"{where}: requires_grad"
        assert _gname(a) == _gname(e), f"{where}: grad_fn {_gname(a)} != {_gname(e)}"
        if layout:
            assert a._is_view() == e._is_view(), f"{where}: _is_view {a._is_view()}"
            if e._is_view() or e.numel() > 1:
                assert tuple(a.stride()) == tuple(e.stride()), \
                    f"{where}: stride {a.stride()} != {e.stride()}"
                assert a.storage_offset() == e.storage_offset(), f"{where}: storage_offset"
    elif isinstance(e, torch.Size):
        assert isinstance(a, tj.Size) and tuple(a) == tuple(e), f"{where}: {a!r} != {e!r}"
    elif isinstance(e, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(e), f"{where}: {a!r} vs {e!r}"
        assert type(a) is type(e) or type(e).__module__ == "torch.return_types", where
        for i, (x, y) in enumerate(zip(e, a)):
            _same(x, y, f"{where}[{i}]", layout)
    else:
        assert a == e, f"{where}: {a!r} != {e!r}"


def check(f, *args, grad=True, layout=True, msg=True, warn=True):
    """f(lib, *tensors) on torch and torchjax: the same result (values, dtypes, shapes, grad_fn
    names, strides/offsets/_is_view), the same warnings, the same gradient of sum(out * ct), or
    the same exception (type and message)."""
    targs = [_to(torch, a, grad) for a in args]
    jargs = [_to(tj, a, grad) for a in args]
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        try:
            expected, terr = f(torch, *targs), None
        except Exception as e:  # noqa: BLE001
            expected, terr = None, e
    with warnings.catch_warnings(record=True) as jw:
        warnings.simplefilter("always")
        if terr is not None:
            with pytest.raises(type(terr)) as info:
                f(tj, *jargs)
            if msg and not isinstance(terr, TypeError):
                assert str(info.value).split("\n")[0] == str(terr).split("\n")[0], \
                    f"{info.value!s} != {terr!s}"
            return None
        actual = f(tj, *jargs)
    if warn:
        tm = [str(w.message).split(" (Triggered")[0] for w in tw if w.category is UserWarning]
        jm = [str(w.message).split(" (Triggered")[0] for w in jw if w.category is UserWarning]
        assert jm == tm, f"warnings {jm} != {tm}"
    _same(expected, actual, layout=layout)
    if not grad:
        return actual
    touts, jouts = _flat(expected), _flat(actual)
    sel = [i for i, o in enumerate(touts) if isinstance(o, torch.Tensor) and o.requires_grad
           and not o.is_complex()]
    tin = [t for t in _flat(targs) if isinstance(t, torch.Tensor) and t.requires_grad]
    jin = [t for t in _flat(jargs) if isinstance(t, tj.Tensor) and t.requires_grad]
    if not sel or not tin:
        return actual
    rng = np.random.default_rng(0)
    cts = [rng.standard_normal(tuple(touts[i].shape)).astype(_np(touts[i]).dtype)
           for i in sel]
    tl = sum((touts[i] * torch.from_numpy(c)).sum() for i, c in zip(sel, cts))
    jl = sum((jouts[i] * tj.tensor(c)).sum() for i, c in zip(sel, cts))
    tg = torch.autograd.grad(tl, tin, allow_unused=True)
    jg = tj.autograd.grad(jl, jin, allow_unused=True)
    for k, (a, b) in enumerate(zip(tg, jg)):
        a = torch.zeros_like(tin[k]) if a is None else a
        b = tj.zeros_like(jin[k]) if b is None else b
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-5, atol=1e-5, equal_nan=True,
                                   err_msg=f"grad[{k}]")
    return actual


R = np.random.default_rng(1234)


def rnd(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def A(x, dtype=np.float32):
    return np.array(x, dtype=dtype)


X = rnd(3, 4)
X3 = rnd(2, 3, 4)


# ---------------------------------------------------------------- OpInfo

def _entries():
    from compat_suite.opinfo import op_db, entry_key, family
    from compat_suite.config import EXCLUDED
    creation = {"arange", "linspace", "logspace", "eye", "new_zeros", "new_ones", "new_full",
                "zeros_like", "ones_like", "full_like", "zeros", "ones", "full", "tril_indices",
                "triu_indices", "complex", "polar", "_chunk_cat"}
    skip = {"jiterator_2inputs_2outputs", "jiterator_4inputs_with_extra_args", "as_strided",
            "_unsafe_masked_index", "bucketize",
            "_unsafe_masked_index_put_accumulate", "searchsorted", "resize_", "resize_as_",
            "slice", "view_as_real", "count_nonzero"}
    return sorted(entry_key(o) for o in op_db() if o.name not in EXCLUDED and o.name not in skip
                  and (family(o) in ("shape", "indexing") or o.name in creation))


def _target_numpy(t):
    d = t.detach()
    return _np(d) if isinstance(d, torch.Tensor) else np.asarray(d.numpy())


@pytest.mark.parametrize("key", _entries())
def test_opinfo(key, monkeypatch):
    from compat_suite import convert, compare
    from compat_suite.opinfo import op_db, entry_key, run_entry
    # compat_suite tells torch tensors from targets by `resolve_conj`, which torchjax now has
    monkeypatch.setattr(convert, "target_numpy", _target_numpy)
    monkeypatch.setattr(compare, "target_numpy", _target_numpy)
    op = next(o for o in op_db() if entry_key(o) == key)
    r = run_entry(op, tj)
    assert r.status == "tested", f"{r.status} {r.reason}"
    assert not r.forward_fail, r.forward_fail
    assert not r.grad_fail, r.grad_fail
    assert not r.errors_fail, r.errors_fail


# ---------------------------------------------------------------- views: layout and grad_fn

VIEWS = [
    lambda L, x: x.view(12), lambda L, x: x.view(2, -1, 3), lambda L, x: x.view(-1),
    lambda L, x: x.view_as(L.empty(6, 2)), lambda L, x: x.reshape(4, 3),
    lambda L, x: x.t().reshape(12), lambda L, x: x.t().reshape(4, 3), lambda L, x: L.reshape(x, (-1,)),
    lambda L, x: x.reshape(shape=(2, 6)), lambda L, x: x.flatten(), lambda L, x: x.flatten(0, 0),
    lambda L, x: x.t().flatten(), lambda L, x: x.unflatten(1, (2, 2)), lambda L, x: x.ravel(),
    lambda L, x: x.t().ravel(), lambda L, x: x.t(), lambda L, x: x.T, lambda L, x: x.mT,
    lambda L, x: x.permute(1, 0), lambda L, x: L.permute(x, (1, 0)), lambda L, x: x.permute(dims=[1, 0]),
    lambda L, x: x.transpose(0, 1), lambda L, x: x.swapaxes(0, 1), lambda L, x: x.swapdims(-1, 0),
    lambda L, x: x.movedim(0, 1), lambda L, x: L.moveaxis(x, 1, 0), lambda L, x: x.narrow(1, 1, 2),
    lambda L, x: x.narrow(0, -1, 1), lambda L, x: x.select(1, -1), lambda L, x: x.unbind(1),
    lambda L, x: x.split(2, 1), lambda L, x: x.split([1, 3], 1), lambda L, x: x.split_with_sizes([2, 1]),
    lambda L, x: x.chunk(3, 1), lambda L, x: x.chunk(2), lambda L, x: x.tensor_split(3, 1),
    lambda L, x: x.tensor_split([1, 3], 1), lambda L, x: x.tensor_split(L.tensor([1, 2])),
    lambda L, x: x.tensor_split(L.tensor(2), 1), lambda L, x: L.hsplit(x, 2), lambda L, x: L.vsplit(x, [1]),
    lambda L, x: x.diagonal(), lambda L, x: x.diagonal(1), lambda L, x: x.diagonal(-1),
    lambda L, x: x.diagonal(5), lambda L, x: x.diagonal(0, 1, 0), lambda L, x: x.unsqueeze(0),
    lambda L, x: x.unsqueeze(-1), lambda L, x: x.unsqueeze(1).squeeze(), lambda L, x: x.unsqueeze(1).squeeze(1),
    lambda L, x: x.unsqueeze(1).squeeze((0, 1)), lambda L, x: x[:1].expand(5, 4),
    lambda L, x: x[:, :1].expand(2, 3, -1), lambda L, x: x[:1].expand_as(x), lambda L, x: x.broadcast_to(2, 3, 4),
    lambda L, x: L.broadcast_tensors(x, x[:1]), lambda L, x: L.broadcast_tensors(x[:, :1], x[:1]),
    lambda L, x: x.unfold(1, 2, 1), lambda L, x: x.unfold(0, 2, 2), lambda L, x: x.t().unfold(1, 2, 1),
    lambda L, x: L.meshgrid(x[0], x[1, :3], indexing="ij"), lambda L, x: L.meshgrid(x[0], x[1, :3], indexing="xy"),
    lambda L, x: L.meshgrid([x[0], x[1, :2], x[2, :3]], indexing="xy"),
    lambda L, x: L.atleast_1d(x[0, 0]), lambda L, x: L.atleast_2d(x[0]), lambda L, x: L.atleast_3d(x),
    lambda L, x: L.atleast_3d(x[0]), lambda L, x: L.atleast_3d([x, x[0]]), lambda L, x: x[1:, ::2],
    lambda L, x: x.t()[1:, 1], lambda L, x: x.t().t(), lambda L, x: x.contiguous(),
    lambda L, x: x.t().contiguous(), lambda L, x: x.repeat_interleave(2),
    lambda L, x: x.repeat_interleave(2, 1), lambda L, x: x.adjoint(), lambda L, x: x.mH,
]


@pytest.mark.parametrize("i", range(len(VIEWS)))
def test_view_layout(i):
    check(VIEWS[i], X)


@pytest.mark.parametrize("i", range(len(VIEWS)))
def test_view_layout_noncontiguous(i):
    # the same ops on a transposed-back, offset view of a bigger tensor
    big = rnd(5, 4, 6)
    check(lambda L, b: VIEWS[i](L, b.permute(2, 0, 1)[1, 1:4, :]), big)


WRITES = [
    (lambda t: t[0], "fill"), (lambda t: t.t()[1], "add"), (lambda t: t.view(12)[3:7], "mul"),
    (lambda t: t.diagonal(), "fill"), (lambda t: t.unfold(1, 2, 2), "add"),
    (lambda t: t.select(1, 2), "fill"), (lambda t: t.narrow(1, 1, 2), "add"),
    (lambda t: t.split(2, 1)[1], "fill"), (lambda t: t.chunk(2)[0], "add"),
    (lambda t: t.unbind(1)[3], "fill"), (lambda t: t.movedim(0, 1)[1:], "add"),
    (lambda t: t[..., 1:3], "fill"), (lambda t: t[None, 1:, None], "mul"),
    (lambda t: t.unsqueeze(0).squeeze(0), "add"), (lambda t: t.permute(1, 0)[::2], "fill"),
    (lambda t: t.view(2, 6).t(), "add"), (lambda t: t.reshape(2, 6)[1], "fill"),
    (lambda t: t.tensor_split(3, 1)[2], "fill"), (lambda t: t.flatten()[::5], "fill"),
]


@pytest.mark.parametrize("i", range(len(WRITES)))
def test_writes_reach_base(i):
    view, how = WRITES[i]
    outs = []
    for L in (torch, tj):
        base = L.tensor(np.arange(12.).reshape(3, 4).astype(np.float32))
        other = base.view(12)
        v = view(base)
        if how == "fill":
            v.fill_(-1)
        elif how == "add":
            v.add_(100)
        else:
            v.mul_(3)
        outs.append((_np(base), _np(other), _np(v), base._version))
    for a, b in zip(outs[0], outs[1]):
        np.testing.assert_array_equal(b, a)


def test_expand_write_refused():
    for L in (torch, tj):
        x = L.zeros(1, 3)
        e = x.expand(2, 3)
        assert e._is_view() and e._base is x
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
            e.add_(1)


def test_reshape_copy_does_not_alias():
    for L in (torch, tj):
        x = L.zeros(2, 3)
        y = x.t().reshape(6)
        y[0] = 1
        assert _np(x).sum() == 0


def test_unsafe_split():
    # torch's unsafe_split outputs are untracked aliases with the view's strides; here they are
    # fresh contiguous copies (values, grads and grad_fn names match)
    check(lambda L, x: x.unsafe_split(2, 1), X, layout=False)
    check(lambda L, x: x.unsafe_chunk(2, 1), X, layout=False)
    check(lambda L, x: x.unsafe_split(1), X, layout=False)


def test_view_errors():
    check(lambda L, x: x.t().view(12), X)
    check(lambda L, x: x.view(5), X)
    check(lambda L, x: x.view(-1, -1), X)
    check(lambda L, x: x.view(0, -1), rnd(0, 3))
    check(lambda L, x: x.view(()), X)
    check(lambda L, x: x.reshape(5, -1), X)
    check(lambda L, x: x.view(1, 1), rnd())
    check(lambda L, x: x.view(1, 0, 2), rnd(0, 2))
    check(lambda L, x: x.flatten(1, 0), X)
    check(lambda L, x: x.flatten(), rnd())
    check(lambda L, x: x.unflatten(1, ()), X)
    check(lambda L, x: x.unflatten(1, (3,)), X)
    check(lambda L, x: x.unflatten(1, (-1, 3)), X)
    check(lambda L, x: x.unflatten(-1, (2, -1)), X)


# ---------------------------------------------------------------- permutations and squeezes

@pytest.mark.parametrize("f", [
    lambda L, x: x.permute(0, 0), lambda L, x: x.permute(0, 1, 2), lambda L, x: x.permute(0, 2),
    lambda L, x: x.t(), lambda L, x: x.transpose(0, 3), lambda L, x: x.movedim((0, 1), (1,)),
    lambda L, x: x.movedim((0, 0), (1, 2)), lambda L, x: x.movedim((0, 1), (2, 2)),
    lambda L, x: x.movedim((0, 2), (2, 0)), lambda L, x: x.movedim(-1, 0), lambda L, x: x.T,
    lambda L, x: x.mT, lambda L, x: x[0].mT, lambda L, x: x[0, 0].mT, lambda L, x: x[0, 0].T,
    lambda L, x: x[0, 0, 0].T, lambda L, x: x.squeeze((0, 0)), lambda L, x: x.squeeze(3),
    lambda L, x: x[0, 0, 0].squeeze(0), lambda L, x: x[0, 0, 0].squeeze(-1),
    lambda L, x: x[0, 0, 0].squeeze(()), lambda L, x: x[0, 0, 0].unsqueeze(0),
    lambda L, x: x[0, 0, 0].unsqueeze(1), lambda L, x: x[0, 0, 0].transpose(0, -1),
    lambda L, x: x[0, 0, 0].view(1), lambda L, x: x[0, 0, 0].reshape(1, 1),
    lambda L, x: x.unsqueeze(3), lambda L, x: x.unsqueeze(-4), lambda L, x: x.unsqueeze(4),
    lambda L, x: x.squeeze(()), lambda L, x: x[:, :1].squeeze(), lambda L, x: x[:, :1].squeeze(1),
])
def test_permute_squeeze(f):
    check(f, X3)


# ---------------------------------------------------------------- expand / broadcast

@pytest.mark.parametrize("f", [
    lambda L, x: x.expand(4), lambda L, x: x.expand(2, 3), lambda L, x: x.expand(-1, 2, 4),
    lambda L, x: x.expand(2, -2, 4), lambda L, x: x[:1].expand(3, -1), lambda L, x: x.expand(-1, 4),
    lambda L, x: x.long().expand(4), lambda L, x: x[:1].expand(0, 4), lambda L, x: x.expand(size=(2, 3, 4)),
    lambda L, x: L.broadcast_shapes((2, 3), (3,), 1), lambda L, x: L.broadcast_shapes((2, 3), (4,)),
    lambda L, x: L.broadcast_shapes(), lambda L, x: L.broadcast_shapes((2, 0), (1, 1)),
    lambda L, x: L.broadcast_tensors(x, x[0], x[0, 0]), lambda L, x: L.broadcast_tensors(x),
    lambda L, x: L.broadcast_tensors(x, L.ones(5)), lambda L, x: x.broadcast_to((1, 3, 4)),
    lambda L, x: x.sum_to_size(1, 4), lambda L, x: x.sum_to_size(4), lambda L, x: x.sum_to_size(3, 1),
    lambda L, x: x.sum_to_size(3, 4), lambda L, x: x.sum_to_size(2, 4), lambda L, x: x[0, 0].sum_to_size(()),
])
def test_expand(f):
    check(f, X)


# ---------------------------------------------------------------- splitting

@pytest.mark.parametrize("f", [
    lambda L, x: x.split(-1), lambda L, x: x.split(0), lambda L, x: x.split([1, 1]),
    lambda L, x: x.split([4, -1]), lambda L, x: x[0, 0].split(1), lambda L, x: x.split(5),
    lambda L, x: x[:0].split(0), lambda L, x: x[:0].chunk(4), lambda L, x: x.chunk(0),
    lambda L, x: x[0, 0].chunk(2), lambda L, x: x.chunk(4, 1), lambda L, x: x.chunk(3),
    lambda L, x: x[0, 0].tensor_split(2), lambda L, x: x.tensor_split(0),
    lambda L, x: x.tensor_split(L.tensor([1.])), lambda L, x: x.tensor_split(L.zeros(1, 1).long()),
    lambda L, x: x.view(-1).tensor_split([5, 2, -1, 9]), lambda L, x: x.tensor_split(-1),
    lambda L, x: x.view(-1).tensor_split(5), lambda L, x: x.tensor_split(indices=[1], dim=1),
    lambda L, x: x.tensor_split(sections=2), lambda L, x: L.hsplit(x, 3), lambda L, x: L.hsplit(x[0, 0], 1),
    lambda L, x: L.vsplit(x[0], 2), lambda L, x: L.dsplit(x, 0), lambda L, x: L.dsplit(x.unsqueeze(-1), 1),
    lambda L, x: L.hsplit(x.view(-1), 3), lambda L, x: L.hsplit(x, [1, 3]), lambda L, x: x.unbind(-1),
    lambda L, x: x[0, 0].unbind(), lambda L, x: x.unbind(2), lambda L, x: x.narrow(1, L.tensor(1), 2),
    lambda L, x: x.narrow(1, 4, 0), lambda L, x: x.narrow(1, 5, 0), lambda L, x: x.narrow(1, 2, 3),
    lambda L, x: x.narrow(1, -1, 1), lambda L, x: x.narrow(1, 0, -1), lambda L, x: x[0, 0].narrow(0, 0, 1),
    lambda L, x: x.select(0, 3), lambda L, x: x.select(1, -5), lambda L, x: x[0, 0].select(0, 0),
    lambda L, x: x.select(2, 0),
])
def test_split(f):
    check(f, X)


# ---------------------------------------------------------------- joining

@pytest.mark.parametrize("f", [
    lambda L, x: L.cat([x, x]), lambda L, x: L.cat([x, x.double()]), lambda L, x: L.cat((x, x.long())),
    lambda L, x: L.cat([x.int(), x.half()]), lambda L, x: L.cat([x.bool(), x.long()], 1),
    lambda L, x: L.cat([L.zeros(0), x.double()]), lambda L, x: L.cat([x, L.zeros(0)], -1),
    lambda L, x: L.cat([L.zeros(0), L.zeros(0)], 1), lambda L, x: L.cat([x, L.zeros(0, 4)]),
    lambda L, x: L.cat([x, x[:, :2]]), lambda L, x: L.cat([x, x], 2), lambda L, x: L.cat([x[0, 0], x[0, 1]]),
    lambda L, x: L.cat([x, x[0]]), lambda L, x: L.cat([]), lambda L, x: L.cat([x, None]),
    lambda L, x: L.cat(x), lambda L, x: L.concat([x, x], 1), lambda L, x: L.concatenate([x, x], dim=-1),
    lambda L, x: L.cat([x.cfloat(), x]), lambda L, x: L.stack([x, x]), lambda L, x: L.stack([x, x], 2),
    lambda L, x: L.stack([x, x], -3), lambda L, x: L.stack([x, x], 3), lambda L, x: L.stack([x, x[:2]]),
    lambda L, x: L.stack([]), lambda L, x: L.stack([x.int(), x.half()]),
    lambda L, x: L.stack([x[0, 0], x[0, 1].double()]), lambda L, x: L.hstack([x, x]),
    lambda L, x: L.hstack([x[0], x[1]]), lambda L, x: L.hstack([x[0, 0], x[0]]), lambda L, x: L.hstack([]),
    lambda L, x: L.vstack([x, x[0]]), lambda L, x: L.vstack([x[0, 0], x[0, 1]]), lambda L, x: L.row_stack([x, x]),
    lambda L, x: L.dstack([x, x]), lambda L, x: L.dstack([x[0], x[1]]), lambda L, x: L.column_stack([x, x[:, 0]]),
    lambda L, x: L.column_stack([x[0], x[1]]), lambda L, x: L.column_stack([x[0, 0], x[0, 1]]),
    lambda L, x: L.block_diag(x, x[0], x[0, 0]), lambda L, x: L.block_diag(x, x[:0].long()),
    lambda L, x: L.cartesian_prod(x[0], x[1, :2]), lambda L, x: L.cartesian_prod(x[0]),
    lambda L, x: L.combinations(x[0]), lambda L, x: L.combinations(x[0], 3),
    lambda L, x: L.combinations(x[0], 2, True), lambda L, x: L.combinations(x[0], 0),
    lambda L, x: L.combinations(x[0], 5), lambda L, x: L.combinations(x, 2),
])
def test_join(f):
    check(f, X)


def test_cat_out():
    for L in (torch, tj):
        a = L.ones(2, 3)
        with pytest.raises(RuntimeError, match="refer to a single memory location"):
            L.cat([a, a], out=a)
    check(lambda L, x: L.cat([x, x], out=L.empty(6, 4)), X, grad=False, layout=False)
    check(lambda L, x: L.stack([x, x], out=L.empty(2, 3, 4, dtype=L.float64)), X, grad=False,
          layout=False)


# ---------------------------------------------------------------- reordering / repeating

@pytest.mark.parametrize("f", [
    lambda L, x: x.flip(0), lambda L, x: x.flip(0, 1), lambda L, x: L.flip(x, [1]), lambda L, x: x.flip(dims=(-1,)),
    lambda L, x: x.flip((0, 0)), lambda L, x: x.fliplr(), lambda L, x: x.flipud(), lambda L, x: x[0].fliplr(),
    lambda L, x: x[0, 0].flipud(), lambda L, x: x.roll(1), lambda L, x: x.roll(-5, 1), lambda L, x: x.roll((1, 2), (0, 1)),
    lambda L, x: x.roll((1, 2)), lambda L, x: x.roll((1, 2), 0), lambda L, x: x.roll((), ()), lambda L, x: x.roll(1, 2),
    lambda L, x: x[0, 0].roll(1, 0), lambda L, x: x[0, 0].roll(1), lambda L, x: x.roll(1, (0, 0)),
    lambda L, x: x.repeat(2, 1), lambda L, x: x.repeat(2), lambda L, x: x.repeat(2, -1),
    lambda L, x: x.repeat(2, 0, 1), lambda L, x: x.repeat((1, 2, 3)), lambda L, x: x[0, 0].repeat(()),
    lambda L, x: x.tile(2), lambda L, x: x.tile((2, 1, 1)), lambda L, x: x.tile(()), lambda L, x: x.tile(-1),
    lambda L, x: x.repeat_interleave(-1), lambda L, x: x.repeat_interleave(L.tensor([1, 2, 0]), dim=0),
    lambda L, x: x.repeat_interleave(L.tensor([1, 2]), dim=0), lambda L, x: x.repeat_interleave(L.tensor([2]), dim=1),
    lambda L, x: x.repeat_interleave(L.tensor(2), dim=0), lambda L, x: x.repeat_interleave(2, dim=0, output_size=5),
    lambda L, x: x.repeat_interleave(L.tensor([1, 1, 1]), dim=0, output_size=5),
    lambda L, x: x.repeat_interleave(L.tensor([1, 1, 1], dtype=L.int32), dim=0), lambda L, x: x[0, 0].repeat_interleave(3),
    lambda L, x: L.repeat_interleave(L.tensor([1, 2, 3])), lambda L, x: L.repeat_interleave(L.tensor([1., 2])),
    lambda L, x: L.repeat_interleave(L.tensor([[1, 2]])), lambda L, x: L.repeat_interleave(L.tensor([-1, 2])),
    lambda L, x: x.repeat_interleave(L.tensor([1, 2, 1, 0]), dim=-1),
])
def test_reorder_repeat(f):
    check(f, X)


@pytest.mark.parametrize("f", [
    lambda L, x: x.rot90(), lambda L, x: x.rot90(2), lambda L, x: x.rot90(-1), lambda L, x: x.rot90(5, [1, 0]),
    lambda L, x: x.rot90(1, [0]), lambda L, x: x.rot90(1, [0, 2]), lambda L, x: x.rot90(1, [0, -2]),
    lambda L, x: x[0].rot90(), lambda L, x: x.rot90(0), lambda L, x: x.unsqueeze(0).rot90(1, [2, 0]),
])
def test_rot90(f):
    # torch's rot90 returns a transposed (non-contiguous, non-view) result; here it is contiguous
    check(f, X, layout=False)


# ---------------------------------------------------------------- diagonals / triangles

@pytest.mark.parametrize("f", [
    lambda L, x: x.diag(), lambda L, x: x.diag(1), lambda L, x: x.diag(-2), lambda L, x: x[0].diag(),
    lambda L, x: x[0].diag(-1), lambda L, x: x[0, 0].diag(), lambda L, x: x.unsqueeze(0).diag(),
    lambda L, x: x.diag_embed(), lambda L, x: x.diag_embed(1), lambda L, x: x.diag_embed(-2, 0, 2),
    lambda L, x: x.diag_embed(0, 1, 1), lambda L, x: x.diag_embed(0, 0, 3), lambda L, x: x[0, 0].diag_embed(),
    lambda L, x: x.diagflat(), lambda L, x: x.diagflat(-1), lambda L, x: x.tril(), lambda L, x: x.tril(1),
    lambda L, x: x.triu(-1), lambda L, x: x.triu(10), lambda L, x: x[0].tril(), lambda L, x: x.trace(),
    lambda L, x: x.long().trace(), lambda L, x: x.int().trace(), lambda L, x: x.unsqueeze(0).trace(),
    lambda L, x: x.bool().trace(), lambda L, x: L.diagonal_copy(x, 1), lambda L, x: x.diagonal(0, 1, 1),
    lambda L, x: x.diagonal_scatter(x.diagonal() * 2), lambda L, x: x.diagonal_scatter(x[0, :3], 1),
    lambda L, x: x.diagonal_scatter(x[0]), lambda L, x: x.select_scatter(x[0] * 2, 0, 1),
    lambda L, x: x.select_scatter(x[:, 0], 1, -1), lambda L, x: x.slice_scatter(x[:2] * 0, 0, 1),
    lambda L, x: x.slice_scatter(x[:, ::2] + 1, 1, None, None, 2), lambda L, x: x.slice_scatter(x[:1], 0),
])
def test_diag(f):
    check(f, X)


def test_tril_inplace():
    check(lambda L, x: (x * 1).tril_(-1), X)
    check(lambda L, x: (x * 1).triu_(1), X)


# ---------------------------------------------------------------- complex views (copies here)

def test_view_as_real_complex():
    z = (rnd(3, 2) + 1j * rnd(3, 2)).astype(np.complex64)
    check(lambda L, x: L.view_as_real(x), z, layout=False)
    check(lambda L, x: L.view_as_complex(x), rnd(3, 2), layout=False)
    check(lambda L, x: L.view_as_complex(x), rnd(3, 3), layout=False)
    check(lambda L, x: L.view_as_real(x), rnd(3, 3), layout=False)


# ---------------------------------------------------------------- __getitem__

GET = [
    5, -4, (slice(None), 7), (1, 2, 3), 1, -1, (1, 2), slice(1, None), slice(None), slice(0, 100),
    (slice(None), slice(None)), (slice(None), 1), (Ellipsis, 1), (None, slice(None)),
    (slice(None), None), Ellipsis, (Ellipsis, Ellipsis), (), None, True, False, (True, 1),
    (slice(None, None, 2), slice(1, None, 3)), (slice(-2, None), slice(None, -1)),
    (slice(10, 20),), [0, 2], [[0, 1]], [-1, 0, -1], [True, False, True], (slice(None), [0, 3]),
    ([0, 1], [1, 3]), ([[0], [2]], [1, 3]), ([0, 1], None, [1, 2]), (None, [0, 1], [1, 2]),
    ([0, 1], Ellipsis, [1, 2]), (1, [1, 2]), ([1], slice(1, None)), (0, [1]), [[]],
    ([0, 1], [1, 5]), ([[0, 1]], [1, 2, 3]), [3], ([], []), (slice(None), [True, False, True, False]),
    [[True, False, True, False], [False] * 4, [True] * 4],
]


@pytest.mark.parametrize("i", range(len(GET)))
def test_getitem(i):
    idx = GET[i]
    check(lambda L, x: x[idx], X)


@pytest.mark.parametrize("f", [
    lambda L, x: x[L.tensor(1)], lambda L, x: x[L.tensor([[1]])], lambda L, x: x[L.tensor([1.])],
    lambda L, x: x[L.tensor([True, False, True])], lambda L, x: x[L.tensor([True, False])],
    lambda L, x: x[L.tensor(True)], lambda L, x: x[L.tensor(False)], lambda L, x: x[x > 0],
    lambda L, x: x[(x > 0)[0]], lambda L, x: x[:, (x > 0)[0]], lambda L, x: x[L.tensor([1], dtype=L.int32)],
    lambda L, x: x[L.tensor([1], dtype=L.uint8)], lambda L, x: x[L.tensor([1, 0, 1], dtype=L.uint8)],
    lambda L, x: x[L.tensor([1], dtype=L.int8)], lambda L, x: x[L.tensor([0, 5])],
    lambda L, x: x[L.tensor([[0, 2], [1, 1]]), 1:], lambda L, x: x[1.5], lambda L, x: x[:, ::0],
    lambda L, x: x[::-1], lambda L, x: x[0, 0][()], lambda L, x: x[0, 0][None], lambda L, x: x[0, 0][...],
    lambda L, x: x[0, 0][0], lambda L, x: x[..., None, ...], lambda L, x: x[L.tensor(1), [0, 1]],
    lambda L, x: x[[0, 1], L.tensor(2)], lambda L, x: x.t()[[0, 1]], lambda L, x: x.t()[1:, [0, 2]],
])
def test_getitem_tensors(f):
    check(f, X)


def test_getitem_3d_adv_order():
    for idx in [([0, 1], slice(None), 1), (slice(None), [0, 1], 1), (0, slice(None), [0, 1]),
                ([0, 1], 0, [0, 1]), (slice(None), [[0], [1]], [0, 3]), ([1], slice(None), [2]),
                (Ellipsis, [0, 1]), (None, [1], Ellipsis, [2])]:
        check(lambda L, x: x[idx], X3)


# ---------------------------------------------------------------- __setitem__

SET = [
    (0, lambda L: L.ones(4)), (0, lambda L: L.ones(3)), ([0, 1], lambda L: L.ones(3)),
    (0, lambda L: L.ones(1, 4)), (0, lambda L: L.ones(2, 1, 4)), (0, lambda L: L.ones(1, 1, 4)),
    ((slice(None), 1), lambda L: 5), ((slice(None), [0, 2]), lambda L: L.tensor([1., 2.])),
    (Ellipsis, lambda L: 7), ((), lambda L: L.tensor(3.)), (slice(None, None, 2), lambda L: 9.5),
    (None, lambda L: L.ones(4)), ([0, 0], lambda L: L.tensor([[1.] * 4, [2.] * 4])),
    (0, lambda L: 1j), (0, lambda L: L.ones(4, dtype=L.complex64)), (5, lambda L: 1.),
    ([5], lambda L: 1.), ((0, 0), lambda L: L.ones(2)), (0, lambda L: L.ones(4, dtype=L.int64)),
    (0, lambda L: L.ones(4, dtype=L.float64)), (True, lambda L: 3), (False, lambda L: 3),
    ((1, [1, 2]), lambda L: L.tensor([8., 9.])), ([[0, 1], [2, 3]], lambda L: 0.5),
]


@pytest.mark.parametrize("i", range(len(SET)))
def test_setitem(i):
    idx, val = SET[i]

    def f(L, x):
        y = x.detach().clone()
        y[idx] = val(L)
        return y
    check(f, X, grad=False)


def test_setitem_mask_and_int():
    def f(L, x):
        y = x.detach().clone()
        y[y > 0] = 0
        y[y.isnan()] = 1 if hasattr(y, "isnan") else 1
        return y
    check(lambda L, x: f(L, x), X, grad=False)

    def g(L, x):
        y = L.tensor(np.arange(12).reshape(3, 4))
        y[y > 5] = L.tensor([1, 2, 3, 4, 5, 6])
        y[0] = 2.7
        return y
    check(g, X, grad=False)

    def h(L, x):
        y = L.tensor(np.arange(12).reshape(3, 4))
        y[y > 5] = L.tensor([1, 2])
        return y
    check(h, X, grad=False)


def test_setitem_aliasing_and_version():
    for L in (torch, tj):
        v = L.tensor(np.arange(10.).astype(np.float32))
        v.view(2, 5)[1, 0] = 100
        assert _np(v)[5] == 100
        w = v[2:]
        w[[0, 1]] = -1
        assert list(_np(v)[:5]) == [0, 1, -1, -1, 4]
    outs = []
    for L in (torch, tj):
        x = L.ones(2)
        x.add_(1)
        x[0] = 3
        x.zero_()
        outs.append(x._version)
    assert outs[0] == outs[1]


def test_setitem_autograd():
    for L in (torch, tj):
        w = L.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
            w[0] = 5
    out = []
    for L in (torch, tj):
        x = L.zeros(3)
        w = L.ones(1, requires_grad=True)
        x[0] = w * 2
        assert _gname(x) == "CopySlices"
        x.sum().backward()
        out.append(_np(w.grad))
        a = L.ones(4, requires_grad=True)
        y = a * 1
        y[[1, 2]] = a[:2] * 10
        y.sum().backward()
        out.append(_np(a.grad))
    for a, b in zip(out[:2], out[2:]):
        np.testing.assert_allclose(b, a)


# ---------------------------------------------------------------- index_select / gather / take

I2 = np.array([[0, 1, 2, 0]])


@pytest.mark.parametrize("f", [
    lambda L, x: x.index_select(0, L.tensor([2, 0, 2])), lambda L, x: x.index_select(1, L.tensor([3])),
    lambda L, x: x.index_select(0, L.tensor([3])), lambda L, x: x.index_select(0, L.tensor([[0]])),
    lambda L, x: x.index_select(0, L.tensor([0.])), lambda L, x: x.index_select(0, L.tensor(1)),
    lambda L, x: x[0, 0].index_select(0, L.tensor([0])), lambda L, x: x.index_select(0, L.tensor([-1])),
    lambda L, x: x.index_select(-1, L.tensor([0], dtype=L.int32)),
    lambda L, x: x.gather(0, L.tensor([[7]])), lambda L, x: x.gather(0, L.tensor([[-1]])),
    lambda L, x: x.gather(1, L.tensor([[0, 0], [3, 1], [2, 2]])), lambda L, x: x.gather(0, L.tensor(I2)),
    lambda L, x: x.gather(0, L.tensor([[0, 0, 0, 0, 0]])), lambda L, x: x.gather(0, L.zeros(4, 4).long()),
    lambda L, x: x[0, 0].gather(0, L.tensor(0)), lambda L, x: x.gather(0, L.zeros(0).long()),
    lambda L, x: x.gather(0, L.tensor([[0]], dtype=L.int32)), lambda L, x: x.gather(0, L.tensor([0, 1])),
    lambda L, x: x.gather(1, L.tensor([[1]], dtype=L.int16)),
    lambda L, x: x.take(L.tensor([[0, 11], [-1, -12]])), lambda L, x: x.take(L.tensor([12])),
    lambda L, x: x.take(L.tensor([-13])), lambda L, x: x.take(L.tensor([0.])),
    lambda L, x: x.take(L.tensor([0], dtype=L.int32)), lambda L, x: x.t().take(L.tensor([1, 2])),
    lambda L, x: x.take_along_dim(L.tensor([[0], [1]]), 1), lambda L, x: x.take_along_dim(L.tensor([[0]]), 1),
    lambda L, x: x.take_along_dim(L.tensor([0, 11])), lambda L, x: x.take_along_dim(L.tensor([[-1]]), 1),
    lambda L, x: x.take_along_dim(L.tensor([[0]]).int(), 1), lambda L, x: x.take_along_dim(L.tensor([0]), 1),
    lambda L, x: x.take_along_dim(L.tensor([[1, 2]]).t(), 1),
    lambda L, x: L.take_along_dim(x, L.tensor([[3, 2, 1, 0], [0, 0, 1, 1], [2, 2, 3, 3]]), 1),
])
def test_gather_family(f):
    check(f, X)


def test_gather_out_overlap():
    for L in (torch, tj):
        a = L.ones(6)
        with pytest.raises(RuntimeError, match="single memory location"):
            L.take(a, L.tensor([2, 1, 0]), out=a)
        with pytest.raises(RuntimeError, match="single memory location"):
            L.gather(a, 0, L.tensor([2, 1, 0]), out=a)


# ---------------------------------------------------------------- scatter family

SRC = np.array([[1., 2, 3, 4]], np.float32)


@pytest.mark.parametrize("f", [
    lambda L, x, s: x.scatter(0, L.tensor(I2), s), lambda L, x, s: x.scatter(0, L.tensor(I2), 1.5),
    lambda L, x, s: x.scatter(1, L.tensor([[3, 0, 0]]).t(), s[:, :1].expand(3, 1) * 1),
    lambda L, x, s: x.scatter(0, L.tensor(I2), 2., reduce="mean"),
    lambda L, x, s: x.scatter(0, L.tensor(I2), s.double()), lambda L, x, s: x.scatter(0, L.tensor(I2).float(), 1.),
    lambda L, x, s: x.scatter(0, L.tensor([[0, 1, 2, 0, 0]]), 1.), lambda L, x, s: x.scatter(0, L.tensor(I2), s[:, :3]),
    lambda L, x, s: x.scatter(1, L.zeros(4, 1).long(), 1.), lambda L, x, s: x.scatter(0, L.tensor(I2), s[0, 0]),
    lambda L, x, s: x.scatter(0, L.tensor([[-1]]), 1.), lambda L, x, s: x.long().scatter(0, L.tensor(I2), 1.5),
    lambda L, x, s: x[0, 0].scatter(0, L.tensor(0), 3.), lambda L, x, s: x.scatter(0, L.zeros(0).long(), 1.),
    lambda L, x, s: x.scatter(value=2., dim=1, index=L.tensor(I2)),
    lambda L, x, s: x.scatter_add(0, L.tensor([[0, 0, 2, 0]]), s), lambda L, x, s: x.scatter_add(0, L.tensor(I2), s.double()),
    lambda L, x, s: x.bool().scatter_add(0, L.tensor(I2), s.bool()),
    lambda L, x, s: x.long().scatter_add(1, L.tensor([[1, 1]]), L.tensor([[5, 6]])),
])
def test_scatter(f):
    check(f, X, SRC)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce(reduce, include_self):
    # ties and zeros exercise torch's gradient formulas
    x = A([[0., 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]])
    src = A([[1., 2, 3, 4], [1., 0, 10, 7], [3, 0, 0, 11]])
    idx = np.array([[0, 1, 2, 0], [0, 1, 2, 1], [2, 1, 2, 2]])
    check(lambda L, x, s: x.scatter_reduce(0, L.tensor(idx), s, reduce, include_self=include_self),
          x, src)
    check(lambda L, x, s: x.scatter_reduce(1, L.tensor(idx[:2, :3]), s[:2, :3],
                                           reduce, include_self=include_self), x, src)
    xi = np.arange(-6, 6).reshape(3, 4)
    si = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    check(lambda L, x, s: x.scatter_reduce(0, L.tensor(idx[:2]), s, reduce,
                                           include_self=include_self), xi, si)
    check(lambda L, x, s: (x * 1).scatter_reduce_(0, L.tensor(idx), s, reduce,
                                                  include_self=include_self), x, src)


def test_scatter_with_reduce_has_no_derivative():
    check(lambda L, x, s: x.scatter(0, L.tensor(I2), s, reduce="add"), X, SRC, grad=False)
    check(lambda L, x, s: x.scatter(0, L.tensor(I2), 2., reduce="multiply"), X, SRC, grad=False)
    for L in (torch, tj):
        x = L.ones(3, 4, requires_grad=True)
        y = x.scatter(0, L.tensor(I2), 2., reduce="add")
        assert _gname(y) == "NotImplemented" if L is torch else True
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()


def test_scatter_reduce_errors():
    check(lambda L, x, s: x.scatter_reduce(0, L.tensor(I2), s, "foo"), X, SRC)
    check(lambda L, x, s: x.scatter_reduce(0, L.tensor(I2), s.double(), "sum"), X, SRC)
    check(lambda L, x, s: x.scatter_reduce(0, L.tensor([[5]]), s, "sum"), X, SRC)


def test_scatter_inplace():
    check(lambda L, x, s: (x * 1).scatter_(0, L.tensor(I2), s), X, SRC)
    check(lambda L, x, s: (x * 1).scatter_(0, L.tensor(I2), 3.), X, SRC)
    check(lambda L, x, s: (x * 1).scatter_add_(0, L.tensor(I2), s), X, SRC)

    def f(L, x, s):
        y = x.detach().clone()
        y.t().scatter_(1, L.tensor([[0], [2]]), 7.)
        return y
    check(f, X, SRC, grad=False)


@pytest.mark.parametrize("f", [
    lambda L, x: x.index_add(0, L.tensor([0, 0]), L.ones(2, 4), alpha=2),
    lambda L, x: x.index_add(1, L.tensor([3, 0, 3]), x[:, :3]),
    lambda L, x: x.index_add(0, L.tensor([0, 0]), L.ones(2, 3)),
    lambda L, x: x.index_add(0, L.tensor([0, 0]), L.ones(3, 4)),
    lambda L, x: x.index_add(0, L.tensor([5]), L.ones(1, 4)), lambda L, x: x.index_add(0, L.tensor([[0]]), L.ones(1, 4)),
    lambda L, x: x.index_add(0, L.tensor([0.]), L.ones(1, 4)), lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 4).double()),
    lambda L, x: x.index_add(0, L.tensor([-1]), L.ones(1, 4)), lambda L, x: x.bool().index_add(0, L.tensor([0, 0]), L.ones(2, 4).bool()),
    lambda L, x: x.index_copy(0, L.tensor([2, 0]), x[:2] * 3), lambda L, x: x.index_copy(0, L.tensor([5]), L.ones(1, 4)),
    lambda L, x: x.index_copy(0, L.tensor([0]), L.ones(1, 3)), lambda L, x: x.index_copy(0, L.tensor([0]), L.ones(1, 4).double()),
    lambda L, x: x.index_copy(0, L.tensor([-1]), L.ones(1, 4)), lambda L, x: x.index_copy(1, L.tensor([1]), x[:, :1]),
    lambda L, x: x.index_fill(1, L.tensor([0, 3]), -1.), lambda L, x: x.index_fill(1, L.tensor([5]), -1.),
    lambda L, x: x.index_fill(1, L.tensor([-1]), -1.), lambda L, x: x.index_fill(1, L.tensor([0]), L.tensor([1.])),
    lambda L, x: x.index_fill(1, L.tensor([[0]]), 1.), lambda L, x: x.index_fill(1, L.tensor([0.]), 1.),
    lambda L, x: x.long().index_fill(1, L.tensor([0]), 1.5), lambda L, x: x.index_fill(0, L.tensor(1), x[0, 0]),
    lambda L, x: x.index_reduce(0, L.tensor([0, 0]), x[:2] * 2, "prod"),
    lambda L, x: x.index_reduce(0, L.tensor([0, 0]), x[:2] * 2, "mean", include_self=False),
    lambda L, x: x.index_reduce(1, L.tensor([0, 0, 3]), x[:, :3], "amax"),
    lambda L, x: x.index_reduce(1, L.tensor([0, 0, 3]), x[:, :3], "amin", include_self=False),
    lambda L, x: x.index_reduce(0, L.tensor([0, 0]), L.ones(2, 4), "sum"),
])
def test_index_ops(f):
    check(f, X)


def test_index_inplace():
    check(lambda L, x: (x * 1).index_add_(0, L.tensor([1, 1]), x[:2]), X)
    check(lambda L, x: (x * 1).index_copy_(0, L.tensor([1]), x[:1]), X)
    check(lambda L, x: (x * 1).index_fill_(0, L.tensor([1]), 2.), X)
    check(lambda L, x: (x * 1).index_reduce_(0, L.tensor([1]), x[:1], "prod"), X)


# ---------------------------------------------------------------- index_put / put

@pytest.mark.parametrize("f", [
    lambda L, x: x.index_put((L.tensor([0, 1]),), x[0]), lambda L, x: x.index_put((L.tensor([0, 1]), L.tensor([1, 3])), x[0, :2]),
    lambda L, x: x.index_put((L.tensor([0, 0]),), x[:2], accumulate=True),
    lambda L, x: x.index_put((L.tensor([0, 0]), L.tensor([1, 1])), L.tensor(5.), accumulate=True),
    lambda L, x: x.index_put([x > 0], L.tensor(0.)), lambda L, x: x.index_put((L.tensor([0, 1]), L.tensor([0]),), L.tensor(1.)),
    lambda L, x: x.index_put((L.tensor([0, 1]),), L.tensor(1., dtype=L.float64)),
    lambda L, x: x.index_put((L.tensor([0, 1]),), L.ones(3)), lambda L, x: x.index_put((L.tensor([0, 5]),), L.ones(4)),
    lambda L, x: x.index_put((L.tensor([1.]),), L.ones(4)), lambda L, x: x.index_put((L.tensor([-1]),), L.ones(4)),
    lambda L, x: x.index_put((L.tensor([0]), L.tensor([0]), L.tensor([0])), L.ones(1)),
    lambda L, x: x.index_put((L.tensor([True, False, True]),), x[:2] * 0),
    lambda L, x: (x * 1).index_put_((L.tensor([0, 2]),), x[:2] + 1),
    lambda L, x: (x * 1).index_put_((L.tensor([0, 0]),), x[:2], True),
    lambda L, x: L.index_put(x, (L.tensor([1]),), x[:1]),
    lambda L, x: x.put(L.tensor([0, -1]), L.tensor([9., 8])), lambda L, x: x.put(L.tensor([0, 0]), L.tensor([9., 8]), accumulate=True),
    lambda L, x: x.put(L.tensor([12]), L.tensor([9.])), lambda L, x: x.put(L.tensor([0, 1]), L.tensor([9.])),
    lambda L, x: x.put(L.tensor([0]), L.tensor([9])), lambda L, x: x.put(L.tensor([1, 5]), x[0, :2] * 3),
    lambda L, x: (x * 1).put_(L.tensor([1, 5]), x[0, :2] * 3),
])
def test_index_put(f):
    check(f, X)


# ---------------------------------------------------------------- masked ops

M = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]])


@pytest.mark.parametrize("f", [
    lambda L, x, m: x.masked_fill(m, 1), lambda L, x, m: x.masked_fill(m, L.tensor(2.)),
    lambda L, x, m: x.masked_fill(m[0], -1.), lambda L, x, m: x[0].masked_fill(m, 2.),
    lambda L, x, m: x[0].masked_fill_(m, 2.), lambda L, x, m: x.masked_fill(m.float(), 1),
    lambda L, x, m: x.masked_fill(m, L.tensor([1.])), lambda L, x, m: x.masked_fill(m, 1j),
    lambda L, x, m: x.long().masked_fill(m, 2.5), lambda L, x, m: x.long().masked_fill(m, 1e30),
    lambda L, x, m: x.long().masked_fill(m, float("nan")), lambda L, x, m: x.byte().masked_fill(m, -1),
    lambda L, x, m: x.byte().masked_fill(m, 300), lambda L, x, m: x.char().masked_fill(m, 200),
    lambda L, x, m: x.half().masked_fill(m, 1e10), lambda L, x, m: x.bool().masked_fill(m, 2),
    lambda L, x, m: x.masked_fill(m, L.tensor(2, dtype=L.float64)), lambda L, x, m: x.masked_fill(m, x[0, 0]),
    lambda L, x, m: x.masked_fill(m, float("inf")), lambda L, x, m: x.masked_fill(m.long(), 1),
    lambda L, x, m: (x * 1).masked_fill_(m, 3.), lambda L, x, m: (x * 1).masked_fill_(m, x[1, 1]),
    lambda L, x, m: x.masked_scatter(m, L.arange(10.)), lambda L, x, m: x.masked_scatter(m, L.arange(3.)),
    lambda L, x, m: x.masked_scatter(m, L.arange(10)), lambda L, x, m: x[0].masked_scatter(m, x * 2),
    lambda L, x, m: x.masked_scatter(m[0], x * 3), lambda L, x, m: x.masked_scatter(m.byte(), x),
    lambda L, x, m: (x * 1).masked_scatter_(m, x * 5), lambda L, x, m: x.masked_select(m),
    lambda L, x, m: x[0].masked_select(m), lambda L, x, m: x.masked_select(m.float()),
    lambda L, x, m: x.masked_select(m[:, :2]), lambda L, x, m: x.masked_select(m[0]),
])
def test_masked(f):
    check(f, X, M)


def test_masked_fill_reference_grad():
    check(lambda L, x: x.masked_fill(x > 1, 0.), A([1., 2.]))


# ---------------------------------------------------------------- nonzero / where

@pytest.mark.parametrize("f", [
    lambda L, x: x.nonzero(), lambda L, x: (x > 0).nonzero(), lambda L, x: (x > 0).nonzero(as_tuple=True),
    lambda L, x: L.nonzero(x[0, 0]), lambda L, x: L.nonzero(x[0, 0] * 0), lambda L, x: x[0, 0].nonzero(as_tuple=True),
    lambda L, x: (x[0, 0] * 0).nonzero(as_tuple=True), lambda L, x: L.argwhere(x > 0), lambda L, x: L.argwhere(x[0, 0]),
    lambda L, x: L.where(x > 0), lambda L, x: L.where(x[0, 0]), lambda L, x: L.where(x > 0, x, 0.),
    lambda L, x: x[:0].nonzero(), lambda L, x: L.nonzero_static(x > 0, size=4),
    lambda L, x: L.nonzero_static(x > 0, size=20, fill_value=-5), lambda L, x: L.unravel_index(L.tensor([5, -1]), (3, 4)),
    lambda L, x: L.unravel_index(L.tensor(11), (3, 4)), lambda L, x: L.unravel_index(L.tensor(12), (3, 4)),
])
def test_nonzero(f):
    # torch's nonzero output is column-major (and as_tuple gives its column views): values only
    check(f, X, layout=False)


# ---------------------------------------------------------------- creation

def test_arange_dtypes_and_values():
    for args, kw in [((5,), {}), ((0., 5), {}), ((0, 1, 0.1), {}), ((1, 4, 0.3), {"dtype": "float64"}),
                     ((0, 5.5), {"dtype": "int64"}), ((0.5, 5.5), {"dtype": "int32"}),
                     ((0, 5, 1.5), {"dtype": "int64"}), ((-2.5, 2), {"dtype": "int32"}),
                     ((10, 0, -3), {}), ((0, -10, -3), {}), ((0, 300, 100), {"dtype": "uint8"}),
                     ((True,), {}), ((0, 3), {"dtype": "float16"}), ((2 ** 62, 2 ** 62 + 3), {}),
                     ((1e9, 1e9 + 5, 1), {}), ((0, 10, -1), {}), ((0, 1, 0), {}),
                     ((0, float("inf")), {}), ((float("nan"),), {}), ((3,), {"dtype": "complex64"}),
                     ((3,), {"dtype": "bool"}), ((-0.5, 3, 0.7), {"dtype": "int64"}), ((0, 1e20), {})]:
        def f(L, x, args=args, kw=kw):
            k = {n: getattr(L, v) for n, v in kw.items()}
            return L.arange(*args, **k)
        check(f, X, grad=False)
    check(lambda L, x: L.arange(L.tensor(3)), X, grad=False)
    check(lambda L, x: L.arange(L.tensor(3.)), X, grad=False)
    check(lambda L, x: L.arange(4, out=L.empty(0, dtype=L.float64)), X, grad=False, layout=False)
    check(lambda L, x: L.arange(3, requires_grad=True, dtype=L.float32), X, grad=False)


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "int64", "int32"])
def test_ranges_bitexact(dt):
    rng = np.random.default_rng(7)
    for _ in range(60):
        start = float(rng.normal() * 10)
        step = float(abs(rng.normal()) + 0.01)
        n = int(rng.integers(1, 700))
        if dt.startswith("int"):
            step = float(max(1, round(step * 3)))
        end = start + step * n
        a = torch.arange(start, end, step, dtype=getattr(torch, dt)).numpy()
        b = tj.arange(start, end, step, dtype=getattr(tj, dt)).numpy()
        np.testing.assert_array_equal(b, a)
        k = int(rng.integers(0, 120))
        a = torch.linspace(start, end, k, dtype=getattr(torch, dt)).numpy()
        b = tj.linspace(start, end, k, dtype=getattr(tj, dt)).numpy()
        np.testing.assert_array_equal(b, a)
        a = torch.logspace(start / 10, end / 10, k, dtype=getattr(torch, dt)).numpy()
        b = tj.logspace(start / 10, end / 10, k, dtype=getattr(tj, dt)).numpy()
        np.testing.assert_allclose(b, a, rtol=2e-3 if dt == "float16" else 1e-15)


@pytest.mark.parametrize("f", [
    lambda L: L.linspace(-1, 1, 7), lambda L: L.linspace(0, 1, 1), lambda L: L.linspace(0, 1, 0),
    lambda L: L.linspace(0, 1, -1), lambda L: L.linspace(L.tensor(0), 1, 3), lambda L: L.linspace(0, 10, 5, dtype=L.int32),
    lambda L: L.linspace(0, 1j, 3), lambda L: L.linspace(0, 1, 3, dtype=L.complex64), lambda L: L.linspace(3, 5, 1, dtype=L.int64),
    lambda L: L.logspace(0, 2, 3), lambda L: L.logspace(0, 2, 3, base=2.), lambda L: L.logspace(0, 2, 3, dtype=L.int64),
    lambda L: L.logspace(1.66, 3, 1, dtype=L.int32), lambda L: L.logspace(0, 1j, 2),
    lambda L: L.eye(3), lambda L: L.eye(2, 3, dtype=L.int64), lambda L: L.eye(-1), lambda L: L.eye(2, -1),
    lambda L: L.eye(0), lambda L: L.eye(2, dtype=L.bool), lambda L: L.tril_indices(3, 3), lambda L: L.tril_indices(3, 4, 1),
    lambda L: L.triu_indices(3, 4, -1), lambda L: L.tril_indices(-1, 3), lambda L: L.tril_indices(3, 3, dtype=L.float32),
    lambda L: L.tril_indices(3, 3, dtype=L.int32), lambda L: L.tril_indices(0, 3), lambda L: L.triu_indices(3, -3),
    lambda L: L.full((2,), 7), lambda L: L.full((2,), True), lambda L: L.full((2,), 1.5), lambda L: L.full((2,), 1j),
    lambda L: L.complex(L.ones(2), L.ones(2)), lambda L: L.complex(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.complex(L.ones(2).long(), L.ones(2).long()), lambda L: L.complex(L.ones(2, 1), L.ones(3)),
    lambda L: L.polar(L.ones(2), L.ones(2)), lambda L: L.polar(L.ones(2), L.ones(2, dtype=L.float64)),
])
def test_creation(f):
    check(lambda L, x: f(L), X, grad=False)


def test_complex_polar_grad():
    check(lambda L, a, b: L.complex(a, b).abs(), rnd(3), rnd(3))
    check(lambda L, a, b: L.polar(a, b).real, rnd(3), rnd(3))


@pytest.mark.parametrize("f", [
    lambda L, x: x.new_zeros(2), lambda L, x: x.new_zeros((2, 3)), lambda L, x: x.new_ones(2, dtype=L.int32),
    lambda L, x: x.new_full((2,), 3), lambda L, x: x.new_full((2,), True), lambda L, x: x.new_tensor([1, 2]),
    lambda L, x: x.new_tensor([1.5]), lambda L, x: x.new_empty(2).shape, lambda L, x: x.new_zeros(2, requires_grad=True),
    lambda L, x: x.new_full((2,), 3.5), lambda L, x: x.int().new_full((2,), 3.7), lambda L, x: x.new_ones([]),
])
def test_new_methods(f):
    check(f, rnd(2, 3, dtype=np.float64), grad=False)


# ---------------------------------------------------------------- in-place indexing ops on views

@pytest.mark.parametrize("f", [
    lambda L, y: y[1:].index_fill_(1, L.tensor([0, 2]), 5.),
    lambda L, y: y.t().index_add_(0, L.tensor([1, 1]), y.t()[:2].detach() * 2),
    lambda L, y: y[:, 1:3].masked_fill_(y[:, 1:3] > 0, 0.),
    lambda L, y: y[0].scatter_(0, L.tensor([3, 0]), y[1, :2]),
    lambda L, y: y.t()[1:].index_put_((L.tensor([0, 1]),), y[2, :3] + 3),
    lambda L, y: y.view(-1)[2:8].put_(L.tensor([0, 5]), y[0, :2] + 4),
    lambda L, y: y[::2].scatter_add_(1, L.tensor([[0, 0], [1, 1]]), y[1:, :2] + 1),
    lambda L, y: y[1].masked_scatter_(y[0] > 0, y[2] + 7),
    lambda L, y: y.diagonal().index_copy_(0, L.tensor([1]), y[2, 1:2] + 5),
])
def test_inplace_index_ops_on_views(f):
    def g(L, x):
        y = x * 1
        f(L, y)
        return y
    check(g, X)


# ---------------------------------------------------------------- _chunk_cat

CHUNK_CAT = [([(1, 2, 3), (1, 2, 3)], -1, 5), ([(1, 2, 129), (1, 2, 297)], -1, 5),
             ([(3, 3, 2, 1), (1, 4, 2, 2), (2, 1, 3, 3)], 0, 2),
             ([(2, 3, 3), (2, 3, 1, 2), (2, 3), (2, 3, 271)], 1, 3), ([(2, 3), (2, 5)], -2, 3),
             ([(4, 6)], 1, 1), ([(4, 6)], 1, 6), ([(4, 6)], 0, 7),
             # errors: torch's checks in order
             ([(2,), (3,)], 0, 0), ([], 0, 1), ([(0,), (3,)], 0, 1), ([(2, 3), (2,)], -1, 1),
             ([(2, 3), (2,)], 1, 1), ([(2, 3), (3, 3)], 1, 1), ([(2, 3), (3, 3)], 2, 1),
             ([(2, 3), (3, 3)], -3, 1), ([(2, 3), (3, 3, 2)], 1, 1)]


@pytest.mark.parametrize("shapes,dim,n", CHUNK_CAT, ids=[str(c) for c in CHUNK_CAT])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_chunk_cat(shapes, dim, n, dtype):
    ts = [rnd(*s).astype(dtype) for s in shapes]
    check(lambda L, *xs: L._chunk_cat(list(xs), dim, n), *ts, grad=False)


def test_chunk_cat_noncontiguous_out_and_dtype_error():
    ts = [rnd(2, 3, 5), rnd(2, 3, 4)]
    check(lambda L, a, b: L._chunk_cat([a.mT.contiguous().mT, b.mT.contiguous().mT], 1, 3),
          *ts, grad=False)
    ra = torch._chunk_cat([torch.tensor(t) for t in ts], 1, 2, out=torch.empty(0))
    ob = tj.empty(0)
    rb = tj._chunk_cat([tj.tensor(t) for t in ts], 1, 2, out=ob)
    assert rb is ob
    _same(ra, rb)
    check(lambda L, a, b: L._chunk_cat([a, b.double()], 0, 2), *ts, grad=False)


def test_chunk_cat_has_no_derivative():
    errs = []
    for L in (torch, tj):
        x = L.tensor(rnd(2, 3), requires_grad=True)
        r = L._chunk_cat([x, x * 2], 1, 2)
        assert type(r.grad_fn).__name__ == "NotImplemented" and r.requires_grad
        with pytest.raises(RuntimeError) as e:
            r.sum().backward()
        errs.append(str(e.value))
    assert errs[1] == errs[0]
