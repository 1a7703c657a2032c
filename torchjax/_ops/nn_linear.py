"""nn.functional ops: linear and bilinear (one jitted op each).

torch's grad_fn depends on the path its kernel takes (addmm for 2-D input with bias, mm without,
a flattened addmm + view for other ranks), so the composites pass that name as a static."""
import math

import jax.numpy as jnp

from .._tensor import Tensor
from ._cascade import bias_add
from .linalg import HI, _sn, _cn, _mm_dtype, _mm_shape, _expand_check, _no_bool
from .registry import op, composite, call, OPS

F = "nn.functional"


def _up(*arrays):
    """Half-precision operands in float32: torch's CPU kernels accumulate (and add the bias) in
    float and round once."""
    return tuple(a.astype(jnp.float32) if a is not None and a.dtype in (jnp.float16, jnp.bfloat16)
                 else a for a in arrays)


def _linear_checks(input, weight, bias):
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    if weight.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.ndim}D")
    if weight.ndim == 1:
        if bias is not None:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        return
    m = math.prod(input.shape[:-1])
    _mm_shape(None, None, (m, input.shape[-1]), (weight.shape[1], weight.shape[0]))
    if bias is None:
        _mm_dtype(input, weight)
        return
    if bias.dtype != weight.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_sn(bias)} and "
                           f"{_sn(weight)}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_sn(input)} and "
                           f"{_sn(weight)}")
    _no_bool(input, "addmm_impl_cpu_")
    _expand_check(bias, (m, weight.shape[0]))


@op(tensors=("input", "weight", "bias"), promote=False, function=False, method=False,
    grad=lambda key: key[0][-1])
def _linear(input, weight, bias, gname):
    _linear_checks(input, weight, bias)
    dt = input.dtype
    input, weight, bias = _up(input, weight, bias)
    out = jnp.matmul(input, weight if weight.ndim == 1 else weight.T, precision=HI)
    return (out if bias is None else bias_add(out, bias)).astype(dt)


def _need_tensor(fname, pos, name, v):
    if not isinstance(v, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(v).__name__}")


_LINEAR = OPS["_linear"]


@composite(method=False, namespace=("nn.functional",))
def linear(input, weight, bias=None):
    if type(input) is not Tensor or type(weight) is not Tensor:
        _need_tensor("linear", 1, "input", input)
        _need_tensor("linear", 2, "weight", weight)
    nd = input.ndim
    if bias is None:
        if weight.ndim == 1 and nd < 3:  # matmul's vector cases
            g = "DotBackward0" if nd == 1 else "MvBackward0"
        else:
            g = "MmBackward0" if nd == 2 else "SqueezeBackward4" if nd == 1 else \
                "UnsafeViewBackward0"
    elif nd == 2:
        g = "AddmmBackward0"
    else:
        g = "ViewBackward0" if nd == 1 or input.is_contiguous() else "AddBackward0"
    return call(_LINEAR, (input, weight, bias), (g,))


@op(tensors=("input1", "input2", "weight", "bias"), promote=False, function=False, method=False,
    grad=lambda key: key[0][-1])
def _bilinear(input1, input2, weight, bias, gname):
    ts = [("input1", input1), ("input2", input2), ("weight", weight)] + \
        ([("bias", bias)] if bias is not None else [])
    if len({t.dtype for _, t in ts}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got " +
                           ", ".join(f"{n}: {_cn(t)}" for n, t in ts))
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{input1.shape[i]} and {input2.shape[i]}")
    if weight.ndim != 3:
        raise RuntimeError("number of dimensions must match")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")
    dt = input1.dtype
    input1, input2, weight, bias = _up(input1, input2, weight, bias)
    out = jnp.einsum("...i,oij,...j->...o", input1, weight, input2, precision=HI)
    return (out if bias is None else bias_add(out, bias)).astype(dt)


_BILINEAR = OPS["_bilinear"]


@composite(method=False, namespace=("", "nn.functional"))
def bilinear(input1, input2, weight, bias=None):
    for i, (n, v) in enumerate((("input1", input1), ("input2", input2), ("weight", weight))):
        _need_tensor("bilinear", i + 1, n, v)
    g = "ViewBackward0" if bias is None else "AddBackward0"
    return call(_BILINEAR, (input1, input2, weight, bias), (g,))
