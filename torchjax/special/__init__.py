"""torch.special: ops from the op table registered under 'special'."""
from .._namespace import namespace_module

namespace_module("special", globals())
