"""Compare a torch result with a target result, torch.testing.assert_close style."""
import numbers

import numpy as np
import torch
from torch.testing._comparison import _DTYPE_PRECISIONS

from .convert import dtype_name, target_numpy, torch_numpy


class Mismatch(AssertionError):
    pass


def default_tol(name):
    """torch's default (rtol, atol) for a dtype name; (0, 0) for exact dtypes."""
    d = getattr(torch, name, None)
    return _DTYPE_PRECISIONS.get(d, (0.0, 0.0))


def _is_tensor(x):
    return hasattr(x, "dtype") and hasattr(x, "shape") and hasattr(x, "detach")


def compare(expected, actual, rtol=None, atol=None, where="out"):
    """Raise Mismatch describing the first difference between torch's `expected` and the
    target's `actual`. rtol/atol of None mean torch's default for the dtype."""
    if isinstance(expected, torch.Tensor):
        if not _is_tensor(actual):
            raise Mismatch(f"{where}: expected a tensor, got {type(actual).__name__}")
        compare_arrays(torch_numpy(expected), target_numpy(actual), dtype_name(expected.dtype),
                       dtype_name(actual.dtype), rtol, atol, where)
    elif isinstance(expected, torch.Size):
        if not isinstance(actual, tuple) or tuple(actual) != tuple(expected):
            raise Mismatch(f"{where}: expected size {tuple(expected)}, got {actual!r}")
    elif isinstance(expected, torch.dtype):
        if dtype_name(expected) != dtype_name(actual):
            raise Mismatch(f"{where}: expected {expected}, got {actual!r}")
    elif isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            raise Mismatch(f"{where}: expected a sequence of {len(expected)}, got {_describe(actual)}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(e, a, rtol, atol, f"{where}[{i}]")
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        if type(actual) is not type(expected) or actual != expected:
            raise Mismatch(f"{where}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, numbers.Number):
        if type(actual) is not type(expected):
            raise Mismatch(f"{where}: expected {type(expected).__name__} {expected!r}, "
                           f"got {actual!r}")
        r, a = (0.0, 0.0) if isinstance(expected, numbers.Integral) else default_tol("float64")
        compare_arrays(np.asarray(expected), np.asarray(actual), "number", "number",
                       r if rtol is None else rtol, a if atol is None else atol, where)
    else:
        if actual != expected:
            raise Mismatch(f"{where}: expected {expected!r}, got {actual!r}")


def _describe(x):
    return f"{type(x).__name__} of {len(x)}" if isinstance(x, (tuple, list)) else type(x).__name__


def compare_arrays(e, a, e_dtype, a_dtype, rtol, atol, where):
    if e.shape != a.shape:
        raise Mismatch(f"{where}: shape {tuple(a.shape)} != expected {tuple(e.shape)}")
    if e_dtype != a_dtype:
        raise Mismatch(f"{where}: dtype {a_dtype} != expected {e_dtype}")
    if rtol is None or atol is None:
        r, t = default_tol(e_dtype)
        rtol = r if rtol is None else rtol
        atol = t if atol is None else atol
    if e.dtype.kind in "biu" and a.dtype.kind in "biu":
        bad = e != a
    else:
        wide = np.complex128 if e.dtype.kind == "c" else np.float64
        ew, aw = e.astype(wide), a.astype(wide)
        bad = ~np.isclose(aw, ew, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        if e.dtype.kind in "biu":
            diff = np.abs(e.astype(np.float64) - a.astype(np.float64))
        else:
            diff = np.abs(ew - aw)
            diff = diff[np.isfinite(diff)]
        maxd = float(diff.max()) if diff.size else float("nan")
        raise Mismatch(f"value mismatch at {where}{list(idx) if idx else ''}: got {a[idx].item()!r}, "
                       f"expected {e[idx].item()!r}; {int(bad.sum())}/{bad.size} differ, "
                       f"max abs diff {maxd:.3g}")
