"""The top-level torch.* functions generated from the op table."""
from ._ops.registry import NAMESPACES

globals().update(NAMESPACES[""])
__all__ = sorted(NAMESPACES[""])


def namespace_module(space, module_globals):
    """Fill a submodule (torchjax.linalg, torchjax.nn.functional, ...) from its table namespace."""
    module_globals.update(NAMESPACES.get(space, {}))
