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
