"""torch.nn.functional: ops from the op table registered under 'nn.functional'."""
from .._namespace import namespace_module

namespace_module("nn.functional", globals())
