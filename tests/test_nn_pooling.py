"""nn.functional pooling (max/avg/adaptive/lp/unpool) and the pooling modules against real
torch: values, indices, dtypes, autograd graphs, gradients (ties included), errors and repr."""
import math

import numpy as np
import pytest
import torch

import torchjax as tj
from test_nn_conv import chain, check, errors_match, to_tj, to_np

F, G = torch.nn.functional, tj.nn.functional
r = torch.randn


def ties(*shape):
    """Many equal values: max-pool gradients must go to torch's first maximum."""
    return torch.randint(0, 3, shape).float()


@pytest.mark.parametrize("n,shape,kw", [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    (1, (3, 8), dict(kernel_size=2, dilation=2, ceil_mode=True)),
    (2, (2, 3, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (2, 3, 7, 8), dict(kernel_size=(2, 3), stride=(1, 2), padding=1, dilation=2)),
    (2, (3, 6, 6), dict(kernel_size=3, stride=1, padding=1)),
    (3, (1, 2, 5, 4, 5), dict(kernel_size=2, ceil_mode=True)),
    (3, (2, 4, 5, 3), dict(kernel_size=(2, 1, 2), stride=1, padding=(1, 0, 0))),
])
def test_max_pool(n, shape, kw):
    f, g = getattr(F, f"max_pool{n}d"), getattr(G, f"max_pool{n}d")
    check(f, g, r(*shape), **kw)
    check(f, g, ties(*shape), return_indices=True, **kw)


def test_max_pool_special_values():
    x = r(1, 2, 6, 6)
    x[0, 0, 1, 1] = float("nan")
    x[0, 1, :3, :3] = -float("inf")
    check(F.max_pool2d, G.max_pool2d, x, 2, return_indices=True, grad=False)
    xi = torch.randint(-50, 50, (2, 3, 6, 5))
    check(F.max_pool2d, G.max_pool2d, xi, 2, 1, 1, return_indices=True)
    check(torch.max_pool2d, tj.max_pool2d, r(2, 3, 6, 5, dtype=torch.float64), 2)


def nans(*shape):
    """Ties with NaNs: torch's max takes (and routes the gradient to) the last NaN."""
    x = ties(*shape)
    x[torch.rand(shape) < 0.2] = float("nan")
    return x


@pytest.mark.parametrize("n,shape,kw", [
    (1, (2, 3, 11), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    (2, (2, 3, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (2, 2, 9, 9), dict(kernel_size=(2, 3), stride=(3, 2), padding=1, dilation=(3, 2),
                           ceil_mode=True)),
    (3, (1, 2, 5, 4, 6), dict(kernel_size=(2, 3, 2), stride=2, padding=1, ceil_mode=True)),
    (2, (1, 2, 10, 10), dict(kernel_size=9, stride=3, padding=4)),  # > 64 elements: a gather
])
def test_max_pool_ties_nan_constant(n, shape, kw):
    """Values, torch's indices and gradient routing for ties, NaNs and constant windows
    (ceil_mode edge windows, dilation, padding)."""
    f, g = getattr(F, f"max_pool{n}d"), getattr(G, f"max_pool{n}d")
    for x in (ties(*shape), nans(*shape), torch.full(shape, 2.0), torch.full(shape, -math.inf)):
        check(f, g, x, **kw)
        check(f, g, x, return_indices=True, **kw)


@pytest.mark.parametrize("n,shape,out", [(1, (2, 3, 8), 4), (2, (2, 3, 6, 8), (3, 4)),
                                         (3, (1, 2, 4, 6, 4), (2, 3, 1))])
def test_adaptive_max_pool_equal_windows(n, shape, out):
    f, g = getattr(F, f"adaptive_max_pool{n}d"), getattr(G, f"adaptive_max_pool{n}d")
    check(f, g, nans(*shape), out, return_indices=True)
    check(f, g, ties(*shape), out)


@pytest.mark.parametrize("n,shape,kw", [
    (1, (1, 2, 9), dict(kernel_size=3, padding=2, dilation=2)),
    (1, (1, 2, 9), dict(kernel_size=3, padding=2, dilation=2, return_indices=True)),
    (1, (1, 2, 9), dict(kernel_size=2, padding=2)),
    (2, (1, 2, 9, 9), dict(kernel_size=(5, 7), padding=(3, 1), dilation=2)),
    (2, (1, 2, 9, 9), dict(kernel_size=3, padding=2)),
    (3, (1, 2, 9, 9, 9), dict(kernel_size=(3, 5, 7), padding=(2, 1, 0), dilation=2)),
])
def test_max_pool_padding_errors(n, shape, kw):
    errors_match(getattr(F, f"max_pool{n}d"), getattr(G, f"max_pool{n}d"), r(*shape), **kw)


@pytest.mark.parametrize("n,dtype", [(1, torch.int32), (2, torch.uint8), (3, torch.int16),
                                     (1, torch.bool), (3, torch.complex64)])
def test_avg_pool_dtype_errors(n, dtype):
    x = torch.ones((1, 2) + (4,) * n, dtype=dtype)
    errors_match(getattr(F, f"avg_pool{n}d"), getattr(G, f"avg_pool{n}d"), x, 2)


def test_avg_pool3d_small_input_error():
    errors_match(F.avg_pool3d, G.avg_pool3d, r(1, 2, 2, 3, 5), (1, 4, 1), padding=(0, 2, 0))


@pytest.mark.parametrize("n,shape,kw", [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    (1, (3, 8), dict(kernel_size=3, ceil_mode=True, count_include_pad=False, padding=1)),
    (2, (2, 3, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (2, 3, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                           count_include_pad=False)),
    (2, (3, 7, 8), dict(kernel_size=(2, 3), stride=(1, 2), padding=1, divisor_override=5)),
    (3, (1, 2, 5, 4, 5), dict(kernel_size=2, stride=1, padding=1, ceil_mode=True,
                              count_include_pad=False)),
    (3, (2, 4, 5, 3), dict(kernel_size=(2, 1, 2))),
])
def test_avg_pool(n, shape, kw):
    check(getattr(F, f"avg_pool{n}d"), getattr(G, f"avg_pool{n}d"), r(*shape), **kw)


def test_avg_pool_int():
    x = torch.randint(-50, 50, (2, 3, 6, 5))
    check(F.avg_pool2d, G.avg_pool2d, x, 2, 1, 1)
    check(F.avg_pool2d, G.avg_pool2d, x, 3, 2, 1, count_include_pad=False)
    check(F.avg_pool2d, G.avg_pool2d, x, 2, divisor_override=-2)  # C++ truncation


@pytest.mark.parametrize("n,shape,out", [
    (1, (2, 3, 9), 4), (1, (3, 7), 7), (2, (2, 3, 7, 8), (3, 5)), (2, (3, 5, 6), (None, 4)),
    (2, (2, 3, 7, 8), 1), (3, (1, 2, 5, 4, 5), (2, None, 3)), (3, (2, 3, 4, 5), 2),
])
def test_adaptive_pool(n, shape, out):
    check(getattr(F, f"adaptive_avg_pool{n}d"), getattr(G, f"adaptive_avg_pool{n}d"), r(*shape),
          out)
    check(getattr(F, f"adaptive_max_pool{n}d"), getattr(G, f"adaptive_max_pool{n}d"),
          ties(*shape), out, return_indices=True)


@pytest.mark.parametrize("n,shape,kw", [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2)),
    (2, (2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    (2, (3, 6, 6), dict(kernel_size=2)),
    (3, (1, 2, 4, 4, 4), dict(kernel_size=2)),
])
def test_max_unpool(n, shape, kw):
    o, i = getattr(F, f"max_pool{n}d")(r(*shape), return_indices=True, **kw)
    f, g = getattr(F, f"max_unpool{n}d"), getattr(G, f"max_unpool{n}d")
    check(f, g, o, i, **kw)
    check(f, g, o, i, output_size=shape[-n:], **kw)


@pytest.mark.parametrize("n,p,shape,kw", [
    (1, 2.0, (2, 3, 9), dict(kernel_size=3, stride=2)),
    (2, 3.0, (2, 3, 7, 8), dict(kernel_size=(2, 3), ceil_mode=True)),
    (2, math.inf, (3, 6, 6), dict(kernel_size=2)),
    (3, 1.5, (1, 2, 4, 4, 4), dict(kernel_size=2)),
])
def test_lp_pool(n, p, shape, kw):
    x = r(*shape).abs() + 0.1
    check(getattr(F, f"lp_pool{n}d"), getattr(G, f"lp_pool{n}d"), x, p, **kw)


@pytest.mark.parametrize("fn,args,kw", [
    ("max_pool2d", (r(1, 2, 6, 6), 7), {}),
    ("max_pool2d", (r(1, 2, 6, 6), 2), dict(padding=2)),
    ("max_pool2d", (r(3), 2), {}),
    ("max_pool2d", (r(1, 2, 6, 6), 2), dict(stride=0)),
    ("max_pool3d", (r(4, 4), 2), {}),
    ("avg_pool2d", (r(1, 2, 6, 6), 2), dict(padding=2)),
    ("avg_pool2d", (r(1, 2, 6, 6), 7), {}),
    ("adaptive_avg_pool2d", (r(3), 2), {}),
    ("adaptive_max_pool2d", (r(2, 0, 3), 2), {}),
    ("max_unpool2d", (r(1, 2, 3, 3), torch.zeros(1, 2, 3, 3, dtype=torch.long), 2),
     dict(output_size=(9, 9))),
])
def test_pool_errors(fn, args, kw):
    errors_match(getattr(F, fn), getattr(G, fn), *args, **kw)


MODULES = [
    (lambda nn: nn.MaxPool1d(3, 2, 1, return_indices=True), (2, 3, 9)),
    (lambda nn: nn.MaxPool2d((2, 3), ceil_mode=True), (2, 3, 7, 8)),
    (lambda nn: nn.MaxPool3d(2, 1, dilation=2), (1, 2, 5, 5, 5)),
    (lambda nn: nn.AvgPool1d(3, padding=1), (2, 3, 9)),
    (lambda nn: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 7, 8)),
    (lambda nn: nn.AvgPool3d(2, divisor_override=3), (1, 2, 4, 4, 4)),
    (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda nn: nn.AdaptiveAvgPool2d((None, 3)), (2, 3, 7, 8)),
    (lambda nn: nn.AdaptiveAvgPool3d(2), (1, 2, 5, 4, 5)),
    (lambda nn: nn.AdaptiveMaxPool1d(4, return_indices=True), (2, 3, 9)),
    (lambda nn: nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 7, 8)),
    (lambda nn: nn.AdaptiveMaxPool3d(2), (1, 2, 5, 4, 5)),
    (lambda nn: nn.LPPool1d(2, 3), (2, 3, 9)),
    (lambda nn: nn.LPPool2d(1.5, (2, 3), stride=1), (2, 3, 7, 8)),
]


@pytest.mark.parametrize("i", range(len(MODULES)))
def test_pool_modules(i):
    ctor, shape = MODULES[i]
    mt, mj = ctor(torch.nn), ctor(tj.nn)
    assert repr(mt) == repr(mj)
    check(mt, mj, r(*shape).abs() + 0.1 if "LP" in repr(mt) else r(*shape))


def test_unpool_module():
    mt, mj = torch.nn.MaxUnpool2d(2), tj.nn.MaxUnpool2d(2)
    assert repr(mt) == repr(mj)
    o, i = F.max_pool2d(r(1, 2, 5, 5), 2, return_indices=True)
    check(mt, mj, o, i, output_size=[5, 5])


@pytest.mark.parametrize("n,shape,k,out", [
    (2, (2, 3, 9, 8), (2, 3), (4, 3)), (2, (3, 7, 7), 2, (3, 5)),
    (3, (2, 2, 6, 7, 5), (2, 2, 3), (3, 4, 2)), (3, (2, 6, 5, 7), 2, (4, 3, 3)),
])
def test_fractional_max_pool(n, shape, k, out):
    nb = 1 if len(shape) == n + 1 else shape[0]
    samples = torch.rand(nb, shape[-n - 1], n)
    check(getattr(F, f"fractional_max_pool{n}d"), getattr(G, f"fractional_max_pool{n}d"),
          ties(*shape), k, output_size=out, return_indices=True, _random_samples=samples)


def test_fractional_max_pool_rng_and_modules():
    x = r(2, 3, 8, 8)
    for ctor in (lambda nn: nn.FractionalMaxPool2d(2, output_ratio=(0.5, 0.6)),
                 lambda nn: nn.FractionalMaxPool2d((2, 3), output_size=5, return_indices=True)):
        mt, mj = ctor(torch.nn), ctor(tj.nn)
        assert repr(mt) == repr(mj)
        torch.manual_seed(3)
        tj.manual_seed(3)
        check(mt, mj, x)  # samples drawn from the seeded generator, bit-exact
    with pytest.raises(ValueError) as et:
        torch.nn.FractionalMaxPool3d(2, output_ratio=1.5)
    with pytest.raises(ValueError) as ej:
        tj.nn.FractionalMaxPool3d(2, output_ratio=1.5)
    assert str(et.value) == str(ej.value)


def test_with_indices_forms():
    x = r(2, 3, 9)
    check(torch.max_pool1d_with_indices, tj.max_pool1d_with_indices, x, 2)
    check(torch.adaptive_max_pool1d, tj.adaptive_max_pool1d, x, 4)
    check(F.adaptive_max_pool2d_with_indices, G.adaptive_max_pool2d_with_indices, r(2, 5, 6), 3)
    check(F.max_pool2d_with_indices, G.max_pool2d_with_indices, r(2, 5, 6), 2)
    assert isinstance(G.adaptive_max_pool1d(to_tj(x), 4), tj.Tensor)


def _ones(*shape, dtype):
    return torch.ones(*shape, dtype=dtype)


@pytest.mark.parametrize("fn,args", [
    ("adaptive_avg_pool1d", (_ones(1, 2, 4, dtype=torch.long), 2)),
    ("adaptive_avg_pool3d", (_ones(1, 2, 4, 4, 4, dtype=torch.long), 2)),
    ("adaptive_max_pool2d", (_ones(1, 2, 4, 4, dtype=torch.long), 2)),
    ("avg_pool2d", (_ones(1, 2, 4, 4, dtype=torch.bool), 2)),
    ("max_pool1d", (_ones(1, 2, 4, dtype=torch.long), 2)),
    ("max_pool2d", (_ones(1, 2, 4, 4, dtype=torch.complex64), 2)),
    ("unfold", (_ones(1, 2, 4, 4, dtype=torch.long), 2)),
    ("conv3d", (_ones(1, 2, 3, 3, 3, dtype=torch.bool), _ones(1, 2, 1, 1, 1, dtype=torch.bool))),
    ("max_unpool2d", (_ones(1, 2, 2, 2, dtype=torch.long), _ones(1, 2, 2, 2, dtype=torch.long),
                      2)),
])
def test_dtype_errors(fn, args):
    errors_match(getattr(F, fn), getattr(G, fn), *args)


def test_int_pools():
    x = torch.randint(-9, 9, (2, 3, 7))
    check(F.max_pool1d, G.max_pool1d, x, 2, return_indices=True)
    check(F.avg_pool1d, G.avg_pool1d, x, 3, 2, 1)
    check(F.max_pool3d, G.max_pool3d, torch.randint(-9, 9, (1, 2, 4, 4, 4)), 2)


@pytest.mark.parametrize("samples", [torch.rand(2, 3, 2).double(), torch.rand(2, 3),
                                     torch.rand(1, 3, 2), torch.rand(2, 4, 2),
                                     torch.rand(2, 3, 3)])
def test_fractional_sample_errors(samples):
    errors_match(F.fractional_max_pool2d, G.fractional_max_pool2d, r(2, 3, 8, 8), 2,
                 output_size=3, _random_samples=samples)


def test_empty_batch_and_arg_errors():
    check(F.avg_pool1d, G.avg_pool1d, r(0, 3, 4), 2)
    check(F.max_pool3d, G.max_pool3d, r(0, 2, 4, 4, 4), 2)
    check(F.adaptive_avg_pool1d, G.adaptive_avg_pool1d, r(0, 3, 4), 2)
    check(F.unfold, G.unfold, r(0, 3, 4, 4), 2)
    errors_match(F.adaptive_avg_pool2d, G.adaptive_avg_pool2d, r(2, 2), (2, 2))
    errors_match(F.adaptive_max_pool3d, G.adaptive_max_pool3d, r(2, 2, 2), (2, 2, 2))
    errors_match(F.max_unpool2d, G.max_unpool2d, r(1, 1, 4, 4),
                 torch.zeros(1, 1, 2, 2, dtype=torch.long), 2)
    errors_match(F.max_unpool1d, G.max_unpool1d, r(1, 8, 8),
                 torch.zeros(1, 8, 7, dtype=torch.long), 2)


@pytest.mark.parametrize("fn,args,kw", [
    ("adaptive_avg_pool1d", (r(1, 1, 1),), dict(output_size=(-1,))),
    ("adaptive_avg_pool2d", (r(1, 1, 1, 1),), dict(output_size=(-1, 0))),
    ("adaptive_max_pool2d", (r(1, 1, 2, 2), (-1, 1)), {}),
    ("avg_pool2d", (r(1, 1, 4, 4), 2), dict(padding=-1)),
    ("max_pool1d", (r(1, 1, 4), 2), dict(padding=-1)),
    ("max_pool1d", (r(0, 1, 49), 2), dict(stride=50, padding=-1, return_indices=True)),
])
def test_negative_size_errors(fn, args, kw):
    errors_match(getattr(F, fn), getattr(G, fn), *args, **kw)


def test_bool_fold_unfold():
    x = torch.rand(1, 2, 3, 3) > 0.5
    check(F.unfold, G.unfold, x, 2)
    check(F.fold, G.fold, torch.rand(1, 4, 4) > 0.5, (3, 3), 2)


def test_zero_size_errors():
    errors_match(F.max_pool1d, G.max_pool1d, r(0, 10), 1)
    errors_match(F.max_pool3d, G.max_pool3d, r(0, 1, 2, 10), 1)


POOL1D = [  # torch runs each as the 2-d op on x.unsqueeze(-2), then squeezes the result(s)
    (F.max_pool1d, G.max_pool1d, (3,), dict(stride=2, padding=1), "MaxPool2DWithIndicesBackward0"),
    (F.max_pool1d, G.max_pool1d, (3,), dict(dilation=2, ceil_mode=True, return_indices=True),
     "MaxPool2DWithIndicesBackward0"),
    (torch.max_pool1d, tj.max_pool1d, (2,), {}, "MaxPool2DWithIndicesBackward0"),
    (torch.max_pool1d_with_indices, tj.max_pool1d_with_indices, (2,), {},
     "MaxPool2DWithIndicesBackward0"),
    (F.avg_pool1d, G.avg_pool1d, (3,), dict(padding=1, ceil_mode=True, count_include_pad=False),
     "AvgPool2DBackward0"),
    (F.adaptive_avg_pool1d, G.adaptive_avg_pool1d, (4,), {}, "AdaptiveAvgPool2DBackward0"),
    (F.adaptive_avg_pool1d, G.adaptive_avg_pool1d, (1,), {}, "MeanBackward1"),
    (F.adaptive_max_pool1d, G.adaptive_max_pool1d, (4,), dict(return_indices=True),
     "AdaptiveMaxPool2DBackward0"),
    (torch.adaptive_max_pool1d, tj.adaptive_max_pool1d, (1,), {}, "AdaptiveMaxPool2DBackward0"),
]


@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 9)])
@pytest.mark.parametrize("i", range(len(POOL1D)))
def test_pool1d_graph(i, shape):
    """Values, indices and gradients as torch's, and its chain: SqueezeBackward1 <- the 2-d
    pool's node <- UnsqueezeBackward0 (check compares the whole graph)."""
    ft, fj, args, kw, node = POOL1D[i]
    for x in (ties(*shape), nans(*shape)):
        check(ft, fj, x, *args, **kw)
    out = fj(to_tj(r(*shape), True), *args, **kw)
    out = out[0] if isinstance(out, tuple) else out
    assert chain(out) == ["SqueezeBackward1", node, "UnsqueezeBackward0"]


@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 9)])
def test_lp_pool1d_and_unpool1d_graph(shape):
    x = r(*shape).abs() + 0.1
    for p in (2.0, math.inf):  # lp_pool1d: avg_pool1d (max_pool1d for inf) and pointwise ops
        check(F.lp_pool1d, G.lp_pool1d, x, p, 3, stride=2)
    o, i = F.max_pool1d(r(*shape), 3, stride=2, return_indices=True)
    check(F.max_unpool1d, G.max_unpool1d, o, i, 3, stride=2)  # max_unpool2d of (..., L, 1)
    out = G.max_unpool1d(to_tj(o, True), to_tj(i), 3, stride=2)
    assert chain(out) == ["SqueezeBackward1", "MaxUnpool2DBackward0", "UnsqueezeBackward0"]


def test_pool1d_edge_sizes():
    check(F.adaptive_avg_pool1d, G.adaptive_avg_pool1d, r(2, 0, 5), 3, grad=False)
    check(F.adaptive_avg_pool1d, G.adaptive_avg_pool1d, r(2, 0, 5), 1)  # a mean: no checks
    check(F.adaptive_avg_pool2d, G.adaptive_avg_pool2d, r(3, 5), 1)
    check(F.adaptive_avg_pool1d, G.adaptive_avg_pool1d, r(2, 3, 5, dtype=torch.complex64), 1)
    check(F.adaptive_max_pool1d, G.adaptive_max_pool1d, r(2, 3, 5), 0, return_indices=True,
          grad=False)
    check(F.max_pool1d, G.max_pool1d, r(0, 3, 5), 2, return_indices=True)
    check(F.max_unpool1d, G.max_unpool1d, r(0, 3, 4), torch.zeros(0, 3, 4, dtype=torch.long), 2)


def _long(*shape):
    return torch.zeros(*shape, dtype=torch.long)


@pytest.mark.parametrize("fn,args,kw", [
    ("max_pool1d", (r(2, 3, 4, 5), 2), {}),
    ("max_pool1d", (r(2, 3, 4, 5), 2), dict(return_indices=True)),
    ("max_pool1d", (r(2, 0, 5), 2), dict(return_indices=True)),
    ("max_pool1d", (r(2, 3, 5), 0), {}),
    ("max_pool1d", (r(2, 3, 5), 2), dict(stride=-1)),
    ("max_pool1d", (r(2, 3, 5), 2), dict(stride=-1, return_indices=True)),
    ("max_pool1d", (r(2, 3, 5), 2), dict(dilation=0)),
    ("max_pool1d", (r(2, 3, 5), 2), dict(dilation=0, return_indices=True)),
    ("max_pool1d", (r(2, 3, 5), 7), {}),
    ("max_pool1d", (r(2, 3, 5), 7), dict(return_indices=True)),
    ("max_pool1d", (r(2, 3, 5), (2, 2)), {}),
    ("max_pool1d", (r(2, 3, 5), (2, 2)), dict(return_indices=True)),
    ("max_pool1d", (r(2, 3, 5), 2), dict(stride=(1, 1))),
    ("max_pool1d", (_ones(2, 3, 5, dtype=torch.bool), 2), dict(return_indices=True)),
    ("avg_pool1d", (r(5), 2), {}),
    ("avg_pool1d", (r(2, 0, 5), 2), {}),
    ("avg_pool1d", (r(2, 3, 5), 7), {}),
    ("avg_pool1d", (r(2, 3, 5), 2), dict(stride=-1)),
    ("avg_pool1d", (r(2, 3, 5), (2, 2)), {}),
    ("adaptive_avg_pool1d", (r(2, 3, 4, 5), 2), {}),
    ("adaptive_avg_pool1d", (r(3, 0), 2), {}),
    ("adaptive_avg_pool1d", (r(2, 3, 5), (2, 2)), {}),
    ("adaptive_avg_pool1d", (_ones(2, 3, 5, dtype=torch.long), 1), {}),
    ("adaptive_avg_pool1d", (_ones(2, 3, 5, dtype=torch.complex64), 2), {}),
    ("adaptive_max_pool1d", (r(5), 2), {}),
    ("adaptive_max_pool1d", (r(2, 0, 5), 2), {}),
    ("adaptive_max_pool1d", (r(2, 3, 5), -1), {}),
    ("adaptive_max_pool1d", (r(2, 3, 5), (2, 2)), {}),
    ("max_unpool1d", (r(2, 3, 4, 5), _long(2, 3, 4, 5), 2), {}),
    ("max_unpool1d", (r(2, 3, 4), _long(2, 3, 4).int(), 2), {}),
    ("max_unpool1d", (r(2, 3, 4), _long(2, 3, 4) + 100, 2), {}),
    ("max_unpool1d", (r(2, 0, 4), _long(2, 0, 4), 2), {}),
    ("lp_pool1d", (r(2, 3, 5), 2, 7), {}),
    ("avg_pool2d", (r(2, 0, 1, 5), (1, 2)), {}),
    ("max_pool2d", (r(0, 1, 5), 1), {}),
    ("adaptive_avg_pool2d", (r(4), 1), {}),
    ("max_unpool3d", (r(2, 2, 2), _long(2, 2, 2).int(), 2), {}),
])
def test_pool1d_errors(fn, args, kw):
    """Bad 1-d inputs raise torch's errors: its 1-d checks, then the 2-d op's on (..., 1, L)."""
    errors_match(getattr(F, fn), getattr(G, fn), *args, **kw)


def test_pool1d_autocast():
    """Under CPU autocast the 1-d ops follow their 2-d op's policy: max_unpool1d runs in float32,
    the pools keep bfloat16."""
    x = r(2, 3, 8)
    idx = F.max_pool1d(x, 2, return_indices=True)[1]
    fns = [lambda L, x: L.nn.functional.max_pool1d(x, 2),
           lambda L, x: L.nn.functional.avg_pool1d(x, 2),
           lambda L, x: L.nn.functional.adaptive_avg_pool1d(x, 3),
           lambda L, x: L.nn.functional.adaptive_max_pool1d(x, 3),
           lambda L, x: L.nn.functional.max_unpool1d(
               x[..., :4], idx if L is torch else to_tj(idx), 2)]
    for f in fns:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            yt = f(torch, x.bfloat16())
        with tj.autocast("cpu", dtype=tj.bfloat16):
            yj = f(tj, to_tj(x).to(tj.bfloat16))
        assert str(yt.dtype) == str(yj.dtype)
        torch.testing.assert_close(torch.from_numpy(to_np(yj.float()).copy()), yt.float())
