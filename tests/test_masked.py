"""torch.masked against real torch: every `masked.*` op_db entry through compat_suite's OpInfo
harness (float32 samples with gradients of sum(out * cotangent), int64/bool samples where the
entry supports them), at torch's default tolerances; plus a few cases the samples miss."""
import numpy as np
import pytest
import torch

import torchjax as tj

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _entries():
    from compat_suite.opinfo import entry_key, op_db
    return sorted(entry_key(o) for o in op_db() if o.name.startswith("masked."))


@pytest.mark.parametrize("key", _entries())
def test_opinfo(key):
    from compat_suite.opinfo import entry_key, op_db, run_entry
    op = next(o for o in op_db() if entry_key(o) == key)
    r = run_entry(op, tj)
    assert r.status == "tested", f"{r.status} {r.reason}"
    assert r.samples > 0
    assert not r.forward_fail, r.forward_fail
    if op.supports_autograd:
        assert r.grad_samples and not r.grad_fail, r.grad_fail or "no gradient compared"
    assert not r.errors_fail, r.errors_fail


X = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
M = np.array([[True, False, True], [False, False, False]])


def _both(f, x=X, m=M):
    outs = [f(L, L.tensor(x), L.tensor(m)) for L in (torch, tj)]
    e, g = outs[0], outs[1]
    assert str(e.dtype).removeprefix("torch.") == str(g.dtype).removeprefix("torch.")
    assert tuple(e.shape) == tuple(g.shape)
    np.testing.assert_allclose(np.asarray(g.numpy()), e.numpy(), rtol=1.3e-6, atol=1e-5,
                               equal_nan=True)


@pytest.mark.parametrize("f", [
    lambda L, x, m: L.masked.sum(x, 1, mask=m),
    lambda L, x, m: L.masked.prod(x.long(), (0, 1), keepdim=True, mask=m),
    lambda L, x, m: L.masked.sum(x > 0, mask=m),  # bool sums to int64
    lambda L, x, m: L.masked.amax(x, 1, mask=m),  # fully masked row: -inf
    lambda L, x, m: L.masked.amin(x.long(), 1, mask=m),  # int64 max
    lambda L, x, m: L.masked.argmax(x, 1, mask=m),  # index cast to the input's dtype
    lambda L, x, m: L.masked.mean(x, 1, mask=m),  # 0/0: nan
    lambda L, x, m: L.masked.median(x, 1, mask=m),
    lambda L, x, m: L.masked.var(x, 1, mask=m),
    lambda L, x, m: L.masked.std(x, (0, 1), correction=0, mask=m),
    lambda L, x, m: L.masked.var(x.long(), 1, unbiased=False, keepdim=True, mask=m[0]),
    lambda L, x, m: L.masked.norm(x, float("-inf"), 1, mask=m),
    lambda L, x, m: L.masked.softmax(x, 1, mask=m),  # fully masked row: nan
    lambda L, x, m: L.masked.log_softmax(x, 0, mask=m[0]),  # broadcast mask
    lambda L, x, m: L.masked.softmin(x, 1, dtype=L.float64, mask=m),
    lambda L, x, m: L.masked.normalize(x, 2.0, 1, mask=m),
    lambda L, x, m: L.masked.logsumexp(x, 1, mask=m),
    lambda L, x, m: L.masked.logaddexp(x, -x, input_mask=m, other_mask=~m),
    lambda L, x, m: L.masked.cumprod(x, -1, mask=m.long()),  # non-bool mask
    lambda L, x, m: L.masked.sum(x, None, mask=None),
])
def test_cases(f):
    _both(f)


def test_errors():
    x = tj.tensor(X)
    with pytest.raises(IndexError, match="broadcastable mask"):
        tj.masked.sum(x, mask=tj.ones(1, 2, 3, dtype=tj.bool))
    with pytest.raises(RuntimeError, match="appears multiple times"):
        tj.masked.sum(x, (1, 1))
    with pytest.raises(IndexError, match="Dimension out of range"):
        tj.masked.amax(x, 2)
    with pytest.raises(ValueError, match="Could not infer output dtype"):
        tj.masked.mean(x.long())
    with pytest.raises(ValueError, match="no fully masked out rows"):
        tj.masked.median(x.long(), 1, mask=tj.tensor(M))
    with pytest.raises(TypeError):
        tj.masked.sum([1.0, 2.0])
