"""torch.masked: reductions and normalizations that ignore masked-out elements (plain tensors
with a `mask=` argument; MaskedTensor is not implemented)."""
from ._ops import (amax, amin, argmax, argmin, cumprod, cumsum, log_softmax, logaddexp,
                   logsumexp, mean, median, norm, normalize, prod, softmax, softmin, std, sum,
                   var)
from ._ops import __all__  # noqa: F401
