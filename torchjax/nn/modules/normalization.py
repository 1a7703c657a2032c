"""torch.nn.modules.normalization: LocalResponseNorm, LayerNorm, GroupNorm, RMSNorm."""
import numbers

from ... import _creation as C
from ... import arange, cat
from ...autograd.function import Function
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module

__all__ = ["LocalResponseNorm", "CrossMapLRN2d", "LayerNorm", "GroupNorm", "RMSNorm"]


class _LRNBase(Module):
    """size/alpha/beta/k and the repr shared by LocalResponseNorm and CrossMapLRN2d."""

    def __init__(self, size, alpha, beta, k):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def extra_repr(self):
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)


class LocalResponseNorm(_LRNBase):
    __constants__ = ["size", "alpha", "beta", "k"]

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)


def _channel_sums(t, lo, hi):
    """out[:, c] = sum of t[:, j] for lo(c) <= j <= hi(c) (inclusive, clipped), via cumsum."""
    c = t.size(1)
    cs = t.cumsum(1)
    cs = cat([cs.new_zeros(cs[:, :1].shape), cs], 1)
    idx = arange(c)
    top = (idx + hi).clamp(max=c - 1) + 1
    bot = (idx + lo).clamp(min=0)
    return cs.index_select(1, top) - cs.index_select(1, bot)


def _cross_map_lrn2d():
    class CrossMapLRN2d(Function):
        """torch's legacy CrossMapLRN2d (torch.nn.modules._functions): the forward's running window
        never drops channel 0; the backward is torch's own (symmetric-window) formula."""

        @staticmethod
        def forward(ctx, input, size, alpha=1e-4, beta=0.75, k=1):
            if input.dim() != 4:
                raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                                 f"instead.")
            ctx.size, ctx.alpha, ctx.beta, ctx.k = size, alpha, beta, k
            sq = input * input
            pre_pad = int((size - 1) / 2 + 1)
            # channel c sums squares in [c - pre_pad + 1, c + pre_pad - 1], plus channel 0 always
            win = _channel_sums(sq, 1 - pre_pad, pre_pad - 1)
            first = (arange(sq.size(1)) > pre_pad - 1).to(sq.dtype).view(1, -1, 1, 1)
            win = win + sq[:, :1] * first
            ctx.scale = win * (alpha / size) + k
            output = ctx.scale.pow(-beta) * input
            ctx.save_for_backward(input, output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, output = ctx.saved_tensors
            size = ctx.size
            ratio = grad_output * output / ctx.scale
            pre = int(size - (size - 1) / 2)
            # channel c accumulates ratio over [c - pre, c - pre + size - 1]
            accum = _channel_sums(ratio, -pre, size - 1 - pre)
            grad_input = ctx.scale.pow(-ctx.beta) * grad_output
            grad_input = grad_input - (2 * ctx.alpha * ctx.beta / size) * input * accum
            return grad_input, None, None, None, None
    return CrossMapLRN2d


_CrossMapLRN2dFn = _cross_map_lrn2d()


class CrossMapLRN2d(_LRNBase):
    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        return _CrossMapLRN2dFn.apply(input, self.size, self.alpha, self.beta, self.k)


def _shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    return tuple(normalized_shape)


def _affine_params(m, affine, shape, bias, factory_kwargs):
    """weight (ones) and bias (zeros) of LayerNorm/GroupNorm, or None parameters."""
    for name, make in (("weight", affine), ("bias", affine and bias)):
        m.register_parameter(name, Parameter(C.empty(shape, **factory_kwargs)) if make else None)
    m.reset_parameters()


def _reset_affine(m):
    if m.weight is not None:
        init.ones_(m.weight)
    if m.bias is not None:
        init.zeros_(m.bias)


class LayerNorm(Module):
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_params(self, self.elementwise_affine, self.normalized_shape, bias, factory_kwargs)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return ("{normalized_shape}, eps={eps}, elementwise_affine={elementwise_affine}, "
                "bias={use_bias}".format(**self.__dict__, use_bias=self.bias is not None))


class GroupNorm(Module):
    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_params(self, self.affine, num_channels, bias, factory_kwargs)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return ("{num_groups}, {num_channels}, eps={eps}, affine={affine}, "
                "bias={use_bias}".format(**self.__dict__, use_bias=self.bias is not None))


class RMSNorm(Module):
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if self.elementwise_affine:
            self.weight = Parameter(C.empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return ("{normalized_shape}, eps={eps}, "
                "elementwise_affine={elementwise_affine}".format(**self.__dict__))
