"""grad_fn names of gradients computed with create_graph=True: torch names the node of each op's
derivative formula (tanh's is tanh_backward: TanhBackwardBackward0; sin's is grad * cos(x):
MulBackward0). Read off torch 2.13 for gradients with respect to the first input. A name with
two 'Backward' is a dedicated backward function, which autograd.graph treats as depending on
every input it reads; so does torch's NotImplemented node, whose backward raises."""
from .registry import OPS

DOUBLE_GRAD = {
    "abs": "MulBackward0", "acos": "MulBackward0", "acosh": "MulBackward0",
    "asin": "MulBackward0", "asinh": "MulBackward0", "atan": "DivBackward0",
    "atanh": "DivBackward0", "binary_cross_entropy": "BinaryCrossEntropyBackwardBackward0",
    "celu": "EluBackwardBackward0", "cos": "MulBackward0", "cosh": "MulBackward0",
    "digamma": "MulBackward0", "elu": "EluBackwardBackward0", "entr": "MulBackward0",
    "erf": "MulBackward0", "erfc": "MulBackward0", "erfcx": "MulBackward0",
    "erfinv": "MulBackward0", "exp": "MulBackward0", "exp2": "MulBackward1",
    "expm1": "MulBackward0", "gelu": "GeluBackwardBackward0",
    "hardshrink": "HardshrinkBackwardBackward0", "hardswish": "HardswishBackwardBackward0",
    "hardsigmoid": "NotImplemented", "hardsigmoid_": "NotImplemented",
    "hardtanh": "HardtanhBackwardBackward0", "huber_loss": "HuberLossBackwardBackward0",
    "i0": "MulBackward0", "i0e": "MulBackward0", "i1": "MulBackward0", "i1e": "MulBackward0",
    "layer_norm": "NativeLayerNormBackwardBackward0",
    "leaky_relu": "LeakyReluBackwardBackward0", "lgamma": "MulBackward0", "log": "DivBackward0",
    "log10": "DivBackward0", "log1p": "DivBackward0", "log2": "DivBackward0",
    "log_ndtr": "MulBackward0", "log_softmax": "LogSoftmaxBackwardDataBackward0",
    "logit": "WhereBackward0", "logsigmoid": "LogSigmoidBackwardBackward0",
    "logsumexp": "MulBackward0", "matrix_norm": "MulBackward0", "mish": "MulBackward0",
    "mse_loss": "MseLossBackwardBackward0", "native_layer_norm": "NativeLayerNormBackwardBackward0",
    "ndtri": "MulBackward0", "pdist": "PdistBackwardBackward0", "prod": "MulBackward0",
    "reciprocal": "MulBackward0", "relu": "ThresholdBackwardBackward0", "rsqrt": "MulBackward0",
    "selu": "EluBackwardBackward0", "sigmoid": "SigmoidBackwardBackward0", "silu": "MulBackward0",
    "sin": "MulBackward0", "sinc": "WhereBackward0", "sinh": "MulBackward0",
    "smooth_l1_loss": "SmoothL1LossBackwardBackward0", "softmax": "SoftmaxBackwardDataBackward0",
    "softplus": "SoftplusBackwardBackward0", "softshrink": "SoftshrinkBackwardBackward0",
    "sqrt": "DivBackward0", "square": "MulBackward0", "std": "MulBackward0",
    "std_mean": "MulBackward0", "svdvals": "MmBackward0", "tan": "MulBackward0",
    "tanh": "TanhBackwardBackward0", "unsqueeze": "SqueezeBackward1", "var": "MulBackward0",
    "var_mean": "MulBackward0",
    "vector_norm": "MulBackward0",
}

for _name, _node in DOUBLE_GRAD.items():
    if _name in OPS and OPS[_name].double_grad is None:
        OPS[_name].double_grad = _node
