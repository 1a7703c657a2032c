"""Pooling and unfold: torchjax eager vs a hand-written jax.jit function vs PyTorch eager.

Forward, and forward+backward (autograd.grad w.r.t. the input, ones as the output gradient), at
ResNet-like sizes. One process per framework, like run.py (whose timing helper this reuses).
Usage: python benchmarks/nn_ops.py [--quick] [--single-thread]
(--single-thread: one thread for torch and XLA alike, steadier figures on a busy machine)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, _timeit as _timeit_once, print_table, run_workers  # noqa: E402

REPEATS = 3


def _timeit(fn, sync, min_time):
    """Best of a few timings: the machine is shared, so the minimum is the stable figure."""
    return min(_timeit_once(fn, sync, min_time) for _ in range(REPEATS))


# name: (function, input shape, kwargs)
WORKLOADS = {
    "max_pool2d k3 s2 p1": ("max_pool2d", (16, 64, 56, 56),
                            dict(kernel_size=3, stride=2, padding=1)),
    "max_pool2d k2 s2": ("max_pool2d", (16, 64, 32, 32), dict(kernel_size=2, stride=2)),
    "max_pool2d+indices k3s2p1": ("max_pool2d", (16, 64, 56, 56),
                                  dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
    "avg_pool2d k2": ("avg_pool2d", (16, 64, 32, 32), dict(kernel_size=2)),
    "adaptive_avg_pool2d 1x1": ("adaptive_avg_pool2d", (16, 512, 7, 7), dict(output_size=(1, 1))),
    "unfold k3 p1": ("unfold", (8, 64, 28, 28), dict(kernel_size=3, padding=1)),
    "fold k3 p1": ("fold", (8, 576, 784), dict(output_size=(28, 28), kernel_size=3, padding=1)),
}


def _first(r):
    """The pooled values of a (values, indices) result."""
    return r[0] if isinstance(r, tuple) else r


def _jax_fns():
    """The floor: each workload written directly against lax, differentiated by JAX (for max
    pooling that is XLA's select_and_scatter_add)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def pool(x, k, s, p, init, fn):
        return lax.reduce_window(x, init, fn, (1, 1, k, k), (1, 1, s, s),
                                 ((0, 0), (0, 0), (p, p), (p, p)))

    def max_with_indices(x, k=3, s=2, p=1):
        # one variadic reduce_window over (value, flat index): torch's order (NaN, then larger,
        # then the first position); the value is gathered at the index so gradients follow it
        W = x.shape[-1]
        pos = lax.broadcasted_iota(jnp.int32, x.shape, 2) * W + lax.broadcasted_iota(
            jnp.int32, x.shape, 3)

        def pick(a, b):
            (va, ia), (vb, ib) = a, b
            na, nb = jnp.isnan(va), jnp.isnan(vb)
            take = jnp.where(na | nb, nb & (~na | (ib > ia)), (vb > va) | ((vb == va) & (ib < ia)))
            return jnp.where(take, vb, va), jnp.where(take, ib, ia)
        init = (jnp.array(-jnp.inf, x.dtype), jnp.array(2 ** 30, jnp.int32))
        _, idx = lax.reduce_window((lax.stop_gradient(x), pos), init, pick, (1, 1, k, k),
                                   (1, 1, s, s), ((0, 0), (0, 0), (p, p), (p, p)))
        flat = x.reshape(x.shape[:2] + (-1,))
        val = jnp.take_along_axis(flat, idx.reshape(idx.shape[:2] + (-1,)), -1)
        return val.reshape(idx.shape), idx.astype(jnp.int64)

    def unfold(x, k=3, p=1):
        # strided slices (lax.conv_general_dilated_patches is ~10x slower on CPU, ~100x with grad)
        xp = jnp.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        h, w = xp.shape[2] - k + 1, xp.shape[3] - k + 1
        cols = jnp.stack([xp[:, :, i:i + h, j:j + w] for i in range(k) for j in range(k)], 2)
        return cols.reshape(x.shape[0], -1, h * w)

    return {
        "max_pool2d k3 s2 p1": lambda x: pool(x, 3, 2, 1, -jnp.inf, lax.max),
        "max_pool2d k2 s2": lambda x: pool(x, 2, 2, 0, -jnp.inf, lax.max),
        "max_pool2d+indices k3s2p1": max_with_indices,
        "avg_pool2d k2": lambda x: pool(x, 2, 2, 0, 0.0, lax.add) / 4,
        "adaptive_avg_pool2d 1x1": lambda x: x.mean((2, 3), keepdims=True),
        "unfold k3 p1": unfold,
        # fold is unfold's transpose
        "fold k3 p1": lambda c: jax.linear_transpose(unfold, jnp.zeros((8, 64, 28, 28), c.dtype))(
            c.reshape(8, 576, 784))[0],
    }


def worker(framework, min_time):
    import numpy as np
    res = {}
    rng = np.random.default_rng(0)
    if framework.startswith("jax"):
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        opts = {"xla_cpu_use_fusion_emitters": False} if framework == "jax+opts" else None
        sync = jax.block_until_ready
        for name, f in _jax_fns().items():
            x = jnp.asarray(rng.standard_normal(WORKLOADS[name][1], np.float32))
            fwd = jax.jit(f, compiler_options=opts)
            g = jnp.ones_like(_first(fwd(x)))
            bwd = jax.jit(lambda x, g, f=f: jax.vjp(lambda x: _first(f(x)), x)[1](g),
                          compiler_options=opts)
            res[f"{name} fwd"] = _timeit(lambda: fwd(x), sync, min_time)
            res[f"{name} fwd+bwd"] = _timeit(lambda: bwd(x, g), sync, min_time)
    else:
        if framework == "torch":
            import torch as lib
            if os.environ.get("OMP_NUM_THREADS") == "1":
                lib.set_num_threads(1)
            sync = lambda r: None
        else:
            import torchjax as lib
            sync = lambda r: _first(r)._value.block_until_ready()
        F = lib.nn.functional
        for name, (fn, shape, kw) in WORKLOADS.items():
            f = getattr(F, fn)
            x = lib.from_numpy(rng.standard_normal(shape, np.float32))
            xr = x.clone().requires_grad_(True)
            g = lib.ones_like(_first(f(x, **kw)))

            def fb(f=f, kw=kw, g=g, xr=xr):
                return lib.autograd.grad(_first(f(xr, **kw)), [xr], g)
            with lib.no_grad():
                res[f"{name} fwd"] = _timeit(lambda: f(x, **kw), sync, min_time)
            res[f"{name} fwd+bwd"] = _timeit(fb, sync, min_time)
    print(json.dumps(res))


def main():
    min_time = 0.03 if "--quick" in sys.argv else 0.1
    env = {**os.environ, "PYTHONPATH": ROOT}
    if "--single-thread" in sys.argv:
        env.update(OMP_NUM_THREADS="1", XLA_FLAGS=env.get("XLA_FLAGS", "") +
                   " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    print_table(run_workers(__file__, min_time, env), 36)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], float(sys.argv[3]))
    else:
        main()
