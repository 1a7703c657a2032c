"""Average pooling (avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d) bit-identical to torch's CPU
kernels: values and gradients (same random cotangent), over kernel, stride, padding, ceil_mode,
count_include_pad, divisor_override, batched and unbatched inputs, windows that tile the input,
overlap or skip, long windows, adaptive windows of unequal length, signed zeros and NaNs."""
import numpy as np
import pytest
import torch

import torchjax as tj
from op_helpers import bits as _bits

RNG = np.random.default_rng(5)


def _check(name, x, dtype="float32", cotangent=None, **kw):
    """name(x, **kw) and its gradient on torch and torchjax, compared bit for bit."""
    res, g = [], cotangent
    for m in (torch, tj):
        t = m.tensor(x).to(getattr(m, dtype)).requires_grad_(True)
        out = getattr(m.nn.functional, name)(t, **kw)
        if g is None:
            g = RNG.standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(m.tensor(g).to(getattr(m, dtype)))
        res.append((out, t.grad))
    (ot, gt), (oj, gj) = res
    _bits(ot, oj)
    _bits(gt, gj)


def _x(*shape):
    return (RNG.standard_normal(shape) * 3).astype(np.float32)


AVG = [
    (1, (2, 3, 11), dict(kernel_size=3, stride=2, padding=1)),
    (1, (3, 17), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                      count_include_pad=False)),
    (1, (2, 3, 300), dict(kernel_size=70, stride=7, padding=30)),        # long: slices
    (1, (2, 3, 300), dict(kernel_size=100, stride=100, padding=50, ceil_mode=True)),
    (2, (4, 8, 17, 19), dict(kernel_size=2)),                             # tiles the input
    (2, (4, 8, 17, 19), dict(kernel_size=2, ceil_mode=True)),
    (2, (4, 8, 17, 19), dict(kernel_size=3, stride=1, padding=1)),
    (2, (4, 8, 17, 19), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (4, 8, 17, 19), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                             count_include_pad=False)),
    (2, (8, 17, 19), dict(kernel_size=(2, 5), stride=(1, 3), padding=(1, 2), divisor_override=7)),
    (2, (3, 16, 20), dict(kernel_size=(3, 1), stride=(3, 4))),           # tiles with gaps
    (2, (2, 3, 13, 14), dict(kernel_size=(2, 3), stride=(4, 5), padding=1, ceil_mode=True)),
    (2, (2, 3, 30, 30), dict(kernel_size=9, stride=2, padding=4)),       # > 64 elements
    (2, (2, 3, 30, 31), dict(kernel_size=9, stride=9, padding=4, ceil_mode=True,
                             count_include_pad=False)),
    (2, (2, 3, 30, 31), dict(kernel_size=(10, 7), stride=(3, 2), padding=(5, 3))),
    (2, (4, 16, 56, 56), dict(kernel_size=56)),
    (2, (2, 3, 20, 60), dict(kernel_size=(1, 20), stride=(1, 3), padding=(0, 10))),
    (3, (2, 3, 7, 8, 9), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (3, (3, 7, 8, 9), dict(kernel_size=(2, 3, 2), stride=1, padding=1, count_include_pad=False)),
    (3, (2, 3, 7, 8, 9), dict(kernel_size=2, divisor_override=3)),
    (3, (2, 4, 13, 7, 10), dict(kernel_size=(2, 1, 4), stride=(2, 3, 4), padding=(1, 0, 1),
                                ceil_mode=True)),
    (3, (2, 3, 9, 10, 11), dict(kernel_size=5, stride=5, padding=2, ceil_mode=True,
                                divisor_override=11)),
    (3, (2, 3, 9, 10, 11), dict(kernel_size=5, stride=2, padding=2)),
]


@pytest.mark.parametrize("n,shape,kw", AVG, ids=str)
def test_avg_pool_bits(n, shape, kw):
    _check(f"avg_pool{n}d", _x(*shape), **kw)


ADAPTIVE = [
    (1, (2, 3, 17), 5),
    (1, (3, 7), 11),                       # more outputs than inputs: windows overlap
    (1, (2, 3, 500), 3),                   # long windows
    (2, (4, 8, 17, 19), (5, 7)),
    (2, (4, 8, 18, 21), (6, 7)),           # equal windows: sum / kh / kw, not / (kh * kw)
    (2, (8, 5, 6), (9, 4)),
    (2, (4, 8, 17, 19), 1),                # torch's mean
    (2, (4, 16, 56, 56), (5, 9)),
    (2, (2, 3, 100, 90), (3, 4)),
    (2, (4, 16, 7, 7), (14, 14)),
    (2, (4, 16, 14, 14), (7, 7)),
    (3, (2, 3, 7, 8, 9), (3, 5, 4)),
    (3, (2, 3, 6, 8, 9), (3, 4, 3)),
    (3, (3, 4, 5, 6), (6, 2, 7)),
    (3, (2, 3, 20, 21, 22), (3, 2, 5)),
    (3, (2, 3, 5, 6, 7), 1),
]


@pytest.mark.parametrize("n,shape,out", ADAPTIVE, ids=str)
def test_adaptive_avg_pool_bits(n, shape, out):
    _check(f"adaptive_avg_pool{n}d", _x(*shape), output_size=out)


@pytest.mark.parametrize("name,kw", [
    ("avg_pool2d", dict(kernel_size=2)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", dict(kernel_size=3, stride=1, padding=1)),
    ("adaptive_avg_pool2d", dict(output_size=(7, 7))),
    ("adaptive_avg_pool2d", dict(output_size=(5, 9))),
])
def test_pool_bits_large(name, kw):
    """Sizes where XLA picks other reduce_window strategies than for small arrays."""
    _check(name, _x(8, 32, 56, 56), **kw)


@pytest.mark.parametrize("name,kw", [
    ("avg_pool2d", dict(kernel_size=2)),
    ("avg_pool2d", dict(kernel_size=3, stride=1, padding=1)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, divisor_override=-3)),
    ("avg_pool3d", dict(kernel_size=(1, 2, 2), stride=1, padding=(0, 1, 0), ceil_mode=True)),
    ("adaptive_avg_pool2d", dict(output_size=(4, 3))),
    ("adaptive_avg_pool2d", dict(output_size=(9, 10))),
    ("adaptive_avg_pool2d", dict(output_size=1)),
])
def test_pool_signed_zeros_and_nans(name, kw):
    """torch's sums start at +0 and its outputs add into zeros: -0 windows and cotangents give
    +0 (a negative divisor too); NaN and infinities propagate."""
    x = _x(2, 3, 9, 10)
    x[0, 0] = -0.0
    x[0, 1, 2, 3] = np.nan
    x[1, 0, 4, 4] = np.inf
    x[1, 1, 5, 5], x[1, 1, 5, 6] = -np.inf, np.inf
    out = getattr(torch.nn.functional, name)(torch.tensor(x), **kw)  # 3-d: (C, D, H, W)
    g = np.full(tuple(out.shape), -0.0, np.float32)
    g[1] = 1.5
    _check(name, x, cotangent=g, **kw)


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16"])
@pytest.mark.parametrize("name,shape,kw", [
    ("avg_pool2d", (2, 3, 9, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", (2, 3, 9, 10), dict(kernel_size=2)),
    ("avg_pool1d", (2, 3, 20), dict(kernel_size=4, stride=3, count_include_pad=False)),
    ("adaptive_avg_pool2d", (2, 3, 9, 10), dict(output_size=(4, 7))),
    ("adaptive_avg_pool3d", (2, 3, 10, 4, 11), dict(output_size=(6, 3, 10))),  # in 16 bits
    ("adaptive_avg_pool3d", (1, 2, 29, 31, 37), dict(output_size=(2, 3, 3))),
])
def test_pool_bits_other_dtypes(dtype, name, shape, kw):
    _check(name, _x(*shape), dtype=dtype, **kw)


def _random_case(rng):
    n = int(rng.integers(1, 4))
    sp = [int(rng.integers(1, 14)) for _ in range(n)]
    shape = ([int(rng.integers(1, 4))] if rng.random() < 0.6 else []) + \
        [int(rng.integers(1, 5))] + sp
    if rng.random() < 0.4:
        o = [int(rng.integers(1, 2 * L + 2)) for L in sp]
        return f"adaptive_avg_pool{n}d", shape, dict(output_size=o[0] if n == 1 else tuple(o))
    k = [int(rng.integers(1, min(L, 6) + 1)) for L in sp]
    kw = dict(kernel_size=tuple(k), stride=tuple(int(rng.integers(1, 5)) for _ in sp),
              padding=tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k),
              ceil_mode=bool(rng.random() < 0.5), count_include_pad=bool(rng.random() < 0.5))
    if n > 1 and rng.random() < 0.3:
        kw["divisor_override"] = int(rng.integers(1, 12))
    return f"avg_pool{n}d", shape, kw


@pytest.mark.parametrize("seed", range(4))
def test_pool_bits_random(seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(15):
        name, shape, kw = _random_case(rng)
        _check(name, _x(*shape), **kw)
