"""nn.utils gradient helpers vs real torch: clip_grad_norm_/value_, get_total_norm,
clip_grads_with_norm_, parameters_to_vector / vector_to_parameters."""
import numpy as np
import pytest
import torch

import torchjax


def _params(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    vals = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (5,), (2, 2))]
    grads = [(rng.standard_normal(v.shape) * scale).astype(np.float32) for v in vals]
    tp = [torch.nn.Parameter(torch.tensor(v)) for v in vals]
    jp = [torchjax.nn.Parameter(torchjax.tensor(v)) for v in vals]
    for a, b, g in zip(tp, jp, grads):
        a.grad, b.grad = torch.tensor(g), torchjax.tensor(g)
    return tp, jp


def _close(a, b):
    np.testing.assert_allclose(np.asarray(b.detach()), a.detach().numpy(), rtol=1.3e-6, atol=1e-5)


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 0.5, 3])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    tp, jp = _params()
    tn = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    jn = torchjax.nn.utils.clip_grad_norm_(jp, max_norm, norm_type, foreach=None)
    assert isinstance(jn, torchjax.Tensor) and jn.shape == () and jn.dtype == torchjax.float32
    _close(tn, jn)
    for a, b in zip(tp, jp):
        _close(a.grad, b.grad)


def test_clip_grad_norm_single_tensor_and_grad_identity():
    tp, jp = _params()
    g = jp[0].grad
    v = g._version
    _close(torch.nn.utils.clip_grad_norm_(tp[0], 0.1),
           torchjax.nn.utils.clip_grad_norm_(jp[0], 0.1))
    assert jp[0].grad is g and g._version == v + 1
    _close(tp[0].grad, jp[0].grad)


def test_clip_grad_norm_nonfinite_and_empty():
    _, jp = _params()
    jp[2].grad = torchjax.tensor([[float("inf"), 1.0], [0.0, 1.0]])
    with pytest.raises(RuntimeError, match=r"The total norm of order 2.0 for gradients from "
                                           r"`parameters` is non-finite, so it cannot be clipped. "
                                           r"To disable this error and scale the gradients by the "
                                           r"non-finite norm anyway, set "
                                           r"`error_if_nonfinite=False`"):
        torchjax.nn.utils.clip_grad_norm_(jp, 1.0, error_if_nonfinite=True)
    n = torchjax.nn.utils.clip_grad_norm_(jp, 1.0)
    assert float(n) == float("inf")
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        z = torchjax.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    assert float(z) == 0.0
    with pytest.warns(FutureWarning, match="deprecated"):
        torchjax.nn.utils.clip_grad_norm(jp[:1], 1.0)


def test_clip_grad_value():
    tp, jp = _params()
    assert torchjax.nn.utils.clip_grad_value_(jp, 0.3) is None
    torch.nn.utils.clip_grad_value_(tp, 0.3)
    for a, b in zip(tp, jp):
        _close(a.grad, b.grad)


def test_get_total_norm_and_clip_grads_with_norm():
    tp, jp = _params()
    tg, jg = [p.grad for p in tp], [p.grad for p in jp]
    tn = torch.nn.utils.get_total_norm(tg, 3.0)
    jn = torchjax.nn.utils.get_total_norm(jg, 3.0)
    _close(tn, jn)
    torch.nn.utils.clip_grads_with_norm_(tp, 0.7, tn)
    torchjax.nn.utils.clip_grads_with_norm_(jp, 0.7, jn)
    for a, b in zip(tp, jp):
        _close(a.grad, b.grad)


def test_parameters_to_vector_roundtrip():
    tp, jp = _params()
    tv, jv = torch.nn.utils.parameters_to_vector(tp), torchjax.nn.utils.parameters_to_vector(jp)
    _close(tv, jv)
    assert jv.shape == (21,)
    new = np.arange(21, dtype=np.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tp)
    torchjax.nn.utils.vector_to_parameters(torchjax.tensor(new), jp)
    for a, b in zip(tp, jp):
        _close(a, b)
        assert isinstance(b, torchjax.nn.Parameter) and b.shape == a.shape
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        torchjax.nn.utils.vector_to_parameters([1.0], jp)
