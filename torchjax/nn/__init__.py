"""torch.nn (modules arrive with the training-stack issue)."""
from . import functional
from .parameter import Parameter
