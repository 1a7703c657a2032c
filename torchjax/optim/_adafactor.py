"""torch.optim.Adafactor (factored second moments for matrices)."""
import jax.numpy as jnp

from .._ops._cascade import fmean
from .._ops.linalg import _norm_value
from .optimizer import Optimizer, _ns
from ._functional import check, lerp, zeros, step0, rnd, sdiv, tdiv, add, fma

__all__ = ["Adafactor"]


def _norm2(x, axes, keepdim):
    """torch's CPU 2-norm (linalg's order), its tail's multiply-adds exact in float64 too."""
    return _norm_value(x, 2.0, axes, keepdim, fma=lambda a, b, c: fma(a, b, c, exact=True))


class Adafactor(Optimizer):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        from .._tensor import Tensor
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        check(0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}")
        check(0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}")
        check(eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}")
        check(0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}")
        check(1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}")
        check(0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    def _step_group(self, group):
        for p in group["params"]:
            if p.grad is not None and p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
        super()._step_group(group)

    def init_single(self, group, p):
        s = {"step": step0()}
        if p.grad.dim() > 1:
            t = _ns()
            s["row_var"] = t.zeros(*p.shape[:-1], 1, dtype=p.dtype)
            s["col_var"] = t.zeros(*p.shape[:-2], 1, p.shape[-1], dtype=p.dtype)
        else:
            s["variance"] = zeros(p)
        return s

    def static(self, g):
        return (g["weight_decay"] != 0, g["maximize"])

    def hyper(self, g, state, step):
        lr, (eps1, eps2) = float(g["lr"]), g["eps"]
        return (step ** g["beta2_decay"], min(lr, 1 / (step ** 0.5)), eps1, eps2, g["d"],
                1 - lr * g["weight_decay"])

    @staticmethod
    def apply_single(static, p, g, s, h):
        # torch's _single_tensor_adafactor: norms in torch's CPU order, the .item() scalars
        # (alpha, denom) in float64 as Python computes them
        wd_on, maximize = static
        w, rho_t, eps1, eps2, d, decay = h
        g = -g if maximize else g
        if eps1 is None:
            eps1 = float(jnp.finfo(p.dtype).eps)
        n = p.size ** 0.5
        f64 = jnp.float64
        pn = sdiv(_norm2(p, tuple(range(p.ndim)), False).astype(f64), n)
        alpha = jnp.where(pn > eps2, pn, eps2) * rho_t        # max(eps2, norm / n) * rho_t
        if wd_on:
            p = rnd(p * decay)
        out = {"step": s["step"]}
        if g.ndim > 1:
            r = _norm2(g, (g.ndim - 1,), True)
            c = _norm2(g, (g.ndim - 2,), True)
            r = out["row_var"] = lerp(s["row_var"], sdiv(r * r, g.shape[-1]), w)
            c = out["col_var"] = lerp(s["col_var"], sdiv(c * c, g.shape[-2]), w)
            var = r * c                                       # row_var @ col_var
            mean = jnp.maximum(fmean(r, (r.ndim - 2,), True), eps1)
            var = tdiv(var, jnp.broadcast_to(mean, var.shape))
        else:
            var = out["variance"] = lerp(s["variance"], rnd(g * g), w)
        update = tdiv(jnp.ones((), p.dtype), jnp.sqrt(jnp.maximum(var, eps1 * eps1))) * g
        un = _norm2(update, tuple(range(update.ndim)), False).astype(f64) / (n * d)
        denom = jnp.where(un > 1.0, un, 1.0)                 # max(1.0, norm / (n * d))
        return add(p, update, (-alpha / denom).astype(p.dtype)), out
