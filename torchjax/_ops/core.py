"""Internal ops the Tensor machinery itself uses: dtype/device copies, clone, in-place writes."""
import jax
import jax.numpy as jnp

from .registry import op
from .._views import to_units, from_units


@op(promote=False, function=False, method=False, grad="ToCopyBackward0", saves=())
def _to_copy(input, dtype):
    if jnp.issubdtype(input.dtype, jnp.floating) and dtype._cat == 1:
        return _float_to_int(input, dtype.np)
    return input.astype(dtype.np)


def _float_to_int(x, dt):
    """x86's truncating conversion, as torch's CPU casts run it: to int64 directly, to narrower
    integers through int32 and then wrapped; NaN and out-of-range values become the minimum of
    int64 / int32 (XLA would saturate, and give 0 for NaN)."""
    it = jnp.int64 if dt == jnp.int64 else jnp.int32
    lim = float(2 ** (jnp.iinfo(it).bits - 1))
    t = jnp.trunc(x.astype(jnp.promote_types(x.dtype, jnp.float32)))  # (16-bit: exact)
    ok = (t >= -lim) & (t < lim)
    v = jnp.where(ok, jnp.where(ok, t, 0).astype(it), jnp.iinfo(it).min)
    return v.astype(dt)


@op(promote=False, function=False, method=False, grad="ToCopyBackward0", saves=())
def _to_device(input, device):
    return jax.device_put(input, device)


@op(promote=False, grad="CloneBackward0", saves=())
def clone(input, *, memory_format=None):
    return jnp.copy(input)


@op(promote=False, method=False, grad="CloneBackward0", saves=())
def contiguous_copy(input):
    return jnp.copy(input)


@op(tensors=("input", "src", "idx"), promote=False, function=False, method=False,
    grad="CopySlices", saves=())
def _copy_slices(input, src, idx, comp=None):
    """input with the view's elements (flat indices idx, in elements of dtype comp) set to src."""
    if comp is not None:
        return from_units(to_units(input, comp).at[idx].set(src.reshape(-1).astype(comp)), input)
    flat = input.reshape(-1)
    return flat.at[idx].set(src.reshape(-1).astype(input.dtype)).reshape(input.shape)


@op(tensors=("input", "idx"), promote=False, function=False, method=False,
    grad="AsStridedBackward0", saves=())
def _view_read(input, idx, shape, comp=None):
    flat = input.reshape(-1) if comp is None else to_units(input, comp)
    return flat[idx].reshape(shape)


@op(tensors=("input", "src"), promote=False, function=False, method=False, inplace=True,
    grad="CopyBackwards", saves=())
def copy(input, src, non_blocking=False):
    from ._util import broadcast_shapes
    if broadcast_shapes(input.shape, src.shape) != tuple(input.shape):
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast "
                           f"shape {list(broadcast_shapes(input.shape, src.shape))}")
    return jnp.broadcast_to(src.astype(input.dtype), input.shape)


@op(tensors=("input",), data=("value",), promote=False, function=False, method=False,
    inplace=True, grad="FillBackward0", saves=())
def fill(input, value):
    if value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return jnp.full(input.shape, value.astype(input.dtype) if jnp.issubdtype(
        input.dtype, jnp.complexfloating) else jnp.real(value).astype(input.dtype))


@op(promote=False, function=False, method=False, inplace=True, grad="ZeroBackward0", saves=())
def zero(input):
    return jnp.zeros_like(input)
