"""torch.linalg: ops from the op table registered under 'linalg'."""
from .._namespace import namespace_module

namespace_module("linalg", globals())
