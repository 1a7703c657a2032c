"""torch.optim.SGD."""
from .optimizer import Optimizer
from ._functional import check_lr, rnd, cadd

__all__ = ["SGD"]


class SGD(Optimizer):
    elementwise = True

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for g in self.param_groups:
            g.setdefault("nesterov", False)
            g.setdefault("maximize", False)
            g.setdefault("foreach", None)
            g.setdefault("differentiable", False)
            g.setdefault("fused", False)

    def init_single(self, group, p):
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def static(self, g):
        return (g["weight_decay"] != 0, g["momentum"] != 0, g["nesterov"], g["maximize"])

    def hyper(self, g, state, step):
        return (float(g["lr"]), float(g["weight_decay"]), float(g["momentum"]),
                1 - g["dampening"])

    @staticmethod
    def apply_single(static, p, g, s, h):
        wd_on, mom_on, nesterov, maximize = static
        lr, wd, mom, one_minus_damp = h
        # torch: grad.add(param, alpha=wd), buf.mul_(momentum).add_(grad, alpha=1 - dampening),
        # grad.add(buf, alpha=momentum), param.add_(grad, alpha=-lr), on the complex tensors
        # for a complex parameter
        g = -g if maximize else g
        if wd_on:
            g = cadd(g, p, wd)
        out = {}
        if mom_on:
            buf = s["momentum_buffer"]
            buf = g if buf is None else cadd(rnd(buf * mom), g, one_minus_damp)
            out["momentum_buffer"] = buf
            g = cadd(g, buf, mom) if nesterov else buf
        return cadd(p, g, -lr), out
