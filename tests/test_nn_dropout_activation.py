"""Dropout functionals/modules (bit-exact masks under manual_seed) and activation modules
against real torch."""
import warnings

import numpy as np
import pytest
import torch

import torchjax as tj


def _tj(t, rg=None):
    r = tj.tensor(t.detach().double().numpy() if t.is_floating_point() else t.numpy(),
                  dtype=getattr(tj, str(t.dtype).split(".")[1]))
    rg = t.requires_grad if rg is None else rg
    return r.requires_grad_(True) if rg else r


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().double().numpy()
    return np.asarray(t.detach().double()._numpy())


def same(a, b):
    """Bit-exact equality (same dtype, shape, values incl. NaN positions)."""
    assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(_np(a), _np(b))


def close(a, b, **kw):
    torch.testing.assert_close(torch.from_numpy(np.array(_np(b))).to(a.dtype), a.detach(), **kw)


def gname(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


# ---------------------------------------------------------------- dropout functionals

CASES = [
    ("dropout", (3, 17), 0.3), ("dropout", (40,), 0.5), ("dropout", (2, 3, 4), 0.9),
    ("dropout1d", (3, 5, 4), 0.5), ("dropout1d", (5, 4), 0.5),
    ("dropout2d", (2, 6, 3, 3), 0.4), ("dropout3d", (2, 3, 2, 2, 2), 0.5),
    ("dropout3d", (4, 2, 2, 2), 0.5),
    ("alpha_dropout", (5, 7), 0.2), ("feature_alpha_dropout", (3, 4, 5), 0.5),
]


@pytest.mark.parametrize("name,shape,p", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_masks_exact(name, shape, p, dtype):
    torch.manual_seed(0)
    x = torch.randn(*shape, dtype=getattr(torch, dtype), requires_grad=True)
    xj = _tj(x)
    torch.manual_seed(7)
    tj.manual_seed(7)
    r = getattr(torch.nn.functional, name)(x, p, True)
    j = getattr(tj.nn.functional, name)(xj, p, True)
    same(r, j)
    assert gname(j) == gname(r)
    # the generator state advanced identically
    same(torch.rand(3), tj.rand(3))
    g = torch.randn(r.shape, dtype=r.dtype)
    r.backward(g)
    j.backward(_tj(g))
    same(x.grad, xj.grad)


def test_dropout_special_p_and_eval():
    x = torch.randn(4, 5, requires_grad=True)
    xj = _tj(x)
    F, Fj = torch.nn.functional, tj.nn.functional
    for f in ("dropout", "alpha_dropout", "dropout2d", "feature_alpha_dropout"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert getattr(Fj, f)(xj, 0.5, False) is xj
            assert getattr(Fj, f)(xj, 0.0, True) is xj
            r, j = getattr(F, f)(x, 1.0, True), getattr(Fj, f)(xj, 1.0, True)
        same(r, j)
        assert gname(r) == gname(j) == "MulBackward0"
    assert Fj.dropout(tj.zeros(0, 3), 0.5) is not None
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                                             f"but got {p}"):
            Fj.dropout(xj, p)
        with pytest.raises(RuntimeError) as e:
            tj.dropout(xj, p, True)
        with pytest.raises(RuntimeError) as e2:
            torch.dropout(x, p, True)
        assert str(e.value) == str(e2.value)


def test_dropout_inplace_and_torch_forms():
    torch.manual_seed(0)
    x = torch.randn(3, 8)
    xj = _tj(x)
    for seed, fn in enumerate(["dropout", "feature_dropout", "alpha_dropout",
                               "feature_alpha_dropout"]):
        torch.manual_seed(seed)
        tj.manual_seed(seed)
        same(getattr(torch, fn)(x, 0.5, True), getattr(tj, fn)(xj, 0.5, True))
        a, b = x.clone(), xj.clone()
        torch.manual_seed(seed)
        tj.manual_seed(seed)
        ra, rb = getattr(torch, fn + "_")(a, 0.5, True), getattr(tj, fn + "_")(b, 0.5, True)
        assert rb is b
        same(a, b)
    a, b = x.clone().requires_grad_(), xj.clone().requires_grad_()
    a2, b2 = a * 2, b * 2
    torch.manual_seed(3)
    tj.manual_seed(3)
    r, j = torch.nn.functional.dropout(a2, 0.5, True, True), tj.nn.functional.dropout(
        b2, 0.5, True, True)
    assert j is b2
    same(r, j)
    assert gname(j) == gname(r)
    a1, b1 = x[0].clone(), xj[0].clone()
    torch.manual_seed(4)
    tj.manual_seed(4)
    r = torch.nn.functional.dropout1d(x[:2].clone(), 0.5, True, True)
    j = tj.nn.functional.dropout1d(xj[:2].clone(), 0.5, True, True)
    same(r, j)


def test_dropout_noncontiguous_and_half():
    torch.manual_seed(0)
    x = torch.randn(6, 5)
    for t, tt in ((x.t(), _tj(x).t()), (x.bfloat16(), _tj(x.bfloat16())),
                  (x.half(), _tj(x.half()))):
        torch.manual_seed(1)
        tj.manual_seed(1)
        same(torch.nn.functional.dropout(t, 0.3), tj.nn.functional.dropout(tt, 0.3))


def test_dropout_errors_and_warnings():
    Fj, F = tj.nn.functional, torch.nn.functional
    with pytest.raises(RuntimeError) as e:
        Fj.dropout1d(tj.zeros(2, 3, 4, 5))
    with pytest.raises(RuntimeError) as e2:
        F.dropout1d(torch.zeros(2, 3, 4, 5))
    assert str(e.value) == str(e2.value)
    for f, shape in (("dropout2d", (2, 3)), ("dropout2d", (2, 3, 4)), ("dropout3d", (2, 3))):
        with pytest.warns(UserWarning) as w1:
            getattr(F, f)(torch.ones(*shape), 0.5, False)
        with pytest.warns(UserWarning) as w2:
            getattr(Fj, f)(tj.ones(*shape), 0.5, False)
        assert [str(w.message) for w in w1] == [str(w.message) for w in w2]
    with pytest.raises(RuntimeError) as e:
        tj.feature_dropout(tj.ones(3), 0.5, True)
    with pytest.raises(RuntimeError) as e2:
        torch.feature_dropout(torch.ones(3), 0.5, True)
    assert str(e.value) == str(e2.value)


# ---------------------------------------------------------------- activation modules

ACTS = [
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("ReLU6", (), {"inplace": True}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("PReLU", (), {}),
    ("PReLU", (3,), {"init": 0.1}), ("RReLU", (0.1, 0.3), {}), ("ELU", (), {}),
    ("ELU", (0.5, True), {}), ("SELU", (), {}), ("SELU", (True,), {}), ("CELU", (1.5,), {}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("SiLU", (True,), {}),
    ("Mish", (), {}), ("Mish", (True,), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 0.5, True), {}), ("Hardswish", (), {}),
    ("Hardswish", (True,), {}), ("Hardsigmoid", (True,), {}), ("Hardshrink", (), {}),
    ("Softshrink", (0.3,), {}), ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (0.1, 2, True), {}), ("Softplus", (2, 10), {}), ("Softsign", (), {}),
    ("LogSigmoid", (), {}), ("GLU", (), {}), ("GLU", (2,), {}), ("Softmax", (1,), {}),
    ("LogSoftmax", (-1,), {}), ("Softmin", (0,), {}), ("Softmax2d", (), {}),
]


@pytest.mark.parametrize("name,args,kw", ACTS)
def test_activation_module(name, args, kw):
    torch.manual_seed(0)
    m = getattr(torch.nn, name)(*args, **kw)
    mj = getattr(tj.nn, name)(*args, **kw)
    assert repr(m) == repr(mj)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in mj.state_dict().items()]
    for (k, v), (kj, vj) in zip(m.named_parameters(), mj.named_parameters()):
        same(v, vj)
    if name == "RReLU":
        m.eval()
        mj.eval()
    x = torch.randn(2, 3, 4, 4) * 2
    w = torch.randn(2, 3, 4, 4)
    xr, xj = x.clone().requires_grad_(), _tj(x, True)
    r, j = m(xr * 1), mj(xj * 1)
    close(r, j)
    assert gname(j) == gname(r)
    (r * w[tuple(slice(0, s) for s in r.shape)]).sum().backward()
    (j * _tj(w)[tuple(slice(0, s) for s in r.shape)]).sum().backward()
    close(xr.grad, xj.grad)
    for p, pj in zip(m.parameters(), mj.parameters()):
        close(p.grad, pj.grad)
    if getattr(m, "inplace", False):
        a, b = x.clone(), _tj(x)
        assert mj(b) is b
        m(a)
        close(a, b)


def test_activation_module_errors_and_training_rrelu():
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        tj.nn.Hardtanh(2, 1)
    with pytest.warns(FutureWarning):
        assert tj.nn.Hardtanh(min_value=-3.0).min_val == -3.0
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        tj.nn.Softmax2d()(tj.ones(2, 3))
    m = tj.nn.RReLU()
    x = tj.randn(50)
    y = m(x)
    neg = (x < 0)
    ratio = (y[neg] / x[neg])
    assert bool(((ratio >= 1 / 8) & (ratio <= 1 / 3)).all())
    assert not isinstance(tj.nn.Mish(), tj.nn.SiLU)
    assert not isinstance(tj.nn.Softmax(), tj.nn.Softmin)


@pytest.mark.parametrize("name,shape", [("Dropout", (4, 6)), ("Dropout1d", (2, 3, 4)),
                                        ("Dropout2d", (2, 3, 2, 2)), ("Dropout3d", (2, 3, 1, 2, 2)),
                                        ("AlphaDropout", (4, 6)),
                                        ("FeatureAlphaDropout", (2, 3, 4))])
def test_dropout_modules(name, shape):
    m, mj = getattr(torch.nn, name)(0.4), getattr(tj.nn, name)(0.4)
    assert repr(m) == repr(mj) == f"{name}(p=0.4, inplace=False)"
    assert repr(getattr(tj.nn, name)(0.1, True)) == f"{name}(p=0.1, inplace=True)"
    x = torch.randn(*shape)
    xj = _tj(x)
    torch.manual_seed(5)
    tj.manual_seed(5)
    same(m(x), mj(xj))
    m.eval()
    mj.eval()
    assert mj(xj) is xj
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        getattr(tj.nn, name)(1.5)


@pytest.mark.parametrize("inplace", [False, True])
def test_rrelu_training_exact(inplace):
    torch.manual_seed(0)
    x = torch.randn(6, 7)
    xr, xj = x.clone().requires_grad_(), _tj(x, True)
    torch.manual_seed(4)
    tj.manual_seed(4)
    r = torch.nn.functional.rrelu(xr * 1, 0.1, 0.3, True, inplace)
    j = tj.nn.functional.rrelu(xj * 1, 0.1, 0.3, True, inplace)
    same(r, j)
    assert gname(j) == gname(r)
    same(torch.rand(2), tj.rand(2))
    r.sum().backward()
    j.sum().backward()
    same(xr.grad, xj.grad)
    torch.manual_seed(5)
    tj.manual_seed(5)
    same(torch.nn.RReLU()(x), tj.nn.RReLU()(_tj(x)))
