"""torch.backends.mps: Apple's Metal backend, which JAX does not drive."""

__all__ = ["is_available", "is_built"]


def is_built():
    return False


def is_available():
    return False
