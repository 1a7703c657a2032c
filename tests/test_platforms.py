"""CPU tensors get torch's CPU numerics wherever XLA compiles for the CPU, also on a machine whose
JAX has a GPU or TPU: the replayed CPU kernels are chosen when XLA lowers (lax.platform_dependent),
not by JAX's default backend, and tensors are created on the CPU unless a device is named.
CI has no accelerator; lowering for 'cuda' (what jax.export does) needs none."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import torchjax as tj
from torchjax._tensor import wrap

CASES = {   # m is torch or torchjax
    "sum": lambda m, x: x.sum(),
    "mean_dim": lambda m, x: x.mean(0),
    "softmax": lambda m, x: x.softmax(1),
    "log_softmax": lambda m, x: x.log_softmax(0),
    "sigmoid": lambda m, x: x.sigmoid(),
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "silu": lambda m, x: m.nn.functional.silu(x),
    "elu": lambda m, x: m.nn.functional.elu(x),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "vector_norm": lambda m, x: m.linalg.vector_norm(x),
    "layer_norm": lambda m, x: m.nn.functional.layer_norm(x, (x.shape[1],)),
    "group_norm": lambda m, x: m.nn.functional.group_norm(x.unsqueeze(0), 2),
    "batch_norm": lambda m, x: m.nn.functional.batch_norm(x, None, None, training=True),
    "rms_norm": lambda m, x: m.nn.functional.rms_norm(x, (x.shape[1],)),
}
SHAPE = (40, 70)


def _fwd_bwd(name):
    def f(a, g):
        x = wrap(a, requires_grad=True)
        y = CASES[name](tj, x)
        y.backward(wrap(g.reshape(-1)[:y.numel()].reshape(y.shape)))
        return y._value, x.grad._value
    return f


def _hlo_ops(name, platform):
    spec = jax.ShapeDtypeStruct(SHAPE, jnp.float32)
    lowered = jax.jit(_fwd_bwd(name)).trace(spec, spec).lower(lowering_platforms=(platform,))
    return lowered.as_text().count("stablehlo.")


@pytest.mark.parametrize("name", sorted(CASES))
def test_cpu_kernels_only_where_xla_compiles_for_the_cpu(name):
    cpu, cuda = _hlo_ops(name, "cpu"), _hlo_ops(name, "cuda")
    # the CPU lowering replays torch's kernel (many ops); the accelerator's is the plain formula
    assert cuda < cpu / 2, (cuda, cpu)


@pytest.mark.parametrize("name", sorted(CASES))
def test_traced_step_keeps_torch_cpu_bits(name):
    a, g = np.random.default_rng(3).standard_normal((2,) + SHAPE).astype(np.float32)
    got = [np.asarray(v) for v in jax.jit(_fwd_bwd(name))(jnp.asarray(a), jnp.asarray(g))]
    t = torch.tensor(a, requires_grad=True)
    y = CASES[name](torch, t)
    y.backward(torch.tensor(g).reshape(-1)[:y.numel()].reshape(y.shape))
    for g, r in zip(got, (y.detach().numpy(), t.grad.numpy())):
        assert g.shape == r.shape and np.array_equal(g.view(np.uint32), r.view(np.uint32))


def test_tensors_are_created_on_the_cpu():
    assert jax.config.jax_default_device == "cpu"
    for t in (tj.zeros(3), tj.tensor([1.0]), tj.randn(2) + 1, tj.arange(3).sum()):
        assert t.device == tj.device("cpu")
        assert {d.platform for d in t._value.devices()} == {"cpu"}
    assert tj.get_default_device() == tj.device("cpu")
