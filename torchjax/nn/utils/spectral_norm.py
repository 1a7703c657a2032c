"""torch.nn.utils.spectral_norm."""
__all__ = []
