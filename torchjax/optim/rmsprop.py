"""torch.optim.RMSprop."""
import jax.numpy as jnp

from .optimizer import Optimizer
from ._functional import check_lr, check, lerp, zeros, step0, rnd, decay_add_sq, add, cadd, addcmul

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    elementwise = True

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_lr(lr)
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        check(0.0 <= momentum, f"Invalid momentum value: {momentum}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= alpha, f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(
            lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
            weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
            differentiable=differentiable))

    def init_single(self, group, p):
        s = {"step": step0(), "square_avg": zeros(p)}
        if group["momentum"] > 0:
            s["momentum_buffer"] = zeros(p)
        if group["centered"]:
            s["grad_avg"] = zeros(p)
        return s

    def static(self, g):
        return (g["weight_decay"] != 0, g["momentum"] > 0, g["centered"], g["maximize"])

    def hyper(self, g, state, step):
        return (float(g["lr"]), g["alpha"], 1 - g["alpha"], g["eps"], g["weight_decay"],
                g["momentum"])

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, mom_on, centered, maximize = static
        lr, alpha, w, eps, wd, mom = h
        g = -g if maximize else g
        if wd_on:
            g = cadd(g, p, wd)                    # before view_as_real in torch
        out = dict(s)
        sq = out["square_avg"] = decay_add_sq(s["square_avg"], alpha, g, w)
        if centered:
            ga = out["grad_avg"] = lerp(s["grad_avg"], g, w)
            avg = jnp.sqrt(addcmul(sq, ga, ga, -1.0))
        else:
            avg = jnp.sqrt(sq)
        avg = avg + eps
        if mom_on:                               # buf.mul_(momentum).addcdiv_(grad, avg)
            buf = out["momentum_buffer"] = rnd(s["momentum_buffer"] * mom) + g / avg
            return add(p, buf, -lr), out
        return p + ((-lr) * g) / avg, out
