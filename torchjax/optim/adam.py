"""torch.optim.Adam."""
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer
from ._functional import check_lr, check_betas, lerp, zeros, step0, rnd, sdiv, decay_add_sq, cadd

__all__ = ["Adam"]


class Adam(Optimizer):
    elementwise = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        check_lr(lr)
        check_betas(betas, eps, weight_decay)
        if not (all(isinstance(b, float) for b in betas) or
                all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor) and not capturable and foreach:
                raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False "
                                 "and foreach=True")
            if isinstance(b, Tensor) and b.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b
                      for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for g in self.param_groups:
            for k, v in (("amsgrad", False), ("maximize", False), ("foreach", None),
                         ("capturable", False), ("differentiable", False),
                         ("decoupled_weight_decay", False), ("fused", None)):
                g.setdefault(k, v)

    def init_single(self, group, p):
        s = {"step": step0(), "exp_avg": zeros(p), "exp_avg_sq": zeros(p)}
        if group["amsgrad"]:
            s["max_exp_avg_sq"] = zeros(p)
        return s

    def static(self, g):
        return (g["weight_decay"] != 0, g["decoupled_weight_decay"], g["amsgrad"], g["maximize"])

    def hyper(self, g, state, step):
        lr, wd = float(g["lr"]), g["weight_decay"]
        beta1, beta2 = map(float, g["betas"])
        bc1, bc2 = 1 - beta1 ** step, 1 - beta2 ** step
        return (lr, 1 - beta1, beta2, 1 - beta2, lr / bc1, bc2 ** 0.5, g["eps"], wd, 1 - lr * wd)

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, decoupled, amsgrad, maximize = static
        lr, w1, beta2, w2, step_size, bc2_sqrt, eps, wd, decay = h
        g = -g if maximize else g
        if wd_on:
            if decoupled:
                p = rnd(p * decay)               # param.mul_(1 - lr * wd)
            else:
                g = cadd(g, p, wd)                # grad.add(param, alpha=wd)
        out = {"step": s["step"]}
        m = out["exp_avg"] = lerp(s["exp_avg"], g, w1)
        v = out["exp_avg_sq"] = decay_add_sq(s["exp_avg_sq"], beta2, g, w2)
        if amsgrad:
            v = out["max_exp_avg_sq"] = jnp.maximum(s["max_exp_avg_sq"], v)
        denom = sdiv(jnp.sqrt(v), bc2_sqrt) + eps
        return p + ((-step_size) * m) / denom, out   # param.addcdiv_(m, denom, value=-step_size)
