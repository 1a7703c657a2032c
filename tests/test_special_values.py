"""Every torch function that takes one float tensor, on NaN, signed zeros, infinities, huge and
tiny values: torchjax must give NaN, inf and zeros (with their sign) where torch does, and close
values elsewhere (bit-level checks live in the *_bits tests). Subnormal results are left out:
XLA's CPU runtime flushes them to zero (a known gap, see docs/architecture.md)."""
import warnings

import numpy as np
import pytest
import torch

import torchjax as tj

V = [float("nan"), -0.0, 0.0, -1.0, 1.0, 2.0, -2.5, 0.5, -0.5, float("inf"), -float("inf"),
     1e-30, -1e-30, 1e30, -1e30, 3.0e38, 100.0, -100.0, 88.5, -88.5, 3.0, -3.0, 0.3, -0.3]
SKIP = {  # random, state, I/O or device functions
    "manual_seed", "seed", "set_default_dtype", "empty", "empty_like", "rand_like", "randn_like",
    "bernoulli", "poisson", "normal", "randint_like", "multinomial", "set_printoptions",
    "use_deterministic_algorithms", "set_num_threads", "set_default_device", "save", "load",
    "compile", "set_rng_state", "initial_seed", "set_flush_denormal", "set_grad_enabled",
    "empty_strided", "set_num_interop_threads"}
NAMES = sorted(n for n in dir(torch) if not n.startswith("_") and n not in SKIP
               and callable(getattr(torch, n)) and not isinstance(getattr(torch, n), type)
               and callable(getattr(tj, n, None)))
F_NAMES = ["relu", "relu6", "hardtanh", "softshrink", "hardshrink", "tanhshrink", "softsign",
           "elu", "selu", "celu", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "softplus",
           "logsigmoid", "leaky_relu", "sigmoid", "tanh"]


# Known gaps, by (dtype, name): elements left out. float32 -88.5 (index 19): silu's gradient and
# mish pass a subnormal through (sigmoid, tanh of one), which XLA flushes. float64: the vector
# body's NaN rule of these backward kernels is replayed in float32 only (a NaN input's gradient
# is NaN in torch's vector body, the scalar formula's value in its scalar loop).
KNOWN = {("float32", "silu grad"): [19], ("float32", "mish"): [19],
         ("float32", "mish grad"): [19], ("float64", "elu grad"): [0],
         ("float64", "selu grad"): [0], ("float64", "celu grad"): [0],
         ("float64", "hardswish grad"): [0]}


def _diff(a, b, skip=()):
    """Where a (torch's) and b disagree on special values, or None."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"{a.shape} {a.dtype} vs {b.shape} {b.dtype}"
    if a.dtype.kind not in "fc":
        return None if np.array_equal(a, b) else "values"
    a, b = a.reshape(-1), b.reshape(-1)
    tiny = np.finfo(a.dtype).tiny
    keep = ~((np.abs(a) < tiny) & (a != 0))          # torch's subnormals
    keep[list(skip)] = False
    for what, m in (("NaN", np.isnan), ("inf", np.isposinf), ("-inf", np.isneginf),
                    ("zero", lambda x: x == 0), ("-0", lambda x: (x == 0) & np.signbit(x))):
        bad = (m(a) != m(b)) & keep
        if bad.any():
            return f"{what} at {np.nonzero(bad)[0].tolist()[:6]}"
    fin = np.isfinite(a) & (a != 0) & keep
    if not np.allclose(a[fin], b[fin], rtol=1e-4, atol=0):
        return f"values {a[fin][:4]} vs {b[fin][:4]}"
    return None


def _run(ft, fj, dtype, skip=()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rt = ft(torch.tensor(V, dtype=getattr(torch, dtype)))
        except Exception:
            return None
        if not isinstance(rt, torch.Tensor):
            return None
        rj = fj(tj.tensor(V, dtype=getattr(tj, dtype)))
    return _diff(rt.detach().numpy(), rj.detach().numpy(), skip)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_functions_on_special_values(dtype):
    bad = {n: d for n in NAMES if (d := _run(getattr(torch, n), getattr(tj, n), dtype))}
    assert not bad, bad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_special_namespace_on_special_values(dtype):
    names = [n for n in dir(torch.special) if not n.startswith("_") and n != "Tensor"
             and callable(getattr(torch.special, n))]
    bad = {n: d for n in names
           if (d := _run(getattr(torch.special, n), getattr(tj.special, n), dtype))}
    assert not bad, bad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activations_on_special_values(dtype):
    bad = {}
    for n in F_NAMES:
        ft, fj = getattr(torch.nn.functional, n), getattr(tj.nn.functional, n)
        if d := _run(ft, fj, dtype, KNOWN.get((dtype, n), ())):
            bad[n] = d
        t = torch.tensor(V, dtype=getattr(torch, dtype), requires_grad=True)
        j = tj.tensor(V, dtype=getattr(tj, dtype), requires_grad=True)
        ft(t).sum().backward()
        fj(j).sum().backward()
        if d := _diff(t.grad.numpy(), j.grad.numpy(), KNOWN.get((dtype, n + " grad"), ())):
            bad[n + " grad"] = d
    assert not bad, bad


BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "atan2",
          "hypot", "copysign", "maximum", "minimum", "fmax", "fmin", "xlogy", "nextafter",
          "ldexp", "logaddexp", "logaddexp2", "float_power", "eq", "lt", "ge", "isclose",
          "heaviside", "igamma", "igammac", "complex", "rsub"]
# Known gaps, by (dtype, name): index pairs (a, b) of V left out. float32 fmod / remainder of
# 1e30 by 1e-30: torch's vector body (Sleef's fmodf) gives NaN once the quotient overflows.
_BIG = [(i, j) for i, x in enumerate(V) for j, y in enumerate(V)
        if np.isfinite(x) and np.isfinite(y) and y != 0 and abs(x) / abs(y) > 3.4028235e38]
# float32 igamma / igammac of a = 3e38: torch's own arithmetic overflows to NaN for some x.
# igammac of a tiny a and 0 < x <= 1.1: JAX computes 1 - igamma (cancellation), torch its
# series for Q (DLMF 8.7.3).
_HUGE_A = [(15, 13), (15, 16), (15, 18)]
_TINY_A = [(11, j) for j, y in enumerate(V) if 0 < y <= 1.1]
KNOWN_BINARY = {("float32", "fmod"): _BIG, ("float32", "remainder"): _BIG,
                ("float32", "igamma"): _HUGE_A, ("float32", "igammac"): _HUGE_A + _TINY_A,
                ("float64", "igammac"): _TINY_A}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_functions_on_special_values(dtype):
    n = len(V)
    a, b = np.repeat(V, n), np.tile(V, n)
    bad = {}
    for name in BINARY:
        rt = getattr(torch, name)(torch.tensor(a, dtype=getattr(torch, dtype)),
                                  torch.tensor(b, dtype=getattr(torch, dtype)))
        rj = getattr(tj, name)(tj.tensor(a, dtype=getattr(tj, dtype)),
                               tj.tensor(b, dtype=getattr(tj, dtype)))
        skip = [i * n + j for i, j in KNOWN_BINARY.get((dtype, name), ())]
        rt, rj = rt.numpy(), rj.numpy()
        if rt.dtype.kind == "c":
            d = _diff(rt.real.copy(), rj.real.copy(), skip) or _diff(rt.imag.copy(),
                                                                    rj.imag.copy(), skip)
        else:
            d = _diff(rt, rj, skip)
        if d:
            bad[name] = d
    assert not bad, bad


ROWS = [[1.0, -np.inf, 2.0, 0.5], [-np.inf] * 4, [np.inf, 1.0, 0.0, 2.0], [np.nan, 1.0, 2.0, 3.0],
        [1e30, -1e30, 0.0, 1.0], [-0.0, 0.0, -0.0, 0.0]]
LOSS_CASES = {
    "softmax": lambda F, x, t: F.softmax(x, 1),
    "log_softmax": lambda F, x, t: F.log_softmax(x, 1),
    "cross_entropy": lambda F, x, t: F.cross_entropy(x, t, reduction="none"),
    "cross_entropy_smooth": lambda F, x, t: F.cross_entropy(x, t, reduction="none",
                                                             label_smoothing=0.1),
    "nll": lambda F, x, t: F.nll_loss(x, t, reduction="none"),
    "mse": lambda F, x, t: F.mse_loss(x, x * 0, reduction="none"),
    "l1": lambda F, x, t: F.l1_loss(x, x * 0, reduction="none"),
    "smooth_l1": lambda F, x, t: F.smooth_l1_loss(x, x * 0, reduction="none"),
    "huber": lambda F, x, t: F.huber_loss(x, x * 0, reduction="none"),
    "bce_logits": lambda F, x, t: F.binary_cross_entropy_with_logits(x, x * 0 + 0.3,
                                                                     reduction="none"),
    "kl_div": lambda F, x, t: F.kl_div(F.log_softmax(x, 1), x * 0 + 0.25, reduction="none"),
    "layer_norm": lambda F, x, t: F.layer_norm(x, (4,)),
    "rms_norm": lambda F, x, t: F.rms_norm(x, (4,)),
    "normalize": lambda F, x, t: F.normalize(x, dim=1),
    "cosine_similarity": lambda F, x, t: F.cosine_similarity(x, x * 0 + 1),
    "pairwise_distance": lambda F, x, t: F.pairwise_distance(x, x * 0),
    "glu": lambda F, x, t: F.glu(x, 1),
}


@pytest.mark.parametrize("name", sorted(LOSS_CASES))
def test_losses_and_norms_on_special_rows(name):
    """-inf logits (masking), all -inf rows, inf, NaN, overflowing squares, signed zeros."""
    res = []
    for m in (torch, tj):
        x = m.tensor(ROWS, requires_grad=True)
        r = LOSS_CASES[name](m.nn.functional, x, m.tensor([0, 1, 2, 3, 0, 1]))
        r.sum().backward()
        res.append((r.detach().numpy().reshape(-1), x.grad.numpy().reshape(-1)))
    (rt, gt), (rj, gj) = res
    assert _diff(rt, rj) is None, _diff(rt, rj)
    assert _diff(gt, gj) is None, _diff(gt, gj)


CAST = [1e20, np.nan, -1e20, np.inf, -np.inf, 3e9, -3e9, 2.5, -2.5, 70000.0, 300.0, -1.0, 255.9,
        -129.0, 2.0 ** 31, -2.0 ** 31, 2.0 ** 63, -2.0 ** 63, -0.0]


@pytest.mark.parametrize("src", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("dst", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_float_to_integer_casts(src, dst):
    """x86's truncating conversions: NaN and out-of-range values give int64's / int32's minimum
    (narrower types go through int32 and wrap), as torch's CPU casts do; no warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = tj.tensor(CAST, dtype=getattr(tj, src)).to(getattr(tj, dst)).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.tensor(CAST, dtype=getattr(torch, src)).to(getattr(torch, dst)).tolist()
    assert got == want
