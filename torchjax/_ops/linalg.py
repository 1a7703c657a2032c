"""Matrix products, torch.linalg and distances.

Conventions: every op is one pure JAX function (see docs/adding-ops.md). Ops whose torch form
differs between ``torch.X`` and ``torch.linalg.X`` (svd, qr, cholesky, norm, cross, ...) are
registered once under an internal name (``linalg_svd``) and exposed through composites with the
two signatures. Matrix products use ``Precision.HIGHEST`` so float32 results match torch's CPU
kernels. Checks that need data (singular matrices) run in the composite, after the jitted call,
exactly like torch's ``info`` checks.
"""
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import _dtype as D
from .. import return_types as RT
from .._tensor import Tensor
from .pointwise import _not_impl
from ._util import wrap_dim, wrap_dims, broadcast_shapes
from ._cascade import expand_to, on_cpu
from .registry import op, composite, call, OPS, NAMESPACES, METHODS, AUTOCAST

HI = lax.Precision.HIGHEST


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (torch._C._LinAlgError): a RuntimeError subclass."""


LinAlgError.__module__ = "torch._C"
LinAlgError.__qualname__ = LinAlgError.__name__ = "_LinAlgError"
NAMESPACES.setdefault("linalg", {})["LinAlgError"] = LinAlgError


# ---------------------------------------------------------------- helpers

def _dt(a):
    """torchjax dtype of a jax array or a Tensor."""
    return a.dtype if isinstance(a, Tensor) else D.from_np(a.dtype)


def _sn(a):
    """torch's ScalarType name of an array's dtype ('Float', 'Long', ...)."""
    return D.SCALAR_NAME[_dt(a)]


_CNAMES = {"Float": "float", "Double": "double", "Long": "long int", "Int": "int",
           "Short": "short int", "Char": "signed char", "Byte": "unsigned char", "Bool": "bool",
           "Half": "c10::Half", "BFloat16": "c10::BFloat16",
           "ComplexFloat": "c10::complex<float>", "ComplexDouble": "c10::complex<double>"}


def _cn(a):
    """the C++ type name torch prints in some messages ('float', 'long int', ...)."""
    return _CNAMES.get(_sn(a), _sn(a))


def _mm(a, b):
    return jnp.matmul(a, b, precision=HI)


def _mT(a):
    return jnp.swapaxes(a, -1, -2)


def _mH(a):
    return jnp.conj(_mT(a)) if jnp.iscomplexobj(a) else _mT(a)


def _is_complex(a):
    return jnp.issubdtype(a.dtype, jnp.complexfloating)


def _real_dtype(dt):
    dt = np.dtype(dt)
    return {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}.get(dt, dt)


def _no_bool(a, kernel):
    if _dt(a) == D.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


_LINALG_DTYPES = {np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.complex64),
                  np.dtype(np.complex128)}


def _float_check(A, api):
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        raise RuntimeError(f"{api}: Expected a floating point or complex tensor as input. "
                           f"Got {_sn(A)}")
    if np.dtype(A.dtype) not in _LINALG_DTYPES:
        raise RuntimeError(f"{api}: Low precision dtypes not supported. Got {_sn(A)}")


def _ndim_check(A, api, name="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{api}: The input tensor {name} must have at least 2 dimensions.")


def _square_check(A, api, name="A"):
    _ndim_check(A, api, name)
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{api}: {name} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _expand_check(t, target):
    """torch's expand() error text for broadcasting t to target."""
    shape = tuple(t.shape)
    n = len(target)
    if len(shape) > n:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(target)}): the "
                           "number of sizes provided must be greater or equal to the number of "
                           "dimensions in the tensor")
    for i in range(n - 1, -1, -1):
        j = i - (n - len(shape))
        if j < 0:
            continue
        if shape[j] != 1 and shape[j] != target[i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i]}) must match the "
                               f"existing size ({shape[j]}) at non-singleton dimension {i}.  "
                               f"Target sizes: {list(target)}.  Tensor sizes: {list(shape)}")


def _scal(v, a):
    """alpha/beta as torch applies them: truncated to int for integral tensors."""
    if jnp.issubdtype(a.dtype, jnp.integer):
        return int(v)
    if a.dtype == jnp.bool_:
        return bool(v)
    return v


def _axpby(beta, inp, alpha, prod):
    """beta * input + alpha * prod with torch's beta == 0 rule (input ignored, NaN too)."""
    alpha, beta = _scal(alpha, prod), _scal(beta, prod)
    if prod.dtype == jnp.bool_:
        p = prod if alpha else jnp.zeros_like(prod)
        return (p | inp) if beta else jnp.broadcast_to(p, prod.shape)
    p = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return jnp.broadcast_to(p, prod.shape)
    if jnp.issubdtype(inp.dtype, jnp.inexact) and inp.shape != prod.shape:
        inp = expand_to(inp, prod.shape)    # its gradient: torch's sum_to
    i = inp if beta == 1 else inp * beta
    return (i + p).astype(prod.dtype)


def _raise_info(info, fmt, api, batched, exc=None):
    """Raise LinAlgError for the first non-zero info (a host sync, as torch's check)."""
    v = np.asarray(info._value if isinstance(info, Tensor) else info).reshape(-1)
    nz = np.nonzero(v)[0]
    if nz.size:
        i = int(nz[0])
        pre = f"{api}: " + (f"(Batch element {i}): " if batched else "")
        raise (exc or LinAlgError)(pre + fmt.format(int(v[i])))


def _gname(key):
    """grad= for ops whose grad_fn name is their last static argument."""
    return key[0][-1]


@jax.custom_jvp
def _symgrad(A):
    """Identity whose derivative is symmetrised: torch's gradients for cholesky/eigh are
    Hermitian (they read one triangle but differentiate as if A were Hermitian)."""
    return A


@_symgrad.defjvp
def _symgrad_jvp(p, t):
    return _symgrad(p[0]), (t[0] + _mH(t[0])) / 2


# ---------------------------------------------------------------- products

def _mm_shape(a, b, sa=None, sb=None):
    sa = sa or tuple(a.shape)
    sb = sb or tuple(b.shape)
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and "
                           f"{sb[0]}x{sb[1]})")


def _mm_dtype(a, b):
    if _dt(a) != _dt(b):
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cn(a)} != "
                           f"{_cn(b)}")


def _mv_checks(mat_shape, vec_len, vec, mat):
    if mat_shape[1] != vec_len:
        raise RuntimeError(f"size mismatch, got input ({mat_shape[0]}), mat "
                           f"({mat_shape[0]}x{mat_shape[1]}), vec ({vec_len})")
    if _dt(vec) != _dt(mat):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_sn(vec)}, "
                           f"{_sn(mat)}, and {_sn(vec)}")
    _no_bool(mat, "addmv_impl_cpu")


def _bmm_checks(b, n, k, b2, k2, a, c):
    if b2 != b or k2 != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{b2}, {k2}].")
    if _dt(a) != _dt(c):
        raise RuntimeError(f"expected scalar type {_sn(a)} but found {_sn(c)}")
    _no_bool(a, "bmm")


@op(tensors=("input", "mat2"), promote=False, out=True)
def mm(input, mat2):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _mm_shape(input, mat2)
    _mm_dtype(input, mat2)
    _no_bool(input, "addmm_impl_cpu_")
    return _mm(input, mat2)


@op(tensors=("input", "mat2"), promote=False, out=True)
def bmm(input, mat2):
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _bmm_checks(input.shape[0], input.shape[1], input.shape[2], mat2.shape[0], mat2.shape[1],
                input, mat2)
    return _mm(input, mat2)


@op(tensors=("input", "vec"), promote=False, out=True)
def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _mv_checks(input.shape, vec.shape[0], vec, input)
    return _mm(input, vec)


def _dot_checks(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_sn(a)} "
                           f"and {_sn(b)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    _no_bool(a, "dot")


@op(tensors=("input", "tensor"), promote=False, out=True)
def dot(input, tensor):
    _dot_checks(input, tensor)
    return jnp.dot(input, tensor, precision=HI)


@op(tensors=("input", "other"), promote=False, out=True)
def vdot(input, other):
    _dot_checks(input, other)
    return jnp.dot(jnp.conj(input), other, precision=HI)


@op(tensors=("input", "other"), promote=False, function=False, method=False, grad=_gname)
def _matmul(input, other, gname):
    return _mm(input, other)


def _should_fold(t1, t2, has_out):
    """torch's should_fold (LinearAlgebra.cpp): fold the larger operand's batch into mm/mv."""
    larger = t1.ndim >= t2.ndim
    if larger:
        shape, stride = tuple(t1.shape), tuple(t1.stride())
    else:
        shape, stride = list(t2.shape), list(t2.stride())
        shape[-1], shape[-2] = shape[-2], shape[-1]
        stride[-1], stride[-2] = stride[-2], stride[-1]
    dim_t1, dim_t2 = len(shape), (t2.ndim if larger else t1.ndim)
    if not (dim_t1 >= 3 and dim_t2 <= 2):
        return False
    if (t1.requires_grad or t2.requires_grad) and not has_out:
        return True
    if t1.ndim == 2:
        return False
    if math.prod(shape) == 0:
        return True
    for i in range(dim_t1 - 2):
        if stride[i] != stride[i + 1] * shape[i + 1]:
            return False
    return True


@composite()
def matmul(input, other, *, out=None):
    if AUTOCAST[0] is not None and out is None:  # autocast's policy is matmul's, not dot's/mv's
        (input, other), _ = AUTOCAST[0](OPS["_matmul"], (input, other), ("",))
    d1, d2 = input.dim(), other.dim()
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        return call(OPS["dot"], (input, other), (), out)
    if d1 == 2 and d2 == 1:
        return call(OPS["mv"], (input, other), (), out)
    if d1 == 2 and d2 == 2:
        return call(OPS["mm"], (input, other), (), out)
    s1, s2 = tuple(input.shape), tuple(other.shape)
    if d1 == 1 and d2 == 2:
        _mm_shape(input, other, (1, s1[0]), s2)
        _mm_dtype(input, other)
        _no_bool(input, "addmm_impl_cpu_")
        g = "SqueezeBackward4"
    elif _should_fold(input, other, out is not None):
        if d1 >= d2:  # fold input's batch into the rows
            rows = math.prod(s1[:-1])
            if d2 == 2:
                _mm_shape(input, other, (rows, s1[-1]), s2)
                _mm_dtype(input, other)
                _no_bool(input, "addmm_impl_cpu_")
            else:
                _mv_checks((rows, s1[-1]), s2[0], other, input)
            g = "UnsafeViewBackward0"
        else:  # other.mT folded, input (transposed) on the right
            rows = math.prod(s2[:-2]) * s2[-1]
            if d1 == 2:
                _mm_shape(other, input, (rows, s2[-2]), (s1[1], s1[0]))
                _mm_dtype(other, input)
                _no_bool(input, "addmm_impl_cpu_")
                g = "CloneBackward0"
            else:
                _mv_checks((rows, s2[-2]), s1[0], input, other)
                g = "UnsafeViewBackward0"
    else:
        n = s1[-2] if d1 > 1 else 1
        m1 = s1[-1]
        m2 = s2[-2] if d2 > 1 else s2[0]
        batch = broadcast_shapes(s1[:max(d1 - 2, 0)], s2[:max(d2 - 2, 0)])
        b = math.prod(batch)
        _bmm_checks(b, n, m1, b, m2, input, other)
        g = "UnsafeViewBackward0"
    return call(OPS["_matmul"], (input, other), (g,), out)


def _rmatmul(self, other):
    if not isinstance(other, Tensor) or not isinstance(self, Tensor):
        return NotImplemented
    return matmul(other, self)


def _dmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


NAMESPACES.setdefault("linalg", {})["matmul"] = matmul
METHODS["__matmul__"] = _dmatmul
METHODS["__rmatmul__"] = _rmatmul


@op(tensors=("input", "mat1", "mat2"), promote=False, inplace=True, out=True)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    if mat1.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    _mm_shape(mat1, mat2)
    if input.dtype != mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_sn(input)} and "
                           f"{_sn(mat2)}")
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_sn(mat1)} and "
                           f"{_sn(mat2)}")
    _no_bool(mat1, "addmm_impl_cpu_")
    _expand_check(input, (mat1.shape[0], mat2.shape[1]))
    return _axpby(beta, input, alpha, _mm(mat1, mat2))


@op(tensors=("input", "mat", "vec"), promote=False, inplace=True, out=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    if mat.shape[1] != vec.shape[0] or (input.ndim == 1 and input.shape[0] not in
                                         (1, mat.shape[0])):
        got = f"({input.shape[0]})" if input.ndim == 1 else "()"
        raise RuntimeError(f"size mismatch, got input {got}, mat ({mat.shape[0]}x{mat.shape[1]}), "
                           f"vec ({vec.shape[0]})")
    if not (input.dtype == mat.dtype == vec.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_sn(input)}, "
                           f"{_sn(mat)}, and {_sn(vec)}")
    _no_bool(mat, "addmv_impl_cpu")
    return _axpby(beta, input, alpha, _mm(mat, vec))


def _bmm3(batch1, batch2):
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")


@op(tensors=("input", "batch1", "batch2"), promote=False, inplace=True, out=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _bmm3(batch1, batch2)
    b, n, k = batch1.shape
    if not (input.dtype == batch1.dtype == batch2.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {_cn(input)}, batch1: "
                           f"{_cn(batch1)}, batch2: {_cn(batch2)}")
    _bmm_checks(b, n, k, batch2.shape[0], batch2.shape[1], batch1, batch2)
    _expand_check(input, (b, n, batch2.shape[2]))
    return _axpby(beta, input, alpha, _mm(batch1, batch2))


@op(tensors=("input", "batch1", "batch2"), promote=False, inplace=True, out=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _bmm3(batch1, batch2)
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{batch1.shape[0]} and {batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]}"
                           f" and {batch2.shape[1]}x{batch2.shape[2]})")
    _expand_check(input, (batch1.shape[1], batch2.shape[2]))
    if not (input.dtype == batch1.dtype == batch2.dtype):
        raise RuntimeError(f"expected scalar type {_sn(input)} but found {_sn(batch1)}")
    _no_bool(batch1, "addbmm")
    # one contraction over (batch, k): torch's kernel accumulates per batch, so results agree
    # to rounding only
    prod = jnp.einsum("bij,bjk->ik", batch1, batch2, precision=HI)
    return _axpby(beta, input, alpha, prod)


def _vec1d(v, name, fn="outer"):
    if v.ndim != 1:
        raise RuntimeError(f"{fn}: Expected 1-D argument {name}, but got {v.ndim}-D")


@op(tensors=("input", "vec1", "vec2"), inplace=True, out=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    _vec1d(vec1, "vec1", "addr")
    _vec1d(vec2, "vec2", "addr")
    _expand_check(input, (vec1.shape[0], vec2.shape[0]))
    return _axpby(beta, input, alpha, vec1[:, None] * vec2[None, :])


@op(tensors=("input", "vec2"), out=True, aliases=("ger",), grad="MulBackward0")
def outer(input, vec2):
    _vec1d(input, "self")
    _vec1d(vec2, "vec2")
    return input[:, None] * vec2[None, :]


@op(tensors=("input", "other"), promote=False, function=False, method=False,
    grad="ViewBackward0")
def _tensordot(input, other, dims_a, dims_b):
    a, b = input, other
    ka, kb = [], []
    for da, db in zip(dims_a, dims_b):
        sa, sb = a.shape[da], b.shape[db]
        if sb == 1 and sa != 1:
            a = jnp.sum(a, axis=da, keepdims=True)
        elif sa == 1 and sb != 1:
            b = jnp.sum(b, axis=db, keepdims=True)
        ka.append(da)
        kb.append(db)
    _no_bool(a, "addmm_impl_cpu_")
    return jnp.tensordot(a, b, axes=(tuple(ka), tuple(kb)), precision=HI)


def _tensordot_checks(a, b, dims_a, dims_b):
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    wa = tuple(wrap_dim(d, a.dim()) for d in dims_a)
    wb = tuple(wrap_dim(d, b.dim()) for d in dims_b)
    for da, db, ra, rb in zip(wa, wb, dims_a, dims_b):
        sa, sb = a.shape[da], b.shape[db]
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in "
                               f"dim {ra} and second has size {sb} in dim {rb}")
    return wa, wb


@composite(method=False)
def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, Tensor):
        if dims.numel() > 1:
            dims_a, dims_b = dims[0].tolist(), dims[1].tolist()
        else:
            dims = int(dims.item())
    if isinstance(dims, bool) or not isinstance(dims, (int, tuple, list, Tensor)):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (tuple, list)):
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    wa, wb = _tensordot_checks(a, b, dims_a, dims_b)
    return call(OPS["_tensordot"], (a, b), (wa, wb), out)


@composite()
def inner(input, other, *, out=None):
    if input.dim() == 0 or other.dim() == 0:
        return call(OPS["mul"], (input, other), (), out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    wa, wb = _tensordot_checks(input, other, [-1], [-1])
    return call(OPS["_tensordot"], (input, other), (wa, wb), out)


@op(tensors=("input", "other"), out=True, grad="UnsafeViewBackward0")
def kron(input, other):
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + input.shape)
    b = other.reshape((1,) * (nd - other.ndim) + other.shape)
    ea = a.reshape(tuple(x for s in a.shape for x in (s, 1)))
    eb = b.reshape(tuple(x for s in b.shape for x in (1, s)))
    p = (ea & eb) if a.dtype == jnp.bool_ else ea * eb
    return p.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


# ---- einsum ----
def _einsum_parse(equation, shapes):
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    sizes = {}
    parsed = []
    pos = 0
    for i, (t, shape) in enumerate(zip(terms, shapes)):
        ell = "..." in t
        labels = t.replace("...", "")
        for j, ch in enumerate(labels):
            if not ch.isalpha() or not ch.isascii():
                raise RuntimeError(f"einsum(): invalid subscript given at index {pos + j} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
        pos += len(t) + 1
        n = len(labels)
        if not ell and n != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not "
                               f"match the number of dimensions ({len(shape)}) for operand {i} "
                               "and no ellipsis was given")
        if ell and n > len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) is more "
                               f"than the number of dimensions ({len(shape)}) for operand {i}")
        # positions of labels in this operand
        if ell:
            before, after = t.split("...")
            nell = len(shape) - n
            dims = list(before) + [None] * nell + list(after)
        else:
            dims = list(labels)
        for ch, s in zip(dims, shape):
            if ch is None:
                continue
            prev = sizes.get(ch)
            if prev is None or prev == 1:
                sizes[ch] = s
            elif s != 1 and s != prev:
                raise RuntimeError(f"einsum(): subscript {ch} has size {s} for operand {i} which "
                                   f"does not broadcast with previously seen size {prev}")
        parsed.append(dims)
    if arrow:
        for ch in rhs.replace("...", ""):
            if ch not in sizes:
                raise RuntimeError(f"einsum(): output subscript {ch} does not appear in the "
                                   "equation for any input operand")
    return eq, parsed, sizes, (rhs if arrow else None)


def _einsum_grad_name(parsed, sizes, rhs):
    inputs = set(ch for dims in parsed for ch in dims if ch is not None)
    if rhs is None:
        counts = {}
        for dims in parsed:
            for ch in dims:
                if ch is not None:
                    counts[ch] = counts.get(ch, 0) + 1
        out = set(ch for ch, c in counts.items() if c == 1)
    else:
        out = set(rhs.replace("...", ""))
    summed = inputs - out
    if rhs is not None and "..." not in rhs and any(ch is None for d in parsed for ch in d):
        summed = summed | {None}
    if len(parsed) == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    if len(parsed) == 2 and not summed:
        return "MulBackward0"
    return "ViewBackward0"


@op(tensors=(), lists=("operands",), promote=False, function=False, method=False, grad=_gname)
def _einsum(operands, equation, shapes, gname):
    ops = []
    for a, shp in zip(operands, shapes):
        if tuple(a.shape) != tuple(shp):
            a = jnp.broadcast_to(a, shp)
        ops.append(a)
    if len(ops) > 1:
        _no_bool(ops[0], "bmm")
    return jnp.einsum(equation, *ops, precision=HI)


@composite(method=False)
def einsum(*args):
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        def sub(n):
            if n is Ellipsis:
                return "..."
            if 0 <= n < 26:
                return chr(ord("A") + n)
            if 26 <= n < 52:
                return chr(ord("a") + n - 26)
            raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                             "[0, 52)")
        equation = ",".join("".join(sub(s) for s in lst) for lst in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(sub(s) for s in args[-1])
            operands = args[:-1:2]
        else:
            operands = args[::2]
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(operands)
    eq, parsed, sizes, rhs = _einsum_parse(equation, [tuple(o.shape) for o in operands])
    dt = operands[0].dtype
    for o in operands[1:]:
        if o.dtype != dt:
            raise RuntimeError(f"expected scalar type {D.SCALAR_NAME[dt]} but found "
                               f"{D.SCALAR_NAME[o.dtype]}")
    targets = []
    for dims, o in zip(parsed, operands):
        targets.append(tuple(s if ch is None else sizes[ch] for ch, s in zip(dims, o.shape)))
    g = _einsum_grad_name(parsed, sizes, rhs)
    return call(OPS["_einsum"], (operands,), (eq, tuple(targets), g))


# ---- cross ----
@op(tensors=("input", "other"), promote=False, function=False, method=False,
    grad="LinalgCrossBackward0")
def linalg_cross(input, other, dim):
    a, b = input, other
    shape = broadcast_shapes(a.shape, b.shape)
    a, b = jnp.broadcast_to(a, shape), jnp.broadcast_to(b, shape)

    def c(x, i):
        return lax.index_in_dim(x, i, dim, keepdims=True)
    a0, a1, a2 = c(a, 0), c(a, 1), c(a, 2)
    b0, b1, b2 = c(b, 0), c(b, 1), c(b, 2)
    return jnp.concatenate([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=dim)


def _cross(input, other, dim, out):
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = broadcast_shapes(input.shape, other.shape)
    d = wrap_dim(dim, len(shape))
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {D.SCALAR_NAME[input.dtype]} but found "
                           f"{D.SCALAR_NAME[other.dtype]}")
    if input.dtype == D.bool:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    return call(OPS["linalg_cross"], (input, other), (d,), out)


@composite(method=False, namespace="linalg", name="cross")
def _linalg_cross(input, other, *, dim=-1, out=None):
    return _cross(input, other, dim, out)


@composite(name="cross")
def _torch_cross(input, other, dim=None, *, out=None):
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        dims3 = [i for i, s in enumerate(input.shape) if s == 3]
        if not dims3:
            raise RuntimeError("no dimension of size 3 in input")
        dim = dims3[0]
    return _cross(input, other, dim, out)


# ---- multi_dot / chain_matmul ----
@op(tensors=(), lists=("tensors",), promote=False, function=False, method=False,
    grad="ViewBackward0")
def _multi_dot(tensors, first_vec, last_vec):
    ts = list(tensors)
    if first_vec:
        ts[0] = ts[0][None, :]
    if last_vec:
        ts[-1] = ts[-1][:, None]
    r = _chain(ts)
    if first_vec:
        r = r[0]
    if last_vec:
        r = r[..., 0]
    return r


def _chain(ts):
    """torch's multi_dot order: the 3-matrix cost rule, else the matrix-chain DP."""
    n = len(ts)
    if n == 2:
        return _mm(ts[0], ts[1])
    if n == 3:
        a, b, c, d = ts[0].shape[0], ts[1].shape[0], ts[2].shape[0], ts[2].shape[1]
        if (a * c) * (b + d) > (b * d) * (a + c):
            return _mm(ts[0], _mm(ts[1], ts[2]))
        return _mm(_mm(ts[0], ts[1]), ts[2])
    p = [t.shape[0] for t in ts] + [ts[-1].shape[1]]
    m = [[0] * n for _ in range(n)]
    sp = [[0] * n for _ in range(n)]
    for ln in range(1, n):
        for i in range(n - ln):
            j = i + ln
            m[i][j] = None
            for k in range(i, j):
                q = m[i][k] + m[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if m[i][j] is None or q < m[i][j]:
                    m[i][j], sp[i][j] = q, k

    def rec(i, j):
        if i == j:
            return ts[i]
        return _mm(rec(i, sp[i][j]), rec(sp[i][j] + 1, j))
    return rec(0, n - 1)


def _multi_dot_call(tensors, out, api="multi_dot"):
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"{api}(): expected at least 2 tensors but got {n}")
    d0, dl = tensors[0].dim(), tensors[-1].dim()
    if d0 not in (1, 2):
        raise RuntimeError(f"{api}(): the first tensor must be 1D or 2D but got {d0}D")
    if dl not in (1, 2):
        raise RuntimeError(f"{api}(): the last tensor must be 1D or 2D but got {dl}D")
    for i in range(1, n - 1):
        if tensors[i].dim() != 2:
            raise RuntimeError(f"{api}(): tensor {i} must be 2D but got {tensors[i].dim()}D")
    dt = tensors[0].dtype
    for i in range(1, n):
        if tensors[i].dtype != dt:
            raise RuntimeError(f"{api}(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_CNAMES.get(D.SCALAR_NAME[dt])} and tensor {i} "
                               f"{_CNAMES.get(D.SCALAR_NAME[tensors[i].dtype])}")
    shapes = [list(t.shape) for t in tensors]
    if d0 == 1:
        shapes[0] = [1] + shapes[0]
    if dl == 1:
        shapes[-1] = shapes[-1] + [1]
    for i in range(n - 1):
        if shapes[i][1] != shapes[i + 1][0]:
            raise RuntimeError(f"{api}(): tensors {i} and {i + 1} with shapes {shapes[i]} and "
                               f"{shapes[i + 1]} cannot be multiplied")
    if dt == D.bool:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")
    return call(OPS["_multi_dot"], (tuple(tensors),), (d0 == 1, dl == 1), out)


@composite(method=False, namespace="linalg")
def multi_dot(tensors, *, out=None):
    return _multi_dot_call(list(tensors), out)


@composite(method=False)
def chain_matmul(*matrices, out=None):
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        if t.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {t.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return call(OPS["clone"], (matrices[0],), (None,), out)
    return _multi_dot_call(list(matrices), out)


# ---- matrix_power ----
def _mpow_name(key):
    n = key[0][0]
    return {0: "CopyBackwards", 1: "CloneBackward0"}.get(n, "MmBackward0")


@op(promote=False, function=False, method=False, grad=_mpow_name)
def _matrix_power(input, n):
    a = input
    if n == 0:
        return jnp.broadcast_to(jnp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    if n == 1:
        return jnp.copy(a)
    if n == 2:
        return _mm(a, a)
    if n == 3:
        return _mm(_mm(a, a), a)
    z = result = None
    while n > 0:
        bit = n % 2
        n //= 2
        z = a if z is None else _mm(z, z)
        if bit == 1:
            result = z if result is None else _mm(result, z)
    return result


@composite(namespace=("", "linalg"))
def matrix_power(input, n, *, out=None):
    _square_check(input, "linalg.matrix_power")
    if n < 0:
        if n == -1:
            return _inv_call(input, out)
        input = _inv_call(input, None)
        n = -n
    return call(OPS["_matrix_power"], (input,), (int(n),), out)


# ---------------------------------------------------------------- norms

def _sgn(x):
    if _is_complex(x):
        a = jnp.abs(x)
        return jnp.where(a == 0, jnp.zeros((), x.dtype), x / jnp.where(a == 0, 1, a))
    return jnp.where(jnp.isnan(x), jnp.zeros((), x.dtype), jnp.sign(x))  # torch: sgn(nan) = 0


@jax.custom_jvp
def _tabs(x):
    """abs with torch's derivative sgn(x) (0 at 0; JAX's abs has derivative 1 at 0)."""
    return jnp.abs(x)


@_tabs.defjvp
def _tabs_jvp(p, t):
    x, dx = p[0], t[0]
    return _tabs(x), (jnp.real(jnp.conj(_sgn(x)) * dx) if _is_complex(x) else _sgn(x) * dx)


def _norm_loops(x, p, axes, keepdim, fma=None):
    """torch's CPU loops for the 1- and 2-norms of real float32/float64 (ReduceOpsKernel.cpp,
    norm_kernel_tensor_iterator_impl), size-1 dims coalesced away as TensorIterator does. A
    2-norm over the innermost dims runs vectorised: one accumulator of 8 float32 / 4 float64
    lanes adding rounded squares, the lanes folded in order, then the tail: its first multiple
    of 4 elements add rounded squares, the rest are fused multiply-adds (``fma``; by default
    exact for float32, LLVM's contraction for float64). Otherwise each output sums its terms in
    order (NormOneOps / NormTwoOps), a single output of GRAIN+ elements one chunk per thread,
    chunks added in order."""
    from ._cascade import GRAIN, THREADS, fence, fma32, seq_rows
    out = [1 if d in axes else x.shape[d] for d in range(x.ndim)] if keepdim else \
        [x.shape[d] for d in range(x.ndim) if d not in axes]
    big = [d for d in range(x.ndim) if x.shape[d] != 1]
    if any(d in axes for d in big):
        x = x.reshape([x.shape[d] for d in big])
        axes = tuple(i for i, d in enumerate(big) if d in axes)
    nd = x.ndim
    kept = [d for d in range(nd) if d not in axes]
    n = math.prod(x.shape[a] for a in axes)
    k = x.size // n
    if p == 2 and tuple(axes) == tuple(range(nd - len(axes), nd)):
        if fma is None:
            fma = fma32 if x.dtype == jnp.float32 else (lambda a, b, c: c + a * b)
        rows = x.reshape(k, n)
        lanes = 8 if x.dtype == jnp.float32 else 4
        m = n - n % lanes
        sq = fence(rows[:, :m] * rows[:, :m]).reshape(k, m // lanes, lanes)
        acc = seq_rows(jnp.transpose(sq, (1, 0, 2)).reshape(m // lanes, k * lanes))
        acc = acc.reshape(k, lanes)
        b0 = acc[:, 0]
        for j in range(1, lanes):
            b0 = b0 + acc[:, j]
        g = (n - m) // 4 * 4
        for i in range(m, n):
            v = rows[:, i]
            b0 = (b0 + fence(v * v)) if i - m < g else fma(v, v, b0)
        return jnp.sqrt(b0).reshape(out)
    t = jnp.transpose(x, list(axes) + kept).reshape(n, k)
    t = jnp.abs(t) if p == 1 else fence(t * t)
    if k == 1 and n >= GRAIN and THREADS[0] > 1:
        ch = -(-n // min(THREADS[0], -(-n // GRAIN)))
        nt = -(-n // ch)
        parts = seq_rows(jnp.pad(t[:, 0], (0, nt * ch - n)).reshape(nt, ch).T)
        s = jnp.zeros((1,), x.dtype)
        for i in range(nt):
            s = s + parts[i:i + 1]
    else:
        s = seq_rows(t)
    return (jnp.sqrt(s) if p == 2 else s).reshape(out)


def _norm_value(x, p, axes, keepdim, fma=None):
    if p in (1, 2) and x.dtype in (jnp.float32, jnp.float64) and x.size and axes:
        return on_cpu(lambda v: _norm_loops(v, p, axes, keepdim, fma),
                      lambda v: _norm_plain(v, p, axes, keepdim), x)
    return _norm_plain(x, p, axes, keepdim)


def _norm_plain(x, p, axes, keepdim):
    a = jnp.abs(x)
    if p == 0:
        return jnp.sum((a != 0).astype(a.dtype), axis=axes, keepdims=keepdim)
    if p == math.inf:
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if p == -math.inf:
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if p == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    if p == 2:
        return jnp.sqrt(jnp.sum(a * a, axis=axes, keepdims=keepdim))
    return jnp.sum(a ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)


def _safe_div(x, n):
    """(x / n).masked_fill_(n == 0, 0), n broadcast behind a barrier (XLA would multiply by
    1 / n)."""
    z = n == 0
    d = lax.optimization_barrier(jnp.broadcast_to(jnp.where(z, jnp.ones((), n.dtype), n),
                                                  jnp.broadcast_shapes(x.shape, n.shape)))
    return jnp.where(z, jnp.zeros((), x.dtype), x / d)


def _norm_coef(x, p, axes, nk):
    """torch's norm_backward coefficient (grad = coef * g) with nk the keepdim norm."""
    if p == 0:
        return jnp.zeros_like(x)
    if p == 1:
        return _sgn(x)
    if p == 2:
        return _safe_div(x, nk)
    a = jnp.abs(x)
    if math.isinf(p):
        mask = (a == nk) | jnp.isnan(a)
        cnt = jnp.sum(mask, axis=axes, keepdims=True).astype(a.dtype)
        return _sgn(x) * mask.astype(a.dtype) / cnt
    if p < 1:
        z = x == 0
        pw = jnp.where(z, 0, jnp.where(z, 1, a) ** (p - 1))
        return _sgn(x) * pw * nk ** (1 - p)
    if p < 2:
        return _safe_div(_sgn(x) * a ** (p - 1), nk ** (p - 1))
    return _safe_div(x * a ** (p - 2), nk ** (p - 1))


def _vnorm(x, p, axes, keepdim, coef=_norm_coef):
    """Vector p-norm over axes with torch's gradient formula (norm_backward)."""
    p = float(p)

    @jax.custom_jvp
    def f(x):
        return _norm_value(x, p, axes, keepdim)

    @f.defjvp
    def f_jvp(primals, tangents):
        x, = primals
        dx, = tangents
        n = f(x)  # the primal through f: its own derivative is torch's at every order
        nk = n if keepdim else jnp.expand_dims(n, axes)
        c = coef(x, p, axes, nk)
        t = jnp.real(jnp.conj(c) * dx) if _is_complex(x) else c * dx
        return n, jnp.sum(t, axis=axes, keepdims=keepdim)
    return f(x)


def _vnorm_checks(x, ord, dim, dtype, api="linalg.vector_norm"):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(f"{api}: Expected a floating point or complex tensor as input. Got "
                           f"{_sn(x)}")
    if dtype is not None:
        src = D.from_np(x.dtype)
        if not (dtype.is_floating_point or dtype.is_complex):
            raise RuntimeError(f"{api}: dtype should be floating point or complex, but got "
                               f"{D.SCALAR_NAME[dtype]}")
        if not D.can_cast(src, dtype) or (src.is_complex and not dtype.is_complex) or \
                (D.promote_types(src, dtype) != dtype):
            raise RuntimeError(f"{api}: the dtype of the input ({_sn(x)}) should be convertible "
                               f"without narrowing to the specified dtype "
                               f"({D.SCALAR_NAME[dtype]})")
    axes = tuple(range(x.ndim)) if dim is None or dim == () else wrap_dims(dim, x.ndim)
    if x.ndim == 0:
        axes = ()
    if ord is not None and (math.isinf(ord) or ord < 0):
        name = ("inf" if ord > 0 else "-inf") if math.isinf(ord) else str(ord)
        if x.size == 0 and (dim is None or dim == ()):
            if math.isinf(ord) or ord < 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on an "
                                   "empty tensor because the operation does not have an identity")
        for d in axes:
            if x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {name} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    return axes


def _fmt_num(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@op(tensors=("x",), promote=False, namespace="linalg", method=False, out=True,
    grad="LinalgVectorNormBackward0")
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        "str")
    axes = _vnorm_checks(x, ord, dim, dtype)
    if dtype is not None:
        x = x.astype(dtype.np)
    return _vnorm(x, ord, axes, keepdim)


def _mnorm_name(key):
    ord, keepdim = key[0][0], key[0][2]
    if ord == "fro":
        return "LinalgVectorNormBackward0"
    if ord == "nuc":
        return "PermuteBackward0" if keepdim else "SumBackward1"
    if ord == 2:
        return "PermuteBackward0" if keepdim else "AmaxBackward0"
    if ord == -2:
        return "PermuteBackward0" if keepdim else "AminBackward0"
    return "AmaxBackward0" if ord > 0 else "AminBackward0"


def _mnorm_checks(A, ord, dim, api="linalg.matrix_norm"):
    _float_check(A, api)
    _ndim_check(A, api)
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(f"{api}: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = wrap_dim(dim[0], A.ndim), wrap_dim(dim[1], A.ndim)
    if d0 == d1:
        raise RuntimeError(f"{api}: dims must be different. Got ({dim[0]}, {dim[1]})")
    ok = ord in ("fro", "nuc") if isinstance(ord, str) else ord in (1, -1, 2, -2, math.inf,
                                                                     -math.inf)
    if not ok:
        raise RuntimeError(f"{api}: Order {_fmt_num(ord)} not supported.")
    return d0, d1


@op(tensors=("A",), promote=False, namespace="linalg", method=False, out=True, grad=_mnorm_name)
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    d0, d1 = _mnorm_checks(A, ord, dim)
    x = A.astype(dtype.np) if dtype is not None else A
    if ord == "fro":
        return _vnorm(x, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        xm = jnp.moveaxis(x, (d0, d1), (-2, -1))
        s = jnp.linalg.svd(xm, compute_uv=False)
        r = jnp.sum(s, -1) if ord == "nuc" else (jnp.max(s, -1) if ord == 2 else jnp.min(s, -1))
        if keepdim:
            r = jnp.expand_dims(r, tuple(sorted((d0, d1))))
        return r
    if math.isinf(ord):
        d0, d1 = d1, d0
    s = jnp.sum(_tabs(x), axis=d0, keepdims=True)
    r = jnp.max(s, axis=d1, keepdims=True) if ord > 0 else jnp.min(s, axis=d1, keepdims=True)
    return r if keepdim else jnp.squeeze(r, axis=(d0, d1))


@composite(method=False, namespace="linalg", name="norm")
def _linalg_norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if isinstance(ord, str):
        if dim is None:
            if A.dim() not in (1, 2):
                raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input "
                                   f"must be 1D or 2D. Got {A.dim()}D.")
            dim = (0, 1)
        return call(OPS["matrix_norm"], (A,), (ord, dim, keepdim, dtype), out)
    if dim is not None:
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
    elif ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.dim()}D.")
    if ord is not None and ((dim is not None and len(dim) == 2) or
                            (dim is None and A.dim() == 2)):
        return call(OPS["matrix_norm"], (A,), (ord, dim or (0, 1), keepdim, dtype), out)
    return call(OPS["vector_norm"], (A,), (2 if ord is None else ord, dim, keepdim, dtype), out)


@composite(name="norm")
def _torch_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    _dim = None if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return call(OPS["vector_norm"], (input,), (2, _dim and tuple(_dim), keepdim, dtype),
                        out)
        if _dim is None:
            _dim = list(range(input.dim()))
        return call(OPS["matrix_norm"], (input,), (p, tuple(_dim), keepdim, dtype), out)
    _p = 2.0 if p is None else p
    return call(OPS["vector_norm"], (input,), (_p, _dim and tuple(_dim), keepdim, dtype), out)


# ---------------------------------------------------------------- LU-based solves

def _lu_apply(lu, perm, B):
    """Solve A X = B from P A = L U (lax.linalg.lu's factors); batch shapes must agree."""
    Bp = jnp.take_along_axis(B, perm[..., :, None].astype(jnp.int32), axis=-2) if B.shape[-2] \
        else B
    y = lax.linalg.triangular_solve(lu, Bp, left_side=True, lower=True, unit_diagonal=True)
    return lax.linalg.triangular_solve(lu, y, left_side=True, lower=False)


@jax.custom_jvp
def _lu_solve_ad(A, lu, perm, B):
    """X = A^{-1} B given lu(A); derivative dX = A^{-1}(dB - dA X) (torch's formula)."""
    return _lu_apply(lu, perm, B)


@_lu_solve_ad.defjvp
def _lu_solve_ad_jvp(primals, tangents):
    A, lu, perm, B = primals
    dA, _, _, dB = tangents
    X = _lu_solve_ad(A, lu, perm, B)
    return X, _lu_apply(lu, perm, dB - _mm(dA, X))


def _lu_info(lu):
    d = jnp.diagonal(lu, axis1=-2, axis2=-1)
    z = d == 0
    return jnp.where(jnp.any(z, -1), jnp.argmax(z, -1) + 1, 0).astype(jnp.int32)


@op(tensors=("A",), promote=False, function=False, method=False, grad="LinalgInvExBackward0",
    returns=RT.returns(RT.linalg_inv_ex))
def linalg_inv_ex(A):
    _float_check(A, "linalg.inv")
    _square_check(A, "linalg.inv")
    n = A.shape[-1]
    if A.size == 0:
        return A, jnp.zeros(A.shape[:-2], jnp.int32)
    lu, _, perm = lax.linalg.lu(A)
    eye = jnp.broadcast_to(jnp.eye(n, dtype=A.dtype), A.shape)
    return _lu_solve_ad(A, lu, perm, eye), _lu_info(lu)


_INV_MSG = "The diagonal element {} is zero, the inversion could not be completed because the " \
           "input matrix is singular."


def _inv_call(A, out, api="linalg.inv"):
    r = call(OPS["linalg_inv_ex"], (A,), (), None)
    _raise_info(r[1], _INV_MSG, api, A.dim() > 2)
    if out is not None:
        from .registry import _write_out
        _write_out(out, [r[0]], "linalg_inv_ex")
        return out
    return r[0]


@composite(method=False, namespace="linalg")
def inv_ex(A, *, check_errors=False, out=None):
    r = call(OPS["linalg_inv_ex"], (A,), (), out)
    if check_errors:
        _raise_info(r[1], _INV_MSG, "linalg.inv_ex", A.dim() > 2)
    return r


@composite(method=False, namespace="linalg")
def inv(A, *, out=None):
    return _inv_call(A, out)


@composite(name="inverse")
def _torch_inverse(input, *, out=None):
    return _inv_call(input, out)


@op(tensors=("A",), promote=False, namespace=("", "linalg"), out=True, grad="LinalgDetBackward0")
def det(A):
    _float_check(A, "linalg.det")
    _square_check(A, "linalg.det")
    if A.size == 0:
        return jnp.ones(A.shape[:-2], A.dtype)
    return jnp.linalg.det(A)


@op(tensors=("A",), promote=False, function=False, method=False,
    grad="LinalgSlogdetBackward0", returns=RT.returns(RT.linalg_slogdet))
def linalg_slogdet(A):
    _float_check(A, "linalg.slogdet")
    _square_check(A, "linalg.slogdet")
    s, l = jnp.linalg.slogdet(A)
    return s, l


@composite(method=False, namespace="linalg", name="slogdet")
def _linalg_slogdet(A, *, out=None):
    return call(OPS["linalg_slogdet"], (A,), (), out)


@composite(name="slogdet")
def _torch_slogdet(input, *, out=None):
    return RT.slogdet(tuple(call(OPS["linalg_slogdet"], (input,), (), out)))


@op(grad=lambda key: "AddBackward0" if key[1] is not None and key[1].is_complex else
    "WhereBackward0")
def logdet(input):
    _float_check(input, "linalg.slogdet")
    _square_check(input, "linalg.slogdet")
    s, l = jnp.linalg.slogdet(input)
    if _is_complex(input):
        return jnp.log(s) + l.astype(input.dtype)
    return jnp.where(s == -1, jnp.nan, l)


def _is_vector_rhs(A, B):
    return B.ndim == 1 or (A.ndim - 1 == B.ndim and tuple(B.shape) == tuple(A.shape[:-1]))


@op(tensors=("A", "B"), promote=False, function=False, method=False,
    grad="LinalgSolveExBackward0", returns=RT.returns(RT.linalg_solve_ex))
def linalg_solve_ex(A, B, left):
    _float_check(A, "linalg.solve")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {_sn(A)} and B of type {_sn(B)} instead")
    _square_check(A, "linalg.solve")
    vec = _is_vector_rhs(A, B)
    if not vec and B.ndim < 2:
        raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    B2 = jnp.expand_dims(B, -1 if left else -2) if vec else B
    n = A.shape[-1]
    if (left and B2.shape[-2] != n) or (not left and B2.shape[-1] != n):
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B2.shape[-2]}x{B2.shape[-1]})")
    batch = broadcast_shapes(B2.shape[:-2], A.shape[:-2])
    A = jnp.broadcast_to(A, batch + A.shape[-2:])
    B2 = jnp.broadcast_to(B2, batch + B2.shape[-2:])
    Af = A if left else _mT(A)
    Bf = B2 if left else _mT(B2)
    if A.size == 0 or Bf.size == 0:
        X = jnp.zeros(Bf.shape, A.dtype)
        info = jnp.zeros(batch, jnp.int32)
    else:
        lu, _, perm = lax.linalg.lu(Af)
        X = _lu_solve_ad(Af, lu, perm, Bf)
        info = _lu_info(lu)
    X = X if left else _mT(X)
    if vec:
        X = jnp.squeeze(X, -1 if left else -2)
    return X, info


_SOLVE_MSG = "The solver failed because the input matrix is singular."


@composite(method=False, namespace="linalg")
def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    r = call(OPS["linalg_solve_ex"], (A, B), (left,), out)
    if check_errors:
        _raise_info(r[1], _SOLVE_MSG, "torch.linalg.solve_ex", r[1].dim() > 0)
    return r


@composite(method=False, namespace="linalg")
def solve(A, B, *, left=True, out=None):
    r = call(OPS["linalg_solve_ex"], (A, B), (left,), None)
    _raise_info(r[1], _SOLVE_MSG, "torch.linalg.solve", r[1].dim() > 0)
    if out is not None:
        from .registry import _write_out
        _write_out(out, [r[0]], "_linalg_solve_ex")
        return out
    return r[0]


# ---------------------------------------------------------------- cholesky

def _chol_fail(X):
    """LAPACK's potf2 on the lower triangle of X, for inputs that are not positive-definite:
    (info, partial factor) where the partial factor keeps the finished columns, the failing
    pivot's value on the diagonal and X's original entries elsewhere (as torch returns them)."""
    n = X.shape[-1]
    rng = jnp.arange(n)
    batch = X.shape[:-2]

    def body(k, carry):
        M, Lc, info, ajj = carry
        piv = jnp.real(M[..., k, k])
        bad = ~(piv > 0)
        newfail = (info == 0) & bad
        ajj = jnp.where(newfail, piv, ajj)
        info = jnp.where(newfail, k + 1, info)
        s = jnp.sqrt(jnp.where(bad, 1, piv)).astype(M.dtype)
        col = jnp.where(rng >= k, M[..., :, k] / s[..., None], 0)
        Lc = Lc.at[..., :, k].set(jnp.where((info == 0)[..., None], col, Lc[..., :, k]))
        below = jnp.where(rng > k, col, 0)
        M = M - below[..., :, None] * jnp.conj(below[..., None, :])
        return M, Lc, info, ajj
    zi = jnp.zeros(batch, jnp.int32)
    _, Lc, info, ajj = lax.fori_loop(0, n, body, (jnp.tril(X), jnp.zeros_like(X), zi,
                                                  jnp.zeros(batch, _real_dtype(X.dtype))))
    k = (info - 1)[..., None, None]
    cols = rng[None, :]
    rows = rng[:, None]
    part = jnp.where(cols < k, Lc, X)
    part = jnp.where((rows == k) & (cols == k), ajj[..., None, None].astype(X.dtype), part)
    return info, jnp.tril(part)


@op(tensors=("A",), promote=False, function=False, method=False, grad=_gname,
    returns=RT.returns(RT.linalg_cholesky_ex))
def _cholesky_ex(A, upper, gname):
    _float_check(A, "linalg.cholesky")
    _square_check(A, "linalg.cholesky")
    if A.size == 0:
        return A, jnp.zeros(A.shape[:-2], jnp.int32)
    X = lax.stop_gradient(_mH(A) if upper else A)
    F = _chol(A, upper)
    L = _mH(F) if upper else F
    failed = jnp.any(jnp.isnan(L), axis=(-2, -1))
    info, part = lax.cond(jnp.any(failed), _chol_fail,
                          lambda x: (jnp.zeros(x.shape[:-2], jnp.int32), x), X)
    use = (info > 0)[..., None, None]
    F = jnp.where(use, _mH(part) if upper else part, F)
    return F, info


def _chol_value(A, upper):
    X = _mH(A) if upper else A
    L = jnp.tril(lax.linalg.cholesky(X, symmetrize_input=False))
    return _mH(L) if upper else L


@jax.custom_vjp
def _chol_l(A):
    return _chol_value(A, False)


@jax.custom_vjp
def _chol_u(A):
    return _chol_value(A, True)


def _chol_bwd(upper, F, ct):
    """torch's cholesky_backward. JAX cotangents are conjugates of torch's gradients."""
    L, gL = (_mH(F), _mH(jnp.conj(ct))) if upper else (F, jnp.conj(ct))
    T = jnp.tril(_mm(_mH(L), gL))
    P = 0.5 * (T + _mH(jnp.tril(T, -1)))
    Y = lax.linalg.triangular_solve(L, P, left_side=True, lower=True, transpose_a=True,
                                    conjugate_a=True)
    G = lax.linalg.triangular_solve(L, Y, left_side=False, lower=True)
    return (jnp.conj(G),)


def _dup(x):
    return x, x


# the residual comes from the custom function itself, so higher derivatives (which
# differentiate the backward through it) also use torch's formula
_chol_l.defvjp(lambda A: _dup(_chol_l(A)), lambda F, ct: _chol_bwd(False, F, ct))
_chol_u.defvjp(lambda A: _dup(_chol_u(A)), lambda F, ct: _chol_bwd(True, F, ct))


def _chol(A, upper):
    return _chol_u(A) if upper else _chol_l(A)


_CHOL_MSG = "The factorization could not be completed because the input is not " \
            "positive-definite (the leading minor of order {} is not positive-definite)."


@composite(method=False, namespace="linalg")
def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    r = call(OPS["_cholesky_ex"], (A,), (upper, "LinalgCholeskyExBackward0"), out)
    if check_errors:
        _raise_info(r[1], _CHOL_MSG, "linalg.cholesky_ex", A.dim() > 2)
    return r


def _chol_call(A, upper, out, gname, api="linalg.cholesky"):
    r = call(OPS["_cholesky_ex"], (A,), (upper, gname), None)
    _raise_info(r[1], _CHOL_MSG, api, A.dim() > 2)
    if out is not None:
        from .registry import _write_out
        _write_out(out, [r[0]], "cholesky" if api == "cholesky" else "linalg_cholesky_ex")
        return out
    return r[0]


@composite(method=False, namespace="linalg", name="cholesky")
def _linalg_cholesky(A, *, upper=False, out=None):
    return _chol_call(A, upper, out, "LinalgCholeskyExBackward0")


@composite(name="cholesky")
def _torch_cholesky(input, upper=False, *, out=None):
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be "
                  "replaced with\nL = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, "
                  "upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\nThis "
                  "transform will produce equivalent results for all valid (symmetric positive "
                  "definite) inputs.", UserWarning, stacklevel=2)
    return _chol_call(input, upper, out, "CholeskyBackward0", "cholesky")


# ---------------------------------------------------------------- qr / svd / eig

@op(tensors=("A",), promote=False, function=False, method=False, grad="LinalgQrBackward0",
    returns=RT.returns(RT.linalg_qr))
def linalg_qr(A, mode):
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _float_check(A, "linalg.qr")
    _ndim_check(A, "linalg.qr")
    m, n = A.shape[-2:]
    if m < n:
        # wide: A = [X | Y] with X square; R = [U | Q^H Y] (differentiable like torch's)
        Q, U = jnp.linalg.qr(A[..., :, :m], mode="reduced")
        R = jnp.concatenate([U, _mm(_mH(Q), A[..., :, m:])], axis=-1)
    elif mode == "complete" and m > n:
        Q, R = jnp.linalg.qr(A, mode="complete")
    else:
        Q, R = jnp.linalg.qr(A, mode="reduced")
    if mode == "r":
        Q = jnp.zeros((0,), A.dtype)
    return Q, R


@composite(method=False, namespace="linalg", name="qr")
def _linalg_qr(A, mode="reduced", *, out=None):
    return call(OPS["linalg_qr"], (A,), (mode,), out)


@composite(name="qr")
def _torch_qr(input, some=True, *, out=None):
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.\nThe boolean parameter 'some' has been replaced with a "
                  "string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\n"
                  "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning,
                  stacklevel=2)
    return RT.qr(tuple(call(OPS["linalg_qr"], (input,), ("reduced" if some else "complete",),
                            out)))


# ---- geqrf / householder_product / ormqr: LAPACK's compact Householder QR ----
@jax.custom_vjp
def _geqrf(a):
    from jax._src.lax.linalg import geqrf as _lapack_geqrf  # (not exported by jax.lax.linalg)
    return _lapack_geqrf(a)


def _geqrf_bwd(res, g):
    raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


_geqrf.defvjp(lambda a: (_geqrf(a), None), _geqrf_bwd)


@op(promote=False, out=True, returns=RT.returns(RT.geqrf))
def geqrf(input):
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if np.dtype(input.dtype) not in _LINALG_DTYPES:
        _not_impl("geqrf_cpu", input)
    if input.size == 0:
        return input, jnp.zeros(input.shape[:-2] + (min(input.shape[-2:]),), input.dtype)
    return _geqrf(input)


def _reflector(A, i):
    """Householder vector i of a compact QR: 1 at row i, A's column i below it, 0 above."""
    m = A.shape[-2]
    rows = np.arange(m)
    v = jnp.where(rows > i, A[..., :, i], 0).astype(A.dtype)
    return jnp.where(rows == i, jnp.ones((), A.dtype), v)


def _apply_reflector(X, v, t, left):
    """(I - t v v^H) X when left, else X (I - t v v^H)."""
    if left:
        return X - t[..., None, None] * v[..., :, None] * jnp.sum(
            jnp.conj(v)[..., :, None] * X, axis=-2, keepdims=True)
    return X - t[..., None, None] * jnp.sum(X * v[..., None, :], axis=-1, keepdims=True) \
        * jnp.conj(v)[..., None, :]


def _tau_checks(api, input, tau):
    if input.ndim - tau.ndim != 1:
        raise RuntimeError(f"{api}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {input.ndim}")
    if input.ndim > 2 and tau.shape[:-1] != input.shape[:-2]:
        raise RuntimeError(f"{api}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")


@op(tensors=("input", "tau"), promote=False, out=True, namespace="linalg", method=False,
    name="householder_product", grad="LinalgHouseholderProductBackward0")
def linalg_householder_product(input, tau):
    api = "torch.linalg.householder_product"
    if input.ndim < 2:
        raise RuntimeError(f"{api}: input must have at least 2 dimensions.")
    m, n = input.shape[-2:]
    if m < n:
        raise RuntimeError(f"{api}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if n < tau.shape[-1]:
        raise RuntimeError(f"{api}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    _tau_checks(api, input, tau)
    if tau.dtype != input.dtype:
        raise RuntimeError(f"{api}: tau dtype {_sn(tau)} does not match input dtype {_sn(input)}")
    # Q = H_0 ... H_{k-1} I[:, :n], applied right to left
    Q = jnp.broadcast_to(jnp.eye(m, n, dtype=input.dtype), input.shape)
    for i in reversed(range(tau.shape[-1])):
        Q = _apply_reflector(Q, _reflector(input, i), tau[..., i], True)
    return Q


@composite()
def orgqr(input, tau, *, out=None):
    return call(OPS["householder_product"], (input, tau), (), out)


@op(tensors=("input", "tau", "other"), promote=False, out=True)
def ormqr(input, tau, other, left=True, transpose=False):
    api = "torch.ormqr"
    if input.ndim < 2:
        raise RuntimeError(f"{api}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{api}: other must have at least 2 dimensions.")
    c = -2 if left else -1
    if other.shape[c] != input.shape[-2]:
        raise RuntimeError(f"{api}: other.shape[{c}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[c], input.shape[-1]):
        raise RuntimeError(f"{api}: tau.shape[-1] must be equal to min(other.shape[-2], "
                           "input.shape[-1])")
    _tau_checks(api, input, tau)
    if other.shape[:-2] != input.shape[:-2]:
        raise RuntimeError(f"{api}: Expected batch dimensions of other to be equal to "
                           f"input.shape[:-2], but got {list(other.shape[:-2])}")
    for name, t in (("tau", tau), ("other", other)):
        if t.dtype != input.dtype:
            raise RuntimeError(f"{api}: Expected input and {name} to have the same dtype, but "
                               f"input has dtype{_sn(input)} and {name} has dtype {_sn(t)}")
    # Q = H_0 ... H_{k-1}; op(Q) other or other op(Q), one reflector at a time
    k = tau.shape[-1]
    order = range(k) if left == transpose else reversed(range(k))
    X = other
    for i in order:
        t = jnp.conj(tau[..., i]) if transpose else tau[..., i]
        X = _apply_reflector(X, _reflector(input, i), t, left)
    return X


def _svd(A, full_matrices):
    m, n = A.shape[-2:]
    k = min(m, n)
    if A.size == 0:
        U = jnp.broadcast_to(jnp.eye(m, m if full_matrices else k, dtype=A.dtype),
                             A.shape[:-2] + (m, m if full_matrices else k))
        Vh = jnp.broadcast_to(jnp.eye(n if full_matrices else k, n, dtype=A.dtype),
                              A.shape[:-2] + (n if full_matrices else k, n))
        return U, jnp.zeros(A.shape[:-2] + (k,), _real_dtype(A.dtype)), Vh
    U, S, Vh = jnp.linalg.svd(A, full_matrices=False)
    if full_matrices and m != n:
        # torch ignores the gradient w.r.t. the completing columns; the completion spans the
        # orthogonal complement of the reduced factors
        Uf, _, Vhf = jnp.linalg.svd(lax.stop_gradient(A), full_matrices=True)
        U = jnp.concatenate([U, Uf[..., :, k:]], axis=-1)
        Vh = jnp.concatenate([Vh, Vhf[..., k:, :]], axis=-2)
    return U, S, Vh


@op(tensors=("A",), promote=False, function=False, method=False, grad="LinalgSvdBackward0",
    returns=RT.returns(RT.linalg_svd))
def linalg_svd(A, full_matrices):
    _float_check(A, "linalg.svd")
    _ndim_check(A, "linalg.svd")
    return _svd(A, full_matrices)


@composite(method=False, namespace="linalg", name="svd")
def _linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    return call(OPS["linalg_svd"], (A,), (bool(full_matrices),), out)


@composite(name="svd")
def _torch_svd(input, some=True, compute_uv=True, *, out=None):
    if compute_uv:
        U, S, Vh = call(OPS["linalg_svd"], (input,), (not some,))
        V = Vh.mH if hasattr(Tensor, "mH") else Vh.transpose(-2, -1)
    else:
        S = call(OPS["svdvals"], (input,), ())
        m, n = input.shape[-2:]
        from .. import _creation as C
        U = C.zeros(tuple(input.shape[:-2]) + (m, m), dtype=input.dtype)
        V = C.zeros(tuple(input.shape[:-2]) + (n, n), dtype=input.dtype)
    r = RT.svd((U, S, V))
    if out is not None:
        from .registry import _write_out
        _write_out(out, list(r), "_linalg_svd")
        return out
    return r


@op(tensors=("A",), promote=False, namespace="linalg", method=False, out=True,
    grad="LinalgSvdBackward0")
def svdvals(A, *, driver=None):
    _float_check(A, "linalg.svd")
    _ndim_check(A, "linalg.svd")
    if A.size == 0:
        return jnp.zeros(A.shape[:-2] + (min(A.shape[-2:]),), _real_dtype(A.dtype))
    return jnp.linalg.svd(A, compute_uv=False)


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO == "L"


def _herm_value(A, lower):
    """The Hermitian matrix LAPACK sees: one triangle of A mirrored (real diagonal)."""
    T = jnp.tril(A, -1) if lower else jnp.triu(A, 1)
    d = jnp.real(jnp.diagonal(A, axis1=-2, axis2=-1)).astype(A.dtype)
    return T + _mH(T) + d[..., None] * jnp.eye(A.shape[-1], dtype=A.dtype)


def _herm(A, lower):
    """_herm_value with the derivative torch uses, at every order: that of (A + A^H) / 2."""
    return (_herm_l if lower else _herm_u)(A)


@jax.custom_jvp
def _herm_l(A):
    return _herm_value(A, True)


@jax.custom_jvp
def _herm_u(A):
    return _herm_value(A, False)


_herm_l.defjvp(lambda p, t: (_herm_l(p[0]), (t[0] + _mH(t[0])) / 2))
_herm_u.defjvp(lambda p, t: (_herm_u(p[0]), (t[0] + _mH(t[0])) / 2))


def _eigh(A, lower):
    if A.size == 0:
        return (jnp.zeros(A.shape[:-1], _real_dtype(A.dtype)), A)
    # JAX's eigh derivative re-runs eigh on (A + A^H)/2, so hand it the Hermitian matrix torch
    # reads; the derivative is torch's (Hermitian) one
    V, w = lax.linalg.eigh(_herm(A, lower), lower=lower, symmetrize_input=False)
    return w, V


@op(tensors=("A",), promote=False, function=False, method=False, grad="LinalgEighBackward0",
    returns=RT.returns(RT.linalg_eigh))
def linalg_eigh(A, UPLO):
    lower = _uplo(UPLO)
    _float_check(A, "linalg.eigh")
    _square_check(A, "linalg.eigh")
    return _eigh(A, lower)


@composite(method=False, namespace="linalg", name="eigh")
def _linalg_eigh(A, UPLO="L", *, out=None):
    return call(OPS["linalg_eigh"], (A,), (UPLO,), out)


@op(tensors=("A",), promote=False, namespace="linalg", method=False, out=True,
    grad="LinalgEighBackward0")
def eigvalsh(A, UPLO="L"):
    lower = _uplo(UPLO)
    _float_check(A, "linalg.eigh")
    _square_check(A, "linalg.eigh")
    return _eigh(A, lower)[0]


def _cdtype(dt):
    return {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}.get(
        np.dtype(dt), dt)


@jax.custom_jvp
def _eig(A):
    w, V = jnp.linalg.eig(A)
    return w, V


@_eig.defjvp
def _eig_jvp(primals, tangents):
    A, = primals
    dA, = tangents
    w, V = _eig(A)
    dP = jnp.linalg.solve(V, _mm(dA.astype(V.dtype), V))
    dw = jnp.diagonal(dP, axis1=-2, axis2=-1)
    E = w[..., None, :] - w[..., :, None]
    eye = jnp.eye(w.shape[-1], dtype=bool)
    F = jnp.where(eye, 0, 1 / jnp.where(eye, 1, E))
    dV = _mm(V, dP * F)
    dV = dV - V * jnp.real(jnp.sum(jnp.conj(V) * dV, axis=-2))[..., None, :]
    return (w, V), (dw, dV)


@op(tensors=("A",), promote=False, function=False, method=False, grad="LinalgEigBackward0",
    returns=RT.returns(RT.linalg_eig))
def linalg_eig(A):
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        raise RuntimeError(f"Unknown Complex ScalarType for {_sn(A)}")
    _square_check(A, "linalg.eig")
    if A.size == 0:
        c = _cdtype(A.dtype)
        return jnp.zeros(A.shape[:-1], c), A.astype(c)
    return _eig(A)


@composite(method=False, namespace="linalg", name="eig")
def _linalg_eig(A, *, out=None):
    return call(OPS["linalg_eig"], (A,), (), out)


@op(tensors=("A",), promote=False, namespace="linalg", method=False, out=True,
    grad="LinalgEigBackward0")
def eigvals(A):
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        raise RuntimeError(f"Unknown Complex ScalarType for {_sn(A)}")
    _square_check(A, "linalg.eigvals")
    if A.size == 0:
        return jnp.zeros(A.shape[:-1], _cdtype(A.dtype))
    return _eig(A)[0]


# ---------------------------------------------------------------- pinv / rank / lstsq

def _eps(dt):
    return float(np.finfo(_real_dtype(dt)).eps)


def _tols(A, atol, rtol):
    """torch's get_atol_rtol: (atol, rtol) arrays (float64 unless given as tensors)."""
    f64 = jnp.float64
    m, n = A.shape[-2:]
    default_rtol = _eps(A.dtype) * max(m, n)
    if atol is None:
        a = jnp.zeros((), f64)
    else:
        a = jnp.asarray(atol, f64) if isinstance(atol, (int, float)) else atol
    if rtol is not None:
        r = jnp.asarray(rtol, f64) if isinstance(rtol, (int, float)) else rtol
    elif atol is None:
        r = jnp.asarray(default_rtol, f64)
    elif isinstance(atol, (int, float)):
        r = jnp.asarray(0.0 if atol > 0 else default_rtol, f64)
    else:
        r = jnp.where(atol > 0, jnp.zeros((), f64), jnp.asarray(default_rtol, f64))
    return a, r


def _tol_cmp(S, maxv, a, r):
    """mask S > max(atol, rtol * maxv) computed in torch's promoted dtype."""
    a1, r1 = jnp.expand_dims(a, -1), jnp.expand_dims(r, -1)
    tol = jnp.maximum(a1, r1 * maxv)
    dt = jnp.result_type(S.dtype, tol.dtype)
    return S.astype(dt) > tol.astype(dt)


def _pinv_value(A, a, r, hermitian):
    if A.size == 0:
        return jnp.zeros(A.shape[:-2] + (A.shape[-1], A.shape[-2]), A.dtype)
    if not hermitian:
        U, S, Vh = jnp.linalg.svd(A, full_matrices=False)
        keep = _tol_cmp(S, S[..., :1], a, r)
        Sinv = jnp.where(keep, 1 / jnp.where(keep, S, 1), 0).astype(A.dtype)
        return _mm(_mH(Vh) * Sinv[..., None, :], _mH(U))
    V, w = lax.linalg.eigh(A, lower=True, symmetrize_input=False)
    wa = jnp.abs(w)
    keep = _tol_cmp(wa, jnp.max(wa, -1, keepdims=True), a, r)
    winv = jnp.where(keep, 1 / jnp.where(keep, w, 1), 0).astype(A.dtype)
    return _mm(V * winv[..., None, :], _mH(V))


def _pinv(A, a, r, hermitian):
    """pinv with torch's derivative (pinv_backward), valid also for rank-deficient A."""
    @jax.custom_jvp
    def f(A):
        return _pinv_value(A, a, r, hermitian)

    @f.defjvp
    def f_jvp(primals, tangents):
        A, = primals
        dA, = tangents
        P = f(A)
        m, n = A.shape[-2:]
        Ph, dAh = _mH(P), _mH(dA)
        Im = jnp.eye(m, dtype=A.dtype)
        In = jnp.eye(n, dtype=A.dtype)
        dP = (-_mm(_mm(P, dA), P) + _mm(_mm(P, Ph), _mm(dAh, Im - _mm(A, P)))
              + _mm(_mm(In - _mm(P, A), dAh), _mm(Ph, P)))
        return P, dP
    return f(A)


def _pinv_checks(A):
    if A.ndim < 2 or np.dtype(A.dtype) not in _LINALG_DTYPES:
        shape = ", ".join(map(str, A.shape))
        raise RuntimeError(f"linalg.pinv({_sn(A)}{{[{shape}]}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")


@op(tensors=("A", "atol", "rtol"), promote=False, static_scalars=("atol", "rtol"),
    function=False, method=False, grad="LinalgPinvBackward0")
def linalg_pinv(A, atol, rtol, hermitian):
    _pinv_checks(A)
    a, r = _tols(A, atol, rtol)
    return _pinv(A, a, r, hermitian)


@composite(method=False, namespace="linalg")
def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    if rcond is not None:
        atol, rtol = 0.0, rcond
    return call(OPS["linalg_pinv"], (A, atol, rtol), (bool(hermitian),), out)


@composite()
def pinverse(input, rcond=1e-15):
    return call(OPS["linalg_pinv"], (input, 0.0, rcond), (False,))


@op(tensors=("A", "atol", "rtol"), promote=False, static_scalars=("atol", "rtol"),
    function=False, method=False, differentiable=False)
def linalg_matrix_rank(A, atol, rtol, hermitian):
    if np.dtype(A.dtype) not in _LINALG_DTYPES:
        raise RuntimeError("This function doesn't handle types other than float and double")
    _ndim_check(A, "torch.linalg.matrix_rank")
    if A.size == 0:
        return jnp.zeros(A.shape[:-2], jnp.int64)
    a, r = _tols(A, atol, rtol)
    if hermitian:
        S = jnp.abs(lax.linalg.eigh(A, lower=True, symmetrize_input=False)[1])
    else:
        S = jnp.linalg.svd(A, compute_uv=False)
    keep = _tol_cmp(S, jnp.max(S, -1, keepdims=True), a, r)
    return jnp.sum(keep, -1).astype(jnp.int64)


@composite(method=False, namespace="linalg")
def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    if tol is not None:
        atol, rtol = tol, 0.0
    return call(OPS["linalg_matrix_rank"], (A, atol, rtol), (bool(hermitian),), out)


@op(tensors=("A", "B"), promote=False, function=False, method=False,
    grad="LinalgLstsqBackward0")
def linalg_lstsq(A, B, rcond, driver):
    if np.dtype(A.dtype) not in _LINALG_DTYPES:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_sn(A)} and other's dtype {_sn(B)}")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if not 0 <= A.ndim - B.ndim <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vec = B.ndim == A.ndim - 1
    B2 = B[..., None] if vec else B
    batch = broadcast_shapes(A.shape[:-2], B2.shape[:-2])
    if A.shape[-2] != B2.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-"
                           f"{1 if vec else 2})")
    A = jnp.broadcast_to(A, batch + A.shape[-2:])
    B2 = jnp.broadcast_to(B2, batch + B2.shape[-2:])
    m, n = A.shape[-2:]
    rc = _eps(A.dtype) * max(m, n) if rcond is None else rcond
    rdt = _real_dtype(A.dtype)
    a = jnp.zeros((), jnp.float64)
    r = jnp.asarray(rc, jnp.float64)
    X = _mm(_pinv(A, a, r, False), B2)
    if driver in ("gelsd", "gelss", "gelsy"):
        S = jnp.linalg.svd(lax.stop_gradient(A), compute_uv=False)
        keep = S > (rc * S[..., :1] if m and n else S)
        rank = jnp.sum(keep, -1).astype(jnp.int64)
    else:
        rank = jnp.zeros((0,), jnp.int64)
    if m > n and driver != "gelsy":
        res = jnp.sum(jnp.abs(_mm(A, X) - B2) ** 2, axis=-2).astype(rdt)
    else:
        res = jnp.zeros((0,), rdt)
    if vec:
        X = X[..., 0]
    return X, res, rank


@op(tensors=("A",), promote=False, function=False, method=False, differentiable=False)
def _lstsq_sv(A, driver):
    rdt = _real_dtype(A.dtype)
    if driver in ("gelsd", "gelss") and A.size:
        return jnp.linalg.svd(A, compute_uv=False).astype(rdt)
    return jnp.zeros(A.shape[:-2] + (min(A.shape[-2:]),) if driver in ("gelsd", "gelss") else
                     (0,), rdt)


@composite(method=False, namespace="linalg")
def lstsq(A, B, rcond=None, *, driver=None):
    if driver is None:
        driver = "gelsy"
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, "
                           "gelsd, gelss)")
    X, res, rank = call(OPS["linalg_lstsq"], (A, B), (rcond, driver))
    if driver in ("gelsd", "gelss"):
        shape = broadcast_shapes(A.shape[:-2], B.shape[:-2] if B.dim() != A.dim() - 1 else
                                 B.shape[:-1])
        sv = call(OPS["_lstsq_sv"], (A.expand(*shape, *A.shape[-2:]),), (driver,))
    else:
        sv = call(OPS["_lstsq_sv"], (A,), (driver,))
    r = RT.linalg_lstsq((X, res, rank, sv))
    if driver in ("gelsd", "gelss") and A.shape[-2] > A.shape[-1] and r[1].numel():
        # residuals only when every matrix is full rank
        if not bool((r[2] == A.shape[-1]).all()):
            from .. import _creation as C
            r = RT.linalg_lstsq((r[0], C.zeros(0, dtype=r[1].dtype), r[2], r[3]))
    return r


# ---------------------------------------------------------------- matrix functions

@op(tensors=("A",), promote=False, namespace=("", "linalg"), out=True,
    grad="LinalgMatrixExpBackward0")
def matrix_exp(A):
    _float_check(A, "linalg.matrix_exp")
    _square_check(A, "linalg.matrix_exp")
    if A.size == 0:
        return A
    import jax.scipy.linalg as jsl
    f = jsl.expm
    for _ in range(A.ndim - 2):
        f = jax.vmap(f)
    # JAX's single-precision expm (Pade <= 7) is less accurate than torch's degree-18 Taylor
    # scheme; evaluate in double precision and round once
    wide = {np.dtype(np.float32): jnp.float64, np.dtype(np.complex64): jnp.complex128}.get(
        np.dtype(A.dtype))
    return f(A.astype(wide)).astype(A.dtype) if wide is not None else f(A)


def _lu_core(A, api):
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{_sn(A)}'")
    _float_check(A, api)
    _ndim_check(A, api)
    m, n = A.shape[-2:]
    k = min(m, n)
    if A.size == 0:
        return (A, jnp.broadcast_to(jnp.arange(1, k + 1, dtype=jnp.int32), A.shape[:-2] + (k,)),
                jnp.broadcast_to(jnp.arange(m, dtype=jnp.int32), A.shape[:-2] + (m,)))
    lu, piv, perm = lax.linalg.lu(A)
    return lu, piv + 1, perm


@op(tensors=("A",), promote=False, function=False, method=False,
    grad="LinalgLuFactorExBackward0", returns=RT.returns(RT.linalg_lu_factor_ex))
def linalg_lu_factor_ex(A, pivot):
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv, _ = _lu_core(A, "linalg.lu_factor")
    k = min(A.shape[-2:])
    return lu, piv, _lu_info(lu[..., :k, :k]) if k else jnp.zeros(A.shape[:-2], jnp.int32)


@composite(method=False, namespace="linalg")
def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    r = call(OPS["linalg_lu_factor_ex"], (A,), (pivot,), out)
    if check_errors:
        _raise_info(r[2], _LU_MSG, "torch.linalg.lu_factor_ex", A.dim() > 2, RuntimeError)
    return r


_LU_MSG = "U[{0},{0}] is zero and using it on lu_solve would result in a division by zero. " \
          "If you still want to perform the factorization, consider calling linalg.lu(A, " \
          "pivot) or linalg.lu_factor_ex(A, pivot)"


@composite(method=False, namespace="linalg")
def lu_factor(A, *, pivot=True, out=None):
    r = call(OPS["linalg_lu_factor_ex"], (A,), (pivot,))
    _raise_info(r[2], _LU_MSG, "torch.linalg.lu_factor", A.dim() > 2, RuntimeError)
    res = RT.linalg_lu_factor((r[0], r[1]))
    if out is not None:
        from .registry import _write_out
        _write_out(out, list(res), "linalg_lu_factor_ex")
        return out
    return res


@op(tensors=("A",), promote=False, function=False, method=False, grad="LinalgLuBackward0")
def _linalg_lu_LU(A, pivot):
    if not pivot:
        raise RuntimeError("linalg.lu: LU without pivoting is not implemented on the CPU")
    lu, _, perm = _lu_core(A, "linalg.lu")
    m, n = A.shape[-2:]
    k = min(m, n)
    L = jnp.tril(lu[..., :, :k], -1) + jnp.eye(m, k, dtype=A.dtype)
    U = jnp.triu(lu[..., :k, :])
    return L, U, perm


@op(tensors=("perm",), promote=False, function=False, method=False, differentiable=False)
def _perm_matrix(perm, dtype):
    m = perm.shape[-1]
    P = jax.nn.one_hot(perm, m, dtype=dtype.np)  # P[..., i, perm[i]] = 1 -> transpose
    return _mT(P)


@composite(method=False, namespace="linalg")
def lu(A, *, pivot=True, out=None):
    L, U, perm = call(OPS["_linalg_lu_LU"], (A,), (pivot,))
    P = call(OPS["_perm_matrix"], (perm,), (A.dtype,))
    res = RT.linalg_lu((P, L, U))
    if out is not None:
        from .registry import _write_out
        _write_out(out, list(res), "linalg_lu")
        return out
    return res


# ---------------------------------------------------------------- misc

@op(tensors=("x",), promote=False, function=False, method=False, grad="CatBackward0")
def _linalg_vander(x, N):
    n = N - 1
    xs = jnp.broadcast_to(x[..., None], x.shape + (n,))
    ones = jnp.ones(x.shape + (1,), x.dtype)
    return jnp.concatenate([ones, jnp.cumprod(xs, axis=-1).astype(x.dtype)], axis=-1)


@composite(method=False, namespace="linalg", name="vander")
def _linalg_vander_fn(x, *, N=None):
    if N is None:
        N = x.shape[-1] if x.dim() else 1
    if x.dim() == 0:
        x = x.reshape(1)
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    return call(OPS["_linalg_vander"], (x,), (int(N),))


@op(tensors=("x",), promote=False, function=False, method=False, grad=_gname)
def _torch_vander(x, N, increasing, gname):
    dt = jnp.promote_types(x.dtype, jnp.int64) if x.dtype != jnp.bool_ else jnp.int64
    x = x.astype(dt)
    if N == 0:
        return jnp.zeros((x.shape[0], 0), dt)
    r = jnp.ones((x.shape[0], N), dt)
    if N > 1:
        r = jnp.concatenate([r[:, :1], jnp.broadcast_to(x[:, None], (x.shape[0], N - 1))], 1)
        r = jnp.cumprod(r, axis=1).astype(dt)
    return r if increasing else jnp.flip(r, 1)


@composite(method=False, name="vander")
def _torch_vander_fn(x, N=None, increasing=False):
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is None:
        N = x.shape[0]
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    g = "CopySlices" if increasing else "FlipBackward0"
    if N <= 1:  # torch fills ones without reading x: no autograd connection
        from .. import _creation as C
        dt = D.promote_types(x.dtype, D.int64) if x.dtype != D.bool else D.int64
        return (C.ones if N else C.zeros)((x.shape[0], N), dtype=dt)
    return call(OPS["_torch_vander"], (x,), (int(N), bool(increasing), g))


@composite(method=False, namespace="linalg", name="diagonal")
def _linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return call(OPS["diagonal"], (A,), (offset, dim1, dim2))


@op(tensors=("x", "y"), promote=False, namespace="linalg", method=False, out=True,
    grad="SumBackward1")
def vecdot(x, y, *, dim=-1):
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_sn(x)} and y of type {_sn(y)} instead")
    shape = broadcast_shapes(x.shape, y.shape)
    d = wrap_dim(dim, len(shape))
    return jnp.sum(jnp.conj(x) * y, axis=d)


# ---------------------------------------------------------------- distances

def _dist_coef(diff, p, axes, dist):
    """torch's cdist/pdist backward kernels (Distance.cpp), per element: grad = coef * g."""
    if p == 0:
        return jnp.zeros_like(diff)
    if p == 1:
        return jnp.sign(diff)
    z = dist == 0
    if p == 2:
        return _safe_div(diff, dist)
    a = jnp.abs(diff)
    if math.isinf(p):
        return jnp.sign(diff) * (a == dist).astype(diff.dtype)
    if p < 2:
        da = jnp.where(diff == 0, 1, a)
        c = jnp.sign(diff) * jnp.where(diff == 0, 0 if p < 1 else a ** (p - 1), da ** (p - 1))
        return jnp.where(z, 0, c / jnp.where(z, 1, dist) ** (p - 1))
    return jnp.where(z, 0, diff * a ** (p - 2) / jnp.where(z, 1, dist) ** (p - 1))


@op(tensors=("input", "other"), out=False, grad="DistBackward0")
def dist(input, other, p=2):
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_sn(input)} instead.")
    shape = broadcast_shapes(input.shape, other.shape)
    diff = jnp.broadcast_to(input, shape) - jnp.broadcast_to(other, shape)
    return _vnorm(diff, p, tuple(range(diff.ndim)), False)


_CDIST_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
                "donot_use_mm_for_euclid_dist": 2}


@op(tensors=("x1", "x2"), promote=False, function=False, method=False, grad=_gname)
def _cdist(x1, x2, p, mm, gname):
    batch = broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    a = jnp.broadcast_to(x1, batch + x1.shape[-2:])
    b = jnp.broadcast_to(x2, batch + x2.shape[-2:])
    if mm:
        an = jnp.sum(a * a, -1, keepdims=True)
        bn = jnp.sum(b * b, -1, keepdims=True)
        a_ = jnp.concatenate([a * -2, an, jnp.ones_like(an)], -1)
        b_ = jnp.concatenate([b, jnp.ones_like(bn), bn], -1)
        r = _mm(a_, _mT(b_))
        r = jnp.where(r >= 0, r, 0)
        return jnp.sqrt(r)
    diff = a[..., :, None, :] - b[..., None, :, :]
    return _vnorm(diff, p, (diff.ndim - 1,), False, coef=_dist_coef)


@composite(method=False)
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    mode = _CDIST_MODES[compute_mode]
    if x1.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{D.SCALAR_NAME[t.dtype]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {D.SCALAR_NAME[x1.dtype]} but found "
                           f"{D.SCALAR_NAME[x2.dtype]}")
    r1, r2 = x1.shape[-2], x2.shape[-2]
    use_mm = (x1.numel() > 0 and x2.numel() > 0 and p == 2 and
              (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))))
    return call(OPS["_cdist"], (x1, x2), (float(p), use_mm,
                                          "ViewBackward0" if use_mm else "CdistBackward0"))


@op(promote=False, namespace=("", "nn.functional"), method=False, grad="PdistBackward0")
def pdist(input, p=2):
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not jnp.issubdtype(input.dtype, jnp.floating):
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    if i.size == 0:
        return jnp.zeros((0,), input.dtype)
    diff = input[i] - input[j]
    return _vnorm(diff, p, (1,), False, coef=_dist_coef)


@jax.custom_jvp
def _clamp_min_nograd(x, eps):
    """max(x, eps) in value; identity in derivative (torch clamps under no_grad)."""
    return jnp.maximum(x, eps)


@_clamp_min_nograd.defjvp
def _clamp_min_nograd_jvp(p, t):
    return _clamp_min_nograd(p[0], p[1]), t[0]


@op(tensors=("x1", "x2"), promote=False, namespace=("", "nn.functional"), method=False,
    grad="SumBackward1")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    dims = [D.from_np(x.dtype) for x in (x1, x2) if x.ndim]
    zeros = [D.from_np(x.dtype) for x in (x1, x2) if not x.ndim]
    common = D.result_type_of(dims, zeros, [])
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{D.SCALAR_NAME[common]}")
    if not jnp.issubdtype(x1.dtype, jnp.inexact):
        x1 = x1.astype(common.np)
    if not jnp.issubdtype(x2.dtype, jnp.inexact):
        x2 = x2.astype(common.np)
    shape = broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = jnp.broadcast_to(x1, shape), jnp.broadcast_to(x2, shape)
    d = wrap_dim(dim, len(shape))
    axes = (d,) if shape else ()
    n1 = _clamp_min_nograd(_vnorm(x1, 2, axes, True), jnp.asarray(eps, _real_dtype(x1.dtype)))
    n2 = _clamp_min_nograd(_vnorm(x2, 2, axes, True), jnp.asarray(eps, _real_dtype(x2.dtype)))
    return jnp.sum((x1 / n1) * (x2 / n2), axis=axes)


@op(tensors=("x1", "x2"), to_float=True, namespace=("", "nn.functional"), method=False,
    grad="NormBackward1")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    shape = broadcast_shapes(x1.shape, x2.shape)
    diff = x1 - x2 + jnp.asarray(eps, x1.dtype)
    if not shape:
        return _vnorm(diff, p, (), keepdim)
    return _vnorm(diff, p, (len(shape) - 1,), keepdim)


# ---------------------------------------------------------------- triangular / LU solves

def _bcast_pair(A, B):
    batch = broadcast_shapes(A.shape[:-2], B.shape[:-2])
    return (jnp.broadcast_to(A, batch + A.shape[-2:]), jnp.broadcast_to(B, batch + B.shape[-2:]))


def _tri_solve(A, B, upper, left, unit=False):
    return lax.linalg.triangular_solve(A, B, left_side=left, lower=not upper,
                                       unit_diagonal=unit)


@op(tensors=("A", "B"), promote=False, namespace="linalg", method=False, out=True,
    grad="LinalgSolveTriangularBackward0")
def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{_sn(A)}'")
    _square_check(A, "linalg.solve_triangular")
    _ndim_check(B, "linalg.solve_triangular", "B")
    n = A.shape[-1]
    if (left and B.shape[-2] != n) or (not left and B.shape[-1] != n):
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    A, B = _bcast_pair(A, B.astype(A.dtype))
    if B.size == 0:
        return jnp.zeros(B.shape, A.dtype)
    return _tri_solve(A, B, upper, left, unitriangular)


@op(tensors=("input", "A"), promote=False, grad="TriangularSolveBackward0",
    returns=RT.returns(RT.triangular_solve))
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    if not jnp.issubdtype(A.dtype, jnp.inexact):
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{_sn(A)}'")
    _square_check(A, "torch.triangular_solve", "A")
    if input.ndim < 2:
        raise RuntimeError("torch.triangular_solve: The input tensor b must have at least 2 "
                           "dimensions.")
    if input.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for triangular_solve: each A matrix is "
                           f"{A.shape[-2]} by {A.shape[-1]} but each b matrix is "
                           f"{input.shape[-2]} by {input.shape[-1]}")
    A2, B2 = _bcast_pair(A, input)
    X = lax.linalg.triangular_solve(A2, B2, left_side=True, lower=not upper,
                                    transpose_a=transpose, unit_diagonal=unitriangular)
    return X, jnp.copy(A2)


def _chol_solve_val(F, B, upper):
    """(F F^H)^{-1} B for lower F, (F^H F)^{-1} B for upper F, reading F's triangle only."""
    if upper:
        Y = lax.linalg.triangular_solve(F, B, left_side=True, lower=False, transpose_a=True,
                                        conjugate_a=True)
        return lax.linalg.triangular_solve(F, Y, left_side=True, lower=False)
    Y = lax.linalg.triangular_solve(F, B, left_side=True, lower=True)
    return lax.linalg.triangular_solve(F, Y, left_side=True, lower=True, transpose_a=True,
                                       conjugate_a=True)


def _chol_solve(F, B, upper):
    """_chol_solve_val with torch's derivative, which treats F as a full matrix."""
    @jax.custom_jvp
    def f(F, B):
        return _chol_solve_val(F, B, upper)

    @f.defjvp
    def f_jvp(p, t):
        F, B = p
        dF, dB = t
        X = f(F, B)
        dA = _mm(_mH(dF), F) + _mm(_mH(F), dF) if upper else _mm(dF, _mH(F)) + _mm(F, _mH(dF))
        return X, _chol_solve_val(F, dB - _mm(dA, X), upper)
    return f(F, B)


@op(tensors=("input", "input2"), promote=False, grad="CholeskySolveBackward0")
def cholesky_solve(input, input2, upper=False):
    L = input2
    if not jnp.issubdtype(L.dtype, jnp.inexact):
        raise RuntimeError(f"cholesky_solve: Expected a floating point or complex tensor as "
                           f"input. Got {_sn(L)}")
    if input.dtype != L.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_sn(input)} and A of type {_sn(L)} instead.")
    _square_check(L, "cholesky_solve", "A")
    L2, B2 = _bcast_pair(L, input)
    return _chol_solve(L2, B2, upper)


@op(promote=False, grad="CholeskyInverseBackward0", out=True)
def cholesky_inverse(input, upper=False):
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        raise RuntimeError(f"cholesky_inverse: Expected a floating point or complex tensor as "
                           f"input. Got {_sn(input)}")
    _square_check(input, "cholesky_inverse", "input")
    eye = jnp.broadcast_to(jnp.eye(input.shape[-1], dtype=input.dtype), input.shape)
    return _chol_solve(input, eye, upper)


def _piv_perm(pivots, m):
    return lax.linalg.lu_pivots_to_permutation(pivots.astype(jnp.int32) - 1, m)


@op(tensors=("LU", "pivots", "B"), promote=False, function=False, method=False,
    grad="LinalgLuSolveBackward0")
def linalg_lu_solve(LU, pivots, B, left, adjoint):
    _float_check(LU, "linalg.lu_solve")
    _square_check(LU, "linalg.lu_solve", "LU")
    _ndim_check(B, "linalg.lu_solve", "B")
    n = LU.shape[-1]
    if (left and B.shape[-2] != n) or (not left and B.shape[-1] != n):
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    if LU.dtype != B.dtype:
        raise RuntimeError(f"linalg.lu_solve: Expected LU and B to have the same dtype, but "
                           f"found LU of type {_sn(LU)} and B of type {_sn(B)} instead")
    batch = broadcast_shapes(LU.shape[:-2], B.shape[:-2], pivots.shape[:-1])
    LU = jnp.broadcast_to(LU, batch + LU.shape[-2:])
    B = jnp.broadcast_to(B, batch + B.shape[-2:])
    perm = jnp.broadcast_to(_piv_perm(pivots, n), batch + (n,))
    # A = P L U with P^T A = L U; solve op(A) X = B (left) or X op(A) = B (right)
    if not left:  # X A = B  <=>  A^H X^H = B^H
        B = _mH(B)
        adjoint = not adjoint
    if not adjoint:
        X = _lu_apply(LU, perm, B)
    else:  # A^H X = B: U^H L^H P^T X = B
        Y = lax.linalg.triangular_solve(LU, B, left_side=True, lower=False, transpose_a=True,
                                        conjugate_a=True)
        Y = lax.linalg.triangular_solve(LU, Y, left_side=True, lower=True, transpose_a=True,
                                        conjugate_a=True, unit_diagonal=True)
        inv = jnp.argsort(perm, axis=-1)
        X = jnp.take_along_axis(Y, inv[..., :, None], axis=-2)
    return _mH(X) if not left else X


@composite(method=False, namespace="linalg", name="lu_solve")
def _linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    return call(OPS["linalg_lu_solve"], (LU, pivots, B), (bool(left), bool(adjoint)), out)


@composite(name="lu_solve")
def _torch_lu_solve(input, LU_data, LU_pivots, *, out=None):
    return call(OPS["linalg_lu_solve"], (LU_data, LU_pivots, input), (True, False), out)


@op(tensors=("LU_data", "LU_pivots"), promote=False, function=False, method=False,
    grad="LuUnpackBackward0")
def _lu_unpack_LU(LU_data, LU_pivots, unpack_data):
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    if not unpack_data:
        return jnp.zeros((0,), LU_data.dtype), jnp.zeros((0,), LU_data.dtype)
    L = jnp.tril(LU_data[..., :, :k], -1) + jnp.eye(m, k, dtype=LU_data.dtype)
    U = jnp.triu(LU_data[..., :k, :])
    return L, U


@op(tensors=("LU_pivots",), promote=False, function=False, method=False, differentiable=False)
def _pivots_matrix(LU_pivots, m, dtype):
    perm = _piv_perm(LU_pivots, m)
    return _mT(jax.nn.one_hot(perm, m, dtype=dtype.np))


@composite(method=False)
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    L, U = call(OPS["_lu_unpack_LU"], (LU_data, LU_pivots), (bool(unpack_data),))
    if unpack_pivots:
        P = call(OPS["_pivots_matrix"], (LU_pivots,), (LU_data.shape[-2], LU_data.dtype))
    else:
        from .. import _creation as C
        P = C.zeros(0, dtype=LU_data.dtype)
    res = RT.lu_unpack((P, L, U))
    if out is not None:
        from .registry import _write_out
        _write_out(out, list(res), "lu_unpack")
        return out
    return res


@composite(name="lu")
def _torch_lu(A, pivot=True, get_infos=False, out=None):
    r = call(OPS["linalg_lu_factor_ex"], (A,), (pivot,))
    if get_infos:
        return tuple(r)
    _raise_info(r[2], _LU_MSG, "torch.linalg.lu_factor", A.dim() > 2, RuntimeError)
    return (r[0], r[1])


def _cond_name(key):
    p = key[0][0]
    if p is None or p in (2, -2):
        return "SqueezeBackward1"
    return "MulBackward0" if p == "nuc" else "NanToNumBackward0"


@op(tensors=("A",), promote=False, function=False, method=False, grad=_cond_name)
def _linalg_cond(A, p):
    if p is None or p in (2, -2):
        _float_check(A, "linalg.svd")
        _ndim_check(A, "linalg.cond")
        s = jnp.linalg.svd(A, compute_uv=False)
        return s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    ok = p in ("fro", "nuc") if isinstance(p, str) else p in (1, -1, math.inf, -math.inf)
    if not ok:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {_fmt_num(p)}")
    name = p if isinstance(p, str) else ("inf" if p == math.inf else "-inf" if p == -math.inf
                                         else str(int(p)))
    _float_check(A, "linalg.cond")
    _square_check(A, f"linalg.cond(ord={name})")
    n = A.shape[-1]
    if A.size == 0:
        return jnp.zeros(A.shape[:-2], _real_dtype(A.dtype))
    if p == "nuc":  # torch: nuclear norms from the singular values, no inverse
        s = jnp.linalg.svd(A, compute_uv=False)
        return jnp.sum(s, -1) * jnp.sum(1 / s, -1)
    lu, _, perm = lax.linalg.lu(A)
    eye = jnp.broadcast_to(jnp.eye(n, dtype=A.dtype), A.shape)
    Ainv = _lu_solve_ad(A, lu, perm, eye)
    Ainv = jnp.where((_lu_info(lu) > 0)[..., None, None], jnp.inf, Ainv)

    def mn(X):
        if p == "fro":
            return _vnorm(X, 2, (X.ndim - 2, X.ndim - 1), False)
        if p == "nuc":
            return jnp.sum(jnp.linalg.svd(X, compute_uv=False), -1)
        d0, d1 = (X.ndim - 2, X.ndim - 1) if abs(p) == 1 else (X.ndim - 1, X.ndim - 2)
        s = jnp.sum(_tabs(X), axis=d0, keepdims=True)
        r = jnp.max(s, axis=d1, keepdims=True) if p > 0 else jnp.min(s, axis=d1, keepdims=True)
        return jnp.squeeze(r, axis=(-2, -1))
    r = mn(A) * mn(Ainv)
    return jnp.nan_to_num(r, nan=jnp.inf, posinf=jnp.inf, neginf=-jnp.inf)


@composite(method=False, namespace="linalg")
def cond(A, p=None, *, out=None):
    return call(OPS["_linalg_cond"], (A,), (p,), out)


@composite(method=False, namespace="linalg")
def tensorinv(A, ind=2, *, out=None):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A.shape)
    a, b = math.prod(shape[:ind]), math.prod(shape[ind:])
    if a != b:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {b} != {a}")
    r = _inv_call(A.reshape(a, b), None, "inv").reshape(*(shape[ind:] + shape[:ind]))
    if out is not None:
        from .registry import _write_out
        _write_out(out, [r])
        return out
    return r


@composite(method=False, namespace="linalg")
def tensorsolve(A, B, dims=None, *, out=None):
    if dims is not None:
        nd = A.dim()
        dims = [wrap_dim(d, nd) for d in dims]
        A = A.movedim(tuple(dims), tuple(range(nd - len(dims), nd)))
    rshape = tuple(A.shape[B.dim():])
    n = math.prod(rshape)
    bn = B.numel()
    if math.prod(A.shape[:B.dim()]) != bn or n != bn:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:])"
                           f" == prod(self.shape[:other.ndim]), but got {n} != "
                           f"{math.prod(A.shape[:B.dim()])}")
    r = solve(A.reshape(bn, n), B.reshape(bn)).reshape(*rshape)
    if out is not None:
        from .registry import _write_out
        _write_out(out, [r])
        return out
    return r
