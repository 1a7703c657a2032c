"""Run torch's optim_db configurations through torch and torchjax, and compare.

python -m compat_suite.optim [--optims SGD,Adam] [--steps 5] [-v]

For every optim_db entry whose class torchjax.optim provides, each CPU float32 configuration of
its ``optim_inputs_func`` builds equal parameters (a weight, a bias and a second group) in both
frameworks, runs the same steps with identical gradients (LBFGS: a closure over a quadratic
loss), and compares the parameters after each step and the optimizer state_dict at the end.
Error inputs (raised at construction or at the first step, and warnings) are compared by
exception type and message.
"""
import argparse
import re
import sys
import warnings

import numpy as np
import torch

import torchjax

RTOL, ATOL = 1.3e-6, 1e-5
# LBFGS runs 20 quasi-Newton iterations per step (dot products, divisions by curvature): float32
# rounding differences of the reductions are amplified, so it is compared more loosely.
LOOSE = {"LBFGS": (1e-4, 1e-4)}
_tol = [RTOL, ATOL]


def optim_db():
    from torch.testing._internal.common_optimizers import optim_db as db
    return db


def to_tj(v):
    """torch values (tensors inside kwargs, tuples, dicts) -> torchjax values."""
    if isinstance(v, torch.nn.Parameter):
        return torchjax.nn.Parameter(torchjax.tensor(v.detach().numpy()), v.requires_grad)
    if isinstance(v, torch.Tensor):
        return torchjax.tensor(v.detach().numpy())
    if isinstance(v, dict):
        return {k: to_tj(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(to_tj(x) for x in v)
    return v


def np_of(v):
    if isinstance(v, (torch.Tensor, torchjax.Tensor)):
        return np.asarray(v.detach().numpy() if isinstance(v, torch.Tensor) else v.detach())
    return v


def close(a, b, what):
    if isinstance(a, dict):
        if set(a) != set(b):
            raise AssertionError(f"{what}: keys {sorted(map(str, a))} vs {sorted(map(str, b))}")
        for k in a:
            close(a[k], b[k], f"{what}[{k!r}]")
        return
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise AssertionError(f"{what}: length {len(a)} vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{what}[{i}]")
        return
    if isinstance(a, torch.Tensor):
        if not isinstance(b, torchjax.Tensor):
            raise AssertionError(f"{what}: tensor vs {type(b).__name__}")
        if str(a.dtype) != str(b.dtype) or tuple(a.shape) != tuple(b.shape):
            raise AssertionError(f"{what}: {a.dtype}{tuple(a.shape)} vs {b.dtype}{tuple(b.shape)}")
        if not np.allclose(np_of(b), np_of(a), rtol=_tol[0], atol=_tol[1], equal_nan=True):
            err = np.max(np.abs(np_of(b) - np_of(a)))
            raise AssertionError(f"{what}: values differ (max abs err {err:.3g})")
        return
    if isinstance(a, float) and isinstance(b, float):
        if not np.isclose(a, b, rtol=_tol[0], atol=_tol[1] * 1e-3, equal_nan=True):
            raise AssertionError(f"{what}: {a!r} vs {b!r}")
        return
    if a != b:
        raise AssertionError(f"{what}: {a!r} vs {b!r}")


# Muon takes only matrices: a tall one, a wide one and a square one (both orientations of its
# Newton-Schulz iteration)
SHAPES = {"Muon": ((4, 3), (2, 5), (2, 2))}


def _params(lib, rng_seed=0, name=None):
    rng = np.random.default_rng(rng_seed)
    shapes = SHAPES.get(name, ((4, 3), (4,), (2, 2)))
    vals = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    mk = (lambda a: torch.nn.Parameter(torch.tensor(a))) if lib is torch else \
        (lambda a: torchjax.nn.Parameter(torchjax.tensor(a)))
    return [mk(v) for v in vals]


def _loss(lib, ps, x):
    w, b, c = ps
    y = ((w @ x).t() + b - 1).pow(2).sum() + (c * c).sum() * 0.5
    return y


def run_config(name, config, steps=5):
    tcls, jcls = getattr(torch.optim, name), getattr(torchjax.optim, name)
    _tol[:] = LOOSE.get(name, (RTOL, ATOL))
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("foreach", "fused")}
    tp, jp = _params(torch, name=name), _params(torchjax, name=name)
    if config.params is not None:
        return "skipped (explicit params)"
    topt = tcls([{"params": tp[:2]}, {"params": tp[2:], "lr": 0.05}] if name != "LBFGS"
                else tp, **kwargs)
    jopt = jcls([{"params": jp[:2]}, {"params": jp[2:], "lr": 0.05}] if name != "LBFGS"
                else jp, **to_tj(kwargs))
    close(topt.state_dict(), jopt.state_dict(), "initial state_dict")
    if repr(topt) != repr(jopt) and "tensor" not in repr(topt):
        raise AssertionError(f"repr differs:\n{topt!r}\nvs\n{jopt!r}")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2)).astype(np.float32)
    tx, jx = torch.tensor(x), torchjax.tensor(x)
    for i in range(steps):
        if name == "LBFGS":
            def tclosure():
                topt.zero_grad()
                loss = _loss(torch, tp, tx)
                loss.backward()
                return loss

            def jclosure():
                jopt.zero_grad()
                loss = _loss(torchjax, jp, jx)
                loss.backward()
                return loss
            lt, lj = topt.step(tclosure), jopt.step(jclosure)
            close(lt, lj, f"step {i} loss")
        else:
            for k, (a, b) in enumerate(zip(tp, jp)):
                if i == 2 and k == 1:  # a param without grad is skipped
                    a.grad = b.grad = None
                    continue
                g = rng.standard_normal(a.shape).astype(np.float32)
                a.grad, b.grad = torch.tensor(g), torchjax.tensor(g)
            topt.step()
            jopt.step()
        close([p.detach() for p in tp], [p.detach() for p in jp], f"params after step {i + 1}")
    ts, js = topt.state_dict(), jopt.state_dict()
    if name == "LBFGS":
        # after convergence its curvature history is rounding noise (differences of nearly equal
        # gradients) and the line search branches on it: compare the layout, not those values
        close(ts["param_groups"], js["param_groups"], "state_dict param_groups")
        close(sorted(ts["state"][0]), sorted(js["state"][0]), "state keys")
        return None
    close(ts, js, "state_dict")
    return None


def run_error(name, err):
    cfg = err.optimizer_error_input
    on_step = err.error_on.name == "STEP_ERROR"
    tcls, jcls = getattr(torch.optim, name), getattr(torchjax.optim, name)
    kwargs = cfg.kwargs
    tparams = cfg.params if cfg.params is not None else _params(torch, name=name)[:2]
    jparams = to_tj(tparams)
    if isinstance(tparams, list) and tparams and isinstance(tparams[0], torch.nn.Parameter) \
            and tparams[0] is tparams[-1]:
        jparams = [jparams[0]] * len(tparams)
    if isinstance(tparams, list) and tparams and isinstance(tparams[0], dict) and \
            all(g["params"] is tparams[0]["params"] for g in tparams):
        shared = jparams[0]["params"]
        for g in jparams:
            g["params"] = shared
    if err.error_type is UserWarning:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            jcls(jparams, **to_tj(kwargs))
        if not any(re.search(err.error_regex, str(x.message)) for x in w):
            raise AssertionError(f"no warning matching {err.error_regex!r}")
        return None
    try:
        opt = jcls(jparams, **to_tj(kwargs))
        if on_step:
            for g in opt.param_groups:
                for p in g["params"]:
                    p.grad = torchjax.ones_like(p)
            opt.step()
    except Exception as e:  # noqa: BLE001
        if type(e) is not err.error_type or not re.search(err.error_regex, str(e)):
            raise AssertionError(f"{type(e).__name__}({e}) vs {err.error_type.__name__}"
                                 f"({err.error_regex})")
        return None
    raise AssertionError(f"no error; torch raises {err.error_type.__name__}({err.error_regex})")


def run(names=None, steps=5, verbose=False):
    results = {}
    for info in optim_db():
        name = info.optim_cls.__name__
        if not hasattr(torchjax.optim, name) or (names and name not in names):
            continue
        passed, total, fails = 0, 0, []
        items = [("config", c) for c in info.optim_inputs_func("cpu", torch.float32)]
        items += [("error", e) for e in info.optim_error_inputs_func("cpu", torch.float32)]
        for kind, item in items:
            desc = item.desc if kind == "config" else item.optimizer_error_input.desc
            try:
                torch.manual_seed(0)
                r = run_config(name, item, steps) if kind == "config" else run_error(name, item)
            except Exception as e:  # noqa: BLE001
                total += 1
                fails.append(f"{kind} {desc!r}: {type(e).__name__}: {str(e)[:300]}")
                continue
            if r is None:
                total += 1
                passed += 1
            elif verbose:
                print(f"  {name} {kind} {desc!r}: {r}")
        results[name] = (passed, total, fails)
    return results


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--optims", default="")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args(argv)
    res = run([n for n in a.optims.split(",") if n], a.steps, a.v)
    ok = True
    for name, (p, t, fails) in res.items():
        print(f"{name}: {p}/{t}")
        for f in fails:
            print("   FAIL", f)
        ok &= p == t
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
