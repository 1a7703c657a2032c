"""Normalization results, running statistics and gradients bit-identical to torch's float32 CPU
kernels (layer_norm_kernel.cpp, batch_norm_kernel.cpp + Normalization.cpp, group_norm_kernel.cpp,
instance_norm over batch_norm, rms_norm's composite): shapes with and without whole 8-lane
vectors, torch's per-thread splits, more than GRAIN_SIZE (32768) elements, every affine form."""
import numpy as np
import pytest
import torch

import torchjax as tj

RNG = np.random.default_rng(2024)


def _bits(r, g):
    """Bitwise equality (-0 vs +0 counts; NaNs by position), dtype and shape included."""
    r, g = r.detach(), g.detach()
    assert str(g.dtype) == str(r.dtype) and tuple(g.shape) == tuple(r.shape)
    a, b = np.atleast_1d(r.numpy()), np.atleast_1d(np.asarray(g._numpy()))
    assert np.array_equal(np.isnan(a), np.isnan(b))
    a, b = np.where(np.isnan(a), 0, a), np.where(np.isnan(b), 0, b)
    same = (a.reshape(a.size, -1).view(np.uint8) == b.reshape(b.size, -1).view(np.uint8))
    assert same.all(), f"{1 - same.reshape(a.size, -1).all(1).mean():.4f} of elements differ"


def _arr(shape, scale=2.0, shift=0.5, dt=np.float32):
    return (RNG.standard_normal(shape) * scale + shift).astype(dt)


def _compare(f, arrays, grad_of, bufs=()):
    """f(F, *tensors) on torch and torchjax: the output (or outputs), then the gradients of the
    first output w.r.t. the tensors at ``grad_of`` for one random cotangent, then the (updated)
    tensors at ``bufs``."""
    res = []
    cot = None
    for m in (torch, tj):
        ts = [None if a is None else m.tensor(a.copy(), requires_grad=i in grad_of)
              for i, a in enumerate(arrays)]
        out = f(m.nn.functional, *ts)
        outs = list(out) if isinstance(out, tuple) else [out]
        if cot is None:
            cot = RNG.standard_normal(tuple(outs[0].shape)).astype(arrays[0].dtype)
        ins = [ts[i] for i in grad_of if ts[i] is not None]
        grads = list(m.autograd.grad(outs[0], ins, m.tensor(cot))) if ins else []
        res.append(outs + grads + [ts[i] for i in bufs])
    for r, j in zip(*res):
        _bits(r, j)


AFFINE = ["wb", "w", "b", ""]


# ---------------------------------------------------------------- layer norm

@pytest.mark.parametrize("shape,nd", [((16, 10), 1), ((7, 100), 1), ((5, 3, 7), 2), ((1, 9), 1),
                                      ((33, 17), 1), ((6, 257), 1), ((2, 40000), 1)], ids=str)
@pytest.mark.parametrize("affine", AFFINE)
def test_layer_norm_bits(shape, nd, affine):
    ns = shape[-nd:]
    x = _arr(shape)
    w = _arr(ns, 1, 0) if "w" in affine else None
    b = _arr(ns, 1, 0) if "b" in affine else None
    _compare(lambda F, x, w, b: F.layer_norm(x, ns, w, b, eps=1e-5), [x, w, b], (0, 1, 2))


def test_native_layer_norm_bits():
    x, w, b = _arr((4, 3, 21)), _arr(21, 1, 0), _arr(21, 1, 0)
    _compare(lambda F, x, w, b: (tj if isinstance(x, tj.Tensor) else torch).native_layer_norm(
        x, (21,), w, b, 1e-3), [x, w, b], (0, 1, 2))


# ---------------------------------------------------------------- batch norm

BN_SHAPES = [(16, 10), (100, 7), (3, 5), (2, 5), (2, 20), (2, 2100), (37, 40), (40000, 3),
             (4, 3, 5, 7), (4, 3, 9), (5, 3, 1, 1), (8, 16, 9, 11), (2, 3, 200, 100)]


@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_bits(shape, training):
    c = shape[1]
    x, w, b = _arr(shape), _arr(c, 1, 0), _arr(c, 1, 0)
    rm, rv = _arr(c, 1, 0), np.abs(_arr(c, 1, 0)) + np.float32(0.5)
    _compare(lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training, 0.1, 1e-5),
             [x, w, b, rm, rv], (0, 1, 2), bufs=(3, 4))


@pytest.mark.parametrize("shape", [(16, 10), (4, 3, 5, 7)], ids=str)
@pytest.mark.parametrize("affine", AFFINE)
def test_batch_norm_affine_forms(shape, affine):
    c = shape[1]
    x = _arr(shape)
    w = _arr(c, 1, 0) if "w" in affine else None
    b = _arr(c, 1, 0) if "b" in affine else None
    _compare(lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True, 0.3, 1e-3), [x, w, b],
             (0, 1, 2))
    rm, rv = _arr(c, 1, 0), np.abs(_arr(c, 1, 0)) + np.float32(0.5)
    _compare(lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, True, 0.7, 1e-2),
             [x, w, b, rm, rv], (0, 1, 2), bufs=(3, 4))


def test_native_batch_norm_bits():
    x, w, b = _arr((6, 4, 10)), _arr(4, 1, 0), _arr(4, 1, 0)
    rm, rv = _arr(4, 1, 0), np.abs(_arr(4, 1, 0)) + np.float32(0.5)
    mod = lambda x: tj if isinstance(x, tj.Tensor) else torch
    _compare(lambda F, x, w, b, rm, rv: mod(x).native_batch_norm(x, w, b, rm, rv, True, 0.1,
                                                                  1e-5),
             [x, w, b, rm, rv], (0, 1, 2), bufs=(3, 4))


# ---------------------------------------------------------------- group / instance norm

GN = [((4, 6, 5), 3), ((2, 8, 7, 9), 4), ((3, 32, 11, 7), 8), ((2, 4, 100), 1), ((2, 6, 3, 3), 6),
      ((3, 48, 3), 2), ((5, 24, 9), 1), ((3, 6), 3), ((2, 6, 1, 1), 2), ((2, 4, 90, 100), 2)]


@pytest.mark.parametrize("shape,groups", GN, ids=str)
@pytest.mark.parametrize("affine", ["wb", ""])
def test_group_norm_bits(shape, groups, affine):
    c = shape[1]
    x = _arr(shape)
    w = _arr(c, 1, 0) if "w" in affine else None
    b = _arr(c, 1, 0) if "b" in affine else None
    _compare(lambda F, x, w, b: F.group_norm(x, groups, w, b, 1e-5), [x, w, b], (0, 1, 2))


@pytest.mark.parametrize("affine", ["w", "b"])
def test_group_norm_one_param(affine):
    x = _arr((3, 16, 7))
    w = _arr(16, 1, 0) if "w" in affine else None
    b = _arr(16, 1, 0) if "b" in affine else None
    # (torch's backward fails for the bias without a weight: "tensor does not have a device")
    _compare(lambda F, x, w, b: F.group_norm(x, 4, w, b, 1e-3), [x, w, b],
             (0, 1, 2) if w is not None else (0,))


def test_native_group_norm_bits():
    x, w, b = _arr((3, 12, 10)), _arr(12, 1, 0), _arr(12, 1, 0)
    mod = lambda x: tj if isinstance(x, tj.Tensor) else torch
    _compare(lambda F, x, w, b: mod(x).native_group_norm(x, w, b, 3, 12, 10, 4, 1e-5),
             [x, w, b], (0, 1, 2))


@pytest.mark.parametrize("shape", [(4, 3, 50), (2, 3, 20, 21), (1, 5, 9), (3, 2, 40000)], ids=str)
@pytest.mark.parametrize("stats", [True, False])
def test_instance_norm_bits(shape, stats):
    c = shape[1]
    x, w, b = _arr(shape), _arr(c, 1, 0), _arr(c, 1, 0)
    rm, rv = _arr(c, 1, 0), np.abs(_arr(c, 1, 0)) + np.float32(0.5)
    _compare(lambda F, x, w, b, rm, rv: F.instance_norm(x, rm, rv, w, b, stats, 0.2, 1e-5),
             [x, w, b, rm, rv], (0, 1, 2), bufs=(3, 4))
    if stats:
        _compare(lambda F, x: F.instance_norm(x), [x], (0,))


# ---------------------------------------------------------------- rms norm

@pytest.mark.parametrize("shape,nd", [((16, 10), 1), ((4, 1000), 1), ((5, 3, 70), 2),
                                      ((2, 40000), 1)], ids=str)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [True, False])
def test_rms_norm_bits(shape, nd, dt, weighted):
    ns = shape[-nd:]
    x = _arr(shape, dt=dt)
    w = _arr(ns, 1, 0, dt=dt) if weighted else None
    _compare(lambda F, x, w: F.rms_norm(x, ns, w, None), [x, w], (0, 1))
    _compare(lambda F, x, w: F.rms_norm(x, ns, w, 1e-3), [x, w], (0, 1))


# ---------------------------------------------------------------- modules, double backward

@pytest.mark.parametrize("name,args,shape", [("BatchNorm2d", (3,), (4, 3, 6, 5)),
                                             ("BatchNorm1d", (7,), (20, 7)),
                                             ("LayerNorm", ((6, 9),), (4, 6, 9)),
                                             ("GroupNorm", (2, 6), (3, 6, 13)),
                                             ("InstanceNorm1d", (3,), (2, 3, 11))])
def test_norm_modules_two_steps(name, args, shape):
    torch.manual_seed(0)
    m = getattr(torch.nn, name)(*args)
    mj = getattr(tj.nn, name)(*args)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape))
    mj.load_state_dict({k: tj.tensor(v.numpy()) for k, v in m.state_dict().items()})
    for _ in range(2):
        x = _arr(shape)
        xr, xj = torch.tensor(x, requires_grad=True), tj.tensor(x, requires_grad=True)
        r, j = m(xr), mj(xj)
        _bits(r, j)
        g = _arr(tuple(r.shape), 1, 0)
        r.backward(torch.tensor(g))
        j.backward(tj.tensor(g))
        _bits(xr.grad, xj.grad)
        for p, pj in zip(m.parameters(), mj.parameters()):
            _bits(p.grad, pj.grad)
        for k, v in m.state_dict().items():
            if v.is_floating_point():
                _bits(v, mj.state_dict()[k])


DOUBLE = {
    "layer_norm": lambda F, x, w, b: F.layer_norm(x, (5,), w, b),
    "batch_norm": lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True),
    "group_norm": lambda F, x, w, b: F.group_norm(x, 3, w, b),
    "instance_norm": lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b),
    "rms_norm": lambda F, x, w, b: F.rms_norm(x, (5,)) * w.sum(),
}


@pytest.mark.parametrize("name", list(DOUBLE))
def test_double_backward_close(name):
    """create_graph=True differentiates the replicas' backward (torch then switches to other,
    composite formulas: values close, not bitwise)."""
    x, w, b = _arr((4, 3, 5)), _arr(3, 1, 0), _arr(3, 1, 0)
    if name == "layer_norm":
        w, b = _arr(5, 1, 0), _arr(5, 1, 0)
    c1 = _arr((4, 3, 5), 1, 0)
    c2 = [_arr(a.shape, 1, 0) for a in (x, w, b)]
    res = []
    for m in (torch, tj):
        ts = [m.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = DOUBLE[name](m.nn.functional, *ts)
        gs = m.autograd.grad((y * m.tensor(c1)).sum(), ts, create_graph=True,
                             allow_unused=True, materialize_grads=True)
        tot = sum((g * m.tensor(c)).sum() for g, c in zip(gs, c2))
        res.append(list(gs) + list(m.autograd.grad(tot, ts, allow_unused=True,
                                                    materialize_grads=True)))
    for r, j in zip(*res):
        r, j = r.detach().numpy(), np.asarray(j.detach()._numpy())
        assert np.abs(j - r).max() <= 1e-4 * np.abs(r).max() + 1e-6


def test_group_norm_statistics_gradients_close():
    """Gradients reaching native_group_norm's mean and rstd: torch's composite formula."""
    x, w, b = _arr((3, 6, 4)), _arr(6, 1, 0), _arr(6, 1, 0)
    res = []
    for m in (torch, tj):
        ts = [m.tensor(a, requires_grad=True) for a in (x, w, b)]
        y, mu, rs = m.native_group_norm(ts[0], ts[1], ts[2], 3, 6, 4, 2, 1e-5)
        res.append(m.autograd.grad(y.sum() + (mu * mu).sum() + rs.sum(), ts))
    for r, j in zip(*res):
        np.testing.assert_allclose(np.asarray(j._numpy()), r.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("eps", [0.25, 1.0])
def test_representable_eps(eps):
    """An eps exact in float32 (LLVM could narrow double arithmetic on it)."""
    x, w, b = _arr((5, 4, 9)), _arr(4, 1, 0), _arr(4, 1, 0)
    rm, rv = _arr(4, 1, 0), np.abs(_arr(4, 1, 0)) + np.float32(0.5)
    for xs in (x, x[:, :, 0].copy()):
        for training in (True, False):
            _compare(lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training, 0.1, eps),
                     [xs, w, b, rm, rv], (0, 1, 2), bufs=(3, 4))
    _compare(lambda F, x, w, b: F.group_norm(x, 2, w, b, eps), [x, w, b], (0, 1, 2))
    _compare(lambda F, x: F.layer_norm(x, (9,), None, None, eps), [x], (0,))


def test_special_values():
    """Signed zeros of constant data, inf and NaN."""
    x = np.zeros((4, 3, 5), np.float32)
    x[0] = -0.0
    w, b = _arr(3, 1, 0), _arr(3, 1, 0)
    _compare(lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5), [x, w, b],
             (0, 1, 2))
    _compare(lambda F, x, w, b: F.group_norm(x, 3, w, b), [x, w, b], (0, 1, 2))
    _compare(lambda F, x: F.layer_norm(x, (5,)), [x], (0,))
    x = _arr((4, 3, 5))
    x[1, 1, 2], x[2, 0, 0] = np.inf, np.nan
    _compare(lambda F, x: F.layer_norm(x, (3, 5)), [x], (0,))
    _compare(lambda F, x, w, b: F.group_norm(x, 3, w, b), [x, w, b], (0, 1, 2))
