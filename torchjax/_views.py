"""Views: torch's (shape, stride, offset) metadata over one shared storage array.

A root tensor owns ``Storage.value`` (a jax array in its own shape). A view keeps a ``ViewMeta``
(strides in elements of the root) and reads/writes the root through a flat index map, so writes
through any alias reach every other alias, and ``stride()``/``is_contiguous()`` match torch.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np


class Storage:
    __slots__ = ("value", "version", "gv", "__weakref__")

    def __init__(self, value):
        self.value, self.version, self.gv = value, 0, 0


def contiguous_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _non_overlapping(shape, stride):
    """Sufficient test that no two elements share memory (dims sorted by stride, like torch)."""
    extent = 0
    for n, st in sorted(((n, abs(st)) for n, st in zip(shape, stride) if n > 1), key=lambda p: p[1]):
        if st <= extent:
            return False
        extent += st * (n - 1)
    return True


class ViewMeta:
    __slots__ = ("shape", "stride", "offset", "comp", "_idx", "_overlap")

    def __init__(self, shape, stride, offset=0, comp=None):
        self.shape, self.stride, self.offset, self.comp = tuple(shape), tuple(stride), offset, comp
        self._idx = None
        self._overlap = None

    def index_map(self):
        """Flat root indices of every element, as a device array (cached)."""
        if self._idx is None:
            idx = np.full((), self.offset, np.int64)
            for d, (n, s) in enumerate(zip(self.shape, self.stride)):
                idx = idx[..., None] + np.arange(n, dtype=np.int64) * s
            idx = np.broadcast_to(idx, self.shape)
            self._overlap = not _non_overlapping(self.shape, self.stride) and \
                idx.size > 1 and np.unique(idx).size != idx.size
            self._idx = jnp.asarray(idx.reshape(-1))
        return self._idx


def meta_of(t):
    """(shape, stride, offset, comp) of a tensor: its ViewMeta, or the contiguous root layout."""
    vm = t._vm
    if vm is None:
        shape = t._st.value.shape
        return shape, contiguous_strides(shape), 0, None
    return vm.shape, vm.stride, vm.offset, vm.comp


def is_whole(root_shape, shape, stride, offset, comp):
    return comp is None and offset == 0 and tuple(shape) == tuple(root_shape) and \
        tuple(stride) == contiguous_strides(shape)


@jax.jit
def _gather_flat(root, idx):
    return root.reshape(-1)[idx]


def gather(root, vm):
    out = _gather_flat(root, vm.index_map()).reshape(vm.shape)
    if vm.comp == "real":
        return jnp.real(out)
    if vm.comp == "imag":
        return jnp.imag(out)
    return out


@jax.jit
def _scatter_flat(root, idx, src):
    return root.reshape(-1).at[idx].set(src.reshape(-1).astype(root.dtype)).reshape(root.shape)


@jax.jit
def _scatter_real(root, idx, src):
    flat = root.reshape(-1)
    new = jax.lax.complex(src.reshape(-1).astype(flat.real.dtype), flat[idx].imag)
    return flat.at[idx].set(new).reshape(root.shape)


@jax.jit
def _scatter_imag(root, idx, src):
    flat = root.reshape(-1)
    new = jax.lax.complex(flat[idx].real, src.reshape(-1).astype(flat.real.dtype))
    return flat.at[idx].set(new).reshape(root.shape)


def scatter(root, vm, src):
    idx = vm.index_map()
    if vm._overlap:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")
    fn = {None: _scatter_flat, "real": _scatter_real, "imag": _scatter_imag}[vm.comp]
    return fn(root, idx, jnp.broadcast_to(src, vm.shape))


# ---- stride rules of torch's view ops: (shape, stride, offset) -> (shape, stride, offset) ----

def compute_view_stride(oldshape, oldstride, newshape):
    """torch's computeStride: strides for viewing (oldshape, oldstride) as newshape, or None."""
    if tuple(oldshape) == tuple(newshape):
        return tuple(oldstride)
    if not oldshape or math.prod(oldshape) == 0:
        return contiguous_strides(newshape)
    newstride = [0] * len(newshape)
    view_d = len(newshape) - 1
    chunk_base_stride = oldstride[-1] if oldstride else 1
    tensor_numel, view_numel = 1, 1
    for tensor_d in range(len(oldshape) - 1, -1, -1):
        tensor_numel *= oldshape[tensor_d]
        if tensor_d == 0 or (oldshape[tensor_d - 1] != 1 and
                             oldstride[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or newshape[view_d] == 1):
                newstride[view_d] = view_numel * chunk_base_stride
                view_numel *= newshape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = oldstride[tensor_d - 1]
                tensor_numel, view_numel = 1, 1
    if view_d != -1:
        return None
    return tuple(newstride)
