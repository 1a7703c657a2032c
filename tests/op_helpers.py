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
