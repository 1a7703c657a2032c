"""torch.nn.utils.parametrizations."""
__all__ = []
