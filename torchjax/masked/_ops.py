"""torch.masked reductions and normalizations on plain tensors. Masked-out elements are replaced
by the op's identity (torch.where), then the ordinary torchjax op runs, so values, dtypes and
gradients follow torch's ops. MaskedTensor and sparse inputs are not supported."""
import math

import torchjax as T

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp",
           "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax", "softmin",
           "std", "sum", "var"]

_SMALL_INTS = (T.uint8, T.bool, T.int8, T.int16, T.int32)  # summed as int64 by default
_LOW = ("amax", "argmax", "logaddexp", "logsumexp")  # identity is the lowest value


def _identity(name, x, ord=2.0):
    """The value that leaves reduction `name` unchanged (torch.masked's _reduction_identity)."""
    d = x.dtype
    if name in ("sum", "prod"):
        return int(name == "prod")
    if name == "norm":
        return math.inf if ord == -math.inf else 0
    if name == "median":
        return math.nan
    if d.is_floating_point or (d.is_complex and name == "logsumexp"):
        return -math.inf if name in _LOW else math.inf
    if d.is_signed or d == T.uint8:
        return T.iinfo(d).min if name in _LOW else T.iinfo(d).max
    raise NotImplementedError(f"identity of {name} on {d} input")


def _input_mask(input, mask):
    """mask broadcast to input's shape, as bool."""
    if mask.shape != input.shape:
        if mask.ndim > input.ndim:
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality "
                             "higher than of the input)")
        mask = T.broadcast_to(mask, input.shape)
    return mask.to(dtype=T.bool)


def _fill(name, input, mask, *args):
    """input with its masked-out elements replaced by the identity of reduction `name`."""
    if not isinstance(input, T.Tensor):
        raise TypeError(f"masked {name} expects a Tensor input (got {type(input).__name__})")
    if mask is None:
        return input
    fill = T.tensor(_identity(name, input, *args), dtype=input.dtype)
    return T.where(_input_mask(input, mask), input, fill)


def _dims(dim, ndim):
    """dim as a sorted tuple of non-negative dims; None or () means all."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    n, out = max(ndim, 1), []
    for d in ((dim,) if isinstance(dim, int) else dim):
        if d in out:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {d})")
        out.append(d % n)
    return tuple(sorted(out))


def _sum_dtype(input, dtype):
    return dtype if dtype is not None else T.int64 if input.dtype in _SMALL_INTS else input.dtype


def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    return T.sum(_fill("sum", input, mask), _dims(dim, input.ndim), bool(keepdim),
                 dtype=_sum_dtype(input, dtype))


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    out = _fill("prod", input, mask).to(dtype=_sum_dtype(input, dtype))
    for d in reversed(_dims(dim, input.ndim)):
        out = out.prod(dim=d, keepdim=bool(keepdim))
    return out


def cumsum(input, dim, *, dtype=None, mask=None):
    return T.cumsum(_fill("sum", input, mask), _dims(dim, input.ndim)[0],
                    dtype=dtype or input.dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    return T.cumprod(_fill("prod", input, mask), _dims(dim, input.ndim)[0],
                     dtype=dtype or input.dtype)


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    x = _fill("amax", input, mask)
    return T.amax(x, _dims(dim, x.ndim), bool(keepdim)).to(dtype=dtype or input.dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    x = _fill("amin", input, mask)
    return T.amin(x, _dims(dim, x.ndim), bool(keepdim)).to(dtype=dtype or input.dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    # torch casts the index to `dtype`, which defaults to the input's dtype
    return T.argmax(_fill("argmax", input, mask), dim, bool(keepdim)).to(dtype=dtype or input.dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    return T.argmin(_fill("argmin", input, mask), dim, bool(keepdim)).to(dtype=dtype or input.dtype)


def _count(input, dim, keepdim, mask):
    """int64 number of masked-in elements reduced into each output element."""
    m = T.ones(input.shape, dtype=T.bool) if mask is None else _input_mask(input, mask)
    return sum(m, dim, keepdim=keepdim)


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    src, dtype = ("Input", input.dtype) if dtype is None else ("Optional", dtype)
    if not (dtype.is_floating_point or dtype.is_complex):
        raise ValueError(f"mean(): Could not infer output dtype. {src} dtype must be either a "
                         f"floating point or complex dtype. Got: {dtype}")
    total = sum(input, dim, keepdim=keepdim, dtype=dtype, mask=mask)
    return total / _count(input, dim, keepdim, mask)


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    d, is_float = _dims(dim, input.ndim)[0], input.is_floating_point()
    x = _fill("median", input if is_float else input.to(dtype=T.float32), mask)
    out = T.nanmedian(x, d, keepdim).values  # masked-out elements are nan, which it skips
    if is_float:
        return out
    if T.isnan(out).any():
        raise ValueError("masked median expects no fully masked out rows if dtype is not "
                         "floating point")
    return out.to(dtype=dtype or input.dtype)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    x = _fill("logsumexp", input, mask)
    return T.logsumexp(x, _dims(dim, input.ndim), keepdim=keepdim).to(dtype=dtype or input.dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    x, y = _fill("logaddexp", input, input_mask), _fill("logaddexp", other, other_mask)
    return T.logaddexp(x, y).to(dtype=dtype or input.dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    return T.linalg.vector_norm(_fill("norm", input, mask, ord), ord, _dims(dim, input.ndim),
                                bool(keepdim), dtype=dtype or input.dtype)


def _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt):
    if unbiased is not None and correction is not None:
        raise AssertionError("Only one of unbiased and correction may be given")
    c = float(correction) if correction is not None else 1.0 if unbiased is None or unbiased else 0.0
    inexact = lambda d: d.is_floating_point or d.is_complex  # noqa: E731
    dtype = dtype or (input.dtype if inexact(input.dtype) else T.float32)
    cdtype = dtype if inexact(dtype) else T.float32
    count = _count(input, dim, True, mask)
    x = input - sum(input, dim, keepdim=True, dtype=dtype, mask=mask) / count
    total = sum(x * x.conj(), dim, keepdim=keepdim, dtype=cdtype, mask=mask)
    count = count.reshape(total.shape)
    if c != 0:
        real = {T.complex64: T.float32, T.complex128: T.float64}.get(cdtype, cdtype)
        count = T.clamp_min(count.to(dtype=real) - c, 0)
    out = (total / count).to(dtype=dtype)
    return out.sqrt() if take_sqrt else out


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None, mask=None):
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


def softmax(input, dim, *, dtype=None, mask=None):
    return T.nn.functional.softmax(_fill("amax", input, mask), _dims(dim, input.ndim)[0],
                                   dtype=dtype or input.dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    return T.nn.functional.log_softmax(_fill("amax", input, mask), _dims(dim, input.ndim)[0],
                                       dtype=dtype or input.dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    return T.nn.functional.softmin(_fill("amin", input, mask), _dims(dim, input.ndim)[0],
                                   dtype=dtype or input.dtype)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype or input.dtype, mask=mask)
    return T.divide(_fill("sum", input, mask), T.maximum(nrm, nrm.new_full([], eps)))
