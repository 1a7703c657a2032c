"""``jax.jit`` with torchjax's XLA compile options; every executable torchjax builds comes from here.

On the CPU, XLA's fusion emitters (its default since 2025) run each elementwise kernel on one
thread. XLA's previous emitter splits the loop across cores and gives bit-identical results:
a 1024x1024 float32 add takes 90-115 us instead of 175-190 us on 2 cores (torch: 66 us).
The option is probed once, at the first executable made, so a jaxlib without it, another
backend, ``TORCHJAX_XLA_OPTIONS=0`` or the option already set in ``XLA_FLAGS`` keep XLA's defaults.
"""
import functools
import os

import jax
import numpy as np

_CPU_OPTIONS = {"xla_cpu_use_fusion_emitters": False}
_OPTIONS = []


def options():
    """The compile options torchjax passes to XLA (None: XLA's defaults)."""
    if not _OPTIONS:
        _OPTIONS.append(_probe())
    return _OPTIONS[0]


def _probe():
    if (os.environ.get("TORCHJAX_XLA_OPTIONS", "1") == "0"
            or "xla_cpu_use_fusion_emitters" in os.environ.get("XLA_FLAGS", "")):
        return None
    try:
        if jax.default_backend() != "cpu":
            return None
        jax.jit(lambda x: x + 1, compiler_options=_CPU_OPTIONS).lower(np.float32(0)).compile()
    except Exception:  # an XLA without the option: "No such compile option"
        return None
    return dict(_CPU_OPTIONS)


def jit(f, **kw):
    """The jitted f. Under an outer jit's trace JAX refuses compile options (see nested)."""
    return jax.jit(f, compiler_options=options(), **kw)


def nested(e):
    """True for JAX's refusal of compile options on a jit inside another jit's trace: the caller
    then runs the function unjitted, inlined into the outer trace."""
    return type(e) is ValueError and "`compiler_options` can only be passed" in str(e)


def lazy_jit(f=None, **kw):
    """jit for code off the per-op hot path: made at the first call (not at import), and run
    unjitted inside an outer jit's trace."""
    if f is None:
        return functools.partial(lazy_jit, **kw)
    box = []

    @functools.wraps(f)
    def run(*args, **kwargs):
        if not box:
            box.append(jit(f, **kw))
        try:
            return box[0](*args, **kwargs)
        except ValueError as e:
            if not nested(e):
                raise
        return f(*args, **kwargs)
    run._cache_size = lambda: box[0]._cache_size() if box else 0
    return run
