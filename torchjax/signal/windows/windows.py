"""torch.signal.windows: SciPy-style window functions, built from torchjax ops exactly as torch
builds them (a linspace of sample positions, then pointwise ops), so values, dtypes and the
autograd graph (requires_grad=True) are torch's."""
import math
from collections.abc import Iterable

import torchjax as torch

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _checks(name, M, dtype, layout):
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout not in (None, torch.strided):
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")


def _start(name, M, dtype, layout, device, requires_grad, ones_at_1=False):
    """Shared head: the dtype default, checks, and the trivial windows (None if not trivial)."""
    dtype = dtype or torch.get_default_dtype()
    _checks(name, M, dtype, layout)
    if M == 0 or (ones_at_1 and M == 1):
        make = torch.empty if M == 0 else torch.ones
        return dtype, make((M,), dtype=dtype, device=device, requires_grad=requires_grad)
    return dtype, None


def _lin(start, end, M, dtype, device, requires_grad):
    return torch.linspace(start=start, end=end, steps=M, dtype=dtype, device=device,
                          requires_grad=requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=torch.strided,
                device=None, requires_grad=False):
    dtype = dtype or torch.get_default_dtype()
    _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    dtype, w = _start("exponential", M, dtype, layout, device, requires_grad)
    if w is not None:
        return w
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    c = 1 / tau
    k = _lin(-center * c, (-center + (M - 1)) * c, M, dtype, device, requires_grad)
    return torch.exp(-torch.abs(k))


def cosine(M, *, sym=True, dtype=None, layout=torch.strided, device=None, requires_grad=False):
    dtype, w = _start("cosine", M, dtype, layout, device, requires_grad)
    if w is not None:
        return w
    c = math.pi / (M + 1 if not sym and M > 1 else M)
    return torch.sin(_lin(0.5 * c, (0.5 + (M - 1)) * c, M, dtype, device, requires_grad))


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=torch.strided, device=None,
             requires_grad=False):
    dtype = dtype or torch.get_default_dtype()
    _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    dtype, w = _start("gaussian", M, dtype, layout, device, requires_grad)
    if w is not None:
        return w
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    c = 1 / (std * math.sqrt(2))
    k = _lin(start * c, (start + (M - 1)) * c, M, dtype, device, requires_grad)
    return torch.exp(-k ** 2)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=torch.strided, device=None,
           requires_grad=False):
    dtype = dtype or torch.get_default_dtype()
    _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    dtype, w = _start("kaiser", M, dtype, layout, device, requires_grad, ones_at_1=True)
    if w is not None:
        return w
    beta = torch.tensor(beta, dtype=dtype, device=device)
    start = -beta
    c = 2.0 * beta / (M if not sym else M - 1)
    end = torch.minimum(beta, start + (M - 1) * c)
    k = _lin(start, end, M, dtype, device, requires_grad)
    return torch.i0(torch.sqrt(beta * beta - torch.pow(k, 2))) / torch.i0(beta)


def hamming(M, *, sym=True, dtype=None, layout=torch.strided, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=torch.strided, device=None, requires_grad=False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
             requires_grad=False):
    dtype = dtype or torch.get_default_dtype()
    _checks("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=torch.strided, device=None,
             requires_grad=False):
    dtype, w = _start("bartlett", M, dtype, layout, device, requires_grad, ones_at_1=True)
    if w is not None:
        return w
    c = 2 / (M if not sym else M - 1)
    return 1 - torch.abs(_lin(-1, -1 + (M - 1) * c, M, dtype, device, requires_grad))


def general_cosine(M, *, a, sym=True, dtype=None, layout=torch.strided, device=None,
                   requires_grad=False):
    dtype, w = _start("general_cosine", M, dtype, layout, device, requires_grad, ones_at_1=True)
    if w is not None:
        return w
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    c = 2 * math.pi / (M if not sym else M - 1)
    k = _lin(0, (M - 1) * c, M, dtype, device, requires_grad)
    a_i = torch.tensor([(-1) ** i * w for i, w in enumerate(a)], device=device, dtype=dtype,
                       requires_grad=requires_grad)
    i = torch.arange(a_i.shape[0], dtype=a_i.dtype, device=a_i.device,
                     requires_grad=a_i.requires_grad)
    return (a_i.unsqueeze(-1) * torch.cos(i.unsqueeze(-1) * k)).sum(0)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=torch.strided, device=None,
                    requires_grad=False):
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=torch.strided, device=None, requires_grad=False):
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)
