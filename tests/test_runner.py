"""`python -m torchjax SCRIPT` runs an unmodified PyTorch script on torchjax.

Every test runs the runner in a subprocess, so the import hook never touches
the pytest process (where real torch may be imported by other tests).
"""

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "torchjax"

try:
    HAS_CORE = hasattr(importlib.import_module("torchjax"), "tensor")
except Exception:
    HAS_CORE = False
needs_core = pytest.mark.skipif(not HAS_CORE, reason="torchjax.tensor not written yet")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p
    )
    env.pop("PYTHONSTARTUP", None)
    return env


def run_python(args, cwd, timeout=300):
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_torchjax(args, cwd):
    return run_python(["-m", "torchjax", *args], cwd)


def write(path, source):
    path.write_text(textwrap.dedent(source))
    return path


def public_modules():
    """Dotted names (under torchjax) of every public module torchjax ships."""
    names = []
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(PKG).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not parts or any(p.startswith("_") for p in parts):
            continue
        if not all((PKG.joinpath(*parts[:i]) / "__init__.py").exists() for i in range(1, len(parts))):
            continue  # inside a folder that is not a package
        names.append(".".join(parts))
    return names


def missing_torch_module():
    """A real torch submodule that torchjax does not have."""
    for name in ["distributed.elastic.agent", "_inductor.codecache", "onnx", "_dynamo"]:
        parts = name.split(".")
        base = PKG.joinpath(*parts)
        if not base.exists() and not base.with_suffix(".py").exists():
            return "torch." + name
    pytest.skip("torchjax has every candidate module")


def test_public_modules_listed():
    mods = public_modules()
    for name in ["cuda", "backends", "backends.cudnn", "backends.cuda", "backends.mps"]:
        assert name in mods


def test_imports_resolve_to_torchjax(tmp_path):
    mods = public_modules()
    script = write(
        tmp_path / "imports.py",
        f"""
        import importlib
        import sys
        import torch
        import torch.cuda
        import torch.backends.cudnn
        import torchjax

        assert torch is torchjax
        assert torch.__name__ == "torchjax"
        bad = []
        for name in {mods!r}:
            alias = importlib.import_module("torch." + name)
            real = importlib.import_module("torchjax." + name)
            if alias is not real or sys.modules["torch." + name] is not sys.modules["torchjax." + name]:
                bad.append(name)
            if alias.__spec__.name != "torchjax." + name:
                bad.append(name + " (spec)")
        assert not bad, bad
        assert "torch._C" not in sys.modules
        print("ok", len({mods!r}))
        """,
    )
    proc = run_torchjax([str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok")


def test_import_forms(tmp_path):
    # The forms scripts use, for whichever modules exist.
    mods = set(public_modules())
    lines = ["import torch", "import torch.backends.cudnn as cudnn", "from torch.backends import mps"]
    if "nn.functional" in mods:
        lines.append("import torch.nn.functional as F")
    if "utils.data" in mods:
        lines.append("from torch.utils import data")
        lines.append("from torch.utils.data import DataLoader")
    lines += [
        "import sys",
        "assert cudnn is sys.modules['torchjax.backends.cudnn']",
        "cudnn.deterministic = True",
        "assert torch.backends.cudnn.deterministic is True",
        "assert mps.is_available() is False",
        "print('ok')",
    ]
    script = tmp_path / "forms.py"
    script.write_text("\n".join(lines) + "\n")
    proc = run_torchjax([str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\n"


def test_argv_name_file_path(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub / "helper.py", "VALUE = 42\n")
    write(
        sub / "show.py",
        """
        import json, sys
        import helper  # found because sys.path[0] is the script's folder
        print(json.dumps({"argv": sys.argv, "name": __name__, "file": __file__,
                          "path0": sys.path[0], "helper": helper.VALUE,
                          "main": sys.modules["__main__"].__file__}))
        """,
    )
    proc = run_torchjax(["sub/show.py", "a", "--b", "-m", "c d"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    ours = json.loads(proc.stdout)
    plain = json.loads(run_python(["sub/show.py", "a", "--b", "-m", "c d"], tmp_path).stdout)
    assert ours == plain
    assert ours["argv"] == ["sub/show.py", "a", "--b", "-m", "c d"]
    assert ours["name"] == "__main__"


@pytest.mark.parametrize(
    "source, code",
    [("x = 1\n", 0), ("import sys\nsys.exit(3)\n", 3), ("raise SystemExit(0)\n", 0),
     ("import sys\nsys.exit('bye')\n", 1), ("1 / 0\n", 1)],
)
def test_exit_codes(tmp_path, source, code):
    script = write(tmp_path / "exit.py", source)
    assert run_torchjax([str(script)], tmp_path).returncode == code


def test_traceback_same_as_python(tmp_path):
    script = write(
        tmp_path / "boom.py",
        """
        def inner():
            raise ValueError("boom")

        def outer():
            inner()

        outer()
        """,
    )
    ours = run_torchjax(["boom.py"], tmp_path)
    plain = run_python(["boom.py"], tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr == plain.stderr
    assert f'File "{script}", line 3, in inner' in ours.stderr


def test_syntax_error_same_as_python(tmp_path):
    write(tmp_path / "bad.py", "x = 1\ndef (\n")
    ours = run_torchjax(["bad.py"], tmp_path)
    plain = run_python(["bad.py"], tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr == plain.stderr


def test_traceback_after_import_torch(tmp_path):
    script = write(tmp_path / "t.py", "import torch\n\nraise RuntimeError('here')\n")
    proc = run_torchjax([str(script)], tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == f'  File "{script}", line 3, in <module>'
    assert lines[-1] == "RuntimeError: here"
    assert "torchjax" not in proc.stderr and "runpy" not in proc.stderr


def test_missing_module_message(tmp_path):
    missing = missing_torch_module()
    top = ".".join(missing.split(".")[:2])
    script = write(
        tmp_path / "m.py",
        f"""
        try:
            import {missing}
        except ModuleNotFoundError as e:
            print(e.name)
        import {missing}
        """,
    )
    proc = run_torchjax([str(script)], tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == top + "\n"
    last = proc.stderr.splitlines()[-1]
    assert last.startswith(f"ModuleNotFoundError: No module named '{top}'")
    assert "torchjax does not provide" in last
    # Only the script's own line in the traceback, as python would print.
    assert "_import_hook" not in proc.stderr
    assert proc.stderr.count('File "') == 1


def test_torch_stays_torchjax(tmp_path):
    script = write(
        tmp_path / "s.py",
        """
        import sys
        import torch
        assert sys.modules["torch"] is sys.modules["torchjax"]
        print(sys.modules["torch"].__name__, "torch._C" in sys.modules)
        """,
    )
    proc = run_torchjax([str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "torchjax False\n"


def test_dash_m(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    write(pkg / "tool.py", "import sys, torch\nprint(__name__, sys.argv[1:], torch.__name__)\n")
    proc = run_torchjax(["-m", "pkg.tool", "x"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "__main__ ['x'] torchjax\n"
    proc = run_torchjax(["-m", "no_such_module_here"], tmp_path)
    assert proc.returncode == 1
    assert "No module named no_such_module_here" in proc.stderr


def test_usage_and_missing_script(tmp_path):
    proc = run_torchjax([], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: python -m torchjax SCRIPT")
    proc = run_torchjax(["nope.py"], tmp_path)
    assert proc.returncode == 2
    assert "can't open file" in proc.stderr
    proc = run_torchjax(["--help"], tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("usage:")


def test_real_torch_unaffected_without_runner(tmp_path):
    # Importing torchjax installs nothing: real torch still imports as itself.
    script = write(
        tmp_path / "r.py",
        """
        import torchjax, torchjax.cuda, torchjax.backends
        import torch
        assert torch is not torchjax
        print(torch.__name__, "torch._C" in __import__("sys").modules)
        """,
    )
    proc = run_python([str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "torch True\n"


def test_install_uninstall(tmp_path):
    script = write(
        tmp_path / "iu.py",
        """
        import sys
        from torchjax import _import_hook
        _import_hook.install()
        _import_hook.install()
        import torch, torch.cuda
        assert torch.__name__ == "torchjax" and torch.cuda.__name__ == "torchjax.cuda"
        _import_hook.uninstall()
        assert "torch" not in sys.modules and "torch.cuda" not in sys.modules
        assert not _import_hook.installed()
        import torch
        assert torch.__name__ == "torch"
        try:
            _import_hook.install()
        except RuntimeError as e:
            print("refused")
        """,
    )
    proc = run_python([str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "refused\n"


DEMO = ROOT / "examples" / "demo.py"


def test_demo_runs_on_real_torch(tmp_path):
    proc = run_python([str(DEMO)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "done: True"


@needs_core
def test_demo_runs_on_torchjax(tmp_path):
    ours = run_torchjax([str(DEMO)], tmp_path)
    assert ours.returncode == 0, ours.stderr
    real = run_python([str(DEMO)], tmp_path)
    # The fitted values do not depend on the random draws; compare them.
    assert ours.stdout.splitlines()[-2:] == real.stdout.splitlines()[-2:]


def test_error_inside_torchjax_module_traceback(tmp_path):
    # A stand-in torchjax (the real runner and hook, plus a module that
    # raises) shows the script line, then the module's line, as python would.
    fake = tmp_path / "lib" / "torchjax"
    (fake / "broken").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    for name in ["__main__.py", "_import_hook.py"]:
        (fake / name).write_text((PKG / name).read_text())
    (fake / "broken" / "__init__.py").write_text("x = 1\nraise ValueError('inside')\n")
    script = write(tmp_path / "b.py", "import torch\nimport torch.broken\n")
    env = _env()
    env["PYTHONPATH"] = str(tmp_path / "lib")
    proc = subprocess.run(
        [sys.executable, "-m", "torchjax", str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1
    files = [line.strip() for line in proc.stderr.splitlines() if line.strip().startswith("File ")]
    assert files == [
        f'File "{script}", line 2, in <module>',
        f'File "{fake / "broken" / "__init__.py"}", line 2, in <module>',
    ]
    assert proc.stderr.splitlines()[-1] == "ValueError: inside"
