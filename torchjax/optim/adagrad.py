"""torch.optim.Adagrad."""
import jax.numpy as jnp

from .optimizer import Optimizer
from ._functional import check_lr, check, step0, cadd, addcmul
from .optimizer import full_like

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    elementwise = True

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        check(0.0 <= initial_accumulator_value,
              f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        check(0.0 <= eps, f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(
            lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, foreach=foreach,
            maximize=maximize, differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p].update(self.init_single(group, p))

    def init_single(self, group, p):
        v = self.defaults["initial_accumulator_value"]
        return {"step": step0(), "sum": full_like(p, complex(v, v) if p.is_complex() else v)}

    def static(self, g):
        return (g["weight_decay"] != 0, g["maximize"])

    def hyper(self, g, state, step):
        lr = float(g["lr"])
        return (lr / (1 + (step - 1) * g["lr_decay"]), g["eps"], g["weight_decay"])

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, maximize = static
        clr, eps, wd = h
        g = -g if maximize else g
        if wd_on:
            g = cadd(g, p, wd)                    # before view_as_real in torch
        sm = addcmul(s["sum"], g, g, 1.0)
        std = jnp.sqrt(sm) + eps
        return p + ((-clr) * g) / std, {"step": s["step"], "sum": sm}
