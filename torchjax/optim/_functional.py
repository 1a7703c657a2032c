"""Shared pieces of the single-parameter updates (torch's CPU kernel formulas)."""
import jax.numpy as jnp

from .optimizer import _ns, _scalar_tensor


def lerp(a, b, w):
    """torch's lerp: a + w*(b-a) for |w| < 0.5, else b - (b-a)*(1-w)."""
    return jnp.where(abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def zeros(p):
    return _ns().zeros_like(p)


def step0():
    return _scalar_tensor(0.0)


def check_lr(lr):
    from .._tensor import Tensor
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check(cond, msg):
    if not cond:
        raise ValueError(msg)


def check_betas(betas, eps, weight_decay):
    check(0.0 <= eps, f"Invalid epsilon value: {eps}")
    check(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
    check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
    check(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")

