"""Carry torch sample inputs over to the target library (torchjax, or torch itself for self-tests)
through numpy, and rebind op_db's lambdas so that their `torch.` references reach the target."""
import collections
import types

import ml_dtypes
import numpy as np
import torch
from torch.testing._utils import wrapper_set_seed


def torch_numpy(t):
    """numpy copy of a torch tensor (any dtype numpy can hold; bfloat16 via ml_dtypes)."""
    t = t.detach().cpu()
    if t.layout != torch.strided:
        raise TypeError(f"can't convert {t.layout} tensor")
    if t._is_zerotensor():  # gradients torch knows to be zero
        t = torch.zeros(t.shape, dtype=t.dtype)
    t = t.resolve_conj().resolve_neg()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(ml_dtypes.bfloat16)
    if t.dtype == torch.complex32:  # only ever an expected value: compared as complex64
        return t.to(torch.complex64).numpy()
    return t.numpy().copy()


def target_numpy(t):
    """numpy copy of a target tensor."""
    d = t.detach()
    if isinstance(d, torch.Tensor):  # torch as target
        return torch_numpy(d)
    return np.asarray(d.numpy())


def make_target(tj, arr, name, requires_grad=False):
    """Target tensor of dtype `name` from a numpy array (bfloat16 goes as exact float32)."""
    if name == "bfloat16":
        arr = arr.astype(np.float32)
    return tj.tensor(arr, dtype=getattr(tj, name), requires_grad=requires_grad)


def dtype_name(d):
    """'float32' for torch.float32 and torchjax.float32 alike."""
    return getattr(d, "name", None) or str(d).removeprefix("torch.")


def attr_path(mod, path):
    """mod.a.b.c for path 'a.b.c', or None."""
    for part in path.split("."):
        mod = getattr(mod, part, None)
        if mod is None:
            return None
    return mod


class Converter:
    """Converts one sample's inputs; the same torch tensor always maps to the same target tensor.
    `grad_pairs` lists (torch tensor, target tensor) for floating tensors that require grad."""

    def __init__(self, tj):
        self.tj = tj
        self.memo = {}
        self.grad_pairs = []

    def __call__(self, x):
        tj = self.tj
        if isinstance(x, torch.nn.Parameter):
            return tj.nn.Parameter(make_target(tj, torch_numpy(x), dtype_name(x.dtype)),
                                   x.requires_grad)
        if isinstance(x, torch.nn.Module):  # rebuilt the way unpickling rebuilds a module
            cls = attr_path(tj, type(x).__module__.removeprefix("torch.") + "." +
                            type(x).__name__)
            m = cls.__new__(cls)
            m.__setstate__({k: self(v) for k, v in x.__dict__.items()})
            return m
        if isinstance(x, collections.OrderedDict):
            return collections.OrderedDict((k, self(v)) for k, v in x.items())
        if isinstance(x, torch.Tensor):
            key = id(x)
            if key not in self.memo:
                rg = x.requires_grad and (x.is_floating_point() or x.is_complex())
                y = self._view(x, rg) if x._base is not None else None
                if y is None:
                    y = make_target(tj, torch_numpy(x), dtype_name(x.dtype), rg)
                self.memo[key] = (x, y)  # keep x alive so id() stays unique
                if rg:
                    self.grad_pairs.append((x, y))
            return self.memo[key][1]
        if isinstance(x, torch.Size):
            return tj.Size(tuple(x)) if hasattr(tj, "Size") else tuple(x)
        if isinstance(x, (torch.dtype, torch.layout, torch.memory_format)):
            return getattr(tj, str(x).removeprefix("torch."))
        if isinstance(x, torch.device):
            return tj.device(str(x)) if hasattr(tj, "device") else str(x)
        if isinstance(x, torch.Generator):
            raise TypeError("can't convert torch.Generator")
        if isinstance(x, list):
            return [self(v) for v in x]
        if isinstance(x, tuple):
            vals = [self(v) for v in x]
            return type(x)(*vals) if hasattr(x, "_fields") else tuple(vals)
        if isinstance(x, dict):
            return {k: self(v) for k, v in x.items()}
        if isinstance(x, types.FunctionType) and x.__module__.startswith("torch.testing"):
            return rebind(x, tj)
        if callable(x) and _torch_callable(x) is not None:
            path, name = _torch_callable(x)
            return getattr(attr_path(tj, path) if path else tj, name)
        return x


    def _view(self, x, rg):
        """A view of a converted base with x's sizes, strides and storage offset (so ops that
        read the storage, like as_strided, see what torch sees), when x is a strided view of a
        base that owns its storage from element 0; else None."""
        base = x._base
        if (base._base is not None or base.storage_offset() != 0 or not base.is_contiguous()
                or x.layout != torch.strided or x.dtype != base.dtype or x.is_conj() or x.is_neg()
                or not hasattr(self.tj.Tensor, "as_strided")):
            return None
        y = make_target(self.tj, torch_numpy(base), dtype_name(base.dtype), rg)
        return y.as_strided(tuple(x.shape), x.stride(), x.storage_offset())


_CALLABLES = {}


def _torch_callable(f):
    """('nn.functional', 'gelu') when f is torch.nn.functional.gelu (or torch.X), else None."""
    if not _CALLABLES:
        for path, mod in (("nn.functional", torch.nn.functional), ("", torch)):
            for name in dir(mod):
                v = getattr(mod, name, None)
                if callable(v) and not isinstance(v, type):
                    _CALLABLES.setdefault(id(v), (path, name, v))
    hit = _CALLABLES.get(id(f))
    return hit[:2] if hit is not None and hit[2] is f else None


# ---- rebinding op_db lambdas ----

class _Absent:
    """Stands in for a torch submodule the target lacks; any use names what is missing."""

    def __init__(self, path):
        self._path = path

    def __getattr__(self, name):
        raise AttributeError(f"target has no {self._path}.{name}")


def _target_module(mod, tj):
    path = mod.__name__.removeprefix("torch").lstrip(".")
    found = attr_path(tj, path) if path else tj
    return found if found is not None else _Absent(path)


def rebind(fn, tj, depth=0):
    """Copy of fn whose globals (and closure) name the target wherever they named torch or a
    torch submodule; helper functions from torch.testing are rebound too."""
    if not isinstance(fn, types.FunctionType) or not fn.__module__.startswith("torch.testing"):
        return fn
    if depth > 3:
        return fn
    g = dict(fn.__globals__)
    for name in _all_names(fn.__code__):
        v = g.get(name)
        if isinstance(v, types.ModuleType) and v.__name__.startswith("torch"):
            g[name] = _target_module(v, tj)
        elif v is wrapper_set_seed:
            g[name] = _seeded(tj)
        elif isinstance(v, types.FunctionType):
            g[name] = rebind(v, tj, depth + 1)
    cells = None
    if fn.__closure__:
        cells = tuple(types.CellType(_rebind_value(c.cell_contents, tj, depth)) if _filled(c)
                      else c for c in fn.__closure__)
    new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, cells)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def _seeded(tj):
    """op_db's wrapper_set_seed for the target: seed 42, then call."""
    def wrapper_set_seed(op, *args, **kwargs):
        if hasattr(tj, "manual_seed"):  # random ops are excluded; this only keeps the order
            tj.manual_seed(42)
        return op(*args, **kwargs)
    return wrapper_set_seed


def _filled(cell):
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _rebind_value(v, tj, depth):
    if isinstance(v, types.ModuleType) and v.__name__.startswith("torch"):
        return _target_module(v, tj)
    if isinstance(v, types.FunctionType):
        return rebind(v, tj, depth + 1)
    return v


def _all_names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _all_names(c)
    return names
