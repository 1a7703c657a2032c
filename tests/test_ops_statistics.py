"""Statistics and spectral ops (quantile, cov, corrcoef, histogram(dd), isin, frexp, renorm,
gradient, the window functions, stft/istft) compared against real torch: values, dtypes,
gradients, grad_fn names and error types/messages, for the cases the OpInfo samples miss."""
import warnings

import numpy as np
import pytest
import torch

import torchjax as tj

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
RNG = np.random.default_rng(0)


def _conv(lib, v, rg):
    if isinstance(v, np.ndarray):
        t = lib.from_numpy(v.copy()) if lib is torch else lib.tensor(v)
        if rg and v.dtype.kind in "fc":
            t.requires_grad_(True)
        return t
    if isinstance(v, (list, tuple)):
        return type(v)(_conv(lib, a, rg) for a in v)
    if isinstance(v, dict):
        return {k: _conv(lib, a, rg) for k, a in v.items()}
    return v


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for v in x for y in _flat(v)]
    return [x]


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach()._value)


def _leaves(x):
    return [t for t in _flat(x) if hasattr(t, "requires_grad") and t.requires_grad]


def _close(a, b, what=""):
    assert str(a.dtype).removeprefix("torch.") == str(b.dtype).removeprefix("torch."), what
    assert tuple(a.shape) == tuple(b.shape), what
    x, y = _np(a), _np(b)
    tol = dict(rtol=1.3e-6, atol=1e-5) if x.dtype in (np.float32, np.complex64) else \
        dict(rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(y, x, equal_nan=True, err_msg=what, **tol)


def both(f, *args, grad=False, name=None, **kwargs):
    """Run f(lib, *args, **kwargs) on torch and torchjax; compare outputs (and input grads)."""
    ins = {lib: (_conv(lib, args, grad), _conv(lib, kwargs, grad)) for lib in (torch, tj)}
    outs = {lib: f(lib, *a, **k) for lib, (a, k) in ins.items()}
    assert type(outs[torch]).__name__ == type(outs[tj]).__name__
    exp, got = _flat(outs[torch]), _flat(outs[tj])
    assert len(exp) == len(got)
    for e, g in zip(exp, got):
        _close(e, g, "forward")
    if name is not None:
        assert type(got[0].grad_fn).__name__ == type(exp[0].grad_fn).__name__ == name
    if grad:
        for lib in (torch, tj):
            loss = 0
            for i, o in enumerate(_flat(outs[lib])):
                if o.requires_grad:
                    ct = np.cos(np.arange(o.numel()) + i).reshape(tuple(o.shape))
                    loss = loss + (o * lib.tensor(ct.astype(_np(o).real.dtype))).real.sum()
            loss.backward()
        for e, g in zip(_leaves(ins[torch]), _leaves(ins[tj])):
            assert (e.grad is None) == (g.grad is None), "grad presence"
            if e.grad is not None:
                _close(e.grad, g.grad, "grad")
    return outs[tj]


def raises(f, *args, prefix=False, **kwargs):
    """Both libraries raise the same exception type with the same message (or its start)."""
    res = {}
    for lib in (torch, tj):
        a, k = _conv(lib, args, False), _conv(lib, kwargs, False)
        with pytest.raises(Exception) as e:
            f(lib, *a, **k)
        res[lib] = e
    assert res[tj].type is res[torch].type, (res[tj].value, res[torch].value)
    msg, exp = str(res[tj].value), str(res[torch].value)
    assert exp.startswith(msg) if prefix else msg == exp


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- quantile

X34 = randn(3, 4)


@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_interpolations(interp):
    q = np.array([0.0, 0.25, 0.5, 1.0], np.float32)
    both(lambda L, x, q: L.quantile(x, q, dim=1, keepdim=True, interpolation=interp), X34, q,
         grad=True, name="SqueezeBackward4")
    both(lambda L, x: L.nanquantile(x, 0.4, interpolation=interp), X34, grad=True)


def test_quantile_nan_and_forms():
    x = X34.copy()
    x[0, 1] = np.nan
    x[2, :] = np.nan
    both(lambda L, x: L.quantile(x, 0.3, dim=1), x)
    both(lambda L, x: L.nanquantile(x, 0.3, dim=1), x)
    both(lambda L, x: L.nanquantile(x, np.float32(0.7)), x)
    both(lambda L, x: x.quantile(0.5, dim=0, keepdim=True), X34.astype(np.float64), grad=True)
    both(lambda L, x: L.quantile(x, 0.5, dim=0), np.array(2.0, np.float32))
    out = tj.empty(2)
    r = tj.quantile(tj.tensor(X34), tj.tensor([0.1, 0.9]), out=out)
    assert r is out and np.allclose(_np(out), np.quantile(X34, [0.1, 0.9]), atol=1e-6)


def test_quantile_errors():
    x = X34
    raises(lambda L, x: L.quantile(x, 1.5), x)
    raises(lambda L, x: L.quantile(x, L.tensor([1.5])), x)
    raises(lambda L, x: L.quantile(x, L.tensor([0.5], dtype=L.float64)), x)
    raises(lambda L, x: L.quantile(x.long(), 0.5), x)
    raises(lambda L, x: L.quantile(L.empty(0), 0.5), x)
    raises(lambda L, x: L.quantile(x, L.ones(2, 2) / 2), x)
    raises(lambda L, x: L.quantile(x, 0.5, interpolation="foo"), x)
    raises(lambda L, x: L.quantile(x, 0.5, dim=5), x)
    raises(lambda L, x: L.quantile(x, 0.5, out=L.empty(0, dtype=L.float64)), x)


# ---------------------------------------------------------------- cov / corrcoef

def test_cov_weights():
    x = randn(3, 5)
    fw = np.array([1, 2, 0, 3, 1], np.int64)
    aw = np.abs(randn(5)) + 0.1
    both(lambda L, x: L.cov(x), x, grad=True, name="SqueezeBackward0")
    both(lambda L, x, fw, aw: L.cov(x, correction=0, fweights=fw, aweights=aw), x, fw, aw,
         grad=True)
    both(lambda L, x, aw: x.cov(correction=2, aweights=aw), x, aw.astype(np.float64))
    both(lambda L, x: L.cov(x), np.arange(6).reshape(2, 3))
    both(lambda L, x: L.cov(x), randn(5), grad=True)
    both(lambda L, x: L.cov(x, correction=5), x)  # degrees of freedom <= 0: zero divisor


def test_cov_errors():
    x = randn(3, 4)
    raises(lambda L, x: L.cov(L.zeros(2, 3, 4)), x)
    raises(lambda L, x: L.cov(L.ones(3, dtype=L.bool)), x)
    raises(lambda L, x: L.cov(x, fweights=L.ones(4)), x)
    raises(lambda L, x: L.cov(x, fweights=L.ones(3, dtype=L.long)), x)
    raises(lambda L, x: L.cov(x, fweights=-L.ones(4, dtype=L.long)), x)
    raises(lambda L, x: L.cov(x, aweights=L.ones(4, dtype=L.long)), x)
    raises(lambda L, x: L.cov(x, aweights=-L.ones(4)), x)
    raises(lambda L, x: L.cov(x, aweights=L.zeros(4)), x)
    raises(lambda L, x: L.cov(x, fweights=L.ones(2, 2, dtype=L.long)), x)


def test_corrcoef():
    both(lambda L, x: L.corrcoef(x), randn(3, 6), grad=True, name="ClampBackward1")
    both(lambda L, x: x.corrcoef(), randn(6), grad=True, name="DivBackward0")
    both(lambda L, x: L.corrcoef(x), randn(2, 4) + 1j * randn(2, 4))
    raises(lambda L, x: L.corrcoef(x), randn(2, 3, 4))


# ---------------------------------------------------------------- isin

def test_isin():
    e = np.array([[1, 2, 3], [4, 5, 6]])
    t = np.array([2, 6, 9])
    both(lambda L, e, t: L.isin(e, t), e, t)
    both(lambda L, e, t: L.isin(e, t, invert=True, assume_unique=True), e, t)
    both(lambda L, e: L.isin(e, 5), e)
    both(lambda L, t: L.isin(6, t), t)
    both(lambda L, e, t: L.isin(e, t), e.astype(np.float32), t)
    f = np.array([np.nan, -0.0, 1.5], np.float32)
    both(lambda L, e, t: L.isin(e, t), f, np.array([0.0, np.nan], np.float32))
    both(lambda L, e, t: L.isin(e, t), np.arange(3000) % 97, np.arange(0, 3000, 7))  # sort path
    out = tj.empty(2, 3, dtype=tj.bool)
    assert tj.isin(tj.tensor(e), tj.tensor(t), out=out) is out
    raises(lambda L: L.isin(1.0, 2.0), prefix=True)  # torch then lists its signatures
    raises(lambda L, x: L.isin(x + 0j, x), randn(3))
    raises(lambda L, x: L.isin(x, x), np.array([True, False]))


# ---------------------------------------------------------------- frexp

def test_frexp():
    x = np.array([0.0, -0.0, 1.0, -3.5, 1e-40, 1e30, np.inf, -np.inf, np.nan], np.float32)
    r = both(lambda L, x: L.frexp(x), x)
    assert type(r).__name__ == "frexp" and r.exponent.dtype == tj.int32
    both(lambda L, x: x.frexp(), randn(5).astype(np.float64) * 100)
    both(lambda L, x: L.frexp(x), randn(4) * 10, grad=True, name="FrexpBackward0")
    m, e = tj.empty(3), tj.empty(3, dtype=tj.int32)
    r = tj.frexp(tj.tensor([1.0, 2.0, 3.0]), out=(m, e))
    assert type(r).__name__ == "frexp_out" and r.mantissa is m
    assert _np(m).tolist() == [0.5, 0.5, 0.75] and _np(e).tolist() == [1, 2, 2]
    raises(lambda L, x: L.frexp(x), np.arange(3))


# ---------------------------------------------------------------- renorm

def test_renorm():
    x = randn(3, 4, 2) * 3
    both(lambda L, x: L.renorm(x, 2, 0, 1.5), x, grad=True, name="RenormBackward0")
    both(lambda L, x: x.renorm(1, -1, 2.0), x, grad=True)
    both(lambda L, x: L.renorm(x, float("inf"), 1, 1.0), x, grad=True)
    both(lambda L, x: L.renorm(x, 2, 0, 1.0), randn(2, 3) + 1j * randn(2, 3))
    t = both(lambda L, x: x.clone().renorm_(3, 1, 0.5), x, grad=True, name="RenormBackward0")
    assert t.shape == (3, 4, 2)
    for args in [(2, 0, -1.0), (0, 0, 1.0), (-1, 0, 1.0), (2, 5, 1.0)]:
        raises(lambda L, x: L.renorm(x, *args), randn(3, 4))
    raises(lambda L, x: L.renorm(x, 2, 0, 1.0), randn(3))
    raises(lambda L, x: L.renorm(x, 2, 0, 1.0), np.arange(6).reshape(2, 3))


# ---------------------------------------------------------------- gradient

@pytest.mark.parametrize("edge", [1, 2])
def test_gradient(edge):
    x = randn(4, 5)
    r = both(lambda L, x: L.gradient(x, edge_order=edge), x, grad=True, name="CatBackward0")
    assert isinstance(r, tuple) and len(r) == 2
    both(lambda L, x: L.gradient(x, spacing=2.0, dim=1, edge_order=edge), x, grad=True)
    both(lambda L, x: L.gradient(x, spacing=[0.5, 3], edge_order=edge), x)
    c = np.array([0.0, 1.0, 1.5, 3.5], np.float32)
    both(lambda L, x, c: L.gradient(x, spacing=[c], dim=0, edge_order=edge), x, c, grad=True)
    both(lambda L, x, c: L.gradient(x, spacing=(c,), dim=[-2], edge_order=edge), x,
         c.astype(np.float64))
    both(lambda L, x: L.gradient(x, spacing=2), np.arange(6) ** 2)
    both(lambda L, x, c: L.gradient(x, spacing=[c], dim=0, edge_order=edge),
         np.arange(4) ** 2, np.array([0, 1, 3, 4]))


def test_gradient_errors():
    x = randn(3, 4)
    raises(lambda L, x: L.gradient(x, spacing=[1.0, 2.0, 3.0]), x)
    raises(lambda L, x: L.gradient(x, spacing=[1.0, 2.0], dim=1), x)
    raises(lambda L, x: L.gradient(x, edge_order=3), x)
    raises(lambda L, x: L.gradient(x, dim=[0, 0]), x)
    raises(lambda L, x: L.gradient(x, dim=2), x)
    raises(lambda L, x: L.gradient(x, edge_order=2), randn(2, 4))
    raises(lambda L, x: L.gradient(x, spacing=[L.ones(3, 1)], dim=0), x)
    raises(lambda L, x: L.gradient(x.to(L.uint8)), x)


# ---------------------------------------------------------------- histogram / histogramdd

def test_histogram():
    x = randn(40)
    w = np.abs(randn(40))
    r = both(lambda L, x: L.histogram(x, 5), x)
    assert type(r).__name__ == "histogram"
    both(lambda L, x, w: x.histogram(4, range=(-1.0, 1.0), weight=w, density=True), x, w)
    both(lambda L, x, b: L.histogram(x, b), x, np.array([-2.0, -0.5, 0.0, 3.0], np.float32))
    both(lambda L, x: L.histogram(x, 3, density=True), randn(3, 5).astype(np.float64))
    both(lambda L, x: L.histogram(x, 3), np.full(5, 2.0, np.float32))  # widened range
    both(lambda L, x: L.histogram(x, 3), np.zeros(0, np.float32))
    both(lambda L, x: L.histogram(x, 2, range=(0.0, 1.0)), np.array([0, 0.5, 1, 2, -1, np.nan],
                                                                     np.float32))
    for lib in (torch, tj):  # torch records a node whose derivative is not implemented
        h = lib.histogram(lib.tensor([0.5, 1.0]), 2, weight=lib.ones(2, requires_grad=True))
        assert h.hist.requires_grad and type(h.bin_edges.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::histogram is not impl"):
            h.hist.sum().backward()
    hist, edges = tj.empty(3), tj.empty(4)
    r = tj.histogram(tj.tensor(x), 3, out=(hist, edges))
    assert type(r).__name__ == "histogram_out" and r[0] is hist and np.allclose(_np(edges), np.histogram(x, 3)[1], atol=1e-6)


def test_histogram_errors():
    x = randn(3, 4)
    raises(lambda L, x: L.histogram(x.long(), 3), x)
    raises(lambda L, x: L.histogram(x, 0), x)
    raises(lambda L, x: L.histogram(x, 3, range=(1.0, 0.0)), x)
    raises(lambda L, x: L.histogram(x, 3, range=(0.0, float("inf"))), x)
    raises(lambda L, x: L.histogram(x, L.tensor([0.0, 1.0], dtype=L.float64)), x)
    raises(lambda L, x: L.histogram(x, L.tensor([[0.0, 1.0]])), x)
    raises(lambda L, x: L.histogram(x, L.tensor([])), x)
    raises(lambda L, x: L.histogram(x, 3, weight=L.ones(5)), x)
    raises(lambda L, x: L.histogram(x, 3, weight=L.ones(3, 4, dtype=L.float64)), x)
    raises(lambda L, x: L.histogram(x * float("nan"), 3), x)


def test_histogramdd():
    x = randn(30, 2)
    r = both(lambda L, x: L.histogramdd(x, [3, 4]), x)
    assert type(r).__name__ == "histogramdd" and isinstance(r.bin_edges, tuple)
    both(lambda L, x: L.histogramdd(x, 2, range=[-1.0, 1.0, -2.0, 2.0], density=True), x)
    b = [np.array([-1.0, 0.0, 1.0], np.float32), np.array([-3.0, 3.0], np.float32)]
    w = np.abs(randn(5, 6))
    both(lambda L, x, b, w: L.histogramdd(x, b, weight=w), randn(5, 6, 2), b, w)
    raises(lambda L, x: L.histogramdd(x, 3), randn(4))
    raises(lambda L, x: L.histogramdd(x, [3, 3, 3]), x)
    raises(lambda L, x: L.histogramdd(x, 3, range=[0.0, 1.0]), x)
    raises(lambda L, x: L.histogramdd(x, [L.ones(2)]), x)


# ---------------------------------------------------------------- windows

@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "bartlett", "kaiser"])
def test_windows(name):
    f = name + "_window"
    for n in (0, 1, 2, 7):
        for periodic in (True, False):
            both(lambda L: getattr(L, f)(n, periodic))
    both(lambda L: getattr(L, f)(6, dtype=L.float64))
    w = getattr(tj, f)(4, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    raises(lambda L: getattr(L, f)(-1))
    raises(lambda L: getattr(L, f)(3, dtype=L.long))


def test_window_params_and_signal_windows():
    both(lambda L: L.hamming_window(8, False, 0.3, 0.2))
    both(lambda L: L.kaiser_window(9, True, 3.5))
    w = both(lambda L: L.signal.windows.gaussian(7, std=2.0, requires_grad=True),
             name="ExpBackward0")
    assert not w.is_leaf
    both(lambda L: L.signal.windows.exponential(6, center=1.0, sym=False))
    raises(lambda L: L.signal.windows.hann(-1))
    raises(lambda L: L.signal.windows.kaiser(4, beta=-1.0))


# ---------------------------------------------------------------- stft / istft

def test_stft_forms():
    x, w = randn(2, 40), np.hanning(10).astype(np.float32)
    both(lambda L, x, w: L.stft(x, 10, window=w, return_complex=True), x, w, grad=True,
         name="TransposeBackward1")
    both(lambda L, x: x.stft(8, return_complex=False), x[0], grad=True,
         name="ViewAsRealBackward0")
    both(lambda L, x, w: L.stft(x, 16, hop_length=3, win_length=10, window=w, onesided=False,
                                normalized=True, pad_mode="constant", return_complex=True),
         x[0], w, grad=True, name="SqueezeBackward4")
    both(lambda L, x, w: L.stft(x, 12, win_length=10, window=w, center=False,
                                align_to_window=True, return_complex=True), x, w)
    both(lambda L, x: L.stft(x, 8, pad_mode="circular", return_complex=True), x)
    xc = randn(30) + 1j * randn(30)
    both(lambda L, x: L.stft(x, 8, hop_length=4), xc.astype(np.complex64), grad=True)


def test_stft_errors():
    x = randn(2, 20)
    raises(lambda L, x: L.stft(x, 8), x)
    raises(lambda L, x: L.stft(x, 8, return_complex=True, window=L.ones(5)), x)
    raises(lambda L, x: L.stft(x, 30, return_complex=True, center=False), x)
    raises(lambda L, x: L.stft(x, 8, hop_length=0, return_complex=True), x)
    raises(lambda L, x: L.stft(x, 8, win_length=9, return_complex=True), x)
    raises(lambda L, x: L.stft(x.long(), 8, return_complex=True), x)
    raises(lambda L, x: L.stft(L.zeros(2, 2, 20), 8, return_complex=True), x)
    raises(lambda L, x: L.stft(x + 0j, 8, onesided=True), x)
    raises(lambda L, x: L.stft(x, 8, return_complex=True, align_to_window=True), x)


def test_istft():
    x, w = randn(2, 40), np.hanning(10).astype(np.float32) + 0.1
    spec = torch.stft(torch.from_numpy(x), 10, window=torch.from_numpy(w),
                      return_complex=True).numpy()
    r = both(lambda L, s, w: L.istft(s, 10, window=w), spec, w, grad=True, name="DivBackward0")
    np.testing.assert_allclose(_np(r), x, atol=1e-5)
    both(lambda L, s, w: L.istft(s, 10, window=w, length=37), spec[0], w, grad=True,
         name="SqueezeBackward1")
    both(lambda L, s, w: L.istft(s, 10, window=w, length=60), spec, w, grad=True,
         name="ConstantPadNdBackward0")
    full = torch.stft(torch.from_numpy(x), 10, window=torch.from_numpy(w), onesided=False,
                      return_complex=True).numpy()
    both(lambda L, s, w: L.istft(s, 10, window=w, onesided=False, normalized=True), full, w)
    both(lambda L, s, w: L.istft(s, 10, window=w, return_complex=True), full, w)
    both(lambda L, s: L.istft(s, 10, hop_length=5, center=False), spec[:, :, :3], grad=True)


def test_istft_errors():
    spec = torch.stft(torch.randn(2, 20), 8, window=torch.hann_window(8),
                      return_complex=True).numpy()
    raises(lambda L, s: L.istft(s.real, 8), spec)
    raises(lambda L, s: L.istft(s, 8, hop_length=9), spec)
    raises(lambda L, s: L.istft(s, 8, window=L.hann_window(8), center=False), spec)
    raises(lambda L, s: L.istft(s, 8, window=L.hann_window(8), return_complex=True), spec)
    raises(lambda L, s: L.istft(s, 8, window=L.hann_window(7)), spec)
    raises(lambda L, s: L.istft(s[0, :0], 8), spec)
    raises(lambda L, s: L.istft(s, 12), spec)
    raises(lambda L, s: L.istft(s, 8, onesided=False), spec)
    raises(lambda L, s: L.istft(s[0, 0], 8), spec)
    raises(lambda L, s: L.istft(s, 8, hop_length=2, win_length=6, center=False), spec)
