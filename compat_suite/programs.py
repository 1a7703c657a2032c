"""Run each compat_suite/programs/*.py under real torch and under `python -m torchjax`, and compare
stdout: exactly, or number by number within the tolerance stated at the top of the program:

    # compat: rtol=1e-5 atol=1e-6

python -m compat_suite.programs [NAME...] prints the verdict for each program."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")
ROOT = os.path.dirname(HERE)
TIMEOUT_S = 300

_NUMBER = re.compile(r"([-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b)")


def programs():
    return sorted(f for f in os.listdir(PROGRAMS) if f.endswith(".py"))


def tolerance(path):
    """(rtol, atol) from a '# compat: rtol=.. atol=..' line in the first 5 lines, or None."""
    with open(path) as f:
        head = [next(f, "") for _ in range(5)]
    for line in head:
        m = re.match(r"#\s*compat:(.*)", line.strip())
        if m:
            vals = dict(re.findall(r"(rtol|atol)\s*=\s*([0-9.eE+-]+)", m.group(1)))
            return float(vals.get("rtol", 0)), float(vals.get("atol", 0))
    return None


def run(path, runner):
    """CompletedProcess of the program under 'torch' (python script) or 'torchjax'."""
    cmd = [sys.executable, path] if runner == "torch" else [sys.executable, "-m", "torchjax", path]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONHASHSEED="0")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=PROGRAMS,
                          env=env)


def diff(expected, actual, tol=None):
    """'' when the outputs agree, else a description of the first difference."""
    e_lines, a_lines = expected.splitlines(), actual.splitlines()
    for n, (e, a) in enumerate(zip(e_lines, a_lines), 1):
        if e != a and (tol is None or not _close_line(e, a, *tol)):
            return f"line {n}:\n  torch:    {e}\n  torchjax: {a}"
    if len(e_lines) != len(a_lines):
        n = min(len(e_lines), len(a_lines))
        more = e_lines[n] if len(e_lines) > n else a_lines[n]
        who = "torch" if len(e_lines) > n else "torchjax"
        return f"line {n + 1}: only {who} prints: {more}"
    return ""


def _close_line(e, a, rtol, atol):
    """Same text between numbers, numbers within |a - e| <= atol + rtol * |e|."""
    et, at = _NUMBER.split(e), _NUMBER.split(a)
    if len(et) != len(at):
        return False
    for i, (x, y) in enumerate(zip(et, at)):
        if i % 2 == 0:  # text between numbers
            if x != y:
                return False
            continue
        fx, fy = float(x), float(y)
        if fx != fy and not (fx != fx and fy != fy) and not abs(fy - fx) <= atol + rtol * abs(fx):
            return False
    return True


def check(name):
    """'' when the program prints the same under both, else why not."""
    path = os.path.join(PROGRAMS, name)
    ref = run(path, "torch")
    if ref.returncode != 0:
        return f"fails under torch (exit {ref.returncode}):\n{ref.stderr[-2000:]}"
    got = run(path, "torchjax")
    if got.returncode != 0:
        return f"fails under torchjax (exit {got.returncode}):\n{got.stderr[-2000:]}"
    d = diff(ref.stdout, got.stdout, tolerance(path))
    return f"stdout differs at {d}" if d else ""


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or programs()
    bad = 0
    for name in names:
        why = check(name if name.endswith(".py") else name + ".py")
        bad += bool(why)
        print(f"{name}: {'ok' if not why else 'FAIL ' + why}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
