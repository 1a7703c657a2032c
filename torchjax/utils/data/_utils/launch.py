"""How DataLoader worker processes start.

JAX is not fork-safe once a backend is initialised, so workers are never forked from the main
process. By default they are forked from torchjax's own fork server: a process that has
imported torchjax (which creates no JAX backend and no thread) and done nothing else. A worker
then starts without paying for a fresh interpreter and ``import torchjax``; like a spawned one,
it re-imports the main module and gets the main process's current environment. Workers compute
on the CPU backend (JAX_PLATFORMS=cpu); the main process owns the accelerators.

A ``multiprocessing_context`` given to the DataLoader is used as it is.
"""
import functools
import io
import multiprocessing
import os
import sys
from contextlib import contextmanager
from multiprocessing import spawn

__all__ = ["default_context", "starting_workers"]

_CPU = {"JAX_PLATFORMS": "cpu"}


def _runner():
    """Under ``python -m torchjax``: ``torch`` is torchjax."""
    torch = sys.modules.get("torch")
    return torch is not None and torch is sys.modules.get("torchjax")


class _ChildPath(list):
    """The child's sys.path in its preparation data. Unpickling it in the child, before the child
    imports the main module or unpickles its work, restores the parent's environment (``env``)
    and installs the ``torch`` -> torchjax hook (``runner``)."""

    def __init__(self, path, env, runner):
        super().__init__(path)
        self.env, self.runner = env, runner

    def __reduce__(self):
        return (_prepare_child, (list(self), self.env, self.runner))


def _prepare_child(path, env, runner):
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if runner:
        from torchjax import _import_hook
        _import_hook.install()
    return path


def _preparation_data(get, name, env=None):
    data = get(name)
    runner = _runner()
    if env is not None or runner:
        data["sys_path"] = _ChildPath(data.get("sys_path", sys.path), env, runner)
    return data


@contextmanager
def _environ(**values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


try:
    from multiprocessing import forkserver, popen_forkserver, reduction, util
    from multiprocessing.context import ForkServerContext, ForkServerProcess, set_spawning_popen
except ImportError:  # no fork server on this platform
    ForkServerContext = None
else:
    class _Popen(popen_forkserver.Popen):
        def _launch(self, process_obj):
            # popen_forkserver.Popen._launch, asking torchjax's server and sending the
            # environment along
            prep_data = _preparation_data(spawn.get_preparation_data, process_obj._name,
                                          dict(os.environ, **_CPU))
            buf = io.BytesIO()
            set_spawning_popen(self)
            try:
                reduction.dump(prep_data, buf)
                reduction.dump(process_obj, buf)
            finally:
                set_spawning_popen(None)
            self.sentinel, w = _SERVER.connect_to_new_process(self._fds)
            parent_w = os.dup(w)  # the child's sentinel of this process
            self.finalizer = util.Finalize(self, util.close_fds, (parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)

    class _Process(ForkServerProcess):
        @staticmethod
        def _Popen(process_obj):
            return _Popen(process_obj)

    class _Context(ForkServerContext):
        Process = _Process

    _SERVER = forkserver.ForkServer()
    _SERVER.set_forkserver_preload(["torchjax.utils.data"])  # never '__main__'
    _CONTEXT = _Context()


def default_context():
    """torchjax's fork server context, or 'spawn' where there is no fork server or where the
    server could not import torchjax through PYTHONPATH (python -E / -I)."""
    if ForkServerContext is None or "forkserver" not in multiprocessing.get_all_start_methods() \
            or sys.flags.ignore_environment:
        return multiprocessing.get_context("spawn")
    return _CONTEXT


def _start_server():
    """Start (or restart) the fork server: on the CPU backend, able to import torchjax."""
    import torchjax
    root = os.path.dirname(os.path.dirname(os.path.abspath(torchjax.__file__)))
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    with _environ(PYTHONPATH=path, **_CPU):
        _SERVER.ensure_running()


@contextmanager
def starting_workers(ctx):
    """Around starting workers with ``ctx``: spawned (or user-context) workers inherit
    JAX_PLATFORMS=cpu and, under ``python -m torchjax``, the import hook."""
    if ForkServerContext is not None and ctx is _CONTEXT:
        _start_server()
        yield
        return
    original = spawn.get_preparation_data
    with _environ(**_CPU):
        if not _runner():
            yield
            return
        spawn.get_preparation_data = functools.partial(_preparation_data, original)
        try:
            yield
        finally:
            spawn.get_preparation_data = original
