"""torch.backends: switches for the native libraries PyTorch would use.

JAX (XLA) picks its own kernels, so these are mostly settings that torchjax
records and reports; see each submodule.
"""

from torchjax.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
