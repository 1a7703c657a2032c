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
from ._cascade import fdiv, fence, fmean, fsum
from ._util import bcast, broadcast_shapes
from .pointwise import _isf, _not_impl, _tname
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


def _apply(loss, reduction):
    if reduction == 1:
        return fmean(fence(loss), range(loss.ndim))
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


def _relu_strict(z):
    """max(z, 0) with gradient 0 at z == 0 (torch's ``z > 0`` kernels)."""
    return jnp.where(z > 0, z, jnp.zeros((), z.dtype))


def _clamp_min0(z):
    """clamp_min(z, 0) with torch's gradient (1 at z == 0)."""
    return jnp.where(z >= 0, z, jnp.zeros((), z.dtype))


# ---------------------------------------------------------------- regression losses

def _float_check(x, kernel):
    if not _isf(x):
        _not_impl(kernel, x)


def _weighted(loss, weight, reduction, mean_by_weight):
    loss = loss * weight
    if reduction == 1:
        return jnp.sum(loss) / jnp.sum(weight) if mean_by_weight else fmean(fence(loss), range(loss.ndim))
    return _apply(loss, reduction)


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad=lambda k: ("MulBackward0", "DivBackward0", "SumBackward0")[k[0][0]] if k[0][1]
    else "MseLossBackward0")
def mse_loss(input, target, weight, reduction, weighted):
    _float_check(input, "mse_cpu")
    loss = jnp.square(input - target)
    return _weighted(loss, weight, reduction, True) if weighted else _apply(loss, reduction)


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad=lambda k: ("MulBackward0", "DivBackward0", "SumBackward0")[k[0][0]] if k[0][1]
    else ("AbsBackward0", "MeanBackward0", "SumBackward0")[k[0][0]])
def l1_loss(input, target, weight, reduction, weighted):
    d = input - target
    loss = d * lax.stop_gradient(jnp.sign(d))  # |d| with torch's gradient sign(0) = 0
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
    d = jnp.abs(input - target)
    b = jnp.asarray(beta, d.dtype)
    return _apply(jnp.where(d < b, 0.5 * d * d / b, d - 0.5 * b), reduction)


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad=lambda k: ("MulBackward0", "MeanBackward0", "SumBackward0")[k[0][0]] if k[0][2]
    else "HuberLossBackward0")
def huber_loss(input, target, weight, reduction, delta, weighted):
    _float_check(input, "huber_cpu")
    d = jnp.abs(input - target)
    dl = jnp.asarray(delta, d.dtype)
    loss = jnp.where(d < dl, 0.5 * d * d, dl * (d - 0.5 * dl))
    return _weighted(loss, weight, reduction, False) if weighted else _apply(loss, reduction)


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

def _nll_core(logp, target, weight, reduction, ignore_index):
    """NLL over class dim 1 of logp (N, C, *); target (N, *). Returns the reduced loss."""
    valid = target != ignore_index
    t = jnp.where(valid, target, 0).astype(jnp.int32)
    picked = jnp.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    w = jnp.ones((), logp.dtype) if weight is None else weight.astype(logp.dtype)[t]
    w = jnp.where(valid, w, jnp.zeros((), logp.dtype))
    loss = jnp.where(valid, -picked * w, jnp.zeros((), logp.dtype))  # 0 grads on ignored rows
    if reduction == 0:
        return loss
    if reduction == 2:
        return jnp.sum(loss)
    return jnp.sum(loss) / jnp.sum(jnp.broadcast_to(w, loss.shape))


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
def nll_loss_nd(input, target, weight, reduction, ignore_index, ndim):
    i, t = _batched(input, target)
    return _unbatch(_nll_core(i, t, weight, reduction, ignore_index), input, reduction)


def _ce_name(key):
    return "AddBackward0" if key[0][3] > 0 else _nll_name(key)


@op(tensors=("input", "target", "weight"), promote=False, method=False, function=False,
    grad=_ce_name)
def cross_entropy_loss(input, target, weight, reduction, ignore_index, ndim, label_smoothing):
    if not _isf(input):
        _not_impl("log_softmax_lastdim_kernel_impl", input)
    i, t = _batched(input, target)
    logp = jax.nn.log_softmax(i, axis=1)
    nll = _nll_core(logp, t, weight, reduction, ignore_index)
    if label_smoothing <= 0:
        return _unbatch(nll, input, reduction)
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
    t = _np(target).reshape(-1).astype(np.int64)
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        raise IndexError(f"Target {t[np.argmax(bad)]} is out of bounds.")


@composite(method=False, namespace=F, name="nll_loss")
def _f_nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                reduction="mean"):
    reduction = _enum(size_average, reduce, reduction)
    C = _nll_checks(input, target, weight)
    _target_bounds(target, C, ignore_index)
    return call(OPS["nll_loss_nd"], (input, target, weight),
                (reduction, int(ignore_index), input.dim()))


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
    _target_bounds(target, C, ignore_index)
    return call(OPS["cross_entropy_loss"], (input, target, weight),
                (reduction, int(ignore_index), input.dim(), float(label_smoothing)))


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

@jax.custom_jvp
def _bce(x, t, w):
    log1 = jnp.maximum(jnp.log(x), -100.0)
    log0 = jnp.maximum(jnp.log1p(-x), -100.0)
    return ((t - 1) * log0 - t * log1) * w


@_bce.defjvp
def _bce_jvp(p, tg):
    x, t, w = p
    dx, dt, dw = tg
    out = _bce(x, t, w)
    gx = (x - t) / jnp.maximum((1 - x) * x, 1e-12) * w
    gt = (jnp.log1p(-x) - jnp.log(x)) * w  # torch: -logit(input), unclamped
    return out, gx * dx + gt * dt + _bce(x, t, jnp.ones_like(w)) * dw


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad="BinaryCrossEntropyBackward0")
def binary_cross_entropy(input, target, weight, reduction):
    _float_check(input, "binary_cross_entropy")
    w = jnp.ones((), input.dtype) if weight is None else weight
    return _apply(_bce(input, target, jnp.broadcast_to(w, input.shape)), reduction)


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
    lw = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input - lw * jax.nn.log_sigmoid(input)
    if weight is not None:
        loss = loss * weight
    return _apply(loss, reduction)


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
    if log_target:
        loss = jnp.exp(target) * (target - input)
    else:
        loss = jax.scipy.special.xlogy(target, target) - target * input
    if reduction == 3:  # batchmean (F.kl_div only)
        return fdiv(fsum(fence(loss), range(loss.ndim)), input.shape[0] if input.ndim else 1)
    return _apply(loss, reduction)


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
    if log_input:
        loss = jnp.exp(input) - target * input
    else:
        loss = input - target * jnp.log(input + eps)
    if full:
        st = target * jnp.log(target) - target + 0.5 * jnp.log(2 * math.pi * target)
        loss = loss + jnp.where(target > 1, st, jnp.zeros((), st.dtype))
    return _apply(loss, reduction)


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
    var = var + lax.stop_gradient(jnp.maximum(var, eps) - var)  # clamp_ under no_grad
    loss = 0.5 * (jnp.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply(loss, reduction)


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
    return _apply(jnp.log1p(jnp.exp(-input * target)), reduction)


@composite(method=False, namespace=F, name="soft_margin_loss")
def _f_soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _no_grad("soft_margin_loss", "target", target)
    return call(OPS["soft_margin_loss"], (input, target), (_enum(size_average, reduce, reduction),))


@op(tensors=("input", "target", "weight"), method=False, function=False,
    grad=_names("DivBackward0"))
def multilabel_soft_margin_loss(input, target, weight, reduction):
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
    C = x.shape[1]
    valid = jnp.cumprod(t != -1, axis=1).astype(bool)
    ti = jnp.where(valid, t, 0)
    is_tgt = jnp.any((ti[:, :, None] == jnp.arange(C)) & valid[:, :, None], axis=1)  # (N, C)
    xt = jnp.take_along_axis(x, ti, axis=1)  # (N, S)
    z = 1 - xt[:, :, None] + x[:, None, :]
    keep = valid[:, :, None] & ~is_tgt[:, None, :]
    loss = jnp.sum(jnp.where(keep, _relu_strict(z), jnp.zeros((), x.dtype)), axis=(1, 2)) / C
    if input.ndim <= 1 and reduction == 0:
        return loss[0]
    return _apply(loss, reduction)


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
    C = x.shape[1]
    xt = jnp.take_along_axis(x, t[:, None], axis=1)
    z = _relu_strict(margin - xt + x)
    h = z if p == 1 else z * z
    if weight is not None:
        h = h * weight.astype(x.dtype)[t][:, None]
    h = jnp.where(jnp.arange(C) == t[:, None], jnp.zeros((), x.dtype), h)
    loss = jnp.sum(h, axis=1) / C
    if input.ndim <= 1 and reduction == 0:
        return loss[0]
    return _apply(loss, reduction)


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
    prod = jnp.sum(input1 * input2, axis=d)
    m1 = jnp.sum(input1 * input1, axis=d) + 1e-12
    m2 = jnp.sum(input2 * input2, axis=d) + 1e-12
    cos = prod / jnp.sqrt(m1 * m2)
    zero = jnp.zeros((), cos.dtype)
    broadcast_shapes(target.shape, cos.shape)
    out = (jnp.where(target == 1, 1 - cos, zero)
           + jnp.where(target == -1, _clamp_min0(cos - margin), zero))
    return _apply(out, reduction)


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
    dp = _pairwise_distance(anchor, positive, p, eps)
    dn = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        dn = jnp.minimum(dn, _pairwise_distance(positive, negative, p, eps))
    return _apply(_clamp_min0(margin + dp - dn), reduction)


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
