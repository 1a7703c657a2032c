"""torch.optim's updates bit-identical to torch 2.13's CPU single-tensor implementations
(``_single_tensor_*``, torch's default on the CPU), parameters and every state, over several steps.

What is compared bitwise, and how:
- torch takes its CPU ``sqrt`` from MKL's VML, 1 ulp off IEEE in ~20% of float32 elements
  (torchjax's is IEEE). ``test_bitwise_ieee_sqrt`` swaps torch's ``Tensor.sqrt`` / ``sqrt_`` for
  an IEEE one while torch steps: everything else (fused multiply-adds, separately rounded
  products, IEEE divisions, lerp, float32 scalars, norms) is then compared bitwise, parameters
  and states, for every optimizer and option, float32 / float64 / complex64, arrays with short
  innermost dims (conv weights, where LLVM's contraction is unreliable) included.
- With torch's own sqrt: optimizers without a sqrt (SGD, ASGD, Rprop, Adamax, Adafactor, whose
  rsqrt and norms are IEEE) are bitwise; the sqrt-free states of the others (exp_avg, square_avg,
  grad_avg, sum, ...) are bitwise over many steps and their parameters close; one step with
  hyperparameters that make the sqrt's argument a rounded square (whose sqrt VML gets exact,
  checked first) is bitwise parameters included.
"""
import contextlib
import zlib

import numpy as np
import pytest
import torch

import torchjax as tj

SHAPES = ((37, 29), (1001,), (16, 3), (8, 4, 3, 3), (5, 1, 3), (24, 7), (40, 1), (7,), ())
SMALL = ((33, 17), (64,), (16, 3), (6, 5, 3), (3,))


@contextlib.contextmanager
def ieee_sqrt():
    """torch's Tensor.sqrt / sqrt_ as IEEE sqrt (numpy's), for torch's single-tensor code."""
    saved = torch.Tensor.sqrt, torch.Tensor.sqrt_

    def sqrt(t):
        return torch.from_numpy(np.asarray(np.sqrt(t.detach().numpy())))

    def sqrt_(t):
        return t.copy_(sqrt(t))
    torch.Tensor.sqrt, torch.Tensor.sqrt_ = sqrt, sqrt_
    try:
        yield
    finally:
        torch.Tensor.sqrt, torch.Tensor.sqrt_ = saved


def _draw(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x).astype(dtype)


def _run(name, kw, steps, dtype=np.float32, shapes=SHAPES, ieee=True, seed=None, grads=None):
    """The same parameters and gradients through torch's and torchjax's optimizer."""
    rng = np.random.default_rng(zlib.crc32(f"{name}{kw}{dtype}".encode()) if seed is None
                                else seed)
    vals = [_draw(rng, s, dtype) for s in shapes]
    tp = [torch.nn.Parameter(torch.tensor(v)) for v in vals]
    jp = [tj.nn.Parameter(tj.tensor(v)) for v in vals]
    topt, jopt = getattr(torch.optim, name)(tp, **kw), getattr(tj.optim, name)(jp, **kw)
    for k in range(steps):
        for a, b in zip(tp, jp):
            g = grads(rng, a.shape, k) if grads else _draw(rng, tuple(a.shape), dtype)
            a.grad, b.grad = torch.tensor(g), tj.tensor(g)
        with ieee_sqrt() if ieee else contextlib.nullcontext():
            topt.step()
        jopt.step()
    return tp, jp, topt, jopt


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach())


def _same_bits(a, b, what):
    a, b = np.atleast_1d(_np(a)), np.atleast_1d(_np(b))
    assert a.dtype == b.dtype and a.shape == b.shape, what
    diff = a.view(np.uint8).reshape(a.size, -1) != b.view(np.uint8).reshape(b.size, -1)
    bad = diff.any(-1)
    assert not bad.any(), f"{what}: {bad.mean():.4f} of the elements differ"


def _all_bits(tp, jp, topt, jopt, skip=()):
    for i, (a, b) in enumerate(zip(tp, jp)):
        _same_bits(a, b, f"param {i} {tuple(a.shape)}")
        ts, js = topt.state[a], jopt.state[b]
        assert set(ts) == set(js), (set(ts), set(js))
        for k, v in ts.items():
            if isinstance(v, torch.Tensor) and k not in skip:
                _same_bits(v, js[k], f"state {k!r} of param {i} {tuple(a.shape)}")


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, betas=(0.3, 0.9))),          # lerp weight >= 0.5
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True, betas=(0.2, 0.9))),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),                                           # rectified from step 6
    ("RAdam", dict(lr=0.01, weight_decay=0.1, betas=(0.6, 0.9))),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1,
                     maximize=True)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1, rho=0.8, maximize=True)),
    ("ASGD", dict(lr=0.01)),
    ("ASGD", dict(lr=0.01, t0=2, weight_decay=0.1, lambd=0.01, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.01, maximize=True, etas=(0.3, 1.7), step_sizes=(1e-3, 2e-2))),
    ("Adafactor", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.01, weight_decay=0.1, beta2_decay=-0.5, d=1.5, eps=(1e-10, 1e-3),
                       maximize=True)),
]


def _id(c):
    return c[0] + "-" + ",".join(f"{k}={v}" for k, v in c[1].items())


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_bitwise_ieee_sqrt(name, kw):
    _all_bits(*_run(name, kw, 8))


F64 = [c for c in CONFIGS if c[1].get("weight_decay") or c[0] in ("Rprop", "RMSprop")]
CPLX = [c for c in F64 if c[0] != "Adafactor"]


@pytest.mark.parametrize("name,kw", F64, ids=[_id(c) for c in F64])
def test_bitwise_ieee_sqrt_float64(name, kw):
    _all_bits(*_run(name, kw, 6, np.float64, SMALL))


@pytest.mark.parametrize("name,kw", CPLX, ids=[_id(c) for c in CPLX])
def test_bitwise_ieee_sqrt_complex64(name, kw):
    """Complex parameters update as real pairs, except the ops torch runs on the complex tensors
    before view_as_real (all of SGD; Adam's, Adamax's, RMSprop's, Adagrad's and Adadelta's
    weight decay), whose complex kernels round the product before adding."""
    _all_bits(*_run(name, kw, 6, np.complex64, [s for s in SMALL if s]))


NO_SQRT = [c for c in CONFIGS if c[0] in ("SGD", "ASGD", "Rprop", "Adamax", "Adafactor")]


@pytest.mark.parametrize("name,kw", NO_SQRT, ids=[_id(c) for c in NO_SQRT])
def test_bitwise_torch_sqrt_no_sqrt_optimizers(name, kw):
    _all_bits(*_run(name, kw, 8, ieee=False))


@pytest.mark.parametrize("name,kw", [
    ("Adam", dict(lr=0.01, betas=(0.9, 0.75))),
    ("Adam", dict(lr=0.01, betas=(0.9, 0.75), amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, betas=(0.9, 0.75))),
    ("NAdam", dict(lr=0.01, betas=(0.9, 0.75))),
    ("RMSprop", dict(lr=0.01, alpha=0.75)),
    ("RMSprop", dict(lr=0.01, alpha=0.75, momentum=0.9, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
])
def test_bitwise_torch_sqrt_one_step_rounded_squares(name, kw):
    """After one step the sqrt's argument is RN(c * g * g) with c a power of two: a rounded
    square, whose IEEE sqrt is exactly |sqrt(c) * g|; torch's VML sqrt gets these exact too
    (checked here first), so parameters compare bitwise with torch's own sqrt."""
    g = torch.tensor(np.random.default_rng(1).standard_normal(4096).astype(np.float32))
    h = g * 0.5
    if not torch.equal((h * h).sqrt(), h.abs()):
        pytest.skip("this torch's sqrt is not exact on rounded squares")
    _all_bits(*_run(name, kw, 1, ieee=False))


SQRT_FREE = {"Adam": ("exp_avg", "exp_avg_sq"), "AdamW": ("exp_avg", "exp_avg_sq"),
             "NAdam": ("exp_avg", "exp_avg_sq", "mu_product"), "RAdam": ("exp_avg", "exp_avg_sq"),
             "RMSprop": ("square_avg", "grad_avg"), "Adagrad": ("sum",),
             "Adadelta": ("square_avg",)}


@pytest.mark.parametrize("name,kw", [
    ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.3, 0.9))), ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)), ("Adadelta", dict(lr=1.0)),
])
def test_torch_sqrt_many_steps(name, kw):
    """With torch's own sqrt: the states that do not depend on the parameters (no weight decay)
    stay bitwise over many steps; the parameters stay within a few ulps of the update."""
    tp, jp, topt, jopt = _run(name, kw, 12, ieee=False, shapes=SMALL)
    for i, (a, b) in enumerate(zip(tp, jp)):
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-6, atol=1e-7)
        for k in SQRT_FREE[name]:
            _same_bits(topt.state[a][k], jopt.state[b][k], f"{name} state {k} param {i}")


def test_raw_torch_sqrt_is_not_ieee():
    """Why the comparisons above swap torch's sqrt: if this ever fails, torch's CPU sqrt became
    IEEE and the swap (and the tolerance) can go."""
    x = torch.rand(4096) * 4 + 0.25
    if torch.equal(x.sqrt(), torch.from_numpy(np.sqrt(x.numpy()))):
        pytest.skip("torch's sqrt is IEEE on this machine")


# ---- the exact multiply-add emulation itself


def _exact_fma(x, y, z):
    """x * y + z correctly rounded to x's type (Fractions; float32 picked among the neighbours
    of a float64 rounding, nearest, ties to even)."""
    from fractions import Fraction
    dt = x.dtype
    out = []
    for a, b, c in zip(x.ravel(), y.ravel(), z.ravel()):
        e = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
        r = dt.type(float(e))
        if dt == np.float32:
            near = [np.nextafter(r, dt.type(-np.inf)), r, np.nextafter(r, dt.type(np.inf))]
            r = min(near, key=lambda v: (abs(Fraction(float(v)) - e),
                                         int(np.array(v).view(np.uint32)) & 1))
        out.append(r)
    return np.array(out, dt).reshape(x.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (16, 3), (4, 4, 3, 3), (2, 7)])
def test_fma_emulation_correctly_rounded(dtype, shape):
    """functional.fma on short innermost dims: correctly rounded (float32 rounded to odd in
    float64, float64 by Boldo & Melquiond's algorithm), including the double-rounding cases a
    plain float64 sum gets wrong."""
    from torchjax._jit import jit
    from torchjax.optim import optimizer as O
    from torchjax.optim._functional import fma
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(shape).astype(dtype)
    z = (rng.standard_normal(shape) * 2.0 ** rng.integers(-40, 40, shape)).astype(dtype)
    if dtype == np.float32:
        # x * y + z = 1 + 2^-23 + 2^-24 - 2^-64: rounded to float64 it is a float32 tie, which
        # rounds to even, up; the exact value rounds down
        x.flat[0], y.flat[0], z.flat[0] = 2.0 ** -12 * (1 + 2.0 ** -20), \
            2.0 ** -12 * (1 - 2.0 ** -20), 1 + 2.0 ** -23
        naive = (x.astype(np.float64) * y + z.astype(np.float64)).astype(dtype)
        assert naive.flat[0] == 1 + 2.0 ** -22
    ref = _exact_fma(x, y, z)
    if dtype == np.float32:
        assert ref.flat[0] == 1 + 2.0 ** -23

    def f(a, b, c, zero):
        O._TRACING.zero = zero
        try:
            return fma(a, b, c)
        finally:
            O._TRACING.zero = None
    out = np.asarray(jit(f)(x, y, z, np.int32(0)))
    assert out.dtype == dtype and np.array_equal(out.view(np.uint8), ref.view(np.uint8))


def test_one_jit_per_group_still():
    """The whole step stays one jitted call per group (complex and short-dim params included)."""
    from torchjax.optim import optimizer as O
    ps = [tj.nn.Parameter(tj.randn(16, 3)), tj.nn.Parameter(tj.randn(5)),
          tj.nn.Parameter(tj.randn(4, dtype=tj.complex64))]
    opt = tj.optim.Adam(ps, lr=0.1, weight_decay=0.1)
    for p in ps:
        p.grad = tj.ones_like(p)
    # the jit cache is per process: other tests may have traced this group's kernel already
    O._JIT.pop((tj.optim.Adam.apply_single, opt.static(opt.param_groups[0])), None)
    opt.step()
    f = O._jitted(tj.optim.Adam.apply_single, opt.static(opt.param_groups[0]))
    n = f._cache_size()
    assert n == 1
    for lr in (0.01, 0.02):
        opt.param_groups[0]["lr"] = lr
        opt.step()
    assert f._cache_size() == n
