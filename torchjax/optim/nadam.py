"""torch.optim.NAdam."""
import jax.numpy as jnp
import numpy as np

from .optimizer import Optimizer, _scalar_tensor
from ._functional import (check_lr, check_betas, check, lerp, zeros, step0, rnd, sdiv,
                          decay_add_sq, add)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    elementwise = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_betas(betas, eps, weight_decay)
        check(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
            capturable=capturable, differentiable=differentiable))

    def init_single(self, group, p):
        return {"step": step0(), "mu_product": _scalar_tensor(1.0), "exp_avg": zeros(p),
                "exp_avg_sq": zeros(p)}

    def static(self, g):
        return (g["weight_decay"] != 0, g["decoupled_weight_decay"], g["maximize"])

    def hyper(self, g, state, step):
        lr, (beta1, beta2), wd, md = float(g["lr"]), g["betas"], g["weight_decay"], \
            g["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * md)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * md)))
        mp = float(np.float32(float(state["mu_product"])) * np.float32(mu))
        c1 = -lr * (1.0 - mu) / (1.0 - mp)
        c2 = (-lr * mu_next) / (1.0 - mp * mu_next)
        return (1 - beta1, beta2, 1 - beta2, 1 - beta2 ** step, g["eps"], wd, 1 - lr * wd,
                mp, c1, c2)

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, decoupled, maximize = static
        w1, beta2, w2, bc2, eps, wd, decay, mp, c1, c2 = h
        g = -g if maximize else g
        if wd_on:
            if decoupled:
                p = rnd(p * decay)
            else:
                g = add(g, p, wd)                # after view_as_real in torch
        m = lerp(s["exp_avg"], g, w1)
        v = decay_add_sq(s["exp_avg_sq"], beta2, g, w2)
        denom = jnp.sqrt(sdiv(v, bc2)) + eps
        p = p + (c1 * g) / denom   # two addcdiv_
        p = p + (c2 * m) / denom
        out = {"step": s["step"], "mu_product": jnp.full((), mp, s["mu_product"].dtype),
               "exp_avg": m, "exp_avg_sq": v}
        return p, out
