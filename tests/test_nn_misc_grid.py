"""F.affine_grid / F.grid_sample against real torch (values, input and grid gradients, errors)."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchjax as tj
import torchjax.nn.functional as TF
from tests.test_nn_misc import _compare, _same_error

RNG = np.random.default_rng(1)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(k, align):
    size = (2, 3) + (4, 5, 3)[:k]
    theta = RNG.standard_normal((2, k, k + 1)).astype(np.float32)
    _compare(lambda t: F.affine_grid(t, size, align_corners=align),
             lambda t: TF.affine_grid(t, size, align_corners=align), theta, atol=1e-4)


def _grid(k):
    g = (RNG.standard_normal((2,) + (3, 4, 2)[:k] + (k,)) * 1.5).astype(np.float32)
    g.flat[0], g.flat[1] = 1.0, -1.0  # exactly on the borders
    return g


@pytest.mark.parametrize("k,mode", [(2, "bilinear"), (2, "nearest"), (2, "bicubic"),
                                    (3, "bilinear"), (3, "nearest")])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample(k, mode, padding_mode):
    for align in (False, True):
        x = RNG.standard_normal((2, 3) + (4, 5, 3)[:k]).astype(np.float32)
        _compare(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align),
                 lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align), x, _grid(k),
                 atol=1e-4)


def test_grid_sample_default_align_warns():
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        TF.grid_sample(tj.zeros(1, 1, 2, 2), tj.zeros(1, 1, 1, 2))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        TF.affine_grid(tj.zeros(1, 2, 3), (1, 1, 2, 2))


GRID_ERRORS = [
    (((1, 2, 3, 3), "float32"), ((1, 2, 2, 2), "float64"), {}),
    (((1, 2, 3), "float32"), ((1, 2, 2), "float32"), {}),
    (((1, 2, 3, 3), "float32"), ((2, 2, 2, 2), "float32"), {}),
    (((1, 2, 3, 3), "float32"), ((1, 2, 2, 3), "float32"), {}),
    (((1, 2, 3, 3), "float32"), ((1, 2, 2, 2), "float32"), dict(mode="foo")),
    (((1, 2, 3, 3), "float32"), ((1, 2, 2, 2), "float32"), dict(padding_mode="foo")),
    (((1, 2, 3, 3, 3), "float32"), ((1, 2, 2, 2, 3), "float32"), dict(mode="bicubic")),
    (((1, 2, 0, 3), "float32"), ((1, 2, 2, 2), "float32"), {}),
    (((1, 2, 3, 3), "int64"), ((1, 2, 2, 2), "int64"), {}),
]


@pytest.mark.parametrize("a,g,kw", GRID_ERRORS)
def test_grid_sample_errors(a, g, kw):
    def run(f, T):
        return lambda: f(T.zeros(a[0], dtype=getattr(T, a[1])),
                         T.zeros(g[0], dtype=getattr(T, g[1])), align_corners=False, **kw)
    _same_error(run(F.grid_sample, torch), run(TF.grid_sample, tj))


@pytest.mark.parametrize("theta,size", [((1, 2, 3, "int64"), (1, 1, 2, 2)),
                                        ((1, 3, 3, "float32"), (1, 1, 2, 2)),
                                        ((1, 2, 3, "float32"), (1, 1, 2, 2, 2)),
                                        ((1, 2, 3, "float32"), (1, 1, 2)),
                                        ((1, 2, 3, "float32"), (1, 1, 0, 2)),
                                        ((1, 2, 3, "float32"), (2, 1, 3, 2))])
def test_affine_grid_errors(theta, size):
    def run(f, T):
        return lambda: f(T.zeros(theta[:3], dtype=getattr(T, theta[3])), size,
                         align_corners=False)
    _same_error(run(F.affine_grid, torch), run(TF.affine_grid, tj))


def test_grid_sample_empty_channels():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = TF.grid_sample(tj.zeros(1, 0, 3, 3), tj.zeros(1, 2, 2, 2))
    assert tuple(r.shape) == (1, 0, 2, 2)
