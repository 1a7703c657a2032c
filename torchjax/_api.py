"""Namespace basics that are not ops: predicates, promotion queries, thread and determinism knobs."""
import numbers
import os

from . import _dtype as D
from ._tensor import Tensor


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_storage(obj):
    return False


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError(f"Boolean value of Tensor with {'more than one' if input.numel() else 'no'}"
                           " value is ambiguous")
    return bool(input.item())


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    dims, zeros, wrapped = [], [], []
    for a in (tensor1, tensor2):
        if isinstance(a, Tensor):
            (zeros if a.dim() == 0 else dims).append(a.dtype)
        elif isinstance(a, numbers.Number):
            wrapped.append(D.scalar_dtype(a))
        else:
            raise TypeError(f"result_type() received an invalid combination of arguments - got "
                            f"({type(tensor1).__name__}, {type(tensor2).__name__})")
    return D.result_type_of(dims, zeros, wrapped)


_threads = [os.cpu_count() or 1]


def set_num_threads(n):
    """Accepted for compatibility: XLA manages its own CPU thread pool."""
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads[0] = int(n)


def get_num_threads():
    return _threads[0]


def set_num_interop_threads(n):
    pass


def get_num_interop_threads():
    return 1


_deterministic = [False, False]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded only: XLA's CPU and GPU kernels used here are deterministic for a fixed program."""
    _deterministic[:] = [bool(mode), bool(warn_only)]


def are_deterministic_algorithms_enabled():
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic[1]


def compile(model=None, **kwargs):
    """torch.compile: returns the model unchanged (whole-step compilation is a later issue)."""
    if model is None:
        return lambda m: m
    return model
