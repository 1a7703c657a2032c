"""torch.nn.init: bit-exact with torch under the same seed (and generator=), plus error texts."""
import warnings

import numpy as np
import pytest
import torch

import torchjax


def _run(lib, fn, shape, dtype, seed, use_gen):
    lib.manual_seed(seed)
    t = lib.empty(*shape, dtype=getattr(lib, dtype))
    kw = {}
    if use_gen:
        g = lib.Generator()
        g.manual_seed(seed + 100)
        kw["generator"] = g
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fn(lib.nn.init, t, **kw)
    assert r is t
    # the default generator must have advanced identically too
    return np.asarray(t.numpy()), np.asarray(lib.rand(3).numpy())


CASES = {
    "uniform_": lambda I, t, **k: I.uniform_(t, -2.0, 3.0, **k),
    "normal_": lambda I, t, **k: I.normal_(t, 1.0, 2.0, **k),
    "trunc_normal_": lambda I, t, **k: I.trunc_normal_(t, **k),
    "trunc_normal_std": lambda I, t, **k: I.trunc_normal_(t, std=0.02, **k),
    "trunc_normal_tail": lambda I, t, **k: I.trunc_normal_(t, 0.0, 1.0, 1.5, 4.0, **k),
    "trunc_normal_far": lambda I, t, **k: I.trunc_normal_(t, 5.0, 1.0, -1.0, 1.0, **k),
    "xavier_uniform_": lambda I, t, **k: I.xavier_uniform_(t, gain=2.0, **k),
    "xavier_normal_": lambda I, t, **k: I.xavier_normal_(t, **k),
    "kaiming_uniform_": lambda I, t, **k: I.kaiming_uniform_(t, a=5 ** 0.5, **k),
    "kaiming_uniform_fan_out": lambda I, t, **k: I.kaiming_uniform_(
        t, mode="fan_out", nonlinearity="relu", **k),
    "kaiming_normal_": lambda I, t, **k: I.kaiming_normal_(t, **k),
    "kaiming_normal_tanh": lambda I, t, **k: I.kaiming_normal_(t, 0, "fan_out", "tanh", **k),
    "sparse_": lambda I, t, **k: I.sparse_(t, 0.4, **k),
}


@pytest.mark.parametrize("use_gen", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_init_bit_exact(name, use_gen):
    shape = (6, 5) if name == "sparse_" else (6, 5, 3)
    a, ra = _run(torch, CASES[name], shape, "float32", 3, use_gen)
    b, rb = _run(torchjax, CASES[name], shape, "float32", 3, use_gen)
    np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(rb, ra)


@pytest.mark.parametrize("name", ["uniform_", "normal_", "trunc_normal_", "kaiming_uniform_"])
def test_init_bit_exact_float64(name):
    a, _ = _run(torch, CASES[name], (4, 7), "float64", 0, False)
    b, _ = _run(torchjax, CASES[name], (4, 7), "float64", 0, False)
    np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("shape", [(5, 3), (3, 8), (4, 2, 3)])
def test_orthogonal(shape):
    f = lambda I, t, **k: I.orthogonal_(t, gain=1.5, **k)  # noqa: E731
    a, ra = _run(torch, f, shape, "float32", 1, False)
    b, rb = _run(torchjax, f, shape, "float32", 1, False)
    np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)  # QR is LAPACK's in both, up to rounding
    np.testing.assert_array_equal(rb, ra)


def test_deterministic_fills():
    outs = []
    for lib in (torch, torchjax):
        I = lib.nn.init
        t = lib.empty(3, 4)
        r = [I.constant_(t, 2.5).numpy().copy(), I.ones_(t).numpy().copy(),
             I.zeros_(t).numpy().copy(), I.eye_(t).numpy().copy()]
        for groups, shape in ((1, (4, 3, 3)), (2, (4, 3, 3, 3)), (1, (2, 2, 1, 2, 3))):
            r.append(I.dirac_(lib.empty(*shape), groups).numpy().copy())
        p = lib.nn.Parameter(lib.empty(2, 2))
        I.eye_(p)
        r.append((p.requires_grad, p.grad_fn is None))
        outs.append(r)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(np.asarray(b), np.asarray(a))


def test_calculate_gain_and_fans():
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                 ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",)]:
        assert torchjax.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    for shape in [(3, 4), (5, 2, 3, 3), (2, 7, 4)]:
        assert torchjax.nn.init._calculate_fan_in_and_fan_out(torchjax.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
        for mode in ("fan_in", "FAN_OUT"):
            assert torchjax.nn.init._calculate_correct_fan(torchjax.empty(*shape), mode) == \
                torch.nn.init._calculate_correct_fan(torch.empty(*shape), mode)


def _err(fn):
    try:
        fn()
    except Exception as e:
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("call", [
    lambda L: L.nn.init.calculate_gain("foo"),
    lambda L: L.nn.init.calculate_gain("leaky_relu", True),
    lambda L: L.nn.init.xavier_uniform_(L.empty(3)),
    lambda L: L.nn.init._calculate_correct_fan(L.empty(3, 3), "fan_avg"),
    lambda L: L.nn.init.eye_(L.empty(3)),
    lambda L: L.nn.init.dirac_(L.empty(3, 3)),
    lambda L: L.nn.init.dirac_(L.empty(3, 3, 3), 2),
    lambda L: L.nn.init.orthogonal_(L.empty(3)),
    lambda L: L.nn.init.sparse_(L.empty(3, 3, 3), 0.1),
])
def test_init_errors(call):
    e = _err(lambda: call(torch))
    assert e is not None
    assert _err(lambda: call(torchjax)) == e


def test_zero_element_and_warnings():
    for lib in (torch, torchjax):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib.nn.init.kaiming_uniform_(lib.empty(0, 3))
        with pytest.warns(FutureWarning, match="nn.init.normal` is now deprecated"):
            lib.nn.init.normal(lib.empty(2))
        with pytest.warns(UserWarning, match="mean is more than 2 std"):
            lib.nn.init.trunc_normal_(lib.empty(2), mean=10.0)


def test_init_on_parameter_records_no_graph():
    p = torchjax.nn.Parameter(torchjax.empty(3, 3))
    torchjax.nn.init.kaiming_normal_(p)
    torchjax.nn.init.trunc_normal_(p)
    torchjax.nn.init.orthogonal_(p)
    assert p.grad_fn is None and p.requires_grad and p.is_leaf
