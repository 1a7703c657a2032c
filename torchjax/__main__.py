"""Run an unmodified PyTorch program on torchjax.

    python -m torchjax SCRIPT [ARGS...]
    python -m torchjax -m MODULE [ARGS...]

SCRIPT runs as `__main__` just as `python SCRIPT` would run it, except that
`import torch` (and every `torch.X`) loads torchjax.
"""

import importlib
import importlib.util
import os
import runpy
import signal
import sys
import types
from importlib.machinery import SourceFileLoader

from torchjax import _import_hook

USAGE = """\
usage: python -m torchjax SCRIPT [ARGS...]
       python -m torchjax -m MODULE [ARGS...]

Run a PyTorch program with `import torch` served by torchjax.
"""

_HERE = os.path.abspath(__file__)


def _runner_frame(tb):
    filename = tb.tb_frame.f_code.co_filename
    return filename in (_HERE, runpy.__file__) or filename.startswith("<frozen runpy")


def _import_machinery(filename):
    return filename.startswith("<frozen importlib") or filename == importlib.__file__


_PKG = os.path.dirname(_HERE) + os.sep


def _core_frame(filename):
    """A frame in torchjax's private core (what torch implements in C++)."""
    if not filename.startswith(_PKG):
        return False
    rel = filename[len(_PKG):].split(os.sep)
    return rel == ["autograd", "graph.py"] or any(
        p.startswith("_") and p != "__init__.py" for p in rel)


def _clean_traceback(tb):
    """Drop the runner's frames in front, and the import hook's frames with
    the import machinery around them (python hides that machinery too)."""
    while tb is not None and _runner_frame(tb):
        tb = tb.tb_next
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    names = [t.tb_frame.f_code.co_filename for t in frames]
    drop = set()
    for i, name in enumerate(names):
        if name != _import_hook.__file__:
            continue
        drop.add(i)
        j = i - 1
        while j >= 0 and _import_machinery(names[j]):
            drop.add(j)
            j -= 1
        j = i + 1
        while j < len(names) and _import_machinery(names[j]):
            drop.add(j)
            j += 1
    # torch's ops and autograd engine are C++: its tracebacks end at the calling Python line. Drop
    # trailing frames of torchjax's private core (TORCHJAX_FULL_TRACEBACK=1 keeps them).
    if os.environ.get("TORCHJAX_FULL_TRACEBACK") != "1":
        i = len(names)
        while i > 1 and _core_frame(names[i - 1]):
            i -= 1
        drop.update(range(i, len(names)))
    kept = [t for i, t in enumerate(frames) if i not in drop]
    for a, b in zip(kept, kept[1:]):
        a.tb_next = b
    if kept:
        kept[-1].tb_next = None
    return kept[0] if kept else None


def _report_and_exit(exc):
    """Print an uncaught exception the way python does, then exit like it."""
    tb = _clean_traceback(exc.__traceback__)
    exc.__traceback__ = tb
    sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
    sys.excepthook(type(exc), exc, tb)
    if isinstance(exc, KeyboardInterrupt) and hasattr(signal, "SIGINT"):
        # python ends on an uncaught KeyboardInterrupt by dying of SIGINT.
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    raise SystemExit(1)


def _run_script(path):
    """Execute the file at `path` as a fresh __main__ module."""
    abspath = os.path.abspath(path)
    if (
        os.path.isdir(abspath)
        or abspath.endswith(".pyc")
        or (not abspath.endswith((".py", ".pyw")) and _is_zip(abspath))
    ):
        # A directory or zip file with a __main__.py, or a .pyc: runpy knows how.
        if abspath.endswith(".pyc"):
            _set_path0(os.path.dirname(os.path.realpath(abspath)))
        elif not sys.flags.safe_path:
            del sys.path[0]  # run_path puts the directory or zip there itself
        runpy.run_path(path, run_name="__main__")
        return
    with open(abspath, "rb") as f:
        source = f.read()
    _set_path0(os.path.dirname(os.path.realpath(abspath)))
    main = types.ModuleType("__main__")
    main.__file__ = abspath
    main.__cached__ = None
    main.__loader__ = SourceFileLoader("__main__", abspath)
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    code = compile(source, abspath, "exec", dont_inherit=True)
    exec(code, main.__dict__)


def _set_path0(entry):
    """Put the script's folder first on sys.path, where python would."""
    # `python -m torchjax` put the working directory there, unless -P or
    # PYTHONSAFEPATH told python to add nothing; then python adds no folder.
    if not sys.flags.safe_path:
        sys.path[0] = entry


def _is_zip(path):
    import zipfile

    return zipfile.is_zipfile(path)


def main(argv):
    if not argv:
        sys.stderr.write(USAGE)
        return 2
    if argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if argv[0] == "-m":
        if len(argv) < 2:
            sys.stderr.write("python -m torchjax: argument -m expects a module name\n")
            sys.stderr.write(USAGE)
            return 2
        module, args = argv[1], argv[2:]
        path = None
    else:
        path, args = argv[0], argv[1:]
        if not os.path.exists(path):
            sys.stderr.write(
                f"python -m torchjax: can't open file {os.path.abspath(path)!r}: "
                f"[Errno 2] No such file or directory\n"
            )
            return 2

    _import_hook.install()
    try:
        if path is not None:
            sys.argv = [path, *args]
            _run_script(path)
        else:
            # Like `python -m MODULE`: sys.path[0] stays the working directory
            # and run_module sets sys.argv[0] to the module's file.
            sys.argv = [module, *args]
            try:
                found = importlib.util.find_spec(module)
            except ImportError:
                found = None
            if found is None:
                sys.stderr.write(f"{sys.executable}: No module named {module}\n")
                return 1
            runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        raise
    except BaseException as exc:
        _report_and_exit(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
