"""Matrix products and linear algebra."""
import jax.numpy as jnp

from .registry import op


def _mm_check(a, b):
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        sa = "x".join(map(str, a.shape[-2:] if a.ndim > 1 else (1,) + a.shape))
        sb = "x".join(map(str, b.shape[-2:] if b.ndim > 1 else b.shape + (1,)))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")


@op(tensors=("input", "other"), out=True, dunders=("matmul", "rmatmul"))
def matmul(input, other):
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    if input.ndim == 1 and other.ndim == 1:
        if input.shape != other.shape:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                               f"src [{other.shape[0]}] to have the same number of elements, but "
                               "got " f"{input.shape[0]} and {other.shape[0]} elements respectively")
    else:
        _mm_check(input, other)
    return jnp.matmul(input, other)


@op(tensors=("input", "mat2"), out=True)
def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"{'self' if input.ndim != 2 else 'mat2'} must be a matrix")
    _mm_check(input, mat2)
    return input @ mat2


@op(tensors=("input", "mat2"), out=True)
def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    return jnp.matmul(input, mat2)
