"""glibc malloc settings for XLA's CPU buffers (Linux/glibc only; TORCHJAX_MALLOC_TUNING=0 skips).

By default glibc serves each large allocation (a 1024x1024 float32 activation is 4 MiB) with a
fresh mmap and unmaps it on free, so every new buffer page-faults on first touch. Eager autograd
keeps many such buffers alive at once, which made a 30-op forward+backward chain on 1024x1024
tensors 2.8x slower (benchmarks/run.py: 57 ms -> 20 ms, torch 22 ms). Serving blocks up to 32 MiB
from the heap and keeping up to 512 MiB of freed memory for reuse removes those faults.
"""
import ctypes
import os

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def tune():
    """Apply the settings; True when they were applied."""
    if os.environ.get("TORCHJAX_MALLOC_TUNING", "1") == "0":
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return False
        libc = ctypes.CDLL("libc.so.6")
    except (AttributeError, ValueError, OSError):  # not glibc
        return False
    return all(libc.mallopt(k, v) == 1 for k, v in (
        (_M_MMAP_THRESHOLD, 32 << 20), (_M_TRIM_THRESHOLD, 512 << 20), (_M_TOP_PAD, 64 << 20)))
