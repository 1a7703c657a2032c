"""torch.nn.utils.clip_grad: gradient norm/value clipping, each one jitted call over all grads."""
import types
import warnings

import jax.numpy as jnp

from ..._jit import lazy_jit
from ..._tensor import Tensor, wrap
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


@lazy_jit(static_argnums=1)
def _total_norm(arrays, norm_type):
    from ..._ops.linalg import _vnorm
    norms = [_vnorm(a, norm_type, tuple(range(a.ndim)), False) for a in arrays]
    dt = jnp.result_type(*norms)
    return _vnorm(jnp.stack([n.astype(dt) for n in norms]), norm_type, (0,), False)


@lazy_jit
def _scale(arrays, max_norm, total):
    coef = jnp.minimum(max_norm / (total + 1e-6), 1.0).astype(total.dtype)
    return [(a * coef.astype(a.dtype)).astype(a.dtype) for a in arrays]


@lazy_jit(static_argnums=1)
def _clamp(arrays, clip_value):
    return [jnp.clip(a, -clip_value, clip_value).astype(a.dtype) for a in arrays]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        from ..._creation import tensor
        return tensor(0.0)
    total = wrap(_total_norm([t._value for t in tensors], norm_type))
    if error_if_nonfinite and not bool(jnp.isfinite(total._value)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        for g, a in zip(grads, _scale([g._value for g in grads], max_norm, total_norm._value)):
            g._assign(a)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if not isinstance(parameters, Tensor):
        is_gen = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_gen and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    clip_value = float(clip_value)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        for g, a in zip(grads, _clamp([g._value for g in grads], clip_value)):
            g._assign(a)


_get_total_norm, _clip_grads_with_norm_ = get_total_norm, clip_grads_with_norm_
