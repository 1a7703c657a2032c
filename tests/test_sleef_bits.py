"""Activations and softmax bit-identical to torch's float32 CPU kernels: SLEEF's vector math on
whole pairs of 16-lane vectors, glibc's on each contiguous run's scalar tail, oneDNN's gelu, the
kernels' reduction orders and FMAs (torchjax/_ops/_sleef.py), forward and gradient.

Subnormal floats are out of reach (XLA's CPU arithmetic flushes them): a value torch returns as
a subnormal may come back as zero, and the inputs here keep clear of them."""
import numpy as np
import pytest
import torch

import jax
import jax.numpy as jnp
import torchjax as tj
from torchjax._ops import _sleef as S

TINY = np.finfo(np.float32).tiny
SPECIAL = np.array([0., -0., 1., -1., 3., -3., 2.9999998, -2.9999998, 20., 20.000002, 19.999998,
                    5., 80., -80., 1e-30, -1e-30, 1e30, -1e30, np.inf, -np.inf, np.nan, 0.5,
                    -0.5, 8.7, -8.7, 16.6, -16.6, 1e-7, 100., 1000., -1000.], np.float32)


@pytest.fixture(autouse=True, scope="module")
def _same_threads():
    """The scalar tails sit at the ends of torch's per-thread chunks."""
    old = tj.get_num_threads()
    tj.set_num_threads(torch.get_num_threads())
    yield
    tj.set_num_threads(old)


def _mismatch(expected, actual, subnormal_ok=False):
    e = np.asarray(expected, np.float32)
    a = np.asarray(actual, np.float32)
    assert e.shape == a.shape
    bad = (e.view(np.int32) != a.view(np.int32)) & ~(np.isnan(e) & np.isnan(a))
    if subnormal_ok:   # torch's subnormal against XLA's flushed zero
        bad &= ~((np.abs(e) < TINY) & (np.abs(a) < TINY))
    return int(bad.sum())


def _data(shape, scale, seed, special=True):
    """Normal samples, clipped short of exp's subnormal range (|x| > 87), with SPECIAL at both
    ends (those of a run's scalar tail)."""
    rng = np.random.default_rng(seed)
    x = np.clip(rng.standard_normal(shape) * scale, -85, 85).astype(np.float32)
    if special and x.size >= SPECIAL.size:
        flat = x.reshape(-1)
        flat[:SPECIAL.size] = SPECIAL
        flat[-SPECIAL.size:] = SPECIAL[::-1]
    g = rng.standard_normal(shape).astype(np.float32)
    return x, g


def _fwd_bwd(f, x, g):
    res = []
    for m in (torch, tj):
        t = m.tensor(x, requires_grad=True)
        y = f(m, t)
        y.backward(m.tensor(g))
        res.append((y.detach().numpy(), t.grad.numpy()))
    return res


# ---------------------------------------------------------------- primitives

def test_fma_is_exact_and_mul_is_not_contracted():
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((2, 1 << 18)) * 3).astype(np.float32)
    c = (rng.standard_normal(1 << 18) * 1e-3).astype(np.float32)
    ld = np.longdouble
    exact = (a.astype(ld) * b.astype(ld) + c.astype(ld)).astype(np.float32)
    assert _mismatch(exact, jax.jit(S.fma)(a, b, c)) == 0
    assert _mismatch(a * b + c, jax.jit(lambda a, b, c: S.mul(a, b) + c)(a, b, c)) == 0


def test_glibc_ports_are_torchs_scalar_loop():
    """A strided input sends cpu_kernel_vec to its scalar loop for every element: glibc's
    expf, log1pf, expm1f and tanhf (through sigmoid, softplus, elu and mish)."""
    x = np.concatenate([_data(20000, s, i, special=False)[0] for i, s in enumerate((0.5, 4, 30))])
    x = np.concatenate([x, SPECIAL])
    xt = torch.from_numpy(np.repeat(x, 2))[::2]
    F = torch.nn.functional
    cases = [
        (torch.sigmoid(xt), lambda v: 1 / (1 + S.g_expf(-v))),
        (F.softplus(xt, 1, 1e30), lambda v: S.g_log1pf(S.g_expf(v)) / np.float32(1)),
        (F.elu(xt), lambda v: jnp.where(v <= 0, S.g_expm1f(v), v)),
        (F.mish(xt), lambda v: S.mul(v, S.g_tanhf(S.g_log1pf(S.g_expf(v))))),
    ]
    for want, model in cases:
        assert _mismatch(want.numpy(), jax.jit(model)(x), subnormal_ok=True) == 0


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sleef_ports_are_torchs_vector_loop():
    """Contiguous runs of a multiple of 32 elements: no scalar tail at all."""
    x = np.concatenate([_data(32 * 2048, s, i, special=False)[0] for i, s in enumerate((1, 8))])
    xt = torch.from_numpy(x)
    F = torch.nn.functional
    cases = [
        (torch.sigmoid(xt), lambda v: 1 / (1 + S.expf(-v))),                         # expf
        (F.logsigmoid(xt), lambda v: jnp.minimum(v, 0) - S.log1pf(S.expf(-jnp.abs(v)))),
        (F.elu(xt), lambda v: jnp.where(v > 0, v, S.expm1f(v))),                     # expm1f
        (F.gelu(xt, approximate="tanh"), lambda v: S.mul(S.mul(np.float32(0.5), v), 1 + S.tanhf(
            S.mul(np.float32(0.7978845608028654), S.fma(np.float32(0.044715),
                                                        S.mul(S.mul(v, v), v), v))))),
    ]
    for want, model in cases:
        assert _mismatch(want.numpy(), jax.jit(model)(x), subnormal_ok=True) == 0
    with torch.backends.mkldnn.flags(enabled=False):     # ATen's own erf (SLEEF's expf inside)
        want = F.gelu(xt).numpy()
    model = jax.jit(lambda v: S.mul(S.mul(v, np.float32(0.5)),
                                    1 + S.erf_vec(S.mul(v, np.float32(np.sqrt(0.5))))))
    assert _mismatch(want, model(x), subnormal_ok=True) == 0


def test_kernel_scalar_tails_follow_torchs_thread_chunks():
    assert list(S.scalar_idx(31)) == list(range(31))
    assert list(S.scalar_idx(70)) == list(range(64, 70))
    n = S.GRAIN + 77
    if torch.get_num_threads() > 1:
        ch = -(-n // min(torch.get_num_threads(), -(-n // S.GRAIN)))
        assert S.scalar_idx(n)[0] == ch // 32 * 32


# ---------------------------------------------------------------- activations

def _F(name, *args, **kw):
    return lambda m, x: getattr(m.nn.functional, name)(x, *args, **kw)


ACTIVATIONS = [
    ("sigmoid", lambda m, x: m.sigmoid(x), 4),
    ("silu", _F("silu"), 4),
    ("softplus", _F("softplus"), 8),
    ("softplus_beta", _F("softplus", 2.0, 5.0), 4),
    ("logsigmoid", _F("logsigmoid"), 8),
    ("elu", _F("elu"), 4),
    ("elu_alpha", _F("elu", 0.7), 4),
    ("selu", _F("selu"), 4),
    ("celu", _F("celu", 1.3), 4),
    ("gelu", _F("gelu"), 3),
    ("gelu_tanh", _F("gelu", approximate="tanh"), 3),
    ("mish", _F("mish"), 4),
    ("hardswish", _F("hardswish"), 4),
    ("hardsigmoid", _F("hardsigmoid"), 4),
]
SHAPES = [(1,), (7,), (33, 47), (3, 23339)]    # all scalar; a tail; tails per thread chunk


@pytest.mark.parametrize("name,f,scale", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_forward_and_grad_bits(name, f, scale):
    for i, shape in enumerate(SHAPES):
        x, g = _data(shape, scale, i)
        (yt, gt), (yj, gj) = _fwd_bwd(f, x, g)
        assert _mismatch(yt, yj, subnormal_ok=True) == 0, f"{name} {shape} forward"
        assert _mismatch(gt, gj, subnormal_ok=True) == 0, f"{name} {shape} grad"


@pytest.mark.parametrize("name,kw", [("elu", {}), ("selu", {}), ("celu", {"alpha": 1.3})])
def test_inplace_elu_family_grad_from_result(name, kw):
    """EluBackward1 / CeluBackward1: elu_backward with is_result=True."""
    x, g = _data((37, 29), 3, 5)
    res = []
    for m in (torch, tj):
        t = m.tensor(x, requires_grad=True)
        out = getattr(m.nn.functional, name)(t * 1, inplace=True, **kw)
        out.backward(m.tensor(g))
        res.append((out.detach().numpy(), t.grad.numpy(), type(out.grad_fn).__name__))
    assert res[0][2] == res[1][2]
    assert _mismatch(res[0][0], res[1][0]) == 0
    assert _mismatch(res[0][1], res[1][1]) == 0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_gelu_half_types(dtype):
    """bfloat16 goes to oneDNN, float16 to ATen's kernel in float."""
    x, g = _data((64, 100), 3, 9, special=False)
    res = []
    for m in (torch, tj):
        t = m.tensor(x).to(getattr(m, dtype)).requires_grad_()
        y = m.nn.functional.gelu(t)
        y.float().backward(m.tensor(g))
        res.append((y.detach().float().numpy(), t.grad.float().numpy()))
    assert _mismatch(res[0][0], res[1][0]) == 0
    assert _mismatch(res[0][1], res[1][1]) == 0


# ---------------------------------------------------------------- softmax / log_softmax

SOFTMAX = [((5,), 0), ((37, 1), -1), ((37, 15), -1), ((29, 1000), -1), ((8, 33), 0),
           ((4, 10, 7, 7), 1), ((2, 33, 40), 1), ((40, 3, 1), 1), ((2, 300, 50), 1),
           ((3, 17, 16), 0), ((1, 3, 35001), 1)]


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SOFTMAX, ids=str)
def test_softmax_forward_and_grad_bits(shape, dim, log):
    """Last dim: vec::reduce_all's lane order, SLEEF exp/log, times the reciprocal sum. Other
    dims: running sums along the dim, glibc's exp on positions outside whole vectors (inner-row
    and thread-chunk ends; log_softmax: the ends of 128 KiB chunks)."""
    x, g = _data(shape, 4, len(shape) + shape[0], special=False)
    name = "log_softmax" if log else "softmax"
    (yt, gt), (yj, gj) = _fwd_bwd(lambda m, t: getattr(m, name)(t, dim), x, g)
    assert _mismatch(yt, yj, subnormal_ok=True) == 0
    assert _mismatch(gt, gj, subnormal_ok=True) == 0


def test_softmax_special_values():
    x = np.array([[0., -0., 1., np.inf, 2.], [-np.inf, 0., 1., 2., 3.], [np.nan, 1., 2., 3., 4.],
                  [-np.inf] * 5], np.float32)
    for name in ("softmax", "log_softmax"):
        for dim in (0, 1):
            want = getattr(torch, name)(torch.tensor(x), dim).numpy()
            assert _mismatch(want, getattr(tj, name)(tj.tensor(x), dim).numpy()) == 0
