"""torch.optim.Adadelta."""
import jax.numpy as jnp

from .optimizer import Optimizer
from ._functional import check_lr, check, zeros, step0, decay_add_sq, tdiv, add, cadd

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    elementwise = True

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_lr(lr)
        check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(
            lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
            capturable=capturable, foreach=foreach, differentiable=differentiable))

    def init_single(self, group, p):
        return {"step": step0(), "square_avg": zeros(p), "acc_delta": zeros(p)}

    def static(self, g):
        return (g["weight_decay"] != 0, g["maximize"])

    def hyper(self, g, state, step):
        return (float(g["lr"]), g["rho"], 1 - g["rho"], g["eps"], g["weight_decay"])

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, maximize = static
        lr, rho, w, eps, wd = h
        g = -g if maximize else g
        if wd_on:
            g = cadd(g, p, wd)                    # before view_as_real in torch
        sq = decay_add_sq(s["square_avg"], rho, g, w)
        std = jnp.sqrt(sq + eps)
        delta = tdiv(jnp.sqrt(s["acc_delta"] + eps), std) * g
        acc = decay_add_sq(s["acc_delta"], rho, delta, w)
        return add(p, delta, -lr), {"step": s["step"], "square_avg": sq, "acc_delta": acc}
