"""python -m compat_suite.run [--ops a,b] [--out report.md] [--json results.json] [-j N]
[--update-baseline] [--target torch]

Runs the OpInfo comparison, prints a per-family table and the failing entries, writes them as
Markdown. `--target torch` compares torch with itself (a self-test of the harness)."""
import argparse
import importlib
import json
import multiprocessing as mp
import os
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINE = os.path.join(HERE, "baseline.json")


def select(ops_arg):
    """op_db entries named in ops_arg ('name' takes all its variants, 'name:variant' one)."""
    from .opinfo import entry_key, op_db
    db = op_db()
    if not ops_arg:
        return db
    wanted = set(ops_arg.split(","))
    chosen = [op for op in db if op.name in wanted or entry_key(op) in wanted]
    unknown = wanted - {op.name for op in chosen} - {entry_key(op) for op in chosen}
    if unknown:
        sys.exit(f"unknown op_db entries: {', '.join(sorted(unknown))}")
    return chosen


def _work(args):
    """Worker: run the entries at these op_db positions."""
    target, keys = args
    import warnings
    warnings.simplefilter("ignore")
    from .opinfo import entry_key, op_db, run_entry
    tj = importlib.import_module(target)
    wanted = set(keys)
    return [run_entry(op, tj).to_dict() for op in op_db() if entry_key(op) in wanted]


def run(entries, target="torchjax", jobs=1, progress=False):
    """Results (dicts, in op_db order) for the given op_db entries."""
    from .opinfo import entry_key
    keys = [entry_key(op) for op in entries]
    if jobs <= 1:
        import warnings
        warnings.simplefilter("ignore")
        from .opinfo import run_entry
        tj = importlib.import_module(target)
        out = []
        for op in entries:
            out.append(run_entry(op, tj).to_dict())
            if progress:
                r = out[-1]
                print(f"  {r['key']}: {r['status']} {r['seconds']}s", file=sys.stderr, flush=True)
        return out
    chunks = [(target, keys[i::jobs * 4]) for i in range(jobs * 4)]
    with mp.get_context("spawn").Pool(jobs) as pool:
        parts = pool.map(_work, chunks)
    by_key = {r["key"]: r for part in parts for r in part}
    return [by_key[k] for k in keys]


def forward_ok(r):
    return r["status"] == "tested" and not r["forward_fail"]


def grad_ok(r):
    return forward_ok(r) and r["grad_samples"] > 0 and not r["grad_fail"]


def report(results, seconds):
    """Markdown: a table per family, then failing entries with their first failure."""
    fams = defaultdict(list)
    for r in results:
        fams[r["family"]].append(r)
    lines = ["# torchjax OpInfo comparison", "",
             f"{len(results)} op_db entries, run in {seconds:.0f} s.", "",
             "| family | entries | present | forward-exact | gradient-exact (of with grad) "
             "| error inputs matched | missing | excluded | skipped (torch) |",
             "|---|---|---|---|---|---|---|---|---|"]
    tot = defaultdict(int)
    plain = ["pointwise", "reduction", "shape", "indexing", "other"]
    for fam in sorted(fams, key=lambda f: (f in plain, plain.index(f) if f in plain else 0, f)):
        rs = fams[fam]
        row = dict(
            entries=len(rs),
            present=sum(r["status"] == "tested" for r in rs),
            fwd=sum(forward_ok(r) for r in rs),
            grad=sum(grad_ok(r) for r in rs),
            with_grad=sum(r["grad_samples"] > 0 for r in rs),
            err=sum(r["errors_matched"] for r in rs),
            err_total=sum(r["errors_total"] for r in rs),
            missing=sum(r["status"] == "missing" for r in rs),
            excluded=sum(r["status"] == "excluded" for r in rs),
            skipped=sum(r["status"] == "skipped (torch)" for r in rs))
        for k, v in row.items():
            tot[k] += v
        lines.append(_row(fam, row))
    lines.append(_row("**all**", tot))
    failing = [r for r in results if r["status"] == "tested" and
               (r["forward_fail"] or r["grad_fail"] or r["errors_fail"])]
    lines += ["", f"## Failing entries ({len(failing)})", ""]
    for r in failing:
        parts = [p for p in (r["forward_fail"] and "forward: " + r["forward_fail"],
                             r["grad_fail"] and r["grad_fail"],
                             r["errors_fail"] and r["errors_fail"]) if p]
        lines.append(f"- `{r['key']}` — " + " | ".join(p.replace("|", "\\|") for p in parts))
    skipped = [r for r in results if r["status"] == "skipped (torch)"]
    lines += ["", f"## Skipped (torch) ({len(skipped)})", ""]
    lines += [f"- `{r['key']}` — {r['reason']}" for r in skipped]
    missing = [r["key"] for r in results if r["status"] == "missing"]
    lines += ["", f"## Missing ({len(missing)})", "", ", ".join(f"`{k}`" for k in missing)]
    return "\n".join(lines) + "\n"


def _row(name, d):
    return (f"| {name} | {d['entries']} | {d['present']} | {d['fwd']} | "
            f"{d['grad']} / {d['with_grad']} | {d['err']} / {d['err_total']} | {d['missing']} | "
            f"{d['excluded']} | {d['skipped']} |")


def baseline(results):
    """{key: {forward, grad, errors_matched}} for the entries whose forward passes."""
    return {r["key"]: {"forward": True, "grad": grad_ok(r), "errors_matched": r["errors_matched"]}
            for r in results if forward_ok(r)}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m compat_suite.run")
    p.add_argument("--ops", help="comma-separated op_db names or name:variant keys")
    p.add_argument("--out", default=os.path.join(HERE, "report.md"))
    p.add_argument("--json", help="also write the raw results here")
    p.add_argument("-j", "--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--target", default="torchjax", help="module to compare with torch")
    p.add_argument("--update-baseline", action="store_true",
                   help=f"write the passing entries to {os.path.relpath(BASELINE)}")
    p.add_argument("-v", "--verbose", action="store_true", help="print each entry as it ends")
    a = p.parse_args(argv)
    start = time.perf_counter()
    results = run(select(a.ops), a.target, a.jobs, a.verbose)
    seconds = time.perf_counter() - start
    text = report(results, seconds)
    print(text)
    with open(a.out, "w") as f:
        f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if a.update_baseline:
        if a.ops:
            sys.exit("--update-baseline needs the full run (no --ops)")
        with open(BASELINE, "w") as f:
            json.dump(baseline(results), f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
