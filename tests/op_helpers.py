"""Comparison helpers shared by the tests/test_ops_*.py files (torch vs torchjax)."""
import numpy as np
import torch


def _to(lib, v, rg):
    """A numpy sample (or a list of them) as a tensor of lib, requiring grad when asked."""
    if isinstance(v, np.ndarray):
        t = lib.from_numpy(v.copy()) if lib is torch else lib.tensor(v)
        if rg and v.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    if isinstance(v, (list, tuple)) and v and isinstance(v[0], np.ndarray):
        return type(v)(_to(lib, a, rg) for a in v)
    return v


def _np(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach())


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [y for v in x for y in _flat(v)]
    return [x]


def bits(r, g):
    """Bitwise equality (-0 vs +0 counts; NaNs by position), dtype and shape included."""
    r, g = r.detach(), g.detach()
    assert str(g.dtype) == str(r.dtype) and tuple(g.shape) == tuple(r.shape)
    a, b = np.atleast_1d(r.float().numpy()), np.atleast_1d(g.float().numpy())
    assert np.array_equal(np.isnan(a), np.isnan(b))
    a, b = np.where(np.isnan(a), 0, a), np.where(np.isnan(b), 0, b)
    assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), \
        f"{(a != b).mean():.3f} of elements differ"
