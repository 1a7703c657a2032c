"""Shared test setup: keep compiled executables bounded in long test processes (each XLA CPU
executable holds memory mappings; past vm.max_map_count XLA fails with 'Cannot allocate memory')."""
import pytest


@pytest.fixture(autouse=True)
def _bounded_executables():
    yield
    try:
        with open("/proc/self/maps") as f:
            n = sum(1 for _ in f)
    except OSError:
        return
    if n > 20000:
        from torchjax._ops.registry import clear_caches
        clear_caches()
