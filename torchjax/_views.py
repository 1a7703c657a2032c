"""Views: torch's (shape, stride, offset) metadata over one shared storage array.

A root tensor owns ``Storage.value`` (a jax array in its own shape). A view keeps a ``ViewMeta``
(strides in elements of the view's own dtype) and reads/writes the root through a flat index map,
so writes through any alias reach every other alias, and ``stride()``/``is_contiguous()`` match
torch. ``comp`` is the view's element dtype when it differs from the root's (``.real``/``.imag``,
``view_as_real``/``view_as_complex``, ``view(dtype)``): the root's bytes are then reinterpreted as
a flat array of that dtype (``to_units``) before indexing, and written back (``from_units``).
"""
import math

import jax
import jax.numpy as jnp
import numpy as np

from ._jit import lazy_jit


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

    def np_index(self):
        """Flat storage indices (in elements of the view's dtype) of every element (numpy)."""
        idx = np.full((), self.offset, np.int64)
        for n, s in zip(self.shape, self.stride):
            idx = idx[..., None] + np.arange(n, dtype=np.int64) * s
        return np.broadcast_to(idx, self.shape).reshape(-1)

    def index_map(self):
        """np_index as a device array (cached)."""
        if self._idx is None:
            idx = self.np_index()
            self._overlap = not _non_overlapping(self.shape, self.stride) and \
                idx.size > 1 and np.unique(idx).size != idx.size
            self._idx = jnp.asarray(idx)
        return self._idx


def index_in_base(vm, dt, base_vm, base_dt, outside=False):
    """Flat indices of a view's elements (layout vm, dtype dt) among the elements of its base's
    bytes read as dt, for a base that is itself strided (base_vm, dtype base_dt). With outside,
    elements of the storage that the base does not cover get -1 instead of an error."""
    vsz, bsz = np.dtype(dt).itemsize, np.dtype(base_dt).itemsize
    bb = (base_vm.np_index()[:, None] * bsz + np.arange(bsz)).reshape(-1)
    vb = vm.np_index() * vsz
    inv = np.full(max(bb.max(initial=0), vb.max(initial=0)) + 1, -1, np.int64)
    inv[bb] = np.arange(bb.size)
    rel = inv[vb]
    if outside:
        rel = np.where(rel < 0, -vsz, rel)
    if (rel < 0).any() and not outside or (rel % vsz).any():
        raise RuntimeError("torchjax: a view reaching outside its strided base (as_strided) "
                           "cannot be read or written through that base")
    return jnp.asarray(rel // vsz)


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


# ---- reinterpreting bytes: torch's view(dtype) ----
def _raw(x):
    """x as an array of a bitcastable dtype: complex -> (..., 2) floats, bool -> uint8."""
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        return jnp.stack([jnp.real(x), jnp.imag(x)], -1)
    return x.astype(jnp.uint8) if x.dtype == jnp.bool_ else x


def _to_bytes(x):
    """(...,) -> (..., itemsize) uint8."""
    n = x.dtype.itemsize
    b = jax.lax.bitcast_convert_type(_raw(x), jnp.uint8)
    return b.reshape(x.shape + (n,))


def _from_bytes(b, dt):
    """(..., itemsize) uint8 -> (...,) of dt."""
    dt = np.dtype(dt)
    lead = b.shape[:-1]
    if dt == np.bool_:
        return b[..., 0] != 0
    if dt.kind == "c":
        f = _from_bytes(b.reshape(lead + (2, dt.itemsize // 2)), _part(dt))
        return jax.lax.complex(f[..., 0], f[..., 1])
    if dt.itemsize == 1:
        return jax.lax.bitcast_convert_type(b[..., 0], dt)
    return jax.lax.bitcast_convert_type(b, dt)


def bitcast(x, dt):
    """torch's view(dtype) values: the bytes of each last-dim row read as dt (sizes scale)."""
    dt = np.dtype(dt)
    if x.dtype == dt:
        return x
    b = _to_bytes(x)
    if x.ndim == 0:
        return _from_bytes(b, dt)
    row = x.shape[-1] * x.dtype.itemsize
    return _from_bytes(b.reshape(x.shape[:-1] + (row // dt.itemsize, dt.itemsize)), dt)


def _part(dt):
    """The float dtype of a complex dtype's parts."""
    return np.dtype(f"f{np.dtype(dt).itemsize // 2}")


def to_units(root, dt):
    """The root's elements as a flat array of dt (zero-padded to whole elements).
    Complex <-> its part dtype is written differentiably (CopySlices/regenerated views)."""
    flat, rdt, dt = root.reshape(-1), np.dtype(root.dtype), np.dtype(dt)
    if rdt.kind == "c" and dt == _part(rdt):
        return jnp.stack([jnp.real(flat), jnp.imag(flat)], -1).reshape(-1)
    if dt.kind == "c" and rdt == _part(dt):
        if flat.shape[0] % 2:
            flat = jnp.concatenate([flat, jnp.zeros(1, flat.dtype)])
        return jax.lax.complex(flat[0::2], flat[1::2])
    b = _to_bytes(flat).reshape(-1)
    pad = -b.shape[0] % dt.itemsize
    if pad:
        b = jnp.concatenate([b, jnp.zeros(pad, jnp.uint8)])
    return _from_bytes(b.reshape(-1, dt.itemsize), dt)


def from_units(units, root):
    """Inverse of to_units: the flat units written back into an array like root."""
    rdt, dt, n = np.dtype(root.dtype), np.dtype(units.dtype), root.size
    if rdt.kind == "c" and dt == _part(rdt):
        u = units.reshape(-1, 2)
        return jax.lax.complex(u[:, 0], u[:, 1]).reshape(root.shape)
    if dt.kind == "c" and rdt == _part(dt):
        return jnp.stack([jnp.real(units), jnp.imag(units)], -1).reshape(-1)[:n].reshape(root.shape)
    b = _to_bytes(units).reshape(-1)[:n * rdt.itemsize]
    return _from_bytes(b.reshape(n, rdt.itemsize), rdt).reshape(root.shape)


@lazy_jit
def _gather_flat(root, idx):
    return root.reshape(-1)[idx]


@lazy_jit(static_argnums=2)
def _gather_units(root, idx, dt):
    return to_units(root, dt)[idx]


def gather(root, vm):
    if vm.comp is None:
        return _gather_flat(root, vm.index_map()).reshape(vm.shape)
    return _gather_units(root, vm.index_map(), vm.comp).reshape(vm.shape)


@lazy_jit
def _scatter_flat(root, idx, src):
    return root.reshape(-1).at[idx].set(src.reshape(-1).astype(root.dtype)).reshape(root.shape)


@lazy_jit(static_argnums=3)
def _scatter_units(root, idx, src, dt):
    units = to_units(root, dt).at[idx].set(src.reshape(-1).astype(dt))
    return from_units(units, root)


def scatter(root, vm, src):
    idx = vm.index_map()
    if vm._overlap:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")
    src = jnp.broadcast_to(src, vm.shape)
    if vm.comp is None:
        return _scatter_flat(root, idx, src)
    return _scatter_units(root, idx, src, vm.comp)


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
