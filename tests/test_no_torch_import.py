"""torchjax never imports the real torch, even though it is installed."""

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

try:
    HAS_CORE = hasattr(importlib.import_module("torchjax"), "tensor")
except Exception:
    HAS_CORE = False


def _run(args, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_import_torchjax_does_not_import_torch(tmp_path):
    code = textwrap.dedent(
        """
        import sys
        import torchjax, torchjax.cuda, torchjax.backends
        real = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
        print(real, "torch._C" in sys.modules)
        """
    )
    proc = _run(["-c", code], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "[] False\n"


def _script(use_core):
    body = "x = torch.tensor([1.0, 2.0]) * 2\nprint(float(x.sum()))\n" if use_core else "print(4.0 + 2.0)\n"
    return (
        "import sys\nimport torch\nimport torch.cuda\n"
        + body
        + "assert sys.modules['torch'] is sys.modules['torchjax']\n"
        + "assert 'torch._C' not in sys.modules\n"
        + "assert not any(getattr(m, '__file__', '') and 'site-packages/torch/' in m.__file__\n"
        + "               for m in list(sys.modules.values()))\n"
    )


@pytest.mark.parametrize(
    "use_core",
    [False, pytest.param(True, marks=pytest.mark.skipif(not HAS_CORE, reason="torchjax.tensor not written yet"))],
)
def test_runner_does_not_import_torch(tmp_path, use_core):
    script = tmp_path / "tiny.py"
    script.write_text(_script(use_core))
    proc = _run(["-m", "torchjax", str(script)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "6.0\n"
