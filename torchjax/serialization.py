"""torch.save / torch.load in PyTorch's zip format."""
__all__ = []
