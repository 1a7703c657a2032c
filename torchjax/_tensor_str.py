"""repr/str of tensors, character for character as torch 2.13 prints them.

The logic follows torch/_tensor_str.py, ported to numpy on the host. All float
checks are done in float64 (exact for every float dtype we hold) and every
number is formatted as a Python float/int, as torch does via ``.item()`` and
``.tolist()``.
"""
import contextlib
import dataclasses
import math
import sys

import numpy as np

from . import _dtype


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: object = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set printing options (same meaning as torch.set_printoptions)."""
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold,
         PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    # torch always overwrites sci_mode, so omitting it resets it to automatic
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """Current options as a dict that can be passed to set_printoptions."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses width and notation from a (flat) numpy array of values."""

    def __init__(self, values, floating):
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        values = values.reshape(-1)
        if not floating:
            if values.size:
                if values.dtype == np.bool_:
                    cands = [bool(v) for v in np.unique(values)]
                else:  # longest str of an int is at the min or the max
                    cands = [values.min().item(), values.max().item()]
                self.max_width = max(1, *(len(f"{v}") for v in cands))
            return

        vals = values.astype(np.float64)
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals)
        vmin, vmax = absv.min(), absv.max()
        self.int_mode = bool(np.all(np.ceil(vals) == vals))
        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):  # max/min may overflow to inf, as in torch
                ratio = vmax / vmin
            self.sci_mode = bool(ratio > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        uniq = np.unique(vals).tolist()
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in uniq]
        elif self.int_mode:  # room for the trailing "."
            widths = [len(f"{v:.0f}") + 1 for v in uniq]
        else:
            widths = [len(f"{v:.{p}f}") for v in uniq]
        self.max_width = max(self.max_width, *widths)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating_dtype:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _val_str(val, f1, f2):
    if f2 is None:
        return f1.format(val)
    real_str = f1.format(val.real)
    imag_str = (f2.format(val.imag) + "j").lstrip()
    if imag_str[0] in "+-":  # negative numbers, +0.0, -0.0
        return real_str + imag_str
    return real_str + "+" + imag_str


def _vector_str(a, indent, summarize, f1, f2):
    element_length = f1.width() + 2  # includes ", "
    if f2 is not None:
        element_length += f2.width() + 1  # imag part and "j"
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = ([_val_str(v, f1, f2) for v in a[:e].tolist()] + [" ..."]
                + [_val_str(v, f1, f2) for v in a[-e:].tolist()])
    else:
        data = [_val_str(v, f1, f2) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a, indent, summarize, f1, f2=None):
    dim = a.ndim
    if dim == 0:
        return _val_str(a.item(), f1, f2)
    if dim == 1:
        return _vector_str(a, indent, summarize, f1, f2)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = ([_tensor_str_with_formatter(a[i], indent + 1, summarize, f1, f2)
                   for i in range(e)] + ["..."]
                  + [_tensor_str_with_formatter(a[i], indent + 1, summarize, f1, f2)
                     for i in range(n - e, n)])
    else:
        slices = [_tensor_str_with_formatter(a[i], indent + 1, summarize, f1, f2)
                  for i in range(n)]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_data(a):
    """The values torch's get_summarized_data keeps (order is irrelevant here)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if not e:
        # 1-d: torch takes a[:0] and a[-0:], i.e. everything; n-d: nothing
        return a if a.ndim == 1 else a[(slice(0, 0),) * a.ndim]
    idx = [np.r_[0:e, n - e:n] if n > 2 * e else np.arange(n) for n in a.shape]
    return a[np.ix_(*idx)]


def _host_array(t):
    """Host copy: floats as float64, complex as complex128 (both exact)."""
    a = np.asarray(t._numpy())
    if t.dtype.is_complex:
        return a.astype(np.complex128)
    if t.dtype.is_floating_point:
        return a.astype(np.float64)
    return a


def _tensor_str(t, indent):
    a = _host_array(t)
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    src = _summarized_data(a) if summarize else a
    if t.dtype.is_complex:
        f1 = _Formatter(src.real, True)
        f2 = _Formatter(src.imag, True)
        return _tensor_str_with_formatter(a, indent, summarize, f1, f2)
    f1 = _Formatter(src, t.dtype.is_floating_point)
    return _tensor_str_with_formatter(a, indent, summarize, f1)


def _add_suffixes(tensor_str, suffixes, indent):
    out = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def _grad_fn_name(grad_fn):
    name = getattr(grad_fn, "name", None)
    if callable(name):
        return name().rsplit("::", 1)[-1]
    return type(grad_fn).__name__


def _prefix(t):
    """torch writes "tensor(" for Tensor and Parameter, else the subclass name."""
    mod = sys.modules.get(__package__ + "._tensor")  # not loaded: t is no Tensor
    Tensor = getattr(mod, "Tensor", None)
    cls = type(t)
    if Tensor is None:
        return "tensor("
    if cls is Tensor or cls.__name__ == "Parameter" or not isinstance(t, Tensor):
        return "tensor("
    return cls.__name__ + "("


def tensor_repr(t, *, tensor_contents=None):
    """torch's repr(tensor) (also its str) for a torchjax tensor.

    ``tensor_contents`` replaces the printed values, as in torch's Tensor.__repr__.
    """
    prefix = _prefix(t)
    indent = len(prefix)
    suffixes = []
    if str(t.device) != "cpu":
        suffixes.append(f"device='{t.device}'")

    dt = t.dtype
    default = _dtype.get_default_dtype()
    default_complex = _dtype.complex128 if default is _dtype.float64 else _dtype.complex64
    has_default_dtype = dt in (default, default_complex, _dtype.int64, _dtype.bool)
    shape = tuple(int(s) for s in t.shape)
    numel = math.prod(shape)
    if numel == 0:
        if len(shape) != 1:  # torch shows the shape unless it is (0,)
            suffixes.append(f"size={shape}")
        if dt is not default:  # no values to infer an int dtype from
            suffixes.append(f"dtype=torch.{dt.name}")
        tensor_str = "[]" if tensor_contents is None else tensor_contents
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={shape}")
        if not has_default_dtype:
            suffixes.append(f"dtype=torch.{dt.name}")
        tensor_str = _tensor_str(t, indent) if tensor_contents is None else tensor_contents

    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + tensor_str, suffixes, indent)
