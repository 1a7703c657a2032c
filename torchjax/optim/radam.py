"""torch.optim.RAdam."""
import jax.numpy as jnp

from .optimizer import Optimizer
from ._functional import check_lr, check_betas, lerp, zeros, step0, rnd, sdiv, decay_add_sq, add

__all__ = ["RAdam"]


class RAdam(Optimizer):
    elementwise = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_betas(betas, eps, weight_decay)
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
            foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable))

    def init_single(self, group, p):
        return {"step": step0(), "exp_avg": zeros(p), "exp_avg_sq": zeros(p)}

    def static(self, g):
        return (g["weight_decay"] != 0, g["decoupled_weight_decay"], g["maximize"])

    def hyper(self, g, state, step):
        lr, (beta1, beta2), wd = float(g["lr"]), g["betas"], g["weight_decay"]
        bc1, bc2 = 1 - beta1 ** step, 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
        rect = 0.0
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf /
                    ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        return (1 - beta1, beta2, 1 - beta2, bc1, bc2 ** 0.5, lr, g["eps"], wd, 1 - lr * wd,
                rect, float(rho_t > 5.0))

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, decoupled, maximize = static
        w1, beta2, w2, bc1, bc2_sqrt, lr, eps, wd, decay, rect, use_rect = h
        g = -g if maximize else g
        if wd_on:
            if decoupled:
                p = rnd(p * decay)
            else:
                g = add(g, p, wd)                # after view_as_real in torch
        m = lerp(s["exp_avg"], g, w1)
        v = decay_add_sq(s["exp_avg_sq"], beta2, g, w2)
        bcm = sdiv(m, bc1)
        # bc2_sqrt / t is torch's t.reciprocal() * bc2_sqrt; each product rounds on its own
        adaptive = (1 / (jnp.sqrt(v) + eps)) * bc2_sqrt
        upd = jnp.where(use_rect > 0, ((bcm * lr) * adaptive) * rect, bcm * lr)
        return p - rnd(upd), {"step": s["step"], "exp_avg": m, "exp_avg_sq": v}
