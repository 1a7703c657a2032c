"""torch.optim.ASGD."""
import jax.numpy as jnp
import numpy as np

from .optimizer import Optimizer, _scalar_tensor
from ._functional import check_lr, check, zeros, step0, rnd, add

__all__ = ["ASGD"]


class ASGD(Optimizer):
    elementwise = True

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
            maximize=maximize, differentiable=differentiable, capturable=capturable))

    def init_single(self, group, p):
        return {"step": step0(), "eta": _scalar_tensor(float(group["lr"])),
                "mu": _scalar_tensor(1.0), "ax": zeros(p)}

    def static(self, g):
        return (g["weight_decay"] != 0, g["maximize"])

    def hyper(self, g, state, step):
        lr, lambd = float(g["lr"]), g["lambd"]
        eta, mu = float(state["eta"]), float(state["mu"])
        new_eta = float(np.float32(lr / ((1 + lambd * lr * step) ** g["alpha"])))
        new_mu = float(np.float32(1 / max(1, step - g["t0"])))
        return (g["weight_decay"], 1 - lambd * eta, eta, float(mu != 1), mu, new_eta, new_mu)

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, maximize = static
        wd, decay, eta, avg_on, mu, new_eta, new_mu = h
        g = -g if maximize else g
        if wd_on:
            g = add(g, p, wd)
        p = rnd(p * decay)                       # param.mul_(1 - lambd * eta)
        p = add(p, g, -eta)                      # param.add_(grad, alpha=-eta)
        ax = jnp.where(avg_on > 0, s["ax"] + rnd((p - s["ax"]) * mu), p)
        dt = s["eta"].dtype
        return p, {"step": s["step"], "eta": jnp.full((), new_eta, dt),
                   "mu": jnp.full((), new_mu, dt), "ax": ax}
