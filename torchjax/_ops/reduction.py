"""Reductions and scans: sum/mean/prod/std/var, max/min/amax/amin/argmax, all/any,
logsumexp, cumulative ops, softmax, diff/trapezoid, histc/bincount, count_nonzero.

Gradients follow torch at its special points (see /work/shared/reference): amax/amin and full
max/min split ties evenly (full max/min also among NaNs), max(dim) sends the gradient to the
returned index, std at 0 has gradient 0, var uses torch's unclamped 2 / (N - correction)."""
import builtins as _b
import math
import numbers
import warnings
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .. import return_types as RT
from .._tensor import Tensor, wrap
from ._cascade import fdiv, fence, fsum, fmean, on_cpu
from ._util import wrap_dim
from .registry import op, composite, call, OPS

RED = dict(out=True)
_I64 = jnp.int64
_IR = ("input", "result")


# ---------------------------------------------------------------- helpers

def _axes(dim, ndim, empty_is_all=True):
    """torch reduction ``dim`` (None, int or sequence) -> tuple of non-negative axes.

    None (and an empty sequence when ``empty_is_all``) reduce every dim. A 0-d tensor accepts
    dims -1 and 0 and has no axis to reduce."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    if not dims:
        return tuple(range(ndim)) if empty_is_all else ()
    out = []
    for d in dims:
        w = wrap_dim(int(d), ndim)
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.append(w)
    return tuple(out) if ndim else ()


def _name(dt):
    return D.SCALAR_NAME[D.from_np(dt)]


def _is_float(a):
    return jnp.issubdtype(a.dtype, jnp.inexact)


def _is_complex(a):
    return jnp.issubdtype(a.dtype, jnp.complexfloating)


def _acc_dtype(a, dtype):
    """torch: integer/bool sums and products accumulate in int64 unless dtype= says otherwise."""
    if dtype is not None:
        return dtype.np
    if not _is_float(a):
        return _I64
    return a.dtype


def _no_identity(name, x, axes, full):
    """max/min/amax/argmax-style reductions have no identity: empty reductions are errors."""
    if full and x.size == 0:
        tail = "" if name in ("argmax", "argmin") else \
            " Specify the reduction dim with the 'dim' argument."
        raise (IndexError if name in ("argmax", "argmin") else RuntimeError)(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0.{tail}")
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


def _expand(y, axes, keepdim):
    return y if keepdim else jnp.expand_dims(y, axes)


def _even_chooser(reducer, nan_aware):
    """max/min-style reduction whose gradient is split evenly between the tied elements.

    nan_aware (torch's evenly_distribute_backward, used by full max()/min()/median()): a NaN
    result shares the gradient among the NaNs. Otherwise (amax/amin): mask = (input == result),
    so a NaN result gives NaN gradients to its whole slice, as torch's grad / count * mask."""
    @partial(jax.custom_jvp, nondiff_argnums=(1, 2))
    def f(x, axes, keepdim):
        return reducer(x, axis=axes, keepdims=keepdim)

    @f.defjvp
    def _jvp(axes, keepdim, primals, tangents):
        (x,), (t,) = primals, tangents
        y = f(x, axes, keepdim)
        yk = _expand(y, axes, keepdim)
        m = x == yk
        if nan_aware:
            m = m | (jnp.isnan(x) & jnp.isnan(yk))
        inv = 1 / jnp.sum(m, axis=axes, keepdims=True).astype(x.dtype)
        return y, jnp.sum(t * _mask_mul(inv, m), axis=axes, keepdims=keepdim)
    return f


_amax = _even_chooser(jnp.max, False)
_amin = _even_chooser(jnp.min, False)
_max_even = _even_chooser(jnp.max, True)
_min_even = _even_chooser(jnp.min, True)


def _mask_mul(t, mask):
    """t * mask with IEEE semantics (inf * 0 = NaN) that XLA cannot fold into a select."""
    return jnp.where(mask, t, t * 0)


def _check_complex(name, x):
    if _is_complex(x):
        raise RuntimeError(f"{name}(): does not support complex input")


# ---------------------------------------------------------------- sum / mean / prod

@op(**RED, promote=False, saves=(),
    grad=lambda key: "SumBackward0" if key[0][0] is None else "SumBackward1")
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return fsum(input.astype(_acc_dtype(input, dtype)), _axes(dim, input.ndim), keepdim)


@partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _nansum_f(x, axes, keepdim):
    return fsum(jnp.where(jnp.isnan(x), jnp.zeros((), x.dtype), x), axes, keepdim)


@_nansum_f.defjvp
def _nansum_jvp(axes, keepdim, primals, tangents):
    """torch's nansum backward: grad * ~isnan(x) (a product, so inf * 0 gives NaN as in torch)."""
    (x,), (t,) = primals, tangents
    # where(keep, t, t * 0) rather than t * keep: XLA rewrites x * convert(mask) as a select,
    # which would turn torch's inf * 0 = NaN into 0
    return _nansum_f(x, axes, keepdim), jnp.sum(_mask_mul(t, ~jnp.isnan(x)), axis=axes,
                                                keepdims=keepdim)


@op(**RED, promote=False, saves=("input",))
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    if _is_complex(input):
        raise RuntimeError("nansum on CPU does not support complex inputs")
    x = input.astype(_acc_dtype(input, dtype))
    if _is_float(x):
        return _nansum_f(x, _axes(dim, input.ndim), keepdim)
    return jnp.sum(x, axis=_axes(dim, input.ndim), keepdims=keepdim, dtype=x.dtype)


def _mean_dtype(name, input, dtype):
    if dtype is not None:
        if not (dtype.is_floating_point or dtype.is_complex):
            raise RuntimeError(f"{name}(): could not infer output dtype. Optional dtype must be "
                               f"either a floating point or complex dtype. Got: "
                               f"{D.SCALAR_NAME[dtype]}")
        return input.astype(dtype.np)
    if not _is_float(input):
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_name(input.dtype)}")
    return input


@op(**RED, promote=False, saves=(),
    grad=lambda key: "MeanBackward0" if key[0][0] is None else "MeanBackward1")
def mean(input, dim=None, keepdim=False, *, dtype=None):
    return fmean(_mean_dtype("mean", input, dtype), _axes(dim, input.ndim), keepdim)


@op(**RED, promote=False, saves=("input",), grad="DivBackward0")
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    if not _is_float(input):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_name(input.dtype)}")
    x = input.astype(dtype.np) if dtype is not None else input
    axes = _axes(dim, input.ndim)
    s = _nansum_f(x, axes, keepdim)
    return s / jnp.sum(~jnp.isnan(x), axis=axes, keepdims=keepdim).astype(s.dtype)


@op(promote=False, function=False, method=False, name="prod",
    grad=lambda key: "ProdBackward0" if key[0][0] is None else "ProdBackward1")
def _prod_k(input, dim, keepdim, dtype):
    axes = _axes(dim, input.ndim)
    x = input.astype(_acc_dtype(input, dtype))
    if x.dtype == jnp.bool_:
        return jnp.all(x, axis=axes, keepdims=keepdim)
    return jnp.prod(x, axis=axes, keepdims=keepdim, dtype=x.dtype)


@composite()
def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if dim is not None and not isinstance(dim, numbers.Integral):
        raise TypeError(f"prod() received an invalid combination of arguments - got "
                        f"({type(dim).__name__}), but expected one of:\n * (*, torch.dtype "
                        f"dtype = None)\n * (int dim, bool keepdim = False, *, torch.dtype dtype "
                        f"= None)\n")
    return call(OPS["prod"], (input,), (None if dim is None else int(dim), bool(keepdim), dtype),
                out)


# ---------------------------------------------------------------- std / var

def _var_value(x, axes, correction, keepdim, sqrt, welford):
    """torch's CPU std/var of a real float array. A reduction to one element by var/std of
    float32/float64 (std_var_all_cpu): torch's mean (in x's dtype), then the squared deviations
    summed in double. Otherwise Welford in double. Float32 and 16-bit data: two-pass in double,
    rounded once (the same value: m2 has too many bits for a tie when rounding to float).
    Float64 data: torch's sequential loops themselves (_welford, _sq_dev_sum)."""
    n = math.prod(x.shape[a] for a in axes)
    dof = _b.max(0, n - correction)
    if x.dtype == jnp.float64:
        v = fdiv(_welford(x, axes)[1] if welford else
                 _sq_dev_sum(x, fmean(x, axes, keepdim=True)), dof)
        v = v.reshape([1 if a in axes else s for a, s in enumerate(x.shape)] if keepdim else
                      [s for a, s in enumerate(x.shape) if a not in axes])
        return jnp.sqrt(v) if sqrt else v
    w = x.astype(jnp.float64)
    if welford:
        m = fdiv(jnp.sum(w, axis=axes, keepdims=True), n)
    else:
        m = fmean(x, axes, keepdim=True).astype(jnp.float64)
    d = w - m
    v = fdiv(jnp.sum(d * d, axis=axes, keepdims=keepdim), dof)
    return (jnp.sqrt(v) if sqrt else v).astype(x.dtype)


def _chunks(n):
    """parallel_for's split of n elements: one chunk per thread once n reaches GRAIN."""
    from ._cascade import GRAIN, THREADS
    if n < GRAIN or THREADS[0] == 1:
        return [(0, n)]
    ch = -(-n // _b.min(THREADS[0], -(-n // GRAIN)))
    return [(b, _b.min(n, b + ch)) for b in range(0, n, ch)]


def _by_chunks(flat, step, state):
    """Run ``step(state, row) -> (state, p)`` over the rows of flat (n, K) in order, within
    each parallel chunk of a single output (chunks side by side, shorter ones masked),
    summing the p's from 0.
    Each p is added one step later, from the loop carry, so XLA cannot contract the product
    into an FMA (torch's loops round it). Returns (state, sum), each (chunks, K)."""
    n, k = flat.shape
    cs = _chunks(n) if k == 1 else [(0, n)]   # several outputs: each runs whole (on its thread)
    ln = _b.max(e - b for b, e in cs)
    xs = jnp.stack([jnp.pad(flat[b:e], ((0, ln - (e - b)), (0, 0))) for b, e in cs], axis=1)
    ok = jnp.asarray([[i < e - b for b, e in cs] for i in range(ln)])[..., None]
    z = jnp.zeros((len(cs), k), jnp.float64)

    def body(c, v):
        st, acc, pend = c
        row, good = v
        new, p = step(st, row)
        keep = lambda a, b: jnp.where(good, a, b)
        return (tuple(map(keep, new, st)), keep(acc + pend, acc), keep(p, pend)), None
    st, acc, pend = lax.scan(body, (tuple(z for _ in state), z, z), (xs, ok))[0]
    return st, acc + pend


def _reduced_rows(x, axes):
    kept = [d for d in range(x.ndim) if d not in axes]
    n = math.prod(x.shape[a] for a in axes)
    shape = [x.shape[d] for d in kept]
    return jnp.transpose(x, list(axes) + kept).reshape(n, math.prod(shape)), shape


def _welford(x, axes):
    """WelfordOps in double, as binary_kernel_reduce runs it: each output's elements in
    memory order; a single output of GRAIN+ elements split per thread, partials combined in
    thread order. Returns (mean, m2) in float64, shaped as the kept dims."""
    flat, kept = _reduced_rows(x, axes)

    def step(st, v):
        mean, k = st
        k = k + 1
        v = v.astype(jnp.float64)
        d = v - mean
        nm = mean + d / k
        return (nm, k), d * (v - nm)
    (mean, k), m2 = _by_chunks(flat, step, (0, 0))
    am, a2, an = mean[0], m2[0], k[0]
    for i in range(1, mean.shape[0]):   # WelfordOps::combine; torch's build fuses its two
        bm, b2, bn = mean[i], m2[i], k[i]   # final multiply-adds (XLA does too, unfenced)
        tot = an + bn
        nb = bn / tot
        delta = bm - am
        am = am + delta * nb
        a2 = (a2 + b2) + fence(fence(delta * delta) * an) * nb
        an = tot
    return am.reshape(kept), a2.reshape(kept)


def _sq_dev_sum(x, mean):
    """std_var_all_cpu's sum of (x - mean)^2 in double: each parallel_reduce chunk in order,
    the chunk sums added to 0 in thread order."""
    m = mean.reshape(()).astype(jnp.float64)
    _, s = _by_chunks(x.reshape(-1, 1).astype(jnp.float64),
                      lambda st, v: ((), (v - m) * (v - m)), ())
    tot = jnp.zeros((1,), jnp.float64)
    for i in range(s.shape[0]):
        tot = tot + s[i]
    return tot.reshape(())


@partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4, 5, 6))
def _var_core(x, axes, correction, keepdim, sqrt, welford, nodim):
    if not _is_complex(x):
        return _var_value(x, axes, correction, keepdim, sqrt, welford)
    n = math.prod(x.shape[a] for a in axes)
    d = x - jnp.mean(x, axis=axes, keepdims=True)
    s = jnp.sum(d.real * d.real + d.imag * d.imag, axis=axes, keepdims=keepdim)
    v = s / jnp.asarray(_b.max(0, n - correction), s.dtype)
    return jnp.sqrt(v) if sqrt else v


@_var_core.defjvp
def _var_core_jvp(axes, correction, keepdim, sqrt, welford, nodim, primals, tangents):
    """torch's var_backward: (2 / (N - correction)) * grad * (x - x.mean(dim)), with the
    unclamped N - correction (the forward clamps the divisor at 0); without a dim and
    N - correction <= 0: grad * (NaN where x equals the mean, else inf). std_backward first
    takes (grad / (result * 2)).masked_fill_(result == 0, 0)."""
    (x,), (t,) = primals, tangents
    y = _var_core(x, axes, correction, keepdim, sqrt, welford, nodim)
    n = math.prod(x.shape[a] for a in axes)
    mean = (jnp.mean(x, axis=axes, keepdims=True) if _is_complex(x)
            else fmean(x, axes, keepdim=True))
    d = x - mean
    if nodim and n - correction <= 0:
        w = jnp.where(x == mean, jnp.asarray(jnp.nan, x.dtype), jnp.asarray(jnp.inf, x.dtype))
        tv = jnp.sum(jnp.real(w * t), axis=axes, keepdims=keepdim).astype(y.dtype)
    else:
        fac = 2.0 / (n - correction) if n != correction else math.inf
        dt = jnp.real(jnp.conj(d) * t) if _is_complex(x) else d * t
        tv = jnp.sum(dt, axis=axes, keepdims=keepdim) * jnp.asarray(fac, y.dtype)
    if sqrt:
        tv = jnp.where(y == 0, jnp.zeros((), y.dtype), tv / (jnp.where(y == 0, 1, y) * 2))
    return y, tv


def _welford_mean(x, axes, keepdim):
    """var_mean's mean: Welford's in double, rounded once (a sum / n would round exact ties
    differently: 0.4% of float32 column means over 64 rows)."""
    if _is_complex(x):
        return jnp.mean(x, axis=axes, keepdims=keepdim)
    m = _welford(x, axes)[0].astype(x.dtype)
    if not math.prod(x.shape[a] for a in axes):   # (an empty reduction is NaN)
        m = jnp.full(m.shape, jnp.nan, m.dtype)
    return jnp.expand_dims(m, axes) if keepdim else m


def _mk_var(name, sqrt, with_mean):
    def fn(input, dim, correction, keepdim):
        if not _is_float(input):
            raise RuntimeError("std and var only support floating point and complex dtypes")
        axes = _axes(dim, input.ndim)
        outs = math.prod(s for a, s in enumerate(input.shape) if a not in axes)
        welford = with_mean or outs > 1 or input.dtype in (jnp.float16, jnp.bfloat16)
        v = _var_core(input, axes, correction, keepdim, sqrt, welford, dim is None or not input.ndim)
        return (v, _welford_mean(input, axes, keepdim)) if with_mean else v
    fn.__name__ = "_" + name + "_k"
    op(promote=False, function=False, method=False, name=name)(fn)


for _n, _s, _m in (("std", True, False), ("var", False, False), ("std_mean", True, True),
                   ("var_mean", False, True)):
    _mk_var(_n, _s, _m)


def _var_call(name, input, dim, unbiased, keepdim, correction, out):
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                        "'unbiased' and 'correction'")
    corr = correction if correction is not None else (0 if unbiased is False else 1)
    if isinstance(corr, Tensor):
        corr = corr.item()
    ndim = input.dim()
    axes = _axes(dim, ndim)
    n = math.prod(input.shape[a] for a in axes) if ndim else 1
    if n - corr <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel). "
                      "(Triggered internally at "
                      "/__w/pytorch/pytorch/aten/src/ATen/native/ReduceOps.cpp:1861.)",
                      UserWarning, stacklevel=3)
    d = None if dim is None else (tuple(dim) if not isinstance(dim, numbers.Integral) else int(dim))
    return call(OPS[name], (input,), (d, corr, bool(keepdim)), out)


@composite()
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _var_call("std", input, dim, unbiased, keepdim, correction, out)


@composite()
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _var_call("var", input, dim, unbiased, keepdim, correction, out)


@composite(method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _var_call("std_mean", input, dim, unbiased, keepdim, correction, out)


@composite(method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    return _var_call("var_mean", input, dim, unbiased, keepdim, correction, out)


# ---------------------------------------------------------------- max / min family

def _full(fn_name, even):
    def fn(input):
        _check_complex(fn_name, input)
        _no_identity(fn_name, input, (), True)
        return even(input, tuple(range(input.ndim)), False)
    return fn


_max_all = op(promote=False, function=False, method=False, name="_max_all", grad="MaxBackward1",
              saves=_IR)(
    _full("max", _max_even))
_min_all = op(promote=False, function=False, method=False, name="_min_all", grad="MinBackward1",
              saves=_IR)(
    _full("min", _min_even))


def _select_dim(name, argf):
    def fn(input, dim, keepdim):
        _check_complex(name, input)
        d = wrap_dim(dim, input.ndim)
        if input.ndim == 0:
            return input, jnp.zeros((), _I64)
        _no_identity(name, input, (d,), False)
        idx = argf(input, axis=d, keepdims=True)
        vals = jnp.take_along_axis(input, idx, axis=d)
        idx = idx.astype(_I64)
        if not keepdim:
            vals, idx = jnp.squeeze(vals, d), jnp.squeeze(idx, d)
        return vals, idx
    return fn


op(promote=False, function=False, method=False, name="_max_dim", grad="MaxBackward0", saves=("result1",),
   returns=RT.returns(RT.max))(_select_dim("max", jnp.argmax))
op(promote=False, function=False, method=False, name="_min_dim", grad="MinBackward0", saves=("result1",),
   returns=RT.returns(RT.min))(_select_dim("min", jnp.argmin))


def _max_min(name, input, dim, keepdim, other, out):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, ...)")
    if isinstance(dim, Tensor):
        if other is not None or keepdim is not False:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, other = None, dim
    if other is not None:
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"(Tensor, {type(other).__name__})")
        f = OPS["maximum" if name == "max" else "minimum"]
        return call(f, (input, other), (), out)
    if dim is None:
        return call(OPS["_" + name + "_all"], (input,), (), out)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"(Tensor, {type(dim).__name__})")
    r = call(OPS["_" + name + "_dim"], (input,), (int(dim), bool(keepdim)), out)
    return _named_out(name, r, out)


def _named_out(name, r, out):
    """With out=, torch returns its ``<name>_out`` named tuple of the out tensors."""
    return getattr(RT, name + "_out")(tuple(out)) if out is not None else r


@composite()
def max(input, dim=None, keepdim=False, *, other=None, out=None):
    return _max_min("max", input, dim, keepdim, other, out)


@composite()
def min(input, dim=None, keepdim=False, *, other=None, out=None):
    return _max_min("min", input, dim, keepdim, other, out)


def _amaxmin(name, even):
    def fn(input, dim=(), keepdim=False):
        _check_complex(name, input)
        axes = _axes(dim, input.ndim)
        _no_identity(name, input, axes if input.ndim else (), dim in ((), None, []))
        return even(input, axes, keepdim)
    fn.__name__ = name
    op(**RED, promote=False, saves=_IR)(fn)


_amaxmin("amax", _amax)
_amaxmin("amin", _amin)


@composite()
def aminmax(input, *, dim=None, keepdim=False, out=None):
    if out is not None:
        for o in out:
            if o.dtype is not input.dtype:
                cname = {"float32": "float", "float64": "double", "int64": "long int"}
                raise RuntimeError(f"Expected out tensor to have dtype "
                                   f"{cname.get(input.dtype.name, input.dtype.name)}, but got "
                                   f"{cname.get(o.dtype.name, o.dtype.name)} instead")
    return _named_out("aminmax", call(OPS["aminmax"], (input,), (dim, keepdim), out), out)


@op(promote=False, returns=RT.returns(RT.aminmax), function=False, method=False, name="aminmax",
    saves=("input", "result", "result1"))
def _aminmax_k(input, dim, keepdim):
    _check_complex("aminmax", input)
    if dim is None:
        if input.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        axes = tuple(range(input.ndim))
    else:
        d = wrap_dim(dim, input.ndim)
        axes = (d,) if input.ndim else ()
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    return _amin(input, axes, keepdim), _amax(input, axes, keepdim)


def _argf(name, f):
    def fn(input, dim=None, keepdim=False):
        _check_complex(name, input)
        if input.dtype == jnp.bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            _no_identity(name, input, (), True)
            r = f(input.reshape(-1)).astype(_I64)
            return r.reshape((1,) * input.ndim) if keepdim else r
        d = wrap_dim(dim, input.ndim)
        if input.ndim == 0:
            return jnp.zeros((), _I64)
        _no_identity(name, input, (d,), False)
        return f(input, axis=d, keepdims=keepdim).astype(_I64)
    fn.__name__ = name
    op(**RED, promote=False, differentiable=False)(fn)


_argf("argmax", jnp.argmax)
_argf("argmin", jnp.argmin)


# ---------------------------------------------------------------- all / any / count_nonzero

def _logical(name, f):
    def fn(input, dim=None, keepdim=False):
        r = f(input != 0 if input.dtype != jnp.bool_ else input,
              axis=_axes(dim, input.ndim), keepdims=keepdim)
        return r.astype(jnp.uint8) if input.dtype == jnp.uint8 else r
    fn.__name__ = name
    op(**RED, promote=False, differentiable=False)(fn)


_logical("all", jnp.all)
_logical("any", jnp.any)


@op(promote=False, differentiable=False)
def count_nonzero(input, dim=None):
    return jnp.sum(input != 0, axis=_axes(dim, input.ndim), dtype=_I64)


# ---------------------------------------------------------------- logsumexp / softmax

@partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _lse(x, axes, keepdim):
    m = jnp.max(x, axis=axes, keepdims=True) if x.size else jnp.zeros((1,) * x.ndim, x.dtype)
    m = lax.stop_gradient(jnp.where(jnp.isinf(m), jnp.zeros((), m.dtype), m))
    s = jnp.log(jnp.sum(jnp.exp(x - m), axis=axes, keepdims=True)) + m
    return s if keepdim else jnp.squeeze(s, axes)


@_lse.defjvp
def _lse_jvp(axes, keepdim, primals, tangents):
    (x,), (t,) = primals, tangents
    y = _lse(x, axes, keepdim)
    return y, jnp.sum(t * jnp.exp(x - _expand(y, axes, keepdim)), axis=axes, keepdims=keepdim)


@op(**RED, promote=False, namespace=("", "special"), saves=_IR)
def logsumexp(input, dim, keepdim=False):
    x = input if _is_float(input) else input.astype(D.get_default_dtype().np)
    return _lse(x, _axes(dim, input.ndim), keepdim)


def _softmax_dim(ndim, dim, name):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                      "to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    return dim


def _softmax_in(name, input, dim, dtype):
    x = input.astype(dtype.np) if dtype is not None else input
    d = wrap_dim(dim, x.ndim)
    if not _is_float(x):
        kernel = name + ("_lastdim" if x.ndim == 0 or d == x.ndim - 1 else "")
        raise NotImplementedError(f"\"{kernel}_kernel_impl\" not implemented for "
                                  f"'{_name(x.dtype)}'")
    return x, d


@partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _smax(x, d, log):
    plain = partial(jax.nn.log_softmax if log else jax.nn.softmax, axis=d)
    if _smax_exact(x):
        return on_cpu(lambda v: _smax_k(v, d, log), plain, x)
    return plain(x)


def _smax_fwd(x, d, log):
    y = _smax(x, d, log)
    return y, y


def _smax_bwd(d, log, y, g):
    """torch's formulas: y * (g - sum(g * y)) and g - exp(y) * sum(g): exact zeros where
    torch has them (softmax over -inf)."""
    def plain(g, y):
        if log:
            return g - jnp.exp(y) * jnp.sum(g, axis=d, keepdims=True)
        return y * (g - jnp.sum(g * y, axis=d, keepdims=True))
    if _smax_exact(y):
        return (on_cpu(lambda g, y: _smax_bk(g, y, d, log), plain, g.astype(y.dtype), y),)
    return (plain(g, y),)


_smax.defvjp(_smax_fwd, _smax_bwd)


# torch's float32 CPU softmax kernels (SoftMaxKernel.cpp, LogSoftmaxKernelImpl.h), bit for bit.
# The last dim: per row, max and sum by vec::reduce_all (16 lanes, then a shuffle tree), SLEEF
# exp and log, softmax multiplied by the float reciprocal of the sum. Another dim: per position
# of the inner dims, the max, then 0 + e_0 + e_1 + ... along the dim; softmax divides, and its
# positions left out of whole 16-wide vectors (inner-row ends, thread-chunk ends) use glibc's
# exp; log_softmax's inner dims go in chunks of 128 KiB / dim, whose last size % 16 positions
# use glibc's exp. Backward: softmax_backward_data / log_softmax_backward_data, the compiler's
# FMAs included.

def _smax_exact(x):
    return x.dtype == jnp.float32 and x.size > 0


def _smax_split(x, d):
    o, n = math.prod(x.shape[:d]), math.prod(x.shape[d + 1:])
    return o, x.shape[d], n


def _smax_seq(t, fma_with=None):
    """0 + t[:, 0] + t[:, 1] + ... along axis 1 of (o, D, n); with ``fma_with`` = (g, y), the
    running fma(g_d, y_d, acc) of _vec_softmax_backward."""
    from . import _sleef as S
    o, dd, n = t.shape if fma_with is None else fma_with[0].shape
    acc = jnp.zeros((o, n), jnp.float32)
    step = (lambda a, v: a + v) if fma_with is None else (lambda a, v: S.fma(v[0], v[1], a))
    xs = jnp.moveaxis(t, 1, 0) if fma_with is None else \
        (jnp.moveaxis(fma_with[0], 1, 0), jnp.moveaxis(fma_with[1], 1, 0))
    if dd <= 64:
        for i in range(dd):
            acc = step(acc, xs[i] if fma_with is None else (xs[0][i], xs[1][i]))
    else:    # blocks of 32 steps unrolled in a scan; zeros pad the last block (adding +0 or
        blk = 32    # fma(0, 0, acc) leaves a sum that started at +0 unchanged)
        nb = -(-dd // blk)
        pad = lambda v: jnp.pad(v, [(0, nb * blk - dd)] + [(0, 0)] * (v.ndim - 1)).reshape(
            (nb, blk) + v.shape[1:])
        xs = pad(xs) if fma_with is None else (pad(xs[0]), pad(xs[1]))

        def body(a, v):
            for i in range(blk):
                a = step(a, v[i] if fma_with is None else (v[0][i], v[1][i]))
            return a, None
        acc = lax.scan(body, acc, xs)[0]
    return fence(acc)[:, None, :]     # (XLA would redo the sum for each consumer element)


def _smax_vec_positions(o, n):
    """_vec_softmax's walk over the (outer, inner) positions of each thread's chunk: True where
    a whole 16-wide vector covers the position."""
    import numpy as np
    from ._cascade import THREADS
    total = o * n
    m = np.zeros(total, bool)
    t = THREADS[0]
    ch = -(-total // t) if total > 1 and t > 1 else total
    for b in range(0, total, ch):
        e, i = _b.min(total, b + ch), b
        while i < e:
            ii = i % n
            if ii + 16 <= n and i + 16 <= e:
                m[i:i + 16] = True
                i += 16
            else:
                i += (e - i) if i + 16 > e else (n - ii)
    return m


def _smax_chunk_vec(n, dd):
    """The inner positions a vectorized_loop of the 128 KiB-chunked kernels covers."""
    import numpy as np
    ch = _b.min(_b.max(128 * 1024 // dd // 4, 16) // 16 * 16, n)
    start = np.arange(n) // ch * ch
    size = np.minimum(ch, n - start)
    return np.arange(n) - start < size - size % 16


def _smax_k(x, d, log):
    from . import _sleef as S
    shape = x.shape
    o, dd, n = _smax_split(x, d)
    if d == x.ndim - 1:                          # softmax_lastdim_kernel
        x2 = x.reshape(o, dd)
        xm = x2 - S.reduce_all(x2, jnp.maximum)[:, None]
        e = S.expf(xm)
        s = S.reduce_all(e, jnp.add)[:, None]
        return (xm - S.logf(s) if log else S.mul(e, 1 / s)).reshape(shape)
    x3 = x.reshape(o, dd, n)
    xm = x3 - jnp.max(x3, axis=1, keepdims=True)
    if log:
        e = S.expf(xm)
        sidx = (~_smax_chunk_vec(n, dd)).nonzero()[0]
        if sidx.size:
            e = e.at[:, :, sidx].set(S.g_expf(xm[:, :, sidx]))
        return (xm - S.logf(_smax_seq(e))).reshape(shape)
    e = S.expf(xm)
    out = e / S.opaque(jnp.broadcast_to(_smax_seq(e), e.shape))
    sidx = (~_smax_vec_positions(o, n)).nonzero()[0]
    if sidx.size:
        oi, ii = sidx // n, sidx % n
        es = S.g_expf(xm[oi, :, ii])
        ss = _smax_seq(es[:, :, None])[:, :, 0]
        out = out.at[oi, :, ii].set(es / S.opaque(jnp.broadcast_to(ss, es.shape)))
    return out.reshape(shape)


def _smax_bk(g, y, d, log):
    from . import _sleef as S
    shape = y.shape
    o, dd, n = _smax_split(y, d)
    if d == y.ndim - 1:
        g2, y2 = g.reshape(o, dd), y.reshape(o, dd)
        if log:
            s = S.reduce_all(g2, jnp.add)[:, None]
            return S.fma(-S.expf(y2), jnp.broadcast_to(s, y2.shape), g2).reshape(shape)
        s = S.reduce_all(S.mul(g2, y2), jnp.add)[:, None]
        return S.mul(g2 - s, y2).reshape(shape)
    g3, y3 = g.reshape(o, dd, n), y.reshape(o, dd, n)
    if log:
        s = jnp.broadcast_to(_smax_seq(g3), g3.shape)
        e = S.expf(y3)
        sidx = (~_smax_chunk_vec(n, dd)).nonzero()[0]
        if sidx.size:
            e = e.at[:, :, sidx].set(S.g_expf(y3[:, :, sidx]))
        return S.fma(-e, s, g3).reshape(shape)
    return S.mul(y3, g3 - _smax_seq(None, (g3, y3))).reshape(shape)


@op(promote=False, saves=("result",), grad="SoftmaxBackward0", namespace=("", "special"))
def softmax(input, dim, dtype=None):
    x, d = _softmax_in("softmax", input, dim, dtype)
    return _smax(x.reshape(x.shape or (1,)), d, False).reshape(x.shape)


@op(promote=False, saves=("result",), grad="LogSoftmaxBackward0", namespace=("", "special"))
def log_softmax(input, dim, dtype=None):
    x, d = _softmax_in("log_softmax", input, dim, dtype)
    return _smax(x.reshape(x.shape or (1,)), d, True).reshape(x.shape)


@composite(method=False, namespace="nn.functional", name="softmax")
def _f_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return call(OPS["softmax"], (input,), (_softmax_dim(input.dim(), dim, "softmax"), dtype))


@composite(method=False, namespace="nn.functional", name="log_softmax")
def _f_log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return call(OPS["log_softmax"], (input,),
                (_softmax_dim(input.dim(), dim, "log_softmax"), dtype))


# torch.norm lives with linalg.vector_norm / matrix_norm in _ops/linalg.py.


# ---------------------------------------------------------------- scans

def _scan_setup(input, dim):
    d = wrap_dim(dim, input.ndim)
    return d if input.ndim else None


def _wide(x):
    """torch's CPU scans accumulate reduced-precision floats in double (acc_type)."""
    if x.dtype in (jnp.float16, jnp.bfloat16, jnp.float32):
        return x.astype(jnp.float64)
    if x.dtype == jnp.complex64:
        return x.astype(jnp.complex128)
    return x


@op(promote=False, out=True, inplace=True, saves=())
def cumsum(input, dim, *, dtype=None):
    x = input.astype(_acc_dtype(input, dtype))
    d = _scan_setup(input, dim)
    return x if d is None else jnp.cumsum(_wide(x), axis=d).astype(x.dtype)


@op(promote=False, out=True, inplace=True, saves=_IR)
def cumprod(input, dim, *, dtype=None):
    x = input.astype(_acc_dtype(input, dtype))
    if x.dtype == jnp.bool_:
        x = x.astype(_I64)
    d = _scan_setup(input, dim)
    return x if d is None else lax.cumprod(_wide(x), axis=d).astype(x.dtype)


def _cum_select(name, better):
    """cummax/cummin: torch's sequential rule (a later element wins when it is NaN, or when the
    running value is not NaN and it compares >= / <=), as an associative scan over (value,
    index) pairs; the values are gathered at the indices so the gradient goes to them."""
    def fn(input, dim):
        d = _scan_setup(input, dim)
        if d is None:
            return input, jnp.zeros((), _I64)
        if input.shape[d] == 0:
            return input, jnp.zeros(input.shape, _I64)
        idx = lax.broadcasted_iota(_I64, input.shape, d)
        fl = _is_float(input)

        def comb(a, b):
            (va, ia), (vb, ib) = a, b
            if fl:
                take_b = jnp.isnan(vb) | (~jnp.isnan(va) & better(vb, va))
            else:
                take_b = better(vb, va)
            return jnp.where(take_b, vb, va), jnp.where(take_b, ib, ia)
        key = input.astype(jnp.uint8) if input.dtype == jnp.bool_ else input
        _, ix = lax.associative_scan(comb, (lax.stop_gradient(key), idx), axis=d)
        return jnp.take_along_axis(input, ix, axis=d), ix
    fn.__name__ = "_" + name + "_k"
    op(promote=False, function=False, method=False, name=name, saves=("input", "result1"),
       returns=RT.returns(getattr(RT, name)))(fn)


_cum_select("cummax", lambda b, a: b >= a)
_cum_select("cummin", lambda b, a: b <= a)


@composite()
def cummax(input, dim, *, out=None):
    return _named_out("cummax", call(OPS["cummax"], (input,), (dim,), out), out)


@composite()
def cummin(input, dim, *, out=None):
    return _named_out("cummin", call(OPS["cummin"], (input,), (dim,), out), out)


def _lcse_fwd_impl(x, d):
    return lax.cumlogsumexp(_wide(x), axis=d).astype(x.dtype)


@partial(jax.custom_vjp, nondiff_argnums=(1,))
def _lcse(x, d):
    return _lcse_fwd_impl(x, d)


def _lcse_fwd(x, d):
    y = _lcse_fwd_impl(x, d)
    return y, (x, y)


def _lcse_bwd(d, res, g):
    """torch's logcumsumexp_backward (real inputs): positive and negative gradient mass through
    a reversed logcumsumexp in log space."""
    x, y = res
    lo = jnp.asarray(jnp.finfo(g.dtype).min, g.dtype)
    la = jnp.log(jnp.abs(g))
    pos = jnp.where(g > 0, la, lo)
    neg = jnp.where(g < 0, la, lo)

    def rlcse(v):
        return jnp.flip(_lcse_fwd_impl(jnp.flip(v, d), d), d)
    return (jnp.exp(rlcse(pos - y) + x) - jnp.exp(rlcse(neg - y) + x),)


_lcse.defvjp(_lcse_fwd, _lcse_bwd)


@op(promote=False, out=True, saves=_IR)
def logcumsumexp(input, dim):
    if not _is_float(input):
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{_name(input.dtype)}'")
    d = _scan_setup(input, dim)
    if d is None or input.shape[d] == 0:
        return input
    if _is_complex(input):
        return _lcse_fwd_impl(input, d)
    return _lcse(input, d)


# ---------------------------------------------------------------- diff / trapezoid

@composite()
def diff(input, n=1, dim=-1, prepend=None, append=None):
    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.dim())
    seq = []
    for t in (prepend, input, append):
        if t is None:
            continue
        if t is not input:
            if t.dim() != input.dim():
                raise RuntimeError("diff expects prepend or append to be the same dimension as "
                                   "input")
            for i in range(input.dim()):
                if i != d and t.shape[i] != input.shape[i]:
                    raise RuntimeError(
                        "diff expects the shape of tensor to prepend or append to match that of "
                        f"input except along the differencing dimension; input.size({i}) = "
                        f"{input.shape[i]}, but got tensor.size({i}) = {t.shape[i]}")
        seq.append(t)
    if n == 0:  # torch copies the input (prepend/append ignored) into a fresh tensor
        r = wrap(jnp.empty(tuple(input.shape), input.dtype.np))
        r.copy_(input)
        return r
    x = call(OPS["cat"], (tuple(seq),), (d,)) if len(seq) > 1 else input
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        hi = call(OPS["slice"], (x,), (d, 1, size, 1))
        lo = call(OPS["slice"], (x,), (d, 0, size - 1, 1))
        x = hi.ne(lo) if x.dtype is D.bool else hi - lo
    return x


def _trap_grad(key):
    dx, _, cumulative = key[0]
    if dx is None:
        return "DivBackward1"
    return "CumsumBackward0" if cumulative else "MulBackward1"


@op(tensors=("y", "x"), promote=False, function=False, method=False, name="_trapezoid", saves=(),
    grad=_trap_grad)
def _trapezoid_k(y, x, dx, dim, cumulative):
    """torch's do_trapezoid / do_cumulative_trapezoid (same operation order)."""
    d = dim
    if not _is_float(y):
        y = y.astype(D.get_default_dtype().np)
    n = y.shape[d]
    lo = lax.slice_in_dim(y, 0, _b.max(n - 1, 0), axis=d)
    hi = lax.slice_in_dim(y, _b.min(1, n), n, axis=d)
    if x is None:
        if cumulative:
            return jnp.cumsum(jnp.asarray(dx / 2.0, y.dtype) * (lo + hi), axis=d)
        return (jnp.sum(y, axis=d) - (jnp.take(y, 0, axis=d) + jnp.take(y, n - 1, axis=d)) *
                jnp.asarray(0.5, y.dtype)) * jnp.asarray(dx, y.dtype)
    if x.ndim == 1:
        x = x.reshape(tuple(n if i == d else 1 for i in range(y.ndim)))
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + x.shape)
    m = x.shape[d]
    dxs = lax.slice_in_dim(x, _b.min(1, m), m, axis=d) - \
        lax.slice_in_dim(x, 0, _b.max(m - 1, 0), axis=d)
    dt = jnp.result_type(dxs.dtype, y.dtype) if _is_float(dxs) else y.dtype
    prod_ = dxs.astype(dt) * (lo + hi).astype(dt)
    if cumulative:
        return jnp.cumsum(prod_, axis=d) / jnp.asarray(2.0, dt)
    return jnp.sum(prod_, axis=d) / jnp.asarray(2.0, dt)


def _trapezoid_call(name, y, x, dx, dim, cumulative):
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        "Tensor, dx=...)")
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'x' must be Tensor, not {type(x).__name__}")
    d = wrap_dim(dim, y.dim())
    if y.shape[d] == 0 and not cumulative:
        shape = tuple(s for i, s in enumerate(y.shape) if i != d)
        return wrap(jnp.zeros(shape, y.dtype.np))
    if x is None:
        dx = 1.0 if dx is None else (dx.item() if isinstance(dx, Tensor) else dx)
        return call(OPS["_trapezoid"], (y, None), (float(dx), d, cumulative))
    if x.dim() == 1 and x.shape[0] != y.shape[d]:
        raise RuntimeError(f"{'cumulative_trapezoid' if cumulative else 'trapezoid'}: There must "
                           "be one `x` value for each sample point")
    return call(OPS["_trapezoid"], (y, x), (None, d, cumulative))


@composite(method=False)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    return _trapezoid_call("trapezoid", y, x, dx, dim, False)


@composite(method=False)
def trapz(y, x=None, *, dx=None, dim=-1):
    return _trapezoid_call("trapz", y, x, dx, dim, False)


@composite(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    return _trapezoid_call("cumulative_trapezoid", y, x, dx, dim, True)


# ---------------------------------------------------------------- histc / bincount

@op(promote=False, out=True, differentiable=False)
def histc(input, bins=100, min=0, max=0):
    if not _is_float(input) or _is_complex(input):
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    dt = input.dtype
    x = input.reshape(-1)
    if lo == hi and x.size:
        # data-dependent range: computed in the graph (no host sync); the finiteness error
        # of torch is only raised for explicit bounds
        lo_a, hi_a = jnp.min(x).astype(dt), jnp.max(x).astype(dt)
    else:
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise RuntimeError(f"torch.histc: range of [{min}, {max}] is not finite")
        lo_a, hi_a = jnp.asarray(lo, dt), jnp.asarray(hi, dt)
    same = lo_a == hi_a
    lo_a = jnp.where(same, lo_a - 1, lo_a)
    hi_a = jnp.where(same, hi_a + 1, hi_a)
    pos = ((x - lo_a) * bins / (hi_a - lo_a)).astype(_I64)
    pos = jnp.where(x == hi_a, bins - 1, pos)
    ok = (x >= lo_a) & (x <= hi_a)
    pos = jnp.where(ok, pos, bins)
    return jnp.zeros(bins + 1, dt).at[pos].add(jnp.ones((), dt))[:bins]


def _concrete(t, name):
    v = t._value
    if isinstance(v, jax.core.Tracer):
        raise RuntimeError(f"{name}(): the output size depends on the input values, which are "
                           "not known while tracing (jit/vmap); call it outside the traced "
                           "function")
    return v


@op(tensors=("input", "weights"), promote=False, function=False, method=False,
    name="_bincount", differentiable=False)
def _bincount_k(input, weights, length):
    if weights is None:
        return jnp.zeros(length, _I64).at[input].add(1)
    wdt = weights.dtype if weights.dtype in (jnp.float32, jnp.float64) else jnp.float64
    return jnp.zeros(length, wdt).at[input].add(weights.astype(wdt))


@composite()
def bincount(input, weights=None, minlength=0):
    if input.dtype._cat != 1:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{D.SCALAR_NAME[input.dtype]}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    v = _concrete(input, "bincount")
    if input.dim() != 1 or (v.size and int(jnp.min(v)) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.dim() != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    length = _b.max(int(jnp.max(v)) + 1 if v.size else 0, int(minlength))
    return call(OPS["_bincount"], (input, weights), (length,))
