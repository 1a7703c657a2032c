"""torch.optim.Adafactor (factored second moments for matrices)."""
import math

import jax.numpy as jnp

from .optimizer import Optimizer, _ns
from ._functional import check, lerp, zeros, step0

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        from .._tensor import Tensor
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    def _step_group(self, group):
        for p in group["params"]:
            if p.grad is not None and p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
        super()._step_group(group)

    def init_single(self, group, p):
        s = {"step": step0()}
        if p.grad.dim() > 1:
            t = _ns()
            s["row_var"] = t.zeros(*p.shape[:-1], 1, dtype=p.dtype)
            s["col_var"] = t.zeros(*p.shape[:-2], 1, p.shape[-1], dtype=p.dtype)
        else:
            s["variance"] = zeros(p)
        return s

    def static(self, g):
        return (g["weight_decay"] != 0, g["maximize"])

    def hyper(self, g, state, step):
        lr, (eps1, eps2) = float(g["lr"]), g["eps"]
        return (step ** g["beta2_decay"], min(lr, 1 / (step ** 0.5)), eps1, eps2, g["d"],
                1 - lr * g["weight_decay"])

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, maximize = static
        w, rho_t, eps1, eps2, d, decay = h
        g = -g if maximize else g
        if eps1 is None:
            eps1 = float(jnp.finfo(p.dtype).eps)
        n = math.sqrt(p.size)
        alpha = jnp.maximum(eps2, jnp.sqrt(jnp.sum(p * p)) / n) * rho_t
        if wd_on:
            p = p * decay
        out = {"step": s["step"]}
        if g.ndim > 1:
            row = jnp.square(jnp.sqrt(jnp.sum(g * g, -1, keepdims=True))) / g.shape[-1]
            col = jnp.square(jnp.sqrt(jnp.sum(g * g, -2, keepdims=True))) / g.shape[-2]
            r = out["row_var"] = lerp(s["row_var"], row, w)
            c = out["col_var"] = lerp(s["col_var"], col, w)
            var = (r @ c) / jnp.maximum(jnp.mean(r, -2, keepdims=True), eps1)
        else:
            var = out["variance"] = lerp(s["variance"], g * g, w)
        update = jnp.reciprocal(jnp.sqrt(jnp.maximum(var, eps1 * eps1))) * g
        denom = jnp.maximum(1.0, jnp.sqrt(jnp.sum(update * update)) / (n * d))
        return p + (-alpha / denom) * update, out
