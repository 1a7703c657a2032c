"""torch.random: torch.Generator and the default CPU generator.

The numbers come from ``_rng.CPUGenerator``, a bit-exact copy of torch's CPU
generator (mt19937 and ATen's CPU samplers); states are torch's 5056-byte
layout, so ``get_rng_state()`` bytes equal torch's after the same draws.
"""
import contextlib

import jax.numpy as jnp
import numpy as np

from ._rng import CPUGenerator
from ._size import device as _device

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed",
           "fork_rng", "Generator", "default_generator"]


def _state_tensor(b):
    from ._tensor import wrap
    return wrap(jnp.asarray(np.frombuffer(b, np.uint8).copy()))


def _state_bytes(t):
    from ._tensor import Tensor
    if not isinstance(t, Tensor) or t.dtype.name != "uint8":
        raise TypeError("RNG state must be a torch.ByteTensor")
    return np.asarray(t._value).tobytes()


class Generator:
    """torch.Generator. ``device='cuda'`` (a JAX accelerator) uses the same
    CPU algorithm: torch's CUDA Philox stream is not reproduced."""

    def __init__(self, device="cpu"):
        dev = _device(device)
        if dev.type not in ("cpu", "cuda"):
            raise RuntimeError(f"{dev.type.upper()} device type not an accelerator.")
        self.device = dev
        self._impl = CPUGenerator()

    def manual_seed(self, seed):
        self._impl.manual_seed(seed)
        return self

    def seed(self):
        return self._impl.seed()

    def initial_seed(self):
        return self._impl.initial_seed()

    def get_state(self):
        return _state_tensor(self._impl.get_state())

    def set_state(self, new_state):
        self._impl.set_state(_state_bytes(new_state))
        return self

    def clone_state(self):
        g = Generator.__new__(Generator)
        g.device, g._impl = self.device, self._impl.clone()
        return g

    def __getstate__(self):
        return {"device": str(self.device), "state": self._impl.get_state()}

    def __setstate__(self, st):
        self.device = _device(st["device"])
        self._impl = CPUGenerator()
        self._impl.set_state(st["state"])


default_generator = Generator()
default_generator._impl.seed()   # torch 2.13 seeds the default generator from /dev/urandom


def _impl(generator=None):
    """The CPUGenerator behind ``generator`` (None: the default one)."""
    return (generator or default_generator)._impl


def manual_seed(seed):
    """Seeds the default generator; returns it (CUDA seeding lives in torchjax.cuda)."""
    return default_generator.manual_seed(int(seed))


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Restores the default generator's state on exit (CPU only)."""
    if not enabled or device_type == "meta":
        yield
        return
    state = default_generator._impl.get_state()
    try:
        yield
    finally:
        default_generator._impl.set_state(state)
