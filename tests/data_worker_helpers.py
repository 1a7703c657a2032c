"""Datasets for tests/test_data.py's worker-process tests: importable without real torch, so
spawned DataLoader workers only import torchjax."""
import numpy as np

import torchjax.utils.data as jud


class SquareDataset(jud.Dataset):
    def __init__(self, n=10, fail_at=None):
        self.n, self.fail_at = n, fail_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"cannot load sample {i}")
        return np.full((2,), i * i, np.float32), i


def make_stream(base):
    class RangeStream(base):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = jud.get_worker_info()
            if info is None:
                return iter(range(self.n))
            return iter(range(info.id, self.n, info.num_workers))

        def __len__(self):
            return self.n
    return RangeStream


RangeStream = make_stream(jud.IterableDataset)
RangeStream.__qualname__ = "RangeStream"


def init_fn(worker_id):
    info = jud.get_worker_info()
    assert info.id == worker_id and info.num_workers == 2 and info.seed is not None


class SlowDataset(jud.Dataset):
    """Sample i is i, after sleeping delays.get(i, 0) seconds."""

    def __init__(self, n, delays):
        self.n, self.delays = n, delays

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        import time
        time.sleep(self.delays.get(i, 0))
        return i


class SeedProbe(jud.Dataset):
    """What a worker's seeds give, in the library named `lib` (torch or torchjax)."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 2

    def __getitem__(self, i):
        import importlib
        import random
        lib = importlib.import_module(self.lib)
        info = importlib.import_module(self.lib + ".utils.data").get_worker_info()
        return {"id": info.id, "seed": info.seed, "initial_seed": lib.initial_seed(),
                "random": random.random(), "numpy": int(np.random.randint(1 << 30)),
                "rand": lib.rand(3).tolist()}


class EnvProbe(jud.Dataset):
    """A worker's JAX platform and environment variable `name`."""

    def __init__(self, name):
        self.name = name

    def __len__(self):
        return 2

    def __getitem__(self, i):
        import os
        import jax
        return jax.config.jax_platforms, os.environ.get(self.name), jax.default_backend()
