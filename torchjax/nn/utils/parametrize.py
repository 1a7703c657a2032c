"""torch.nn.utils.parametrize."""
__all__ = []
