"""Normalization functionals and modules against real torch: values, grads, grad_fn names,
running statistics, errors, module state/repr."""
import numpy as np
import pytest
import torch

import torchjax as tj


def _tj(t, rg=None):
    if t is None:
        return None
    if rg is not None:
        t = t.detach().requires_grad_(rg)
    r = tj.tensor(t.detach().double().numpy() if t.is_floating_point() else t.numpy(),
                  dtype=getattr(tj, str(t.dtype).split(".")[1]))
    return r.requires_grad_(t.requires_grad) if t.is_floating_point() else r


def _np(t):
    if t.is_floating_point():
        t = t.detach().double()
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t._numpy())


def close(a, b, **kw):
    torch.testing.assert_close(torch.from_numpy(np.array(_np(b))).to(a.dtype), a.detach(), **kw)


class Buf:
    """An argument that must not require grad (running statistics)."""
    def __init__(self, t):
        self.t = t


def _arg(a, grad):
    if isinstance(a, Buf):
        return a.t.clone()
    return a.clone().requires_grad_(a.is_floating_point() and grad) if a is not None else None


def run_both(fn, *args, grad=True, **kw):
    """fn(F, torch_module, *tensors): compare output, grad_fn name, and grads of float inputs."""
    targs = [_arg(a, grad) for a in args]
    jargs = [_tj(a) for a in targs]
    r = fn(torch.nn.functional, torch, *targs)
    j = fn(tj.nn.functional, tj, *jargs)
    close(r, j, **kw)
    assert j.dtype == getattr(tj, str(r.dtype).split(".")[1])
    assert type(j.grad_fn).__name__ == type(r.grad_fn).__name__
    if grad and r.requires_grad:
        g = torch.randn(r.shape, dtype=r.dtype)
        r.backward(g)
        j.backward(_tj(g))
        for a, b in zip(targs, jargs):
            if a is not None and a.requires_grad:
                close(a.grad, b.grad, **kw)
    return targs, jargs


def both_raise(fn, *args):
    with pytest.raises(Exception) as e1:
        fn(torch.nn.functional, torch, *args)
    with pytest.raises(Exception) as e2:
        fn(tj.nn.functional, tj, *[_tj(a) for a in args])
    assert type(e1.value) is type(e2.value)
    assert str(e1.value) == str(e2.value)


def randn(*s, dtype=torch.float32):
    return torch.randn(*s, dtype=dtype)


# ---------------------------------------------------------------- batch norm

@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 2, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(shape, affine):
    torch.manual_seed(0)
    x = randn(*shape)
    w, b = (randn(3), randn(3)) if affine else (None, None)
    rm, rv = Buf(randn(3)), Buf(torch.rand(3) + 0.5)
    t, j = run_both(lambda F, T, x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, True, 0.2),
                    x, rm, rv, w, b)
    close(t[1], j[1])
    close(t[2], j[2])
    assert j[1]._version == 1


def test_batch_norm_eval_and_no_running():
    torch.manual_seed(1)
    x, w, b = randn(4, 3, 2), randn(3), randn(3)
    rm, rv = Buf(randn(3)), Buf(torch.rand(3) + 0.5)
    t, j = run_both(lambda F, T, x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b), x, rm, rv, w, b)
    close(t[1], j[1])
    run_both(lambda F, T, x, w: F.batch_norm(x, None, None, w, None, True), x, w)
    run_both(lambda F, T, x, w, b: T.batch_norm(x, w, b, None, None, True, 0.1, 1e-3, False),
             x, w, b)


def test_batch_norm_float64_and_half():
    torch.manual_seed(2)
    run_both(lambda F, T, x, rm, rv: F.batch_norm(x, rm, rv, training=True),
             randn(5, 2, 3, dtype=torch.float64), Buf(torch.zeros(2, dtype=torch.float64)),
             Buf(torch.ones(2, dtype=torch.float64)))
    run_both(lambda F, T, x, rm, rv: F.batch_norm(x, rm, rv, training=True),
             randn(5, 2, 3, dtype=torch.bfloat16), Buf(torch.zeros(2)), Buf(torch.ones(2)),
             grad=False)


def test_batch_norm_errors():
    x = randn(4, 3)
    both_raise(lambda F, T, x: F.batch_norm(x, None, None, training=False), x)
    both_raise(lambda F, T, x, rm: F.batch_norm(x, rm, None, training=True), x,
               torch.zeros(3, requires_grad=True))
    both_raise(lambda F, T, x, rm: F.batch_norm(x, rm, rm), x, torch.zeros(4))
    both_raise(lambda F, T, x, w: F.batch_norm(x, None, None, w, training=True), x, randn(2))
    both_raise(lambda F, T, x: F.batch_norm(x, None, None, training=True), randn(1, 3))
    both_raise(lambda F, T, x: F.batch_norm(x, None, None, training=True, eps=0.0), x)
    both_raise(lambda F, T, x: F.batch_norm(x, None, None, training=False, eps=-1.0), x)


# ---------------------------------------------------------------- instance norm

@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 2, 3)])
def test_instance_norm(shape):
    torch.manual_seed(3)
    x, w, b = randn(*shape), randn(3), randn(3)
    rm, rv = Buf(randn(3)), Buf(torch.rand(3) + 0.5)
    t, j = run_both(lambda F, T, x, rm, rv, w, b: F.instance_norm(x, rm, rv, w, b, momentum=0.3),
                    x, rm, rv, w, b)
    close(t[1], j[1])
    close(t[2], j[2])
    run_both(lambda F, T, x: F.instance_norm(x), x)
    run_both(lambda F, T, x, rm, rv: F.instance_norm(x, rm, rv, use_input_stats=False), x, rm, rv)


def test_instance_norm_errors():
    both_raise(lambda F, T, x: F.instance_norm(x), randn(2, 3, 1))
    both_raise(lambda F, T, x: F.instance_norm(x, use_input_stats=False), randn(2, 3, 4))
    both_raise(lambda F, T, x, w: F.instance_norm(x, weight=w), randn(2, 3, 4), randn(4))


# ---------------------------------------------------------------- layer / rms / group / lrn

@pytest.mark.parametrize("ns", [(5,), (3, 5)])
def test_layer_norm(ns):
    torch.manual_seed(4)
    x, w, b = randn(2, 3, 5), randn(*ns), randn(*ns)
    run_both(lambda F, T, x, w, b: F.layer_norm(x, ns, w, b, eps=1e-3), x, w, b)
    run_both(lambda F, T, x: F.layer_norm(x, list(ns)), x)
    run_both(lambda F, T, x, w: T.layer_norm(x, ns, w), x, w)


def test_layer_norm_native_and_dtypes():
    torch.manual_seed(5)
    x, w, b = randn(2, 3, 5), randn(5), randn(5)
    r = torch.native_layer_norm(x, (5,), w, b, 1e-5)
    j = tj.native_layer_norm(_tj(x), (5,), _tj(w), _tj(b), 1e-5)
    for a, c in zip(r, j):
        close(a, c)
    run_both(lambda F, T, x: F.layer_norm(x, (5,)), randn(2, 5, dtype=torch.float64))
    run_both(lambda F, T, x, w: F.layer_norm(x, (5,), w), randn(2, 5, dtype=torch.bfloat16),
             randn(5, dtype=torch.bfloat16), grad=False)


def test_layer_norm_errors():
    x = randn(2, 3, 5)
    both_raise(lambda F, T, x: F.layer_norm(x, (3,)), x)
    both_raise(lambda F, T, x: F.layer_norm(x, (2, 2, 3, 5)), x)
    both_raise(lambda F, T, x: F.layer_norm(x, ()), x)
    both_raise(lambda F, T, x, w: F.layer_norm(x, (5,), w), x, randn(4))
    both_raise(lambda F, T, x, b: F.layer_norm(x, (5,), None, b), x, randn(4))
    both_raise(lambda F, T, x, w: F.rms_norm(x, (5,), w), x, randn(4))
    both_raise(lambda F, T, x: F.rms_norm(x, (4,)), x)


@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(eps):
    torch.manual_seed(6)
    x, w = randn(2, 3, 5), randn(5)
    run_both(lambda F, T, x, w: F.rms_norm(x, (5,), w, eps), x, w)
    run_both(lambda F, T, x: F.rms_norm(x, [3, 5], eps=eps), x)
    run_both(lambda F, T, x: F.rms_norm(x, (5,), eps=eps), randn(3, 5, dtype=torch.float64))


@pytest.mark.parametrize("g", [1, 3])
def test_group_norm(g):
    torch.manual_seed(7)
    x, w, b = randn(2, 6, 4), randn(6), randn(6)
    run_both(lambda F, T, x, w, b: F.group_norm(x, g, w, b), x, w, b)
    run_both(lambda F, T, x: F.group_norm(x, g, eps=1e-2), randn(2, 6, 2, 2))
    run_both(lambda F, T, x, w: T.group_norm(x, g, w), randn(3, 6), w)
    r = torch.native_group_norm(x, w, b, 2, 6, 4, g, 1e-5)
    j = tj.native_group_norm(_tj(x), _tj(w), _tj(b), 2, 6, 4, g, 1e-5)
    for a, c in zip(r, j):
        close(a, c)


def test_group_norm_errors():
    both_raise(lambda F, T, x: F.group_norm(x, 4), randn(2, 6, 3))
    both_raise(lambda F, T, x: F.group_norm(x, 1), randn(6))
    both_raise(lambda F, T, x: F.group_norm(x, 2), randn(1, 2))
    both_raise(lambda F, T, x, w: F.group_norm(x, 2, w), randn(2, 6, 3), randn(5))
    both_raise(lambda F, T, x, b: F.group_norm(x, 2, None, b), randn(2, 6, 3), randn(5))


@pytest.mark.parametrize("shape,size", [((2, 5, 3), 3), ((2, 6, 2, 3), 2), ((1, 4, 2, 2, 2), 5)])
def test_local_response_norm(shape, size):
    torch.manual_seed(8)
    run_both(lambda F, T, x: F.local_response_norm(x, size, alpha=0.1, beta=0.6, k=2.0),
             randn(*shape))


def test_local_response_norm_errors():
    both_raise(lambda F, T, x: F.local_response_norm(x, 2), randn(2, 3))
    x = tj.zeros(0, 3, 4)
    assert tj.nn.functional.local_response_norm(x, 2) is x


# ---------------------------------------------------------------- modules

MODS = [
    ("BatchNorm1d", (3,), {}, (4, 3)), ("BatchNorm1d", (3,), {"momentum": None}, (4, 3, 5)),
    ("BatchNorm2d", (3,), {"affine": False, "eps": 1e-3}, (2, 3, 2, 2)),
    ("BatchNorm2d", (3,), {"track_running_stats": False, "bias": False}, (2, 3, 2, 2)),
    ("BatchNorm3d", (3,), {"momentum": 0.3}, (2, 3, 2, 1, 2)),
    ("SyncBatchNorm", (3,), {}, (4, 3, 2)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)), ("InstanceNorm1d", (3,), {"affine": True}, (3, 5)),
    ("InstanceNorm2d", (3,), {"track_running_stats": True, "affine": True}, (2, 3, 2, 3)),
    ("InstanceNorm3d", (3,), {"track_running_stats": True, "momentum": None}, (2, 3, 2, 2, 2)),
    ("LayerNorm", (5,), {}, (2, 3, 5)), ("LayerNorm", ([3, 5],), {"bias": False}, (2, 3, 5)),
    ("LayerNorm", (5,), {"elementwise_affine": False, "eps": 1e-3}, (2, 5)),
    ("GroupNorm", (2, 4), {}, (2, 4, 3)), ("GroupNorm", (4, 4), {"affine": False}, (2, 4, 2, 2)),
    ("RMSNorm", (5,), {}, (2, 3, 5)), ("RMSNorm", ([3, 5],), {"eps": 1e-4}, (2, 3, 5)),
    ("RMSNorm", (5,), {"elementwise_affine": False}, (2, 5)),
    ("LocalResponseNorm", (3,), {"alpha": 0.1, "k": 2.0}, (2, 4, 3)),
]


def _load(mj, m):
    mj.load_state_dict({k: _tj(v) for k, v in m.state_dict().items()})


@pytest.mark.parametrize("name,args,kw,shape", MODS)
def test_norm_module(name, args, kw, shape):
    torch.manual_seed(0)
    m, mj = getattr(torch.nn, name)(*args, **kw), getattr(tj.nn, name)(*args, **kw)
    assert repr(m) == repr(mj)
    sd, sdj = m.state_dict(), mj.state_dict()
    assert list(sd) == list(sdj)
    for k in sd:
        close(sd[k], sdj[k])
        assert str(sd[k].dtype) == str(sdj[k].dtype)
    with torch.no_grad():  # non-trivial affine parameters
        for p in m.parameters():
            p.copy_(torch.randn(p.shape))
    _load(mj, m)
    for step in range(2):
        x = torch.randn(*shape) * 3 + 1
        xr, xj = x.clone().requires_grad_(), _tj(x, True)
        r, j = m(xr), mj(xj)
        close(r, j)
        assert type(j.grad_fn).__name__ == type(r.grad_fn).__name__
        g = torch.randn(r.shape)
        r.backward(g)
        j.backward(_tj(g))
        close(xr.grad, xj.grad)
        for (k, p), (kj, pj) in zip(m.named_parameters(), mj.named_parameters()):
            close(p.grad, pj.grad)
        for k, v in m.state_dict().items():
            close(v, mj.state_dict()[k])
    m.eval()
    mj.eval()
    x = torch.randn(*shape)
    close(m(x), mj(_tj(x)))


def test_batch_norm_module_errors_and_state():
    for cls, bad in (("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm2d", (2, 3)),
                     ("BatchNorm3d", (2, 3, 4)), ("InstanceNorm1d", (3,)),
                     ("InstanceNorm2d", (2, 3, 4, 5, 6)), ("InstanceNorm3d", (2, 3))):
        with pytest.raises(ValueError) as e1:
            getattr(torch.nn, cls)(3)(torch.zeros(*bad))
        with pytest.raises(ValueError) as e2:
            getattr(tj.nn, cls)(3)(tj.zeros(*bad))
        assert str(e1.value) == str(e2.value)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training, "
                                         r"got input size torch.Size\(\[1, 3\]\)"):
        tj.nn.BatchNorm1d(3)(tj.zeros(1, 3))
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups "
                                         r"\(2\)"):
        tj.nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features"):
        tj.nn.InstanceNorm1d(3, affine=True)(tj.zeros(2, 4, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        tj.nn.InstanceNorm1d(3)(tj.randn(2, 4, 5))
    # version-1 checkpoints lack num_batches_tracked: it is filled in
    m = tj.nn.BatchNorm1d(3)
    sd = m.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    assert m.load_state_dict(sd).missing_keys == []
    del sd._metadata[""]["version"]
    sd._metadata[""]["version"] = 2
    assert m.load_state_dict(sd, strict=False).missing_keys == ["num_batches_tracked"]
    # running statistics keep their identity (updated in place)
    rm = m.running_mean
    m(tj.randn(4, 3))
    assert m.running_mean is rm and int(m.num_batches_tracked) == 1
    assert "running_mean" in tj.nn.InstanceNorm1d(3, track_running_stats=True).state_dict()
    s = tj.nn.SyncBatchNorm.convert_sync_batchnorm(tj.nn.Sequential(tj.nn.BatchNorm1d(3)))
    assert type(s[0]).__name__ == "SyncBatchNorm"


# ---------------------------------------------------------------- weight norm / parametrize

@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_weight_norm_ops(dim):
    torch.manual_seed(9)
    v = randn(4, 3, 2)
    run_both(lambda F, T, v: T.norm_except_dim(v, 2, dim), v)
    gshape = [1, 1, 1]
    if dim != -1:
        gshape[dim] = v.shape[dim]
    run_both(lambda F, T, v, g: T._weight_norm(v, g, dim), v, randn(*gshape))


def _linear_pair(seed=0, cls="Linear", args=(3, 4)):
    torch.manual_seed(seed)
    m = getattr(torch.nn, cls)(*args)
    tj.manual_seed(seed)
    mj = getattr(tj.nn, cls)(*args)
    return m, mj


def _check_same_module(m, mj, x):
    assert repr(m) == repr(mj)
    assert type(m).__name__ == type(mj).__name__
    sd, sdj = m.state_dict(), mj.state_dict()
    assert list(sd) == list(sdj)
    for k in sd:
        close(sd[k], sdj[k])
    xr, xj = x.clone().requires_grad_(), _tj(x, True)
    r, j = m(xr), mj(xj)
    close(r, j)
    r.sum().backward()
    j.sum().backward()
    close(xr.grad, xj.grad)
    for (k, p), (kj, pj) in zip(m.named_parameters(), mj.named_parameters()):
        assert k == kj
        close(p.grad, pj.grad)


def test_old_weight_norm():
    m, mj = _linear_pair()
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(m)
    with pytest.warns(FutureWarning):
        tj.nn.utils.weight_norm(mj)
    _check_same_module(m, mj, randn(2, 3))
    assert type(mj.weight.grad_fn).__name__ == "WeightNormInterfaceBackward0"
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
            pytest.warns(FutureWarning):
        tj.nn.utils.weight_norm(mj)
    torch.nn.utils.remove_weight_norm(m)
    tj.nn.utils.remove_weight_norm(mj)
    _check_same_module(m, mj, randn(2, 3))
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        tj.nn.utils.remove_weight_norm(mj)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrized_weight_norm(dim):
    m, mj = _linear_pair(1)
    torch.nn.utils.parametrizations.weight_norm(m, dim=dim)
    tj.nn.utils.parametrizations.weight_norm(mj, dim=dim)
    _check_same_module(m, mj, randn(2, 3))
    P = tj.nn.utils.parametrize
    assert P.is_parametrized(mj) and P.is_parametrized(mj, "weight")
    assert not P.is_parametrized(mj, "bias")
    assert P.type_before_parametrizations(mj) is tj.nn.Linear
    P.remove_parametrizations(mj, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(m, "weight")
    _check_same_module(m, mj, randn(2, 3))
    assert type(mj) is tj.nn.Linear


def test_weight_norm_loads_old_checkpoint():
    m, mj = _linear_pair(2)
    with pytest.warns(FutureWarning):
        old = tj.nn.utils.weight_norm(tj.nn.Linear(3, 4))
    tj.nn.utils.parametrizations.weight_norm(mj)
    mj.load_state_dict(old.state_dict())
    np.testing.assert_allclose(_np(mj.weight), _np(old.weight), rtol=1e-6)


class _Sym(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


_SymJ = type("_Sym", (tj.nn.Module,), {"forward": _Sym.forward})
_Neg = type("_Neg", (tj.nn.Module,), {"forward": lambda self, x: -x})


def test_register_parametrization_and_cache():
    m, mj = _linear_pair(3, args=(3, 3))
    torch.nn.utils.parametrize.register_parametrization(m, "weight", _Sym())
    P = tj.nn.utils.parametrize
    P.register_parametrization(mj, "weight", _SymJ())
    assert type(mj).__name__ == "ParametrizedLinear"
    assert list(mj.state_dict()) == ["bias", "parametrizations.weight.original"]
    _check_same_module(m, mj, randn(2, 3))
    with P.cached():
        assert mj.weight is mj.weight
    assert mj.weight is not mj.weight
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        mj.weight = tj.zeros(3, 3)
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules"):
        mj.__getstate__()
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a"):
        P.register_parametrization(mj, "nothing", _SymJ())
    P.register_parametrization(mj, "weight", _SymJ())  # a second one chains
    assert len(mj.parametrizations.weight) == 2
    w = mj.weight.detach().clone()
    P.remove_parametrizations(mj, "weight", leave_parametrized=True)
    assert type(mj) is tj.nn.Linear and isinstance(mj.weight, tj.nn.Parameter)
    assert bool((mj.weight == w).all()) and bool((w == w.T).all())
    P.register_parametrization(mj, "bias", _Neg())
    b = mj.bias.detach().clone()
    P.remove_parametrizations(mj, "bias", leave_parametrized=False)
    assert bool((mj.bias == -b).all())


@pytest.mark.parametrize("cls,args", [("Linear", (5, 4)), ("Conv2d", (2, 3, 2))])
def test_spectral_norm(cls, args):
    m, mj = _linear_pair(4, cls, args)
    torch.manual_seed(11)
    tj.manual_seed(11)
    torch.nn.utils.parametrizations.spectral_norm(m)
    tj.nn.utils.parametrizations.spectral_norm(mj)
    x = randn(2, 5) if cls == "Linear" else randn(1, 2, 4, 4)
    _check_same_module(m, mj, x)
    _check_same_module(m, mj, x)  # a second power iteration
    m.eval()
    mj.eval()
    close(m(x), mj(_tj(x)))


def test_old_spectral_norm():
    m, mj = _linear_pair(5, "Linear", (5, 4))
    torch.manual_seed(12)
    tj.manual_seed(12)
    torch.nn.utils.spectral_norm(m)
    tj.nn.utils.spectral_norm(mj)
    x = randn(2, 5)
    _check_same_module(m, mj, x)
    assert mj.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    torch.nn.utils.remove_spectral_norm(m)
    tj.nn.utils.remove_spectral_norm(mj)
    _check_same_module(m, mj, x)


def test_native_batch_norm_forms():
    torch.manual_seed(13)
    x, w, b = randn(4, 3, 2), randn(3), randn(3)
    for legit, args in ((False, (True,)), (False, (False,)), (True, (True,)), (True, (False,))):
        rm, rv = torch.zeros(3), torch.ones(3)
        rmj, rvj = _tj(rm), _tj(rv)
        fn = "_native_batch_norm_legit" if legit else "native_batch_norm"
        xr, xj = x.clone().requires_grad_(), _tj(x, True)
        r = getattr(torch, fn)(xr, w, b, rm, rv, *args, 0.1, 1e-5)
        j = getattr(tj, fn)(xj, _tj(w), _tj(b), rmj, rvj, *args, 0.1, 1e-5)
        for a, c in zip(r, j):
            close(a, c)
        assert type(j[0].grad_fn).__name__ == type(r[0].grad_fn).__name__
        close(rm, rmj)
    r = torch._native_batch_norm_legit(x, w, b, True, 0.1, 1e-5)
    j = tj._native_batch_norm_legit(_tj(x, True), _tj(w), _tj(b), True, 0.1, 1e-5)
    for a, c in zip(r, j):
        close(a, c)
    assert type(j[0].grad_fn).__name__ == "NativeBatchNormLegitBackward1"


@pytest.mark.parametrize("shape,omap", [((4, 4), None), ((5, 3), None), ((3, 5), "cayley"),
                                        ((4, 4), "householder"), ((3, 5), "matrix_exp")])
def test_orthogonal(shape, omap):
    m, mj = _linear_pair(6, "Linear", (shape[1], shape[0]))
    torch.manual_seed(14)
    tj.manual_seed(14)
    torch.nn.utils.parametrizations.orthogonal(m, orthogonal_map=omap)
    tj.nn.utils.parametrizations.orthogonal(mj, orthogonal_map=omap)
    w = mj.weight
    eye = tj.eye(min(shape))
    prod = w @ w.mT if shape[0] < shape[1] else w.mT @ w
    assert bool(tj.allclose(prod, eye, atol=1e-5))
    _check_same_module(m, mj, randn(2, shape[1]))


@pytest.mark.parametrize("size,c", [(3, 6), (2, 4), (5, 3)])
def test_cross_map_lrn2d(size, c):
    torch.manual_seed(15)
    m, mj = torch.nn.CrossMapLRN2d(size, 0.1, 0.75, 2), tj.nn.CrossMapLRN2d(size, 0.1, 0.75, 2)
    assert repr(m) == repr(mj)
    run_both(lambda F, T, x: (m if T is torch else mj)(x), randn(2, c, 3, 2))
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D"):
        mj(tj.zeros(2, 3, 4))
