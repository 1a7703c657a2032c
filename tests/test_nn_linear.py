"""F.linear / F.bilinear and nn.Identity / Linear / Bilinear against real torch."""
import numpy as np
import pytest
import torch

import torchjax


def _np(t):
    return np.asarray(t.detach().numpy())


def _tj(t, requires_grad=None):
    r = torchjax.tensor(_np(t))
    return r.requires_grad_(t.requires_grad if requires_grad is None else requires_grad)


def _check_fn(fn_t, fn_j, args, atol=1e-5, rtol=1.3e-6):
    """Same values, dtype, grad_fn name and input grads for torch and torchjax."""
    targs = [a.clone().requires_grad_(a.is_floating_point()) if a is not None else None
             for a in args]
    jargs = [_tj(a) if a is not None else None for a in targs]
    out_t, out_j = fn_t(*targs), fn_j(*jargs)
    assert out_j.shape == out_t.shape
    assert str(out_j.dtype) == str(out_t.dtype)
    assert type(out_j.grad_fn).__name__ == type(out_t.grad_fn).__name__
    np.testing.assert_allclose(_np(out_j), _np(out_t), atol=atol, rtol=rtol)
    g = torch.linspace(-1, 1, out_t.numel(), dtype=out_t.dtype).reshape(out_t.shape)
    out_t.backward(g)
    out_j.backward(_tj(g, False))
    for a, b in zip(targs, jargs):
        if a is not None:
            np.testing.assert_allclose(_np(b.grad), _np(a.grad), atol=atol, rtol=1e-5)


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_functional(shape, bias):
    torch.manual_seed(0)
    x, w = torch.randn(*shape), torch.randn(5, 4)
    b = torch.randn(5) if bias else None
    _check_fn(torch.nn.functional.linear, torchjax.nn.functional.linear, [x, w, b])


def test_linear_noncontiguous_and_double():
    torch.manual_seed(0)
    x = torch.randn(3, 2, 4)
    _check_fn(lambda x, w, b: torch.nn.functional.linear(x.transpose(0, 1), w, b),
              lambda x, w, b: torchjax.nn.functional.linear(x.transpose(0, 1), w, b),
              [x, torch.randn(5, 4), torch.randn(5)])
    _check_fn(torch.nn.functional.linear, torchjax.nn.functional.linear,
              [torch.randn(3, 4, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64),
               torch.randn(2, dtype=torch.float64)], atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("shapes", [((2, 3), (2, 4)), ((3,), (4,)), ((5, 2, 3), (5, 2, 4))])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_functional(shapes, bias):
    torch.manual_seed(0)
    x1, x2, w = torch.randn(*shapes[0]), torch.randn(*shapes[1]), torch.randn(6, 3, 4)
    b = torch.randn(6) if bias else None
    _check_fn(torch.nn.functional.bilinear, torchjax.nn.functional.bilinear, [x1, x2, w, b])


def _err(fn):
    try:
        fn()
    except Exception as e:
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("call", [
    lambda L: L.nn.functional.linear(L.randn(3, 3), L.randn(5, 4)),
    lambda L: L.nn.functional.linear(L.randn(2, 3, 3), L.randn(5, 4), L.randn(5)),
    lambda L: L.nn.functional.linear(L.randn(3, 4), L.randn(5, 4), L.randn(4)),
    lambda L: L.nn.functional.linear(L.randn(4), L.randn(5, 4), L.randn(4)),
    lambda L: L.nn.functional.linear(L.randn(3, 4, dtype=L.float64), L.randn(5, 4)),
    lambda L: L.nn.functional.linear(L.randn(3, 4, dtype=L.float64), L.randn(5, 4), L.randn(5)),
    lambda L: L.nn.functional.linear(L.randn(3, 4), L.randn(5, 4), L.randn(5, dtype=L.float64)),
    lambda L: L.nn.functional.linear(L.tensor(1.0), L.randn(5, 4)),
    lambda L: L.nn.functional.linear(L.randn(3, 4), L.randn(2, 5, 4)),
    lambda L: L.nn.functional.linear(L.randn(3, 4), L.randn(4), L.randn(())),
    lambda L: L.nn.functional.linear(3, L.randn(5, 4)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 3), L.randn(3, 4), L.randn(6, 3, 4)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 4), L.randn(2, 4), L.randn(6, 3, 4)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 3), L.randn(2, 3), L.randn(6, 3, 4)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 3), L.randn(2, 4), L.randn(6, 3, 4),
                                       L.randn(5)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 3, dtype=L.float64), L.randn(2, 4),
                                       L.randn(6, 3, 4)),
    lambda L: L.nn.functional.bilinear(L.randn(2, 2, 3), L.randn(2, 4), L.randn(6, 3, 4)),
])
def test_errors(call):
    e = _err(lambda: call(torch))
    assert e is not None
    assert _err(lambda: call(torchjax)) == e


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4)])
def test_linear_1d_weight(shape):
    _check_fn(torch.nn.functional.linear, torchjax.nn.functional.linear,
              [torch.randn(*shape), torch.randn(4), None])


@pytest.mark.parametrize("bias", [True, False])
def test_linear_module_default_init_and_forward(bias):
    for dtype in ("float32", "float64"):
        torch.manual_seed(0)
        mt = torch.nn.Linear(10, 5, bias=bias, dtype=getattr(torch, dtype))
        torchjax.manual_seed(0)
        mj = torchjax.nn.Linear(10, 5, bias=bias, dtype=getattr(torchjax, dtype))
        assert repr(mj) == repr(mt)
        for (n1, p1), (n2, p2) in zip(mt.named_parameters(), mj.named_parameters()):
            assert n1 == n2 and p1.shape == p2.shape and str(p1.dtype) == str(p2.dtype)
            np.testing.assert_array_equal(_np(p2), _np(p1))
        assert mj.bias is None if not bias else isinstance(mj.bias, torchjax.nn.Parameter)
    x = torch.randn(4, 10, dtype=torch.float64)
    xj = _tj(x, True)
    x.requires_grad_()
    mt(x).pow(2).sum().backward()
    mj(xj).pow(2).sum().backward()
    np.testing.assert_allclose(_np(xj.grad), _np(x.grad), rtol=1e-10)
    np.testing.assert_allclose(_np(mj.weight.grad), _np(mt.weight.grad), rtol=1e-10)


def test_bilinear_module():
    torch.manual_seed(0)
    mt = torch.nn.Bilinear(3, 4, 2)
    torchjax.manual_seed(0)
    mj = torchjax.nn.Bilinear(3, 4, 2)
    assert repr(mj) == repr(mt)
    assert repr(torchjax.nn.Bilinear(3, 4, 2, bias=False)) == \
        repr(torch.nn.Bilinear(3, 4, 2, bias=False))
    for p1, p2 in zip(mt.parameters(), mj.parameters()):
        np.testing.assert_array_equal(_np(p2), _np(p1))
    x1, x2 = torch.randn(5, 3), torch.randn(5, 4)
    ot = mt(x1, x2)
    oj = mj(_tj(x1), _tj(x2))
    np.testing.assert_allclose(_np(oj), _np(ot), atol=1e-5, rtol=1e-5)
    ot.sum().backward()
    oj.sum().backward()
    np.testing.assert_allclose(_np(mj.weight.grad), _np(mt.weight.grad), atol=1e-5, rtol=1e-5)
    assert _err(lambda: torchjax.nn.Bilinear(0, 2, 2)) == _err(lambda: torch.nn.Bilinear(0, 2, 2))


def test_identity_and_factory_kwargs():
    m = torchjax.nn.Identity(3, foo=4)
    x = torchjax.ones(2)
    assert m(x) is x and repr(m) == repr(torch.nn.Identity(3, foo=4))
    m = torchjax.nn.Linear(2, 3, device="cpu", dtype=torchjax.float64)
    assert m.weight.dtype is torchjax.float64 and m.bias.dtype is torchjax.float64
    assert m.weight.requires_grad and m.weight.is_leaf


def test_lazy_linear():
    logs = []
    for lib in (torch, torchjax):
        log = []
        lib.manual_seed(0)
        m = lib.nn.LazyLinear(3)
        log += [repr(m), repr(m.weight), m.has_uninitialized_params(), list(m.state_dict())]
        out = m(lib.ones(2, 4))
        log += [repr(m), type(m).__name__, type(m.weight).__name__, tuple(m.weight.shape),
                type(out.grad_fn).__name__, _np(m.weight).tolist(), _np(m.bias).tolist()]
        m2 = lib.nn.LazyLinear(3, bias=False)
        m2.load_state_dict({"weight": lib.ones(3, 5)})
        log += [type(m2).__name__, tuple(m2.weight.shape), repr(m2)]
        m2(lib.ones(1, 5))
        log += [type(m2).__name__, repr(m2), len(m2._forward_pre_hooks)]
        logs.append(log)
    assert logs[1] == logs[0]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_linear_half_precision(dtype):
    torch.manual_seed(0)
    args = [torch.randn(2, 3, 32), torch.randn(8, 32), torch.randn(8)]
    targs = [a.to(getattr(torch, dtype)) for a in args]
    jargs = [torchjax.tensor(_np(a)).to(getattr(torchjax, dtype)) for a in args]
    out_t = torch.nn.functional.linear(*targs)
    out_j = torchjax.nn.functional.linear(*jargs)
    assert str(out_j.dtype) == str(out_t.dtype)
    # accumulated in float and rounded once, like torch's CPU kernel
    np.testing.assert_array_equal(_np(out_j.float()), _np(out_t.float()))
    # bilinear: torch's _trilinear rounds intermediates, so compare within half tolerance
    b_args = [torch.randn(4, 5), torch.randn(4, 6), torch.randn(3, 5, 6), torch.randn(3)]
    bt = torch.nn.functional.bilinear(*[a.to(getattr(torch, dtype)) for a in b_args])
    bj = torchjax.nn.functional.bilinear(*[torchjax.tensor(_np(a)).to(getattr(torchjax, dtype))
                                           for a in b_args])
    assert str(bj.dtype) == str(bt.dtype)
    np.testing.assert_allclose(_np(bj.float()), _np(bt.float()), rtol=2e-2, atol=2e-2)
