"""nn.functional ops: loss.

Each loss is one jitted op taking the reduction as a static (torch's enum: 0 none, 1 mean,
2 sum). ``torch.nn.functional.X`` is a composite that maps the legacy ``size_average``/``reduce``
arguments, checks shapes and concrete target values (torch's errors), then calls the op. The
grad_fn name is the node torch records for that loss and reduction (NllLossBackward0 where torch
has one kernel, MeanBackward0/SumBackward0/... where torch composes the loss in Python)."""
import math
import warnings
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import torchjax
from .._tensor import Tensor
from ._cascade import _seq, fdiv, fence, fsum, sum_to
from ._util import bcast, broadcast_shapes
from .pointwise import (_ieee_div, _isf, _minimum_f, _not_impl, _rmul, _sign, _tname,
                        _with_value)
from .linalg import pairwise_distance as _pairwise_distance
from .registry import op, composite, call, OPS

F = "nn.functional"
_ENUM = {"none": 0, "mean": 1, "sum": 2}


# ---------------------------------------------------------------- reduction helpers

def _get_enum(reduction):
    """torch.nn._reduction.get_enum."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return 1
    if reduction not in _ENUM:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _ENUM[reduction]


def _legacy(size_average, reduce, reduction):
    """torch.nn._reduction.legacy_get_string (with its warning) when a legacy arg is given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _enum(size_average, reduce, reduction):
    return _get_enum(_legacy(size_average, reduce, reduction))


def _mean(loss):
    """torch's full mean: the cascade sum (float32 for 16-bit floats) divided by numel."""
    wide = loss.astype(jnp.float32) if loss.dtype in (jnp.float16, jnp.bfloat16) else loss
    return fdiv(fsum(fence(wide), range(loss.ndim)), loss.size).astype(loss.dtype)


def _apply(loss, reduction):
    if reduction == 1:
        return _mean(loss)
    if reduction == 2:
        return fsum(fence(loss), range(loss.ndim))
    return loss


def _names(none, mean="MeanBackward0", sum="SumBackward0", pos=0):
    """grad_fn name by the reduction static at position ``pos`` of the op's statics."""
    table = (none, mean, sum)
    return lambda key: table[key[0][pos]]


def _size_warning(input, target):
    """torch's warning for mismatched regression shapes (then broadcast_tensors' error)."""
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size "
                      f"({input.size()}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
        broadcast_shapes(input.shape, target.shape)


def _no_grad(fn, arg, t):
    """torch's autograd kernels refuse requires_grad on some arguments (loss weights)."""
    if isinstance(t, Tensor) and t.requires_grad and torchjax.is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


def _same_dtype(input, other):
    if other is not None and other.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input._value)} but found "
                           f"{_tname(other._value)}")


def _detach(t):
    """torch uses these targets only in comparisons: they never join the graph."""
    return t.detach() if isinstance(t, Tensor) else t


def _np(t):
    return np.asarray(t._value) if isinstance(t, Tensor) else np.asarray(t)


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _clamp_min0(z):
    """clamp_min(z, 0) with torch's gradient (1 at z == 0)."""
    return jnp.where(z >= 0, z, jnp.zeros((), z.dtype))


# ---------------------------------------------------------------- torch's loss kernels, bit for bit

_VEC_BLOCK = {jnp.dtype(jnp.float32): 16, jnp.dtype(jnp.float64): 8}  # 2 AVX2 vectors


def _scalar_lanes(shape, in_shapes, dtype):
    """Where torch's cpu_kernel_vec runs its scalar lambda instead of the vectorized one: the
    flat indices (a numpy array), True (everywhere) or None (nowhere). TensorIterator coalesces
    the contiguous output's dims into rows; a row runs blocks of two AVX2 vectors (16 float32 /
    8 float64) and leaves its last ``len % block`` elements to the scalar lambda, unless more
    than one input is broadcast along the row (then the whole loop is scalar). Rows are cut
    at parallel_for's chunks (numel >= GRAIN)."""
    from ._cascade import loop_rows
    numel = math.prod(shape)
    block = _VEC_BLOCK.get(jnp.dtype(dtype))
    if not numel or block is None:
        return None
    loop = loop_rows(shape, in_shapes)
    if loop is None:
        return True
    n, inner, chunk = loop
    if sum(st == 0 for st in inner) > 1:
        return True
    if chunk % n == 0 and n % block == 0:
        return None
    # runs: rows cut at chunk boundaries; each run's tail
    cuts = np.union1d(np.arange(0, numel + 1, n), np.arange(0, numel, chunk).tolist() + [numel])
    lo, hi = cuts[:-1], cuts[1:]
    t0 = lo + (hi - lo) // block * block
    lens = hi - t0
    idx = np.repeat(t0 - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens) + \
        np.arange(lens.sum())
    if idx.size == 0:
        return None
    return True if idx.size == numel else idx


def _norm(reduction, n, k=1.0):
    """The backward kernels' ``norm`` Scalar (k / numel for a mean), as the dtype."""
    return k / n if reduction == 1 else k


def _lanes(vec, scalar, d, gb, in_shapes):
    """vec(d, gb) where torch runs the vectorized lambda, scalar(d, gb) where its scalar one
    (computed on those elements only when they are few)."""
    m = _scalar_lanes(d.shape, in_shapes, d.dtype)
    if m is None:
        return vec(d, gb)
    if m is True:
        return scalar(d, gb)
    if 2 * m.size > d.size:
        mask = np.zeros(d.size, bool)
        mask[m] = True
        return jnp.where(jnp.asarray(mask.reshape(d.shape)), scalar(d, gb), vec(d, gb))
    idx = jnp.asarray(m)
    tail = scalar(d.reshape(-1)[idx], gb.reshape(-1)[idx])
    return vec(d, gb).reshape(-1).at[idx].set(tail).reshape(d.shape)


def _wide(x):
    return x.astype(jnp.float64) if x.dtype == jnp.float32 else x


def _kernel_grad(kind, param, reduction, x, t, g):
    """torch's {mse,smooth_l1,huber}_backward_cpu_kernel(input=x, target=t, grad_output=g) over
    the broadcast shape (g is 0-d after a reduction)."""
    shape = jnp.broadcast_shapes(x.shape, t.shape)
    dt = x.dtype
    n = math.prod(shape)
    # a broadcast 0-d grad behind a barrier: XLA would fold (norm * d) * g into d * (norm * g)
    gb = g if g.shape == shape else lax.optimization_barrier(jnp.broadcast_to(g, shape))
    d = x - t
    if kind == "mse":
        norm = jnp.asarray(_norm(reduction, n, 2.0), dt)
        return (norm * d) * gb
    norm = jnp.asarray(_norm(reduction, n), dt)
    p = jnp.asarray(param, dt)
    one = jnp.ones((), dt)
    if kind == "smooth_l1":
        def vec(d, gb):
            sgn = jnp.where(d > 0, one, -one)
            return (norm * jnp.where(jnp.abs(d) >= p, sgn, fdiv(d, param))) * gb

        def scalar(d, gb):   # x <= -beta (a double), norm * x * grad / beta in double
            inner = (fdiv(_wide(_rmul(norm * d, gb)), param)).astype(dt)
            return jnp.where(_wide(d) <= -param, (-norm) * gb,
                             jnp.where(_wide(d) >= param, norm * gb, inner))
    else:
        def vec(d, gb):
            sgn = jnp.where(d > 0, one, -one)
            return (norm * jnp.where(jnp.abs(d) >= p, sgn * p, d)) * gb

        def scalar(d, gb):   # -norm * grad * delta with a double delta (the products rounded
            # first: XLA folds constant factors of a float64 product together)
            lo = (_wide(_rmul(-norm, gb)) * param).astype(dt)
            hi = (_wide(_rmul(norm, gb)) * param).astype(dt)
            return jnp.where(_wide(d) <= -param, lo,
                             jnp.where(_wide(d) >= param, hi, (norm * d) * gb))
    return _lanes(vec, scalar, d, gb, (x.shape, t.shape, g.shape))


def _kernel_loss(kind, param, x, t):
    d = x - t
    if kind == "mse":
        return d * d
    z = jnp.abs(d)
    half = jnp.asarray(0.5, z.dtype)
    p = jnp.asarray(param, z.dtype)
    if kind == "smooth_l1":
        return jnp.where(z < p, fdiv(half * z * z, param), z - half * p)
    return jnp.where(z < p, half * z * z, p * (z - half * p))


@partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _regression(kind, param, reduction, x, t):
    """mse_loss / smooth_l1_loss / huber_loss as torch's kernels: the elementwise loss, torch's
    mean/sum, and the backward kernels for both arguments (the target's is the same kernel with
    the two swapped), summed to a broadcast operand's shape like torch's ExpandBackward."""
    return _apply(_kernel_loss(kind, param, x, t), reduction)


def _regression_fwd(kind, param, reduction, x, t):
    return _regression(kind, param, reduction, x, t), (x, t)


def _regression_bwd(kind, param, reduction, res, g):
    x, t = res
    return (sum_to(_kernel_grad(kind, param, reduction, x, t, g), x.shape).astype(x.dtype),
            sum_to(_kernel_grad(kind, param, reduction, t, x, g), t.shape).astype(t.dtype))


_regression.defvjp(_regression_fwd, _regression_bwd)


def _loss_cotangent(g, shape, reduction):
    """The elementwise loss's gradient from a composite loss's MeanBackward0 / SumBackward0:
    grad.expand(shape) / numel (a mean), or the cotangent itself."""
    if reduction == 0:
        return g
    return jnp.broadcast_to(fdiv(g, math.prod(shape)) if reduction == 1 else g, shape)


def _composite_loss(elem, grads):
    """A loss torch composes from tensor ops (then .mean() / .sum()): ``elem(*args)`` is the
    elementwise loss, ``grads(ge, *args)`` the arguments' gradients as torch's autograd computes
    them from the elementwise loss's gradient ``ge`` (None: no gradient); broadcast arguments
    take torch's sum_to."""
    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def f(reduction, *args):
        return _apply(elem(*args), reduction)

    def fwd(reduction, *args):
        return f(reduction, *args), args

    def bwd(reduction, args, g):
        shape = jnp.broadcast_shapes(*(jnp.shape(a) for a in args if a is not None))
        ge = _loss_cotangent(g, shape, reduction)
        out = []
        ds = grads(ge, *args)
        if any(d is None for d in ds):   # JAX's own derivative of elem
            full = [None if a is None else jnp.broadcast_to(a, shape) for a in args]
            jv = jax.vjp(lambda *b: elem(*b), *full)[1](ge)
            ds = [j if d is None else d for d, j in zip(ds, jv)]
        for d, a in zip(ds, args):
            if a is None:
                out.append(None)
            elif not _isf(a):
                out.append(jnp.zeros_like(a))
            elif d.shape == jnp.shape(a):   # already at the argument's shape
                out.append(d.astype(a.dtype))
            else:
                out.append(sum_to(jnp.broadcast_to(d, shape), jnp.shape(a)).astype(a.dtype))
        return tuple(out)
    f.defvjp(fwd, bwd)
    return f


def _xlogy(x, y):
    """torch's xlogy kernel (scalar, glibc log): NaN for a NaN y, 0 where x == 0, else
    x * log(y)."""
    zero = jnp.zeros((), x.dtype)
    return jnp.where(jnp.isnan(y), jnp.full((), jnp.nan, x.dtype),
                     jnp.where(x == 0, zero, x * _clog(jnp.log, y)))


def _kl_elem(x, t):
    return _xlogy(t, t) - _rmul(t, x)


def _kl_grads(ge, x, t):
    # SubBackward0 / MulBackward0: input -grad * target; target (three terms, as the engine adds
    # them): grad * xlogy(t != 0, t) + grad * t / t, and -grad * input
    ng = -ge
    gt = fence(_rmul(ge, _xlogy((t != 0).astype(t.dtype), t)) + _rmul(ge, t) / t) + _rmul(ng, x)
    return _rmul(ng, t), gt


def _kl_log_elem(x, t):
    return _rmul(_clog(jnp.exp, t), t - x)


def _kl_log_grads(ge, x, t):
    e = _clog(jnp.exp, t)
    gm = _rmul(ge, e)          # MulBackward0's (t - x) gradient
    return -gm, _rmul(_rmul(ge, t - x), e) + gm


_kl = _composite_loss(_kl_elem, _kl_grads)
_kl_log = _composite_loss(_kl_log_elem, _kl_log_grads)


def _poisson_elem(log_input, full, eps):
    def elem(x, t):
        if log_input:
            loss = _clog(jnp.exp, x) - _rmul(t, x)
        else:
            loss = x - _rmul(t, _clog(jnp.log, x + jnp.asarray(eps, x.dtype)))
        if full:
            st = (_rmul(t, _clog(jnp.log, t)) - t) + _rmul(
                jnp.asarray(0.5, t.dtype),
                _clog(jnp.log, _rmul(jnp.asarray(2 * math.pi, t.dtype), t)))
            loss = loss + jnp.where(t <= 1, jnp.zeros((), st.dtype), fence(st))
        return loss

    def grads(ge, x, t):
        ng = -ge
        if log_input:
            gx, gt = _rmul(ge, _clog(jnp.exp, x)) + _rmul(ng, t), _rmul(ng, x)
        else:
            xe = x + jnp.asarray(eps, x.dtype)
            gx, gt = ge + _rmul(ng, t) / xe, _rmul(ng, _clog(jnp.log, xe))
        if full:   # the Stirling term's four target gradients, in the order the engine adds them
            gs = jnp.where(t <= 1, jnp.zeros((), t.dtype), ge)
            pi2 = jnp.asarray(2 * math.pi, t.dtype)
            c = (-gs + _rmul(gs, _clog(jnp.log, t))) + _rmul(gs, t) / t
            c = c + _rmul(fence(_rmul(gs, jnp.asarray(0.5, t.dtype)) / _rmul(pi2, t)), pi2)
            gt = fence(c) + fence(gt)
        return gx, gt
    return elem, grads


_POISSON = {}


def _poisson(log_input, full, eps):
    k = (log_input, full, eps)
    if k not in _POISSON:
        _POISSON[k] = _composite_loss(*_poisson_elem(*k))
    return _POISSON[k]


# ---------------------------------------------------------------- regression losses

def _float_check(x, kernel):
    if not _isf(x):
        _not_impl(kernel, x)


def _weighted(loss, weight, reduction, mean_by_weight):
    loss = loss * weight
    if reduction == 1:
        if not mean_by_weight:
            return _mean(loss)
        return fsum(fence(loss), range(loss.ndim)) / fsum(fence(weight), range(weight.ndim))
    return _apply(loss, reduction)


@op(tensors=("input", "target", "weight"), method=False, function=False, bcast=True,
    grad=lambda k: ("MulBackward0", "DivBackward0", "SumBackward0")[k[0][0]] if k[0][1]
    else "MseLossBackward0")
def mse_loss(input, target, weight, reduction, weighted):
    _float_check(input, "mse_cpu")
    if not weighted:
        return _regression("mse", 0.0, reduction, input, target)
    loss = jnp.square(input - target)
    return _weighted(loss, weight, reduction, True)


@op(tensors=("input", "target", "weight"), method=False, function=False, bcast=True,
    grad=lambda k: ("MulBackward0", "DivBackward0", "SumBackward0")[k[0][0]] if k[0][1]
    else ("AbsBackward0", "MeanBackward0", "SumBackward0")[k[0][0]])
def l1_loss(input, target, weight, reduction, weighted):
    d = input - target
    # |d| with torch's gradient d.sgn(): 0 at d = 0 and at NaN
    loss = _with_value(jnp.abs(d), d * lax.stop_gradient(_sign(d))) if _isf(d) else jnp.abs(d)
    if weighted:
        return _weighted(loss, weight, reduction, True)
    if not _isf(loss) and reduction == 1:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {_tname(loss)}")
    return _apply(loss, reduction)


@op(tensors=("input", "target"), method=False, function=False,
    grad=_names("SmoothL1LossBackward0", "SmoothL1LossBackward0", "SmoothL1LossBackward0"))
def smooth_l1_loss(input, target, reduction, beta):
    _float_check(input, "smooth_l1_cpu")
    return _regression("smooth_l1", beta, reduction, input, target)


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad=lambda k: ("MulBackward0", "MeanBackward0", "SumBackward0")[k[0][0]] if k[0][2]
    else "HuberLossBackward0")
def huber_loss(input, target, weight, reduction, delta, weighted):
    _float_check(input, "huber_cpu")
    if not weighted:
        return _regression("huber", delta, reduction, input, target)
    loss = _regression("huber", delta, 0, input, target)
    return _weighted(loss, weight, reduction, False)


def _weight_size(input, weight):
    if weight is not None and weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")


def _weighted_enum(weight, reduction):
    if weight is not None and reduction not in _ENUM:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                         "'sum'.")
    return _get_enum(reduction)


@composite(method=False, namespace=F, name="mse_loss")
def _f_mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    _weight_size(input, weight)
    return call(OPS["mse_loss"], (input, target, weight),
                (_weighted_enum(weight, reduction), weight is not None))


@composite(method=False, namespace=F, name="l1_loss")
def _f_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _size_warning(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    _weight_size(input, weight)
    return call(OPS["l1_loss"], (input, target, weight),
                (_weighted_enum(weight, reduction), weight is not None))


@composite(method=False, namespace=F, name="smooth_l1_loss")
def _f_smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _size_warning(input, target)
    reduction = _get_enum(_legacy(size_average, reduce, reduction))
    if beta == 0.0:
        return call(OPS["l1_loss"], (input, target, None), (reduction, False))
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return call(OPS["smooth_l1_loss"], (input, target), (reduction, float(beta)))


@composite(method=False, namespace=F, name="huber_loss")
def _f_huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _size_warning(input, target)
    _weight_size(input, weight)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return call(OPS["huber_loss"], (input, target, weight),
                (_weighted_enum(weight, reduction), float(delta), weight is not None))


# ---------------------------------------------------------------- NLL / cross entropy

_NLL_LEVELS = 8


def _nll_step(k):
    """nll_loss_out_frame's cascade step: 2 ** max(4, CeilLog2(k) // 8) for k summed terms."""
    return 1 << max(4, (max(k, 1) - 1).bit_length() // _NLL_LEVELS)


def _seq_from0(a, sub=False):
    """((0 -/+ a[..., 0]) -/+ a[..., 1]) ... along the last axis."""
    acc = jnp.zeros(a.shape[:-1], a.dtype)
    for i in range(a.shape[-1]):
        acc = acc - a[..., i] if sub else acc + a[..., i]
    return acc


def _nll_levels(v, sub):
    """The partial sums p[0..7] of torch's NLL cascade when no target is ignored: term 0 is
    flushed to the top level at once, then term k joins p[0] and, where k is a multiple of
    step ** (j + 1), p[j] is added into p[j + 1] and reset."""
    k = v.shape[0]
    step = _nll_step(k)
    first = (jnp.zeros((), v.dtype) - v[0]) if sub else (jnp.zeros((), v.dtype) + v[0])
    p = []
    cur = v[1:]
    for j in range(_NLL_LEVELS - 1):
        full = cur.shape[0] // step * step
        p.append(_seq_from0(cur[full:][None], sub and j == 0)[0])
        cur = _seq_from0(cur[:full].reshape(-1, step), sub and j == 0)
    top = first
    for i in range(cur.shape[0]):   # level 7 never flushes
        top = top + cur[i]
    return p + [top]


def _nll_scan(v, valid, sub):
    """The same cascade with ignored targets (they skip their flush): a scan over blocks of
    ``step`` terms, each block ending on the one flush candidate."""
    k = v.shape[0]
    step = _nll_step(k)
    dt = v.dtype
    zero = jnp.zeros((), dt)
    top = jnp.where(valid[0], (zero - v[0]) if sub else (zero + v[0]), zero)
    p0 = jnp.zeros((_NLL_LEVELS,), dt).at[-1].set(top)
    nb = -(-(k - 1) // step)
    pad = nb * step - (k - 1)
    vb = jnp.concatenate([v[1:], jnp.zeros((pad,), dt)]).reshape(nb, step)
    mb = jnp.concatenate([valid[1:], jnp.zeros((pad,), bool)]).reshape(nb, step)
    ends = (np.arange(nb, dtype=np.int64) + 1) * step        # each block's last index
    depth = np.zeros(nb, np.int32)
    for j in range(_NLL_LEVELS - 1):
        depth += (ends % step ** (j + 1) == 0) & (depth == j)
    depth = jnp.asarray(np.where(ends < k, depth, 0))

    def body(p, xs):
        vals, ok, d = xs
        acc = p[0]
        for i in range(step):
            acc = jnp.where(ok[i], acc - vals[i] if sub else acc + vals[i], acc)
        p = p.at[0].set(acc)
        d = jnp.where(ok[-1], d, 0)
        for j in range(_NLL_LEVELS - 1):
            go = j < d
            p = p.at[j + 1].set(jnp.where(go, p[j + 1] + p[j], p[j + 1]))
            p = p.at[j].set(jnp.where(go, zero, p[j]))
        return p, None
    p, _ = lax.scan(body, p0, (vb, mb, depth))
    return [p[j] for j in range(_NLL_LEVELS)]


def _nll_total(v, valid, sub, ignored):
    """torch's nll_loss reduction of the terms v (in target order): sum of the levels from 0."""
    parts = _nll_scan(v, valid, sub) if ignored else _nll_levels(v, sub)
    tot = jnp.zeros((), v.dtype)
    for q in parts:
        tot = tot + q
    return jnp.where(tot == 0, jnp.zeros((), v.dtype), tot)   # torch's total is +0 + ...


def _nll_parts(logp, target, weight, ignore_index):
    """Flattened (picked, target index, valid, weight per term) in target order."""
    valid = target != ignore_index
    t = jnp.where(valid, target, 0).astype(jnp.int32)
    picked = jnp.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    w = None if weight is None else weight.astype(logp.dtype)[t]
    return picked, t, valid, w


def _nll_reduce(picked, valid, w, ignored):
    """(total loss, total weight) as nll_loss_out_frame / nll_loss2d_forward_out_frame."""
    x = picked.reshape(-1)
    ok = valid.reshape(-1)
    if x.size == 0:
        return jnp.zeros((), x.dtype), jnp.zeros((), x.dtype)
    if w is None:
        tw = jnp.sum(ok).astype(x.dtype)
        return _nll_total(x, ok, True, ignored), tw
    ww = w.reshape(-1)
    return _nll_total(x * ww, ok, True, ignored), _nll_total(ww, ok, False, ignored)


@partial(jax.custom_vjp, nondiff_argnums=(3, 4, 5, 6))
def _nll(logp, target, weight, reduction, ignore_index, unbatched, ignored):
    """nll_loss over class dim 1 of logp (N, C, *), target (N, *), with torch's CPU kernels: the
    rows' own values for 'none' (a 1-D input takes the reducing kernel), else the cascade sum
    and its total weight. Gradient: -w * grad per row, or w * -(grad / total_weight) for a
    mean, written (not accumulated) at the target class; +0 elsewhere."""
    picked, t, valid, w = _nll_parts(logp, target, weight, ignore_index)
    zero = jnp.zeros((), logp.dtype)
    if reduction == 0 and not unbatched:
        return jnp.where(valid, -picked if w is None else (-picked) * w, zero)
    total, tw = _nll_reduce(picked, valid, w, ignored)
    if reduction == 1:
        return total / tw
    return total


def _nll_fwd(logp, target, weight, reduction, ignore_index, unbatched, ignored):
    return _nll(logp, target, weight, reduction, ignore_index, unbatched, ignored), \
        (logp, target, weight)


def _nll_bwd(reduction, ignore_index, unbatched, ignored, res, g):
    logp, target, weight = res
    picked, t, valid, w = _nll_parts(logp, target, weight, ignore_index)
    zero = jnp.zeros((), logp.dtype)
    if reduction == 0 and not unbatched:
        val = -g if w is None else (-w) * g
    else:
        if reduction == 1:
            _, tw = _nll_reduce(picked, valid, w, ignored)
            gr = -(g / tw)
        else:
            gr = -g
        val = jnp.broadcast_to(gr, t.shape) if w is None else w * gr
    hot = (lax.broadcasted_iota(jnp.int32, logp.shape, 1) == t[:, None]) & valid[:, None]
    gin = jnp.where(hot, jnp.expand_dims(val, 1), zero)
    return gin, None, None if weight is None else jnp.zeros_like(weight)


_nll.defvjp(_nll_fwd, _nll_bwd)


def _batched(input, target):
    """(C,) / () -> (1, C) / (1,)."""
    return (input[None], target[None]) if input.ndim == 1 else (input, target)


def _unbatch(out, input, reduction):
    return out[0] if input.ndim == 1 and reduction == 0 else out


def _nll_name(key):
    reduction, _, nd = key[0][:3]
    if nd <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if nd != 4 and reduction == 0 else "NllLoss2DBackward0"


@op(tensors=("input", "target", "weight"), promote=False, method=False, function=False,
    grad=_nll_name)
def nll_loss_nd(input, target, weight, reduction, ignore_index, ndim, ignored=True):
    i, t = _batched(input, target)
    return _nll(i, t, weight, reduction, ignore_index, input.ndim == 1, ignored)


@jax.custom_vjp
def _log_softmax1(x):
    """log_softmax over dim 1 (XLA's forward), with torch's backward kernel:
    grad - exp(output) * sum(grad), the product rounded on its own (exp near SLEEF's)."""
    return jax.nn.log_softmax(x, axis=1)


def _log_softmax1_fwd(x):
    out = _log_softmax1(x)
    return out, out


def _log_softmax1_bwd(out, g):
    s = jnp.sum(g, axis=1, keepdims=True)   # nll's gradient: one term per row, order-free
    return (g - _rmul(_clog(jnp.exp, out), s),)


_log_softmax1.defvjp(_log_softmax1_fwd, _log_softmax1_bwd)


def _ce_name(key):
    return "AddBackward0" if key[0][3] > 0 else _nll_name(key)


@op(tensors=("input", "target", "weight"), promote=False, method=False, function=False,
    grad=_ce_name)
def cross_entropy_loss(input, target, weight, reduction, ignore_index, ndim, label_smoothing,
                       ignored=True):
    if not _isf(input):
        _not_impl("log_softmax_lastdim_kernel_impl", input)
    i, t = _batched(input, target)
    logp = _log_softmax1(i)
    nll = _nll(logp, t, weight, reduction, ignore_index, input.ndim == 1, ignored)
    if label_smoothing <= 0:
        return nll
    C = i.shape[1]
    wb = (jnp.ones((), logp.dtype) if weight is None else
          weight.astype(logp.dtype).reshape((C,) + (1,) * (i.ndim - 2)))
    valid = t != ignore_index
    smooth = jnp.where(valid, -jnp.sum(logp * wb, axis=1), jnp.zeros((), logp.dtype))
    if reduction == 1:
        if weight is None:
            denom = jnp.sum(valid).astype(logp.dtype)
        else:
            tw = weight.astype(logp.dtype)[jnp.where(valid, t, 0).astype(jnp.int32)]
            denom = jnp.sum(jnp.where(valid, tw, jnp.zeros((), logp.dtype)))
        smooth = jnp.sum(smooth) / denom
    elif reduction == 2:
        smooth = jnp.sum(smooth)
    out = (1 - label_smoothing) * nll + smooth * (label_smoothing / C)
    return _unbatch(out, input, reduction)


@op(tensors=("input", "target", "weight"), promote=False, method=False, function=False,
    grad=_names("NegBackward0", "DivBackward1", "NegBackward0"))
def cross_entropy_prob(input, target, weight, reduction, label_smoothing):
    if not _isf(input):
        _not_impl("log_softmax_lastdim_kernel_impl", input)
    cd = 0 if input.ndim == 1 else 1
    C = input.shape[cd]
    logp = jax.nn.log_softmax(input, axis=cd)
    target = target.astype(logp.dtype)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    if weight is not None:
        logp = logp * weight.astype(logp.dtype).reshape((C,) + (1,) * (input.ndim - cd - 1))
    prod = logp * target
    if reduction == 0:
        return -jnp.sum(prod, axis=cd)
    if reduction == 2:
        return -jnp.sum(prod)
    return -jnp.sum(prod) / (input.size / C)


def _nll_checks(input, target, weight):
    nd = input.dim()
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    if nd != 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    C = input.shape[0 if nd == 1 else 1]
    if nd <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if nd == 2 and target.shape[0] != input.shape[0]:
            raise RuntimeError(f"Expected input batch_size ({input.shape[0]}) to match target "
                               f"batch_size ({target.shape[0]}).")
    elif nd == 4:
        if target.dim() != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                               f"targets of dimension: {target.dim()}")
        if tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
            raise RuntimeError(f"size mismatch (got input: {_sizes(input.shape)} , target: "
                               f"{_sizes(target.shape)}")
    else:
        want = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != want:
            raise RuntimeError(f"Expected target size {_sizes(want)}, got {_sizes(target.shape)}")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no "
                           f"classes but got weight tensor of shape: {_sizes(weight.shape)}")
    _no_grad("nll_loss_forward", "weight", weight)
    _same_dtype(input, weight)
    if str(target.dtype) not in ("torch.int64", "torch.uint8"):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{_tname(target._value)}")
    return C


def _target_bounds(target, C, ignore_index):
    """torch's bounds check; returns whether any target is ignore_index (the loss kernel's
    summation order then depends on where: see _nll_scan)."""
    t = _np(target).reshape(-1).astype(np.int64)
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {t[np.argmax(bad)]} is out of bounds.")
    return bool((t == ignore_index).any())


@composite(method=False, namespace=F, name="nll_loss")
def _f_nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                reduction="mean"):
    reduction = _enum(size_average, reduce, reduction)
    C = _nll_checks(input, target, weight)
    ignored = _target_bounds(target, C, ignore_index)
    return call(OPS["nll_loss_nd"], (input, target, weight),
                (reduction, int(ignore_index), input.dim(), ignored))


@composite(method=False, namespace=F, name="cross_entropy")
def _f_cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                     reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = _enum(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if tuple(input.shape) == tuple(target.shape):
        if not target.is_floating_point():
            raise RuntimeError("Expected floating point type for target with class probabilities, "
                               f"got {_tname(target._value)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        C = input.shape[0 if input.dim() == 1 else 1]
        if weight is not None and weight.numel() != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: "
                               f"{_sizes(weight.shape)}")
        _same_dtype(input, weight)
        return call(OPS["cross_entropy_prob"], (input, target, weight),
                    (reduction, float(label_smoothing)))
    C = _nll_checks(input, target, weight)
    ignored = _target_bounds(target, C, ignore_index)
    return call(OPS["cross_entropy_loss"], (input, target, weight),
                (reduction, int(ignore_index), input.dim(), float(label_smoothing), ignored))


@composite(method=False, namespace=F, name="linear_cross_entropy")
def _f_linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                            reduction="mean", ignore_index=None, label_smoothing=0.0,
                            options=None):
    """F.linear + F.cross_entropy (torch's reference path; ``options`` only picks torch's chunked
    kernel, which computes the same values)."""
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError("expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    batches, inf = tuple(input.shape[:-1]), input.shape[-1]
    if inf != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions "
                           f"(in_features), got {inf} and {linear_weight.shape[-1]}, respectively")
    C, outf = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (C, *outf):
        raise RuntimeError(f"expected linear_bias shape {(C, *outf)}, got "
                           f"{tuple(linear_bias.shape)}")
    if outf and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, (N, {inf}), got "
                           f"unbatched input with shape {tuple(input.shape)}")
    shape = (*batches, C, *outf)
    if tuple(target.shape) == shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    if outf:
        linear_weight = linear_weight.reshape((math.prod(outf, start=C), inf))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(math.prod(outf, start=C))
    logits = torchjax.nn.functional.linear(input, linear_weight, linear_bias).reshape(shape)
    return _f_cross_entropy(logits, target, weight=weight, reduction=reduction,
                            ignore_index=-100 if ignore_index is None else ignore_index,
                            label_smoothing=label_smoothing)


# ---------------------------------------------------------------- binary cross entropy

def _ndiv(s, n, reduction):
    """torch's ``grad_input.div_(numel)`` for a mean (else s)."""
    return fdiv(s, n) if reduction == 1 else s


def _bce_terms(x, t):
    """binary_cross_entropy_out_cpu's elementwise loss: (t - 1) * max(log1p(-x), -100) -
    t * max(log(x), -100), each product rounded (glibc's logs, approximated by _clog)."""
    lo = jnp.asarray(-100, x.dtype)
    return _rmul(t - 1, jnp.maximum(_clog(jnp.log1p, -x), lo)) - \
        _rmul(t, jnp.maximum(_clog(jnp.log, x), lo))


def _clog(f, x):
    """f(x) for float32 through float64, i.e. (nearly) correctly rounded. torch's logs are not
    XLA's: glibc's logf (BCE's scalar kernel) is correctly rounded in all but ~0.7% of inputs
    (XLA's float32 log differs in 14%), SLEEF's vectorized log1pf / expf in all but ~1% (XLA's:
    10-28%), its logf in all but 7% (XLA's: 12%). (torch's sigmoid and log_sigmoid kernels take
    another exp, which XLA's float32 exp matches in all but 0.4%.)"""
    return f(x.astype(jnp.float64)).astype(x.dtype) if x.dtype == jnp.float32 else f(x)


@partial(jax.custom_vjp, nondiff_argnums=(3,))
def _bce(x, t, w, reduction):
    loss = _bce_terms(x, t)
    if w is not None:
        loss = loss * w
    return _apply(loss, reduction)


def _bce_fwd(x, t, w, reduction):
    return _bce(x, t, w, reduction), (x, t, w)


def _bce_bwd(reduction, res, g):
    """binary_cross_entropy_backward_out_cpu: g * (x - t) / max((1 - x) * x, 1e-12), times the
    weight, over numel for a mean; the target's (binary_cross_entropy_target_backward):
    -logit(x) * g * w / numel."""
    x, t, w = res
    gb = jnp.broadcast_to(g, x.shape)
    eps = jnp.asarray(np.float32(1e-12), x.dtype)
    # (fenced: XLA rewrites (a / b) / n as a / (b * n))
    gx = fence((gb * (x - t)) / jnp.maximum(_rmul(1 - x, x), eps))
    gt = (-_clog(jnp.log, x / (1 - x))) * gb
    if w is not None:
        gx, gt = gx * w, gt * w
    return (_ndiv(gx, x.size, reduction), _ndiv(gt, x.size, reduction),
            None if w is None else jnp.zeros_like(w))


_bce.defvjp(_bce_fwd, _bce_bwd)


def _log_sigmoid(x):
    """torch's log_sigmoid kernel: min(x, 0) - log1p(exp(-|x|))."""
    return jnp.minimum(x, jnp.zeros((), x.dtype)) - _clog(jnp.log1p, jnp.exp(-jnp.abs(x)))


@jax.custom_vjp
def _logsig(x):
    """torch.nn.functional.logsigmoid with torch's kernels (forward and backward)."""
    return _log_sigmoid(x)


def _logsig_fwd(x):
    return _log_sigmoid(x), x


def _logsig_bwd(x, g):
    """log_sigmoid_backward_cpu_kernel: (max_deriv - sign * (b / (1 + b))) * grad, b the
    forward's buffer exp(-|x|), max_deriv / sign = 1 / 1 where x < 0, else 0 / -1."""
    b = jnp.exp(-jnp.abs(x))
    one = jnp.ones((), x.dtype)
    neg = x < 0
    q = b / (one + b)
    return (fence((jnp.where(neg, one, jnp.zeros((), x.dtype)) - jnp.where(neg, q, -q)) * g),)


_logsig.defvjp(_logsig_fwd, _logsig_bwd)


@partial(jax.custom_vjp, nondiff_argnums=(4,))
def _bce_logits(x, t, w, pw, reduction):
    """binary_cross_entropy_with_logits: (1 - t) * x - log_sigmoid(x) [* ((pw - 1) * t + 1)],
    times the weight, reduced; every product rounded on its own as torch's separate ops."""
    ls = _log_sigmoid(x)
    if pw is not None:
        ls = _rmul(ls, fence(_rmul(pw - 1, t) + 1))
    loss = _rmul(1 - t, x) - fence(ls)
    if w is not None:
        loss = loss * w
    return _apply(loss, reduction)


def _bce_logits_fwd(x, t, w, pw, reduction):
    return _bce_logits(x, t, w, pw, reduction), (x, t, w, pw)


def _bce_logits_bwd(reduction, res, g):
    """FunctionsManual's binary_cross_entropy_with_logits_backward: (sigmoid(x) - t) * g, or
    ((pw * t + 1 - t) * sigmoid(x) - pw * t) * g; and _target_backward: -x * g, or
    (log_sigmoid(-x) - log_sigmoid(x) * pw) * g; then times the weight, over numel (mean)."""
    x, t, w, pw = res
    shape = x.shape
    gb = jnp.broadcast_to(g, shape)
    one = jnp.ones((), x.dtype)
    sig = one / (one + jnp.exp(-x))
    if pw is None:
        gx = (sig - t) * gb
        gt = (-x) * gb
    else:
        pt = _rmul(pw, t)
        gx = (_rmul((pt + 1) - t, sig) - pt) * gb
        gt = (_log_sigmoid(-x) - _rmul(_log_sigmoid(x), pw)) * gb
    if w is not None:
        gx, gt = gx * w, gt * w
    gx = jnp.broadcast_to(gx, shape)
    gt = jnp.broadcast_to(gt, shape)
    return (_ndiv(gx, x.size, reduction), _ndiv(gt, x.size, reduction),
            None if w is None else jnp.zeros_like(w), None if pw is None else jnp.zeros_like(pw))


_bce_logits.defvjp(_bce_logits_fwd, _bce_logits_bwd)


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad="BinaryCrossEntropyBackward0")
def binary_cross_entropy(input, target, weight, reduction):
    _float_check(input, "binary_cross_entropy")
    return _bce(input, target, weight, reduction)


@composite(method=False, namespace=F, name="binary_cross_entropy")
def _f_binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                            reduction="mean"):
    reduction = _enum(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        broadcast_shapes(target.shape, weight.shape)
        _no_grad("binary_cross_entropy", "weight", weight)
    for name, t in (("input", input), ("target", target)):
        v = _np(t)
        if v.size and not ((v >= 0) & (v <= 1)).all():
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    for other in (target, weight):
        if other is not None and other.dtype != input.dtype:
            raise RuntimeError(f"Found dtype {_tname(other._value)} but expected "
                               f"{_tname(input._value)}")
    return call(OPS["binary_cross_entropy"], (input, target, weight), (reduction,))


@op(tensors=("input", "target", "weight", "pos_weight"), method=False, namespace="",
    grad="BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    if not (_isf(input) and _isf(target)):
        lw = 1 if pos_weight is None else (pos_weight - 1) * target + 1
        loss = (1 - target) * input - lw * jax.nn.log_sigmoid(input)
        return _apply(loss if weight is None else loss * weight, reduction)
    return _bce_logits(input, target, weight, pos_weight, reduction)


@composite(method=False, namespace=F, name="binary_cross_entropy_with_logits")
def _f_bce_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                  pos_weight=None):
    reduction = _enum(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    _no_grad("binary_cross_entropy_with_logits", "weight", weight)
    _no_grad("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    if input.is_floating_point() and not target.is_floating_point():
        raise RuntimeError(f"result type {_tname(input._value)} can't be cast to the desired "
                           f"output type {_tname(target._value)}")
    return call(OPS["binary_cross_entropy_with_logits"], (input, target, weight, pos_weight),
                (reduction,))


# ---------------------------------------------------------------- KL divergence

@op(tensors=("input", "target"), method=False, namespace="",
    grad=lambda k: ("MulBackward0" if k[0][1] else "SubBackward0", "MeanBackward0",
                    "SumBackward0", "DivBackward0")[k[0][0]])
def kl_div(input, target, reduction=0, *, log_target=False):
    if not (_isf(input) and _isf(target)):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if input.dtype != target.dtype:
        if log_target:
            loss = jnp.exp(target) * (target - input)
        else:
            loss = jax.scipy.special.xlogy(target, target) - target * input
        if reduction == 3:  # batchmean (F.kl_div only)
            return fdiv(fsum(fence(loss), range(loss.ndim)), input.shape[0] if input.ndim else 1)
        return _apply(loss, reduction)
    f = _kl_log if log_target else _kl
    if reduction == 3:  # batchmean (F.kl_div only): the sum / batch size
        return fdiv(f(2, input, target), input.shape[0] if input.ndim else 1)
    return f(reduction, input, target)


@composite(method=False, namespace=F, name="kl_div")
def _f_kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        enum = _enum(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        enum = 3 if reduction == "batchmean" and input.dim() else (
            2 if reduction == "batchmean" else _get_enum(reduction))
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    return call(OPS["kl_div"], (input, target), (enum, bool(log_target)))


# ---------------------------------------------------------------- Poisson / Gaussian NLL

@op(tensors=("input", "target"), to_float=True, method=False, namespace="",
    grad=lambda k: ("AddBackward0" if k[0][1] else "SubBackward0", "MeanBackward0",
                    "SumBackward0")[k[0][3]])
def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    bcast(target, input)
    return _poisson(log_input, full, eps)(reduction, input, target)


@composite(method=False, namespace=F, name="poisson_nll_loss")
def _f_poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                        reduce=None, reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not a valid value for reduction")
    return call(OPS["poisson_nll_loss"], (input, target),
                (bool(log_input), bool(full), float(eps), _ENUM[reduction]))


@op(tensors=("input", "target", "var"), method=False, function=False,
    grad=lambda k: (("AddBackward0" if k[0][0] else "MulBackward0"), "MeanBackward0",
                    "SumBackward0")[k[0][2]])
def gaussian_nll_loss(input, target, var, full, eps, reduction):
    bcast(input, target)
    var = jnp.broadcast_to(var, jnp.broadcast_shapes(var.shape, input.shape)) if var.ndim == 0 \
        else var
    if not _isf(input):
        var = var + lax.stop_gradient(jnp.maximum(var, eps) - var)  # clamp_ under no_grad
        loss = 0.5 * (jnp.log(var) + (input - target) ** 2 / var)
        return _apply(loss + 0.5 * math.log(2 * math.pi) if full else loss, reduction)
    return _gaussian(full, eps)(reduction, input, target, var)


_GAUSSIAN = {}


def _gaussian(full, eps):
    """F.gaussian_nll_loss: 0.5 * (log(var) + (input - target) ** 2 / var) [+ 0.5 * log(2 pi)],
    var clamped to eps in no_grad (its gradient passes through), and the gradients torch's
    autograd forms: var's from LogBackward0 (at var's shape) plus DivBackward0's
    -grad * ((d2 / var) / var) summed to var's shape."""
    if (full, eps) in _GAUSSIAN:
        return _GAUSSIAN[(full, eps)]
    half = 0.5

    def elem(x, t, v):
        vc = jnp.maximum(v, jnp.asarray(eps, v.dtype))
        d = x - t
        loss = _rmul(_clog(jnp.log, vc) + _ieee_div(_rmul(d, d), vc), jnp.asarray(half, x.dtype))
        return loss + jnp.asarray(0.5 * math.log(2 * math.pi), x.dtype) if full else loss

    def grads(ge, x, t, v):
        shape = jnp.broadcast_shapes(x.shape, t.shape, v.shape)
        vc = jnp.maximum(v, jnp.asarray(eps, v.dtype))
        d = x - t
        d2 = _rmul(d, d)
        gs = _rmul(jnp.broadcast_to(ge, shape), jnp.asarray(half, x.dtype))
        gv1 = _ieee_div(sum_to(gs, vc.shape), vc)
        gv2 = sum_to(fence(-gs * _ieee_div(fence(_ieee_div(d2, vc)), vc)), vc.shape)
        gd = _rmul(fence(_ieee_div(gs, vc)), d + d)
        return gd, -gd, fence(gv1) + gv2
    _GAUSSIAN[(full, eps)] = f = _composite_loss(elem, grads)
    return f


@composite(method=False, namespace=F, name="gaussian_nll_loss")
def _f_gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
    else:
        if bool((_np(var) < 0).any()):
            raise ValueError("var has negative entry/entries")
        if tuple(var.shape) != tuple(input.shape):
            if tuple(input.shape[:-1]) == tuple(var.shape):
                var = var.unsqueeze(-1)
            elif not (input.dim() == var.dim() and sum(
                    y for x, y in zip(input.shape, var.shape) if x != y) == 1):
                raise ValueError("var is of incorrect size")
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not valid")
    return call(OPS["gaussian_nll_loss"], (input, target, var),
                (bool(full), float(eps), _ENUM[reduction]))


# ---------------------------------------------------------------- margin losses

@op(tensors=("input", "target"), method=False, function=False,
    grad="SoftMarginLossBackward0")
def soft_margin_loss(input, target, reduction):
    bcast(input, target)
    if not (_isf(input) and input.dtype == target.dtype):
        return _apply(jnp.log1p(jnp.exp(-input * target)), reduction)
    return _soft_margin(input, target, reduction)


@partial(jax.custom_vjp, nondiff_argnums=(2,))
def _soft_margin(x, t, reduction):
    """soft_margin_loss_out: log1p(exp(-x * t)) (SLEEF's exp and log1p, near correctly rounded)."""
    return _apply(_clog(jnp.log1p, _clog(jnp.exp, _rmul(-x, t))), reduction)


def _soft_margin_fwd(x, t, reduction):
    return _soft_margin(x, t, reduction), (x, t)


def _soft_margin_bwd(reduction, res, g):
    """soft_margin_loss_backward_out: z = exp(-t * x); t * z * -norm / (z + 1) * grad, each
    step rounded (norm = 1 / numel for a mean)."""
    x, t = res
    shape = jnp.broadcast_shapes(x.shape, t.shape)
    z = _clog(jnp.exp, _rmul(-t, x))
    norm = jnp.asarray(-(1. / math.prod(shape) if reduction == 1 else 1.), x.dtype)
    gi = fence(_rmul(_rmul(t, z), norm) / (z + 1))
    gb = g if g.shape == shape else lax.optimization_barrier(jnp.broadcast_to(g, shape))
    return sum_to(gi * gb, x.shape).astype(x.dtype), jnp.zeros_like(t)


_soft_margin.defvjp(_soft_margin_fwd, _soft_margin_bwd)


@composite(method=False, namespace=F, name="soft_margin_loss")
def _f_soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _no_grad("soft_margin_loss", "target", target)
    return call(OPS["soft_margin_loss"], (input, target), (_enum(size_average, reduce, reduction),))


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad=_names("DivBackward0"))
def multilabel_soft_margin_loss(input, target, weight, reduction):
    if _isf(input) and input.dtype == target.dtype:
        loss = -(_rmul(target, _logsig(input)) + _rmul(1 - target, _logsig(-input)))
    else:
        loss = -(target * jax.nn.log_sigmoid(input) + (1 - target) * jax.nn.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    cd = input.ndim - 1
    return _apply(fdiv(fsum(fence(loss), (cd,)), input.shape[cd]), reduction)


@composite(method=False, namespace=F, name="multilabel_soft_margin_loss")
def _f_multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                   reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not valid")
    return call(OPS["multilabel_soft_margin_loss"], (input, target, weight), (_ENUM[reduction],))


def _margin_shape_check(input):
    nd = input.dim()
    if not (nd <= 1 and input.numel() != 0 or nd == 2 and input.shape[1] != 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {_sizes(input.shape)}")
    return (input.numel() if nd <= 1 else input.shape[1]), nd


@op(tensors=("input", "target"), promote=False, method=False, function=False,
    grad="MultilabelMarginLossBackward0")
def multilabel_margin_loss(input, target, reduction):
    x = input.reshape((-1, input.shape[-1]) if input.ndim else (1, 1))
    t = target.reshape(x.shape).astype(jnp.int32)
    return _mlm(x, t, reduction, input.ndim <= 1)


def _mlm_terms(x, t):
    """z = 1 - x[target] + x[d] for each listed target (up to the first -1) and each class d
    that is no target; (z, where z counts) of shape (N, S, C)."""
    C = x.shape[1]
    valid = jnp.cumprod(t != -1, axis=1).astype(bool)
    ti = jnp.where(valid, t, 0)
    hot = (ti[:, :, None] == jnp.arange(C)) & valid[:, :, None]     # (N, S, C)
    is_tgt = jnp.any(hot, axis=1)
    xt = jnp.take_along_axis(x, ti, axis=1)
    z = (1 - xt)[:, :, None] + x[:, None, :]
    keep = valid[:, :, None] & ~is_tgt[:, None, :] & (z > 0)
    return z, keep, hot


def _acc_sum(a, axis):
    """A sum in torch's acc_type (double): sequential for float64 inputs; for float32 terms a
    double sum rounds to the same float whatever its order (but in ~2^-29 of cases)."""
    if a.dtype == jnp.float64:
        return _seq(a, axis)
    return jnp.sum(a.astype(jnp.float64), axis=axis)


@partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _mlm(x, t, reduction, scalar_out):
    """LossMultiLabelMargin.cpp: each row's sum of the positive z in double, rounded to the
    dtype; 'none' divides the row by dim in the dtype; otherwise (and for a 1-D input) the
    rows add in double, / dim, / nframe for a mean, then round."""
    n, c = x.shape
    z, keep, _ = _mlm_terms(x, t)
    rows = _acc_sum(jnp.where(keep, z, jnp.zeros((), x.dtype)).reshape(n, -1), 1).astype(x.dtype)
    if reduction == 0 and not scalar_out:
        return fdiv(rows, c)
    tot = fdiv(_acc_sum(rows, 0).astype(jnp.float64 if x.dtype == jnp.float32 else x.dtype), c)
    return (fdiv(tot, n) if reduction == 1 else tot).astype(x.dtype)


def _mlm_fwd(x, t, reduction, scalar_out):
    return _mlm(x, t, reduction, scalar_out), (x, t)


def _mlm_bwd(reduction, scalar_out, res, go):
    """multilabel_margin_loss_backward_out_frame: each counted (target, d) pair adds g to d's
    entry and subtracts it from the target's, one at a time (g = 1 / dim, or 1 / (nframe * dim)
    for a mean); then everything times grad_output."""
    x, t = res
    n, c = x.shape
    _, keep, hot = _mlm_terms(x, t)
    dt = np.dtype(x.dtype)
    g = dt.type(1. / (n * c) if reduction == 1 else 1. / c)
    # ((0 + g) + g) + ...: k additions of g (numpy's cumsum adds in order)
    table = jnp.asarray(np.concatenate([np.zeros(1, dt), np.cumsum(np.full(c * c, g, dt),
                                                                    dtype=dt)]))
    up = jnp.sum(keep, axis=1)                                          # (N, C)
    down = jnp.einsum("nsc,ns->nc", hot.astype(jnp.int32), jnp.sum(keep, axis=2).astype(jnp.int32))
    gi = jnp.where(up > 0, table[up], jnp.where(down > 0, -table[down], jnp.zeros((), x.dtype)))
    gi = gi * (go if go.ndim == 0 else go[:, None])
    return gi, None


_mlm.defvjp(_mlm_fwd, _mlm_bwd)


@composite(method=False, namespace=F, name="multilabel_margin_loss")
def _f_multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _enum(size_average, reduce, reduction)
    C, nd = _margin_shape_check(input)
    want = (C,) if nd <= 1 else tuple(input.shape)
    if (nd <= 1 and target.dim() > 1) or tuple(target.shape) != want and not (
            nd == 0 and target.numel() == 1):
        raise RuntimeError(f"inconsistent target size: {_sizes(target.shape)} for input of size: "
                           f"{_sizes(input.shape)}")
    if str(target.dtype) != "torch.int64":
        raise RuntimeError(f"expected scalar type Long but found {_tname(target._value)}")
    t = _np(target)
    if t.size and ((t < -1) | (t >= C)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    return call(OPS["multilabel_margin_loss"], (input, target), (reduction,))


@op(tensors=("input", "target", "weight"), promote=False, method=False, function=False,
    grad="MultiMarginLossBackward0")
def multi_margin_loss(input, target, p, margin, weight, reduction):
    x = input.reshape((-1, input.shape[-1]) if input.ndim else (1, 1))
    t = target.reshape(-1).astype(jnp.int32)
    loss = _multi_margin(x, t, weight, p, margin, reduction)
    if input.ndim <= 1 and reduction == 0 and target.ndim == 0:   # torch: (nframe,) for a 1-D
        return loss[0]                                            # target, else a scalar
    return loss


def _mm_terms(x, t, weight, p, margin):
    """multi_margin_inner_sum_cpu's terms: z = margin - x[target] + x[d]; h = z or z * z where
    z > 0, times weight[target]; +0 where skipped (z <= 0, d == target)."""
    m = jnp.asarray(margin, x.dtype)
    z = (m - jnp.take_along_axis(x, t[:, None], axis=1)) + x
    zero = jnp.zeros((), x.dtype)
    on = (z > 0) & (jnp.arange(x.shape[1]) != t[:, None])
    w = None if weight is None else weight.astype(x.dtype)[t][:, None]
    return z, on, w, zero


def _row_seq(h):
    """(((0 + h[:, 0]) + h[:, 1]) + ...): a row's sequential sum from zero."""
    return _seq(jnp.concatenate([jnp.zeros((h.shape[0], 1), h.dtype), h], axis=1), 1)


@partial(jax.custom_vjp, nondiff_argnums=(3, 4, 5))
def _multi_margin(x, t, weight, p, margin, reduction):
    """LossMultiMargin.cpp: each row's sequential sum over the classes / dim; a reduction adds
    the rows in double (acc_type), a mean divides there, then rounds once."""
    z, on, w, zero = _mm_terms(x, t, weight, p, margin)
    h = z if p == 1 else _rmul(z, z)
    if w is not None:
        h = _rmul(h, w)
    rows = fdiv(_row_seq(jnp.where(on, h, zero)), x.shape[1])
    if reduction == 0:
        return rows
    acc = jnp.float64 if x.dtype in (jnp.float32, jnp.float64) else jnp.float32
    tot = _seq(jnp.concatenate([jnp.zeros((1,), acc), rows.astype(acc)]), 0)
    return (fdiv(tot, x.shape[0]) if reduction == 1 else tot).astype(x.dtype)


def _multi_margin_fwd(x, t, weight, p, margin, reduction):
    return _multi_margin(x, t, weight, p, margin, reduction), (x, t, weight)


def _multi_margin_bwd(p, margin, reduction, res, go):
    """multi_margin_loss_backward_cpu_kernel: h = g (p = 1) or 2 * g * z, g = 1 / dim (or
    1 / (nframe * dim) for a mean), times weight[target]; the target's entry is 0 - h - h ...;
    then everything times grad_output."""
    x, t, weight = res
    n, c = x.shape
    z, on, w, zero = _mm_terms(x, t, weight, p, margin)
    g = jnp.asarray(1. / (n * c) if reduction == 1 else 1. / c, x.dtype)
    h = jnp.broadcast_to(g, x.shape) if p == 1 else _rmul(g + g, z)
    if w is not None:
        h = _rmul(h, w)     # (rounded before the sums: XLA would fuse it in as an FMA)
    hot = jnp.arange(c) == t[:, None]
    gi = jnp.where(hot, _row_seq(jnp.where(on, -h, zero))[:, None], jnp.where(on, h, zero))
    gi = gi * (go if go.ndim == 0 else go[:, None])
    return gi, None, None if weight is None else jnp.zeros_like(weight)


_multi_margin.defvjp(_multi_margin_fwd, _multi_margin_bwd)


@composite(method=False, namespace=F, name="multi_margin_loss")
def _f_multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                         reduce=None, reduction="mean"):
    reduction = _enum(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    C, nd = _margin_shape_check(input)
    N = 1 if nd <= 1 else input.shape[0]
    if not (target.dim() <= 1 and target.numel() == N):
        raise RuntimeError(f"inconsistent target size, expected {N} but got "
                           f"{_sizes(target.shape)}")
    if weight is not None and weight.numel() != C:
        raise RuntimeError(f"inconsistent weight size, expected {C} but got "
                           f"{_sizes(weight.shape)}")
    _no_grad("multi_margin_loss", "weight", weight)
    t = _np(target)
    if ((t < 0) | (t >= C)).any():
        raise RuntimeError("target out of range")
    return call(OPS["multi_margin_loss"], (input, target, weight),
                (int(p), float(margin), reduction))


@op(tensors=("input1", "input2", "target"), to_float=True, method=False, namespace="",
    grad=_names("ClampMinBackward0", pos=1))
def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return _apply(_clamp_min0(-target * (input1 - input2) + margin), reduction)


@composite(method=False, namespace=F, name="margin_ranking_loss")
def _f_margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                           reduction="mean"):
    reduction = _enum(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return call(OPS["margin_ranking_loss"], (input1, input2, target), (float(margin), reduction))


@op(tensors=("input", "target"), method=False, namespace="",
    grad=_names("AddBackward0", pos=1))
def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    zero = jnp.zeros((), input.dtype)
    out = (jnp.where(target != 1, _clamp_min0(margin - input), zero)
           + jnp.where(target != -1, input, zero))
    return _apply(out, reduction)


@composite(method=False, namespace=F, name="hinge_embedding_loss")
def _f_hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                            reduction="mean"):
    return call(OPS["hinge_embedding_loss"], (input, _detach(target)),
                (float(margin), _enum(size_average, reduce, reduction)))


@op(tensors=("input1", "input2", "target"), to_float=True, method=False, namespace="",
    grad=_names("AddBackward0", pos=1))
def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    nd = input1.ndim
    if nd != input2.ndim:
        raise RuntimeError(f"cosine_embedding_loss : input1 and input2 must have the same number "
                           f"of dimensions, but got {nd} and {input2.ndim}")
    if target.ndim + 1 != nd:
        raise RuntimeError(f"{target.ndim}D target tensor expects {target.ndim + 1}D input "
                           f"tensors, but found inputs with sizes {_sizes(input1.shape)} and "
                           f"{_sizes(input2.shape)}.")
    d = 1 if nd == 2 else 0
    broadcast_shapes(target.shape, input1.shape[:d])
    return _cosine_embedding(input1, input2, target, margin, reduction)


def _cos_parts(x1, x2, margin):
    d = x1.ndim - 1
    eps = jnp.asarray(np.float32(1e-12), x1.dtype)
    prod = fsum(_rmul(x1, x2), (d,))
    m1 = fsum(_rmul(x1, x1), (d,)) + eps
    m2 = fsum(_rmul(x2, x2), (d,)) + eps
    denom = jnp.sqrt(_rmul(m1, m2))
    cos = fence(prod / denom)
    return prod, m1, m2, denom, cos


@partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _cosine_embedding(x1, x2, target, margin, reduction):
    """Loss.cpp's cosine_embedding_loss: cascade sums of the products, (m1 * m2).sqrt(), and
    where(target == 1, 1 - cos, 0) + where(target == -1, (cos - margin).clamp_min(0), 0)."""
    *_, cos = _cos_parts(x1, x2, margin)
    zero = jnp.zeros((), cos.dtype)
    out = (jnp.where(target == 1, 1 - cos, zero)
           + jnp.where(target == -1, _clamp_min0(cos - jnp.asarray(margin, cos.dtype)), zero))
    return _apply(out, reduction)


def _cosine_embedding_fwd(x1, x2, target, margin, reduction):
    return _cosine_embedding(x1, x2, target, margin, reduction), (x1, x2, target)


def _cosine_embedding_bwd(margin, reduction, res, g):
    """The gradients torch's autograd forms through those ops: DivBackward0, SqrtBackward0
    (grad / (2 * result)), MulBackward0; x1 * x1's two gradients are added before the product's."""
    x1, x2, target = res
    prod, m1, m2, denom, cos = _cos_parts(x1, x2, margin)
    zero = jnp.zeros((), cos.dtype)
    ge = _loss_cotangent(g, cos.shape, reduction)
    gpos = jnp.where(target == 1, ge, zero)
    gneg = jnp.where(target == -1, ge, zero)
    gneg = jnp.where(cos - jnp.asarray(margin, cos.dtype) >= 0, gneg, zero)
    gcos = fence(-gpos + gneg)
    gprod = fence(gcos / denom)
    gmm = fence(fence(-gcos * fence(fence(prod / denom) / denom)) / (denom + denom))
    gm1, gm2 = fence(gmm * m2), fence(gmm * m1)
    e = (lambda v: v[..., None]) if x1.ndim == 2 else (lambda v: v)

    def grad(gm, xa, xb):
        b = _rmul(e(gm), xa)
        return _rmul(e(gprod), xb) + fence(b + b)
    return grad(gm1, x1, x2), grad(gm2, x2, x1), jnp.zeros_like(target)


_cosine_embedding.defvjp(_cosine_embedding_fwd, _cosine_embedding_bwd)


@composite(method=False, namespace=F, name="cosine_embedding_loss")
def _f_cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                             reduction="mean"):
    return call(OPS["cosine_embedding_loss"], (input1, input2, _detach(target)),
                (float(margin), _enum(size_average, reduce, reduction)))


def _triplet_dims(a, p, n):
    if not (a.dim() == p.dim() == n.dim()):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a.dim()}D, positive "
                           f"{p.dim()}D, and negative {n.dim()}D inputs")


@op(tensors=("anchor", "positive", "negative"), to_float=True, method=False, namespace="",
    grad=_names("ClampMinBackward0", pos=4))
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False,
                        reduction=0):
    # each distance's gradient is materialised before the engine adds a tensor's two (XLA
    # would fuse one product into the other's add as an FMA)
    dp = _pairwise_distance(_gfence(anchor), _gfence(positive), p, eps)
    dn = _pairwise_distance(_gfence(anchor), _gfence(negative), p, eps)
    if swap:
        dn = _minimum_f(dn, _pairwise_distance(_gfence(positive), _gfence(negative), p, eps))
    return _apply(_clamp_min0(margin + dp - dn), reduction)


@jax.custom_vjp
def _gfence(x):
    """x, whose gradient is fenced (see _cascade.fence)."""
    return x


_gfence.defvjp(lambda x: (x, None), lambda _, g: (fence(g),))


@composite(method=False, namespace=F, name="triplet_margin_loss")
def _f_triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                           size_average=None, reduce=None, reduction="mean"):
    reduction = _enum(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _triplet_dims(anchor, positive, negative)
    return call(OPS["triplet_margin_loss"], (anchor, positive, negative),
                (float(margin), float(p), float(eps), bool(swap), reduction))


@composite(method=False, namespace=F, name="triplet_margin_with_distance_loss")
def _f_triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                         margin=1.0, swap=False, reduction="mean"):
    if reduction not in _ENUM:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _triplet_dims(anchor, positive, negative)
    dist = distance_function or torchjax.pairwise_distance
    dp, dn = dist(anchor, positive), dist(anchor, negative)
    if swap:
        dn = torchjax.minimum(dn, dist(positive, negative))
    loss = torchjax.clamp_min(margin + dp - dn, 0)
    return loss.sum() if reduction == "sum" else loss.mean() if reduction == "mean" else loss


# ---------------------------------------------------------------- CTC

def _lse3(a, b, c):
    """log(exp(a)+exp(b)+exp(c)) that stays finite-gradient when all are -inf."""
    m = jnp.maximum(jnp.maximum(a, b), c)
    ms = lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0))
    s = jnp.exp(a - ms) + jnp.exp(b - ms) + jnp.exp(c - ms)
    pos = s > 0
    return jnp.where(pos, jnp.log(jnp.where(pos, s, 1)) + ms, -jnp.inf)


def _ctc_ext(targets, blank):
    """Extended labels l' (blank-interleaved) and where the s-2 skip is allowed; (N, 2S+1)."""
    N, S = targets.shape
    s = jnp.arange(2 * S + 1)
    lab = targets[:, jnp.minimum(s // 2, max(S - 1, 0))] if S else jnp.full((N, 1), blank)
    ext = jnp.where(s % 2 == 1, lab, blank).astype(jnp.int32)
    prev2 = jnp.concatenate([jnp.full((N, 2), -1, jnp.int32), ext[:, :-2]], axis=1)
    return ext, (s % 2 == 1) & (ext != prev2) & (s >= 2)


def _shift(a, k, fill=-jnp.inf):
    """a[:, s - k] (k > 0) or a[:, s + |k|] (k < 0), ``fill`` outside."""
    pad = jnp.full((a.shape[0], abs(k)), fill, a.dtype)
    return (jnp.concatenate([pad, a[:, :-k]], axis=1) if k > 0 else
            jnp.concatenate([a[:, -k:], pad], axis=1))


def _ctc_alpha(lp, ext, skip, in_len, tg_len):
    """log alpha for every t: (T, N, L); frozen after each sample's input length."""
    ninf = jnp.full((), -jnp.inf, lp.dtype)
    s = jnp.arange(ext.shape[1])
    emit = lambda t: jnp.take_along_axis(lp[t], ext, axis=1)
    a0 = jnp.where(s[None] < jnp.minimum(2, 2 * tg_len[:, None] + 1), emit(0), ninf)

    def step(a, t):
        new = _lse3(a, _shift(a, 1), jnp.where(skip, _shift(a, 2), ninf)) + emit(t)
        a = jnp.where((t < in_len)[:, None], new, a)
        return a, a
    _, rest = lax.scan(step, a0, jnp.arange(1, lp.shape[0]))
    return jnp.concatenate([a0[None], rest], axis=0)


def _ctc_beta(lp, ext, skip, in_len, tg_len):
    """log beta for every t (torch's backward recursion): (T, N, L)."""
    ninf = jnp.full((), -jnp.inf, lp.dtype)
    s = jnp.arange(ext.shape[1])
    emit = lambda t: jnp.take_along_axis(lp[t], ext, axis=1)
    skip_next = _shift(skip, -2, False)
    end = (s[None] == 2 * tg_len[:, None]) | ((s[None] == 2 * tg_len[:, None] - 1) &
                                              (tg_len[:, None] > 0))

    def step(b, t):
        rec = _lse3(b, _shift(b, -1), jnp.where(skip_next, _shift(b, -2), ninf)) + emit(t)
        last = (t == in_len - 1)[:, None]
        b = jnp.where(last, jnp.where(end, emit(t), ninf),
                      jnp.where((t < in_len - 1)[:, None], rec, ninf))
        return b, b
    _, bs = lax.scan(step, jnp.full(ext.shape, -jnp.inf, lp.dtype),
                     jnp.arange(lp.shape[0] - 1, -1, -1))
    return bs[::-1]


def _ctc_final(alpha, in_len, tg_len):
    ninf = jnp.full((), -jnp.inf, alpha.dtype)
    a = alpha[-1]  # alphas are frozen past each input length
    last = jnp.take_along_axis(a, (2 * tg_len)[:, None], axis=1)[:, 0]
    prev = jnp.take_along_axis(a, jnp.maximum(2 * tg_len - 1, 0)[:, None], axis=1)[:, 0]
    return -_lse3(last, jnp.where(tg_len > 0, prev, ninf), ninf)


@partial(jax.custom_vjp, nondiff_argnums=(4, 5))
def _ctc_nll(lp, targets, in_len, tg_len, blank, zero_infinity):
    """Per-sample CTC negative log likelihood; lp (T, N, C), targets (N, S) padded."""
    ext, skip = _ctc_ext(targets, blank)
    return _ctc_final(_ctc_alpha(lp, ext, skip, in_len, tg_len), in_len, tg_len)


def _ctc_fwd(lp, targets, in_len, tg_len, blank, zero_infinity):
    ext, skip = _ctc_ext(targets, blank)
    alpha = _ctc_alpha(lp, ext, skip, in_len, tg_len)
    nll = _ctc_final(alpha, in_len, tg_len)
    return nll, (lp, targets, in_len, tg_len, alpha, nll)


def _ctc_bwd(blank, zero_infinity, res, g):
    """torch's ctc_loss_backward: exp(lp) - exp(log(sum_{s: l'_s = c} alpha beta) + nll - lp)
    for t < T_n (it treats log_probs as log_softmax outputs); with zero_infinity, 0 where the
    loss is infinite (NaN there otherwise, as in torch)."""
    lp, targets, in_len, tg_len, alpha, nll = res
    ext, skip = _ctc_ext(targets, blank)
    T, N, C = lp.shape
    ab = alpha + _ctc_beta(lp, ext, skip, in_len, tg_len)  # (T, N, L)

    def acc(lcab, xs):  # torch's order: fold s = 0, 1, ... into lcab[t, n, l'_s] pairwise
        v, hot = xs
        v = v[..., None]
        m = jnp.maximum(lcab, v)
        ms = jnp.where(jnp.isfinite(m), m, 0)
        add = jnp.where(lcab == -jnp.inf, v, jnp.log(jnp.exp(lcab - ms) + jnp.exp(v - ms)) + ms)
        return jnp.where(hot[None], add, lcab), None
    hots = jnp.moveaxis(ext[:, :, None] == jnp.arange(C), 1, 0)  # (L, N, C)
    lcab, _ = lax.scan(acc, jnp.full((T, N, C), -jnp.inf, lp.dtype),
                       (jnp.moveaxis(ab, 2, 0), hots))
    grad = jnp.exp(lp) - jnp.exp(lcab + nll[None, :, None] - lp)
    keep = jnp.arange(T)[:, None] < in_len[None]
    if zero_infinity:
        keep = keep & jnp.isfinite(nll)[None]
    grad = jnp.where(keep[..., None], grad * g[None, :, None], jnp.zeros((), lp.dtype))
    return grad, None, None, None


_ctc_nll.defvjp(_ctc_fwd, _ctc_bwd)


@op(tensors=("log_probs", "targets", "input_lengths", "target_lengths"), promote=False,
    method=False, function=False,
    grad=lambda k: ("SqueezeBackward1" if k[0][4] else "WhereBackward0" if k[0][2] else
                    "CtcLossBackward0", "MeanBackward0", "SumBackward0")[k[0][1]])
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity,
             concatenated, unbatched):
    lp = log_probs[:, None] if unbatched else log_probs
    il = input_lengths.reshape(-1).astype(jnp.int32)
    tl = target_lengths.reshape(-1).astype(jnp.int32)
    tg = targets.astype(jnp.int32)
    if concatenated:  # 1-D concatenation -> padded (N, max_len)
        S = max(concatenated, 1)
        starts = jnp.cumsum(tl) - tl
        idx = starts[:, None] + jnp.arange(S)
        tg = jnp.where(jnp.arange(S) < tl[:, None], tg[jnp.minimum(idx, tg.shape[0] - 1)], 0) \
            if tg.shape[0] else jnp.zeros((tl.shape[0], S), jnp.int32)
    elif tg.ndim == 1:
        tg = tg[None]
    nll = _ctc_nll(lp, tg, il, tl, blank, zero_infinity)
    if zero_infinity:
        nll = jnp.where(jnp.isinf(lax.stop_gradient(nll)), jnp.zeros((), nll.dtype), nll)
    if reduction == 1:
        return jnp.mean(nll / jnp.maximum(tl, 1).astype(nll.dtype))
    if reduction == 2:
        return jnp.sum(nll)
    return nll[0] if unbatched else nll


def _lengths(v):
    return v if isinstance(v, Tensor) else np.asarray(v, np.int64)


@composite(method=False, namespace=F, name="ctc_loss")
def _f_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
                zero_infinity=False):
    return _t_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                       _get_enum(reduction), zero_infinity)


@composite(method=False, name="ctc_loss")
def _t_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
                zero_infinity=False):
    """torch.ctc_loss: the reduction is torch's enum (0 none, 1 mean, 2 sum)."""
    C = log_probs.shape[-1]
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    T = log_probs.shape[0]
    il, tl = _np(input_lengths).reshape(-1), _np(target_lengths).reshape(-1)
    N = 1 if log_probs.dim() == 2 else log_probs.shape[1]
    if il.size != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    for v in il:
        if v > T:
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got "
                               f"value {v} (while checking arguments for ctc_loss_allocate_outputs)")
    concatenated = 0
    if targets.dim() == 1 and log_probs.dim() == 3:
        if targets.numel() != tl.sum():
            raise RuntimeError(f"Expected tensor to have size {tl.sum()} at dimension 0, but "
                               f"got size {targets.numel()} for argument #2 'targets' "
                               "(while checking arguments for ctc_loss_allocate_outputs)")
        concatenated = int(tl.max(initial=0)) or 1
    elif targets.dim() >= 1:
        S = targets.shape[-1]
        for v in tl:
            if v > S:
                raise RuntimeError(f"Expected tensor to have size at least {v} at dimension 1, "
                                   f"but got size {S} for argument #2 'targets' (while checking "
                                   "arguments for ctc_loss_allocate_outputs)")
    return call(OPS["ctc_loss"], (log_probs, targets, _lengths(input_lengths),
                                  _lengths(target_lengths)),
                (int(blank), reduction, bool(zero_infinity), concatenated, log_probs.dim() == 2))
