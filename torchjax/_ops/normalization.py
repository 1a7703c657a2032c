"""nn.functional ops: batch/instance/layer/group/RMS/local-response normalization.

Each functional is one jitted op computing in torch's CPU accumulate type (float32 for half types,
float64 for double). Batch/instance norm return their updated running statistics as extra
(non-differentiable) outputs; the composite writes them into the running_mean/running_var
tensors in place, as torch's kernel does."""
import math

import jax.numpy as jnp
from jax import lax

from .. import _dtype as D
from .._grad_state import STATE
from .registry import op, composite, call, OPS, scalar_array
from ._util import wrap_dim

F = "nn.functional"


def _acc(x):
    return jnp.float64 if x.dtype == jnp.float64 else jnp.float32


def _sizes(shape):
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _per_channel(v, c, shape, acc):
    """A per-channel vector (or None) broadcast against (N, C, *)."""
    return None if v is None else v.reshape(c).astype(acc).reshape(shape)


def _check_numel(name, expected, t, times=1):
    if t is not None and t.size * times != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t.size * times}")


def _affine(x, mean, invstd, weight, bias):
    """torch's transform: alpha = invstd * weight, beta = bias - mean * alpha, x * alpha + beta."""
    alpha = invstd if weight is None else invstd * weight
    beta = -mean * alpha if bias is None else bias - mean * alpha
    return x * alpha + beta


def _update(running, stat, m):
    """momentum * stat + (1 - momentum) * running, in the running tensor's dtype."""
    m = m.astype(running.dtype)
    return lax.stop_gradient(m * stat.astype(running.dtype) + (1 - m) * running)


# ---------------------------------------------------------------- batch norm

@op(tensors=("input", "weight", "bias", "running_mean", "running_var", "momentum"), promote=False,
    function=False, method=False, grad=lambda key: key[0][-1], saves=("input", "weight"))
def _batch_norm_impl(input, weight, bias, running_mean, running_var, momentum, training, eps,
                     node):
    """(out, save_mean, save_invstd[, new_running_mean][, new_running_var])."""
    c = input.shape[wrap_dim(1, input.ndim)]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
        _check_numel(name, c, t)
    _check_numel("weight", c, weight)
    _check_numel("bias", c, bias)
    acc = _acc(input)
    shape = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    x = input.astype(acc)
    if training:
        n = input.size // c if c else 0
        mean = jnp.mean(x, axes)
        var_sum = jnp.sum(jnp.square(x - mean.reshape(shape)), axes)
        invstd = 1 / jnp.sqrt(var_sum / n + eps)
    else:
        mean = running_mean.reshape(c).astype(acc)
        invstd = 1 / jnp.sqrt(running_var.reshape(c).astype(acc) + eps)
    out = _affine(x, mean.reshape(shape), invstd.reshape(shape),
                  _per_channel(weight, c, shape, acc), _per_channel(bias, c, shape, acc))
    res = (out.astype(input.dtype), lax.stop_gradient(mean), lax.stop_gradient(invstd))
    if training and running_mean is not None:
        res += (_update(running_mean, mean.reshape(running_mean.shape), momentum),)
    if training and running_var is not None:
        unbiased = (var_sum / (n - 1)).reshape(running_var.shape)
        res += (_update(running_var, unbiased, momentum),)
    return res


def _double(momentum):
    """momentum as a float64 device scalar (torch casts the double to the stats' dtype)."""
    return scalar_array(float(momentum), D.float64)


def _write_running(res, k, running_mean, running_var):
    """Copy the updated statistics res[k:] into the running tensors (torch's kernel writes them)."""
    for t in (running_mean, running_var):
        if t is not None:
            t._assign(res[k]._value)
            k += 1


def _no_grad_stats(running_mean, running_var):
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t._rg and STATE.enabled:
            raise RuntimeError(f"The function 'native_batch_norm' is not differentiable with "
                               f"respect to argument '{name}'. This input cannot have "
                               f"requires_grad True.")


def _native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                       node="NativeBatchNormBackward0"):
    _no_grad_stats(running_mean, running_var)
    if input.numel() == 0:  # torch: a copy, scaled by weight[0] / shifted by bias[0]
        out = input.clone()
        if weight is not None:
            out = out * weight[0]
        if bias is not None:
            out = out + bias[0]
        return out, None, None
    res = call(_BN, (input, weight, bias, running_mean, running_var, _double(momentum)),
               (bool(training), float(eps), node))
    if training:
        _write_running(res, 3, running_mean, running_var)
        return res[:3]
    return res[0], res[0].new_empty(0), res[0].new_empty(0)


_BN = OPS["_batch_norm_impl"]


@composite(method=False)
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)[0]


@composite(method=False)
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
                      *, out=None):
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)


@composite(method=False)
def _native_batch_norm_legit(input, weight, bias, *args, **kw):
    """(input, weight, bias, running_mean, running_var, training, momentum, eps) or
    (input, weight, bias, training, momentum, eps) without running statistics."""
    names = ("running_mean", "running_var", "training", "momentum", "eps")
    if len(args) + len(kw) == 3:
        a = dict(zip(names[2:], args), **kw)
        return _native_batch_norm(input, weight, bias, None, None, a["training"],
                                  a["momentum"], a["eps"], "NativeBatchNormLegitBackward1")
    a = dict(zip(names, args), **kw)
    return _native_batch_norm(input, weight, bias, a["running_mean"], a["running_var"],
                              a["training"], a["momentum"], a["eps"],
                              "NativeBatchNormLegitBackward0")


def _verify_batch_size(size):
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


@composite(method=False, namespace=F, name="batch_norm")
def _f_batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
                  momentum=0.1, eps=1e-5):
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _native_batch_norm(input, weight, bias, running_mean, running_var, training,
                              momentum, eps)[0]


# ---------------------------------------------------------------- instance norm

@op(tensors=("input", "weight", "bias", "running_mean", "running_var", "momentum"), promote=False,
    function=False, method=False, grad="ViewBackward0", saves=("input", "weight"))
def _instance_norm_impl(input, weight, bias, running_mean, running_var, momentum, use_input_stats,
                        eps):
    """batch_norm over (1, N*C, *) like torch; running stats are the mean over N of the per
    instance updates. Returns (out[, new_running_mean][, new_running_var])."""
    b, c = input.shape[0], input.shape[wrap_dim(1, input.ndim)]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_numel(name, b * c, t, b)
    acc = _acc(input)
    x = input.astype(acc).reshape(b, c, -1)
    shape = (1, c, 1)
    if use_input_stats:
        n = x.shape[2]
        mean = jnp.mean(x, 2, keepdims=True)
        var_sum = jnp.sum(jnp.square(x - mean), 2, keepdims=True)
        invstd = 1 / jnp.sqrt(var_sum / n + eps)
    else:
        mean = running_mean.reshape(shape).astype(acc)
        invstd = 1 / jnp.sqrt(running_var.reshape(shape).astype(acc) + eps)
    out = _affine(x, mean, invstd, _per_channel(weight, c, shape, acc),
                  _per_channel(bias, c, shape, acc))
    res = (out.reshape(input.shape).astype(input.dtype),)
    for t, stat in ((running_mean, lambda: mean), (running_var, lambda: var_sum / (n - 1))):
        if use_input_stats and t is not None:
            new = _update(t.reshape(1, c), stat().reshape(b, c), momentum)
            res += (jnp.mean(new, 0).reshape(t.shape),)
    return res


@composite(method=False)
def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled):
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    _no_grad_stats(running_mean, running_var)
    res = call(OPS["_instance_norm_impl"],
               (input, weight, bias, running_mean, running_var, _double(momentum)),
               (bool(use_input_stats), float(eps)))
    if use_input_stats:
        _write_running(res, 1, running_mean, running_var)
    return res[0]


@composite(method=False, namespace=F, name="instance_norm")
def _f_instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                     use_input_stats=True, momentum=0.1, eps=1e-5):
    if use_input_stats:
        size, prod = input.size(), 1
        for s in size[2:]:
            prod *= s
        if prod == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {size}")
    return instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                         momentum, eps, False)


# ---------------------------------------------------------------- layer norm / rms norm

def _norm_shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def _check_norm_inputs(input, normalized_shape, weight, bias, sep=", "):
    ns = list(_norm_shape(normalized_shape))
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           f"containing at least one element, but got normalized_shape = {ns}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != tuple(ns):
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {_sizes(t.shape)} and normalized_shape = "
                               f"{_sizes(ns)}")
    nd = len(ns)
    if input.ndim < nd or tuple(input.shape[input.ndim - nd:]) != tuple(ns):
        raise RuntimeError(f"Given normalized_shape={_sizes(ns)}, expected input with shape "
                           f"[*{''.join(sep + str(s) for s in ns)}], but got input of size"
                           f"{_sizes(input.shape)}")
    return tuple(range(input.ndim - nd, input.ndim))


def _layer_norm_core(input, normalized_shape, weight, bias, eps):
    axes = _check_norm_inputs(input, normalized_shape, weight, bias)
    acc = _acc(input)
    x = input.astype(acc)
    mean = jnp.mean(x, axes, keepdims=True)
    rstd = 1 / jnp.sqrt(jnp.mean(jnp.square(x - mean), axes, keepdims=True) + eps)
    y = (x - mean) * rstd
    if weight is not None:
        y = y * weight.astype(acc)
    if bias is not None:
        y = y + bias.astype(acc)
    return y.astype(input.dtype), mean, rstd


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeLayerNormBackward0", saves=("input", "weight", "bias"))
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return _layer_norm_core(input, normalized_shape, weight, bias, eps)[0]


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeLayerNormBackward0", saves=("input", "weight", "bias"))
def native_layer_norm(input, normalized_shape, weight, bias, eps):
    y, mean, rstd = _layer_norm_core(input, normalized_shape, weight, bias, eps)
    return y, lax.stop_gradient(mean), lax.stop_gradient(rstd)


@composite(method=False, namespace=F, name="layer_norm")
def _f_layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return call(OPS["layer_norm"], (input, weight, bias), (_norm_shape(normalized_shape),
                                                           float(eps), True))


@op(tensors=("input", "weight"), promote=False, method=False, grad="MulBackward0",
    saves=("input", "weight"))
def rms_norm(input, normalized_shape, weight=None, eps=None):
    axes = _check_norm_inputs(input, normalized_shape, weight, None, sep="")  # torch's text
    acc = _acc(input)
    if eps is None:
        eps = float(jnp.finfo(acc).eps)
    eps = jnp.asarray(eps, input.dtype).astype(acc)  # torch holds eps in the input's dtype
    x = input.astype(acc)
    y = (x * lax.rsqrt(jnp.mean(jnp.square(x), axes, keepdims=True) + eps)).astype(input.dtype)
    return y if weight is None else y * weight


@composite(method=False, namespace=F, name="rms_norm")
def _f_rms_norm(input, normalized_shape, weight=None, eps=None):
    return call(OPS["rms_norm"], (input, weight), (_norm_shape(normalized_shape),
                                                   None if eps is None else float(eps)))


# ---------------------------------------------------------------- group norm

def _group_norm_core(input, weight, bias, n, c, group, eps):
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.size != c):  # torch prints weight's shape
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{_sizes((0,) if weight is None else weight.shape)} and input of "
                               f"shape {_sizes(input.shape)}")
    acc = _acc(input)
    hw = math.prod(input.shape[2:])
    x = input.astype(acc).reshape(n, group, (c // group) * hw)
    mean = jnp.mean(x, 2, keepdims=True)
    rstd = 1 / jnp.sqrt(jnp.mean(jnp.square(x - mean), 2, keepdims=True) + eps)
    y = ((x - mean) * rstd).reshape(n, c, hw)
    if weight is not None:
        y = y * weight.astype(acc).reshape(1, c, 1)
    if bias is not None:
        y = y + bias.astype(acc).reshape(1, c, 1)
    # mean and rstd are differentiable outputs of torch's native_group_norm (its backward uses
    # their grads when both are given, as in OpInfo's check; alone, torch ignores either one)
    return y.reshape(input.shape).astype(input.dtype), mean.reshape(n, group), rstd.reshape(n, group)


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeGroupNormBackward0", saves=("input", "weight"))
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    n, c = input.shape[0], input.shape[wrap_dim(1, input.ndim)]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {_sizes(input.shape)} and "
                           f"num_groups={num_groups}")
    return _group_norm_core(input, weight, bias, n, c, num_groups, eps)[0]


@op(tensors=("input", "weight", "bias"), promote=False, method=False,
    grad="NativeGroupNormBackward0", saves=("input", "weight"))
def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    return _group_norm_core(input, weight, bias, N, C, group, eps)


@composite(method=False, namespace=F, name="group_norm")
def _f_group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] +
                       list(input.size()[2:]))
    return call(OPS["group_norm"], (input, weight, bias), (int(num_groups), float(eps), True))


# ---------------------------------------------------------------- local response norm

@op(method=False, function=False, grad="DivBackward0", saves=("input",))
def _local_response_norm(input, size, alpha, beta, k):
    """input / (k + alpha * avg_c(input^2))^beta, the average over a zero-padded channel
    window of ``size`` (torch's avg_pool over the padded squares)."""
    pad = [(0, 0)] * input.ndim
    pad[1] = (size // 2, (size - 1) // 2)
    sq = jnp.pad(input * input, pad)
    c = input.shape[1]
    s = sq[:, :c]
    for i in range(1, size):
        s = s + sq[:, i:i + c]
    if jnp.issubdtype(input.dtype, jnp.integer):  # an integer average, then default float
        s = (s // size).astype(D._default[0].np)
    else:
        s = s / size
    div = s * jnp.asarray(alpha, s.dtype) + jnp.asarray(k, s.dtype)
    return input / div ** jnp.asarray(beta, s.dtype)


@composite(method=False, namespace=F)
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    return call(OPS["_local_response_norm"], (input,), (int(size), float(alpha), float(beta),
                                                         float(k)))



# ---------------------------------------------------------------- weight norm

def _except_axes(ndim, dim):
    """norm_except_dim's reduced axes and keepdim (dim -1: the whole tensor)."""
    if dim == -1:
        return tuple(range(ndim)), False
    d = dim if dim in (0, ndim - 1) else wrap_dim(dim, ndim)
    return tuple(a for a in range(ndim) if a != d), True


@op(tensors=("v",), function=False, method=False, grad=lambda key: key[0][-1], saves=("v",))
def _norm_except_dim(v, pow, dim, node):
    from .linalg import _vnorm
    return _vnorm(v, pow, *_except_axes(v.ndim, dim))


@op(tensors=("v", "g"), function=False, method=False, grad=lambda key: key[0][-1])
def _weight_norm_impl(v, g, dim, node):
    from .linalg import _vnorm
    return v * (g / _vnorm(v, 2, *_except_axes(v.ndim, dim)))


@composite(method=False)
def norm_except_dim(v, pow=2, dim=0):
    node = ("NormBackward0" if dim == -1 else "ViewBackward0" if dim in (0, v.dim() - 1)
            else "TransposeBackward0")
    return call(OPS["_norm_except_dim"], (v,), (pow, dim, node))


@composite(method=False)
def _weight_norm(v, g, dim=0):
    """v * (g / norm_except_dim(v, 2, dim)); torch's fused kernel (dim first or last, no half)
    records WeightNormInterfaceBackward0."""
    fused = D.float16 not in (v.dtype, g.dtype) and dim in (0, v.dim() - 1)
    return call(OPS["_weight_norm_impl"], (v, g),
                (dim, "WeightNormInterfaceBackward0" if fused else "MulBackward0"))
