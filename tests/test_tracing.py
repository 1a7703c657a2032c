"""Tensors may wrap JAX tracers: a whole eager step (forward, backward, in-place update) traces
into one jax.jit and gives the eager numbers. Later issues build whole-step compilation on this."""
import jax
import jax.numpy as jnp
import numpy as np

import torchjax as torch
from torchjax._tensor import wrap


def step(a, x):
    w = wrap(a, requires_grad=True)
    h = (wrap(x) @ w - 1.0).tanh()
    loss = (h * h).sum() + w[0].sum()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        w[1] = 0.0
    return w._value, loss._value


def test_step_traces_into_one_jit():
    a = jnp.asarray(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))
    x = jnp.asarray(np.linspace(0, 2, 12, dtype=np.float32).reshape(4, 3))
    eager = step(a, x)
    jitted = jax.jit(step)(a, x)
    for e, j in zip(eager, jitted):
        np.testing.assert_allclose(np.asarray(e), np.asarray(j), rtol=1e-6)
