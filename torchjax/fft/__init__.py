"""torch.fft: ops from the op table registered under 'fft'."""
from .._namespace import namespace_module

namespace_module("fft", globals())
