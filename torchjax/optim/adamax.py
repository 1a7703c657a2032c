"""torch.optim.Adamax."""
import jax.numpy as jnp

from .optimizer import Optimizer
from ._functional import check_lr, check_betas, lerp, zeros, step0, cadd

__all__ = ["Adamax"]


class Adamax(Optimizer):
    elementwise = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_betas(betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def init_single(self, group, p):
        return {"step": step0(), "exp_avg": zeros(p), "exp_inf": zeros(p)}

    def static(self, g):
        return (g["weight_decay"] != 0, g["maximize"])

    def hyper(self, g, state, step):
        lr, (beta1, beta2) = float(g["lr"]), g["betas"]
        return (1 - beta1, beta2, g["eps"], g["weight_decay"], lr / (1 - beta1 ** step))

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, maximize = static
        w1, beta2, eps, wd, clr = h
        g = -g if maximize else g
        if wd_on:
            g = cadd(g, p, wd)                    # before view_as_real in torch
        m = lerp(s["exp_avg"], g, w1)
        u = jnp.maximum(s["exp_inf"] * beta2, jnp.abs(g) + eps)
        return p + ((-clr) * m) / u, {"step": s["step"], "exp_avg": m, "exp_inf": u}
