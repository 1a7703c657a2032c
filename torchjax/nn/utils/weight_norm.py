"""torch.nn.utils.weight_norm."""
__all__ = []
