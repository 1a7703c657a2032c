"""torch.optim.Rprop."""
import jax.numpy as jnp

from .optimizer import Optimizer, full_like
from ._functional import check_lr, zeros, step0

__all__ = ["Rprop"]


def _lr_fill(p, v):
    return complex(v, v) if p.is_complex() else v


class Rprop(Optimizer):
    # (elementwise, but its one multiply-add, sign(g) * step_size, is exact: nothing to flatten)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def init_single(self, group, p):
        return {"step": step0(), "prev": zeros(p),
                "step_size": full_like(p, _lr_fill(p, float(group["lr"])))}

    def static(self, g):
        return (g["maximize"],)

    def hyper(self, g, state, step):
        return (*g["etas"], *g["step_sizes"])

    @staticmethod
    def apply_single(static, p, g, s, h):
        etaminus, etaplus, smin, smax = h
        g = -g if static[0] else g
        sign = jnp.sign(g * s["prev"])
        sign = jnp.where(sign > 0, etaplus, jnp.where(sign < 0, etaminus, 1)).astype(g.dtype)
        ss = jnp.clip(s["step_size"] * sign, smin, smax)
        g = jnp.where(sign == etaminus, 0, g)
        p = p + (-1.0) * jnp.sign(g) * ss
        return p, {"step": s["step"], "prev": g, "step_size": ss}
