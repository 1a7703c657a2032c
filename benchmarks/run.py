"""Side-by-side timings: torchjax eager vs a bare jax.jit call of the same function vs PyTorch eager.
A fourth column jits with the XLA compile options torchjax uses (torchjax/_jit.py), so the
eager overhead can be read apart from the kernels those options change.

One process per framework (so imports and threads don't interfere), same workloads, reported as
ratios. Usage: python benchmarks/run.py [--quick]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORKLOADS = ["add", "mul_scalar", "tanh", "sum", "matmul"]
SIZES = [64, 1024]
CHAIN = 30
PASSES = 2


def _timeit(fn, sync, min_time, repeats=7):
    """Best of `repeats` timed runs (µs per call), each run long enough (min_time / repeats) to
    swamp the timer; the minimum is the least disturbed by a noisy machine."""
    fn()
    sync(fn())
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            r = fn()
        sync(r)
        if time.perf_counter() - t0 > min_time / repeats:
            break
        n *= 2
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            r = fn()
        sync(r)
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e6


def _chain(x, w, lib):
    h = x
    for i in range(CHAIN // 3):
        h = lib.tanh(h * w + 0.1)
    return h.sum()


def worker(framework, min_time):
    res = {}
    if framework == "torch":
        import torch as lib
        mk = lambda n: lib.rand(n, n)
        sync = lambda r: None
        grad = lambda f, x, w: lib.autograd.grad(f(x, w), [w])
    elif framework == "torchjax":
        import torchjax as lib
        mk = lambda n: lib.rand(n, n) if hasattr(lib, "rand") else lib.ones(n, n)
        sync = lambda r: (r[0] if isinstance(r, tuple) else r)._value.block_until_ready()
        grad = lambda f, x, w: lib.autograd.grad(f(x, w), [w])
    else:
        import jax
        import jax.numpy as lib
        jax.config.update("jax_enable_x64", True)
        opts = {"xla_cpu_use_fusion_emitters": False} if framework == "jax+opts" else None
        jit = lambda f: jax.jit(f, compiler_options=opts)
        mk = lambda n: jax.numpy.ones((n, n), jax.numpy.float32)
        sync = lambda r: jax.block_until_ready(r)
    ops = {"add": lambda a, b: a + b, "mul_scalar": lambda a, b: a * 2.5,
           "tanh": lambda a, b: lib.tanh(a), "sum": lambda a, b: a.sum(),
           "matmul": lambda a, b: a @ b}
    for _ in range(PASSES):  # keep each workload's best pass: a process's first seconds are noisy
        _one_pass(framework, lib, mk, sync, jit if framework.startswith("jax") else grad, ops,
                  min_time, res)
    print(json.dumps(res))


def _one_pass(framework, lib, mk, sync, grad, ops, min_time, res):
    """grad: for the jax frameworks, the jit to use."""
    def keep(k, v):
        res[k] = min(v, res.get(k, v))
    is_jax = framework.startswith("jax")
    if is_jax:
        import jax
    for n in SIZES:
        a, b = mk(n), mk(n)
        for name in WORKLOADS:
            f = ops[name]
            if is_jax:
                jf = grad(f)
                keep(f"{name} {n}", _timeit(lambda: jf(a, b), sync, min_time))
            else:
                keep(f"{name} {n}", _timeit(lambda: f(a, b), sync, min_time))
        if is_jax:
            g = grad(jax.grad(lambda w, x: _chain(x, w, lib)))
            keep(f"chain fwd+bwd {n}", _timeit(lambda: g(b, a), sync, min_time))
            keep(f"add+grad-node {n}", res[f"add {n}"])
        else:
            w = b.clone().requires_grad_(True)
            keep(f"chain fwd+bwd {n}", _timeit(lambda: grad(lambda x, w: _chain(x, w, lib), a, w),
                                               sync, min_time))
            keep(f"add+grad-node {n}", _timeit(lambda: a + w, sync, min_time))


def startup(cmd):
    """Wall time of a fresh interpreter running cmd, with bytecode caching on (as for users)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = ROOT
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", cmd], check=True, cwd=ROOT, env=env)
    return time.perf_counter() - t0


def main():
    quick = "--quick" in sys.argv
    min_time = 0.05 if quick else 0.3
    print_table(run_workers(__file__, min_time, {**os.environ, "PYTHONPATH": ROOT}), 24)
    for m in ("jax", "torchjax", "torch"):
        startup(f"import {m}")  # warm the bytecode and OS caches
    imp = {m: min(startup(f"import {m}") for _ in range(5)) for m in ("jax", "torchjax", "torch")}
    print(f"\nimport time (best of 5): jax {imp['jax']:.2f}s, torchjax {imp['torchjax']:.2f}s "
          f"({imp['torchjax'] / imp['jax']:.2f}x jax), torch {imp['torch']:.2f}s")
    for script in ("examples/train_classifier.py", "compat_suite/programs/train_lstm_classifier.py"):
        print(f"{script} wall time: " + ", ".join(f"{k} {v:.2f}s" for k, v in
                                                 script_times(script).items()))


def run_workers(script, min_time, env):
    """{framework: {workload: µs}}: one process per framework running `script --worker`."""
    out = {}
    for fw in ["jax", "jax+opts", "torchjax", "torch"]:
        p = subprocess.run([sys.executable, script, "--worker", fw, str(min_time)],
                           capture_output=True, text=True, cwd=ROOT, env=env)
        if p.returncode:
            print(p.stderr[-2000:])
            sys.exit(1)
        out[fw] = json.loads(p.stdout.strip().splitlines()[-1])
    return out


def print_table(out, width):
    print(f"{'workload':{width}s} {'torchjax µs':>12s} {'jax.jit µs':>11s} {'jit+opts µs':>12s} "
          f"{'torch µs':>9s} {'tj/jit':>7s} {'tj/jit+opts':>11s} {'tj/torch':>8s}")
    for k in out["torchjax"]:
        tj, jx, jo, pt = (out[f][k] for f in ("torchjax", "jax", "jax+opts", "torch"))
        print(f"{k:{width}s} {tj:12.1f} {jx:11.1f} {jo:12.1f} {pt:9.1f} {tj / jx:7.2f} "
              f"{tj / jo:11.2f} {tj / pt:8.2f}")


def script_times(script):
    """Wall time of one script under torch, and under torchjax without the persistent compile
    cache, with an empty one (cold) and with that cache filled (warm)."""
    path = os.path.join(ROOT, script)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=ROOT, TORCHJAX_CACHE_DIR=tempfile.mkdtemp(prefix="tj-cache-"))
    t = {}
    for label, cmd in [("torch", [sys.executable, path]),
                       ("torchjax no compile cache", [sys.executable, "-m", "torchjax", path]),
                       ("torchjax cold cache", [sys.executable, "-m", "torchjax", path]),
                       ("torchjax warm cache", [sys.executable, "-m", "torchjax", path])]:
        env["TORCHJAX_COMPILE_CACHE"] = "0" if "no compile" in label else "1"
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=True)
        t[label] = time.perf_counter() - t0
    return t

if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], float(sys.argv[3]))
    else:
        main()
