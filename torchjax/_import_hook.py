"""Make `import torch...` load torchjax.

Once `install()` has run, `torch` is another name for `torchjax` and
`torch.a.b` for `torchjax.a.b`: the import system hands back the very same
module objects, and `sys.modules` holds each under both names.  A `torch.X`
that torchjax lacks raises ModuleNotFoundError saying so.

The hook is installed by the runner (`python -m torchjax SCRIPT`) only;
importing torchjax never installs it.
"""

import importlib
import importlib.abc
import importlib.util
import sys

_ALIAS = "torch"
_REAL = "torchjax"


def _real_name(name):
    """'torch' -> 'torchjax', 'torch.a.b' -> 'torchjax.a.b', else None."""
    if name == _ALIAS:
        return _REAL
    if name.startswith(_ALIAS + "."):
        return _REAL + name[len(_ALIAS):]
    return None


def _is_ours(module):
    name = getattr(module, "__name__", None) or ""
    return name == _REAL or name.startswith(_REAL + ".")


def _sync_aliases():
    """Register every loaded torchjax.X also as torch.X in sys.modules."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == _REAL or name.startswith(_REAL + ".")):
            continue
        if name.endswith(".__main__"):
            continue
        alias = _ALIAS + name[len(_REAL):]
        if alias not in sys.modules:
            sys.modules[alias] = module


class _AliasLoader(importlib.abc.Loader):
    """Loads torch.X by importing torchjax.X and returning that module."""

    def __init__(self, real_name):
        self.real_name = real_name
        self._real_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.real_name)
        # The import system overwrites __spec__ with the alias spec; keep the
        # real one so exec_module can put it back.
        self._real_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        # The module already ran under its real name; just undo the __spec__
        # overwrite and alias whatever else it imported.
        if self._real_spec is not None:
            module.__spec__ = self._real_spec
        _sync_aliases()


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Meta path finder that maps torch[.X] to torchjax[.X]."""

    def find_spec(self, fullname, path=None, target=None):
        real = _real_name(fullname)
        if real is None:
            return None
        module = sys.modules.get(real)
        if module is not None:
            is_package = hasattr(module, "__path__")
        else:
            real_spec = importlib.util.find_spec(real)
            if real_spec is None:
                raise ModuleNotFoundError(
                    f"No module named {fullname!r}: torchjax does not provide "
                    f"{fullname} yet",
                    name=fullname,
                )
            is_package = real_spec.submodule_search_locations is not None
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(real), is_package=is_package
        )


_finder = None


def installed():
    return _finder is not None and _finder in sys.meta_path


def install():
    """Put the finder first on sys.meta_path.  Idempotent."""
    global _finder
    existing = sys.modules.get(_ALIAS)
    if existing is not None and not _is_ours(existing):
        raise RuntimeError(
            "the real torch is already imported; install the torchjax import "
            "hook before anything imports torch"
        )
    if installed():
        return
    _finder = TorchAliasFinder()
    sys.meta_path.insert(0, _finder)
    if _REAL in sys.modules:
        _sync_aliases()


def uninstall():
    """Remove the finder and the torch.* aliases it registered."""
    global _finder
    if _finder is not None and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
    for name, module in list(sys.modules.items()):
        if _real_name(name) is not None and _is_ours(module):
            del sys.modules[name]
