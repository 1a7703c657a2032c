"""torch.optim.Muon (momentum, then a bfloat16 Newton-Schulz orthogonalization of 2-D updates)."""
import math

import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer
from ._functional import check, lerp, zeros

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _mm(a, b):
    """bfloat16 matmul accumulated in float32 (torch's CPU bf16 gemm), left in float32."""
    return jnp.matmul(a, b, preferred_element_type=jnp.float32)


def _zeropower_via_newtonschulz(grad, coefficients, ns_steps, eps):
    """torch's quintic Newton-Schulz in bfloat16; each op rounds once, as torch's kernels do."""
    a, b, c = coefficients
    bf, f32 = jnp.bfloat16, jnp.float32
    tall = grad.shape[0] > grad.shape[1]
    x = grad.astype(bf)
    x = x.T if tall else x
    norm = jnp.sqrt(jnp.sum(jnp.square(x.astype(f32)))).astype(bf)
    norm = jnp.maximum(norm.astype(f32), eps).astype(bf)
    x = (x.astype(f32) / norm.astype(f32)).astype(bf)
    for _ in range(ns_steps):
        gram = _mm(x, x.T).astype(bf)
        gram_update = (c * _mm(gram, gram) + b * gram.astype(f32)).astype(bf)  # addmm
        x = (_mm(gram_update, x) + a * x.astype(f32)).astype(bf)
    return x.T if tall else x


def _adjust_ratio(adjust_lr_fn, shape):
    A, B = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return math.sqrt(max(1, A / B))
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(A, B))
    return 1.0


def _fma(p, u, alpha):
    """torch's CPU add_(u, alpha=alpha): one fused multiply-add in p's type (emulated in float64,
    where alpha * u is exact for float32 alpha and bfloat16 u)."""
    if p.dtype == jnp.float64:
        return p + alpha * u.astype(p.dtype)
    alpha = jnp.asarray(alpha, p.dtype).astype(jnp.float64)
    return (p.astype(jnp.float64) + alpha * u.astype(jnp.float64)).astype(p.dtype)


class Muon(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        check(0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}")
        check(0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}")
        check(adjust_lr_fn in (None, "original", "match_rms_adamw"),
              f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                check(p.ndim == 2, "Muon only supports 2D parameters whereas we found a "
                                   f"parameter with size: {p.size()}")

    def _step_group(self, group):
        params = [p for p in group["params"] if p.grad is not None]
        for p in params:
            if p.is_complex():
                raise RuntimeError("Muon does not support complex parameters")
            if p.grad.is_sparse:
                raise RuntimeError("Muon does not support sparse gradients")
        for p in params:  # torch's checks in _single_tensor_muon / _zeropower_via_newtonschulz
            check(p.grad.ndim == 2, "Param gradient must be a 2D matrix")
            check(group["ns_steps"] < 100,
                  "Number of steps must be less than 100 for computational efficiency")
            check(len(group["ns_coefficients"]) == 3,
                  "Coefficients must be a tuple of exactly 3 values")
        super()._step_group(group)

    def init_single(self, group, p):
        return {"momentum_buffer": zeros(p.grad)}

    def static(self, g):
        return (bool(g["nesterov"]), int(g["ns_steps"]))

    def hyper(self, g, state, step):
        lr, momentum = float(g["lr"]), float(g["momentum"])
        ratio = _adjust_ratio(g["adjust_lr_fn"], tuple(state["momentum_buffer"].shape))
        return (lr * ratio, 1 - lr * g["weight_decay"], 1 - momentum, momentum,
                tuple(map(float, g["ns_coefficients"])), float(g["eps"]))

    @staticmethod
    def apply_single(static, p, g, s, h):
        nesterov, ns_steps = static
        lr, decay, w, momentum, coefficients, eps = h
        buf = lerp(s["momentum_buffer"], g, w)
        update = lerp(g, buf, momentum) if nesterov else buf
        update = _zeropower_via_newtonschulz(update, coefficients, ns_steps, eps)
        p = p * decay
        return _fma(p, update, -lr), {"momentum_buffer": buf}
