"""Run torch's module_db samples through torch and the target, and compare.

python -m compat_suite.modules [--modules nn.Linear,nn.LSTM] [--out modules_report.md]
[--update-baseline] [--target torch]

For every module_db entry whose class the target provides, in train mode (and eval mode where
the entry says they differ), each sample builds the module in both libraries, copies torch's
state_dict into the target's with `load_state_dict(strict=True)`, runs the same forward input
(both generators seeded alike, so dropout masks agree), and compares outputs, the state_dict
after the forward (running statistics), and the gradients of sum(out * cotangent) w.r.t. every
input that requires grad and every parameter. An entry passes when all its samples pass."""
import argparse
import importlib
import json
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .compare import compare
from .convert import Converter, attr_path, dtype_name, make_target, torch_numpy
from .opinfo import COTANGENT_SEED, SAMPLE_LIMIT_S, _cotangent, _flatten, _loss, _seed, \
    _time_limit, reason

# Gradients (parameter gradients sum over batch and positions) are compared at rtol=atol=1e-4:
# float32 accumulation order differs between XLA and torch's kernels (measured differences up to
# 8.6e-5 on values near 1, in conv3d/ctc_loss/layer_norm weight grads). Outputs keep torch's
# default float32 tolerances.
GRAD_TOL = 1e-4
HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.path.join(HERE, "module_baseline.json")


def module_db():
    from torch.testing._internal.common_modules import module_db as db
    return db


@dataclass
class ModuleResult:
    key: str
    status: str  # 'missing' | 'skipped (torch)' | 'tested'
    reason: str = ""
    samples: int = 0
    forward_fail: str = ""
    grad_samples: int = 0
    grad_fail: str = ""
    seconds: float = 0.0

    @property
    def ok(self):
        return self.status == "tested" and not self.forward_fail and not self.grad_fail


def _copy_state(tm, jm, tj):
    sd = {k: make_target(tj, torch_numpy(v), dtype_name(v.dtype))
          for k, v in tm.state_dict().items()}
    jm.load_state_dict(sd, strict=True)


def _compare_state(tm, jm):
    t_sd, j_sd = tm.state_dict(), jm.state_dict()
    if list(t_sd) != list(j_sd):
        raise AssertionError(f"state_dict keys {list(j_sd)}, expected {list(t_sd)}")
    for k, v in t_sd.items():
        compare(v, j_sd[k], where=f"state_dict[{k!r}] after forward")


def run_sample(info, jcls, s, training, tj):
    """(forward failure or '', grad status: '' passed, failure text, or None if none compared)."""
    conv = Converter(tj)
    ci, fi = s.constructor_input, s.forward_input
    try:
        torch.manual_seed(0)
        tm = info.module_cls(*ci.args, **ci.kwargs).train(training)
    except Exception:
        return "", None  # torch rejects this construction itself
    try:
        jm = jcls(*conv(ci.args), **conv(ci.kwargs)).train(training)
        j_args, j_kwargs = conv(fi.args), conv(fi.kwargs)
        if info.is_lazy:  # parameters take their shapes from a first forward
            with torch.no_grad():
                tm(*fi.args, **fi.kwargs)
            with tj.no_grad():
                jm(*j_args, **j_kwargs)
        _copy_state(tm, jm, tj)
    except Exception as e:
        return "construct: " + reason(e), None
    torch.manual_seed(1)
    try:
        expected = tm(*fi.args, **fi.kwargs)
        t_err = None
    except Exception as e:
        t_err = e
    tj.manual_seed(1)
    try:
        with _time_limit(SAMPLE_LIMIT_S):
            actual = jm(*j_args, **j_kwargs)
    except Exception as e:
        return ("", None) if t_err is not None else (reason(e), None)
    if t_err is not None:
        return f"torch raised {reason(t_err)}; target returned", None
    try:
        compare(expected, actual)
        _compare_state(tm, jm)
    except Exception as e:
        return reason(e, 300), None
    return "", _grads(tm, jm, expected, actual, conv.grad_pairs, tj)


def _grads(tm, jm, expected, actual, in_pairs, tj):
    j_params = dict(jm.named_parameters())
    pairs = list(in_pairs) + [(p, j_params[n]) for n, p in tm.named_parameters()
                              if p.requires_grad and n in j_params]
    t_outs = _flatten(expected, [])
    sel = [i for i, o in enumerate(t_outs) if isinstance(o, torch.Tensor) and o.requires_grad
           and o.is_floating_point()]
    if not sel or not pairs:
        return None
    rng = np.random.default_rng(COTANGENT_SEED)
    cts = [_cotangent(rng, t_outs[i], tj) for i in sel]
    try:
        t_loss = _loss([t_outs[i] for i in sel], [c[0] for c in cts], None, None)
        t_grads = torch.autograd.grad(t_loss, [p[0] for p in pairs], allow_unused=True)
    except Exception:
        return None
    try:
        with _time_limit(SAMPLE_LIMIT_S):
            j_outs = _flatten(actual, [])
            j_loss = _loss([j_outs[i] for i in sel], [c[1] for c in cts], None, None)
            j_grads = tj.autograd.grad(j_loss, [p[1] for p in pairs], allow_unused=True)
        for i, (tg, jg, (t_x, j_x)) in enumerate(zip(t_grads, j_grads, pairs)):
            if tg is None and jg is None:
                continue
            compare(torch.zeros_like(t_x) if tg is None else tg,
                    tj.zeros_like(j_x) if jg is None else jg, GRAD_TOL, GRAD_TOL,
                    where=f"grad[{i}]")
    except Exception as e:
        return "grad " + reason(e, 300)
    return ""


def run_module(info, tj):
    start = time.perf_counter()
    clear = getattr(getattr(getattr(tj, "_ops", None), "registry", None), "clear_caches", None)
    if clear is not None:
        clear()
    res = ModuleResult(info.name, "tested")
    jcls = attr_path(tj, info.name)
    if jcls is None:
        res.status = "missing"
        return res
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for training in ((True, False) if info.train_and_eval_differ else (True,)):
            _seed()
            try:
                samples = info.module_inputs_func(info, device="cpu", dtype=torch.float32,
                                                  requires_grad=True, training=training)
            except Exception as e:
                res.status, res.reason = "skipped (torch)", "module_inputs_func: " + reason(e)
                return res
            mode = "train" if training else "eval"
            for i, s in enumerate(samples):
                fwd, g = run_sample(info, jcls, s, training, tj)
                res.samples += 1
                if fwd and not res.forward_fail:
                    res.forward_fail = f"{mode} sample {i} ({s.desc}): {fwd}"
                if g is not None:
                    res.grad_samples += 1
                    if g and not res.grad_fail:
                        res.grad_fail = f"{mode} sample {i} ({s.desc}): {g}"
    res.seconds = round(time.perf_counter() - start, 3)
    return res


def report(results, seconds):
    present = [r for r in results if r.status == "tested"]
    ok = [r for r in present if r.ok]
    lines = ["# module_db comparison", "",
             f"{len(results)} module_db entries, {len(present)} provided by torchjax, "
             f"**{len(ok)} pass forward and backward** "
             f"({100.0 * len(ok) / max(len(present), 1):.1f}% of those provided); "
             f"{seconds:.0f} s.", "",
             "| entry | samples | forward | gradients | first failure |", "|---|---|---|---|---|"]
    for r in results:
        if r.status != "tested":
            continue
        fail = (r.forward_fail or r.grad_fail).replace("|", "\\|")
        lines.append(f"| {r.key} | {r.samples} | {'ok' if not r.forward_fail else 'FAIL'} | "
                     f"{'ok' if not r.grad_fail else 'FAIL'} ({r.grad_samples}) | {fail} |")
    missing = [r.key for r in results if r.status == "missing"]
    lines += ["", f"Not provided ({len(missing)}): " + ", ".join(missing)]
    skipped = [f"{r.key} ({r.reason})" for r in results if r.status.startswith("skipped")]
    if skipped:
        lines += ["", "Skipped by torch: " + "; ".join(skipped)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m compat_suite.modules")
    p.add_argument("--modules", help="comma-separated module_db names (nn.Linear,...)")
    p.add_argument("--out", default=os.path.join(HERE, "modules_report.md"))
    p.add_argument("--target", default="torchjax")
    p.add_argument("--update-baseline", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--strict-grads", action="store_true",
                   help="compare gradients at torch's default float32 tolerances")
    a = p.parse_args(argv)
    if a.strict_grads:
        global GRAD_TOL
        GRAD_TOL = None
    tj = importlib.import_module(a.target)
    db = module_db()
    if a.modules:
        wanted = set(a.modules.split(","))
        db = [m for m in db if m.name in wanted]
    start, results = time.perf_counter(), []
    for info in db:
        results.append(run_module(info, tj))
        if a.verbose:
            r = results[-1]
            print(f"  {r.key}: {r.status} {'ok' if r.ok else (r.forward_fail or r.grad_fail)[:150]}"
                  f" {r.seconds}s", file=sys.stderr, flush=True)
    text = report(results, time.perf_counter() - start)
    print(text)
    with open(a.out, "w") as f:
        f.write(text)
    if a.update_baseline:
        if a.modules:
            sys.exit("--update-baseline needs the full run (no --modules)")
        with open(BASELINE, "w") as f:
            json.dump(sorted(r.key for r in results if r.ok), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
