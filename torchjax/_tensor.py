"""Tensor: a jax.Array (or tracer) with torch's identity, views, versions and autograd state.

Every read of a tensor's array goes through ``_value`` and every write through ``_assign``.
Ops are installed onto the class from the op table (``_ops``); only what is not an op lives here.
"""
import gc
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._size import Size, device, torch_device, jax_device, CPU
from ._views import Storage, ViewMeta, gather, scatter, meta_of, contiguous_strides, is_whole
from ._grad_state import STATE

_new = object.__new__


class Tensor:
    # class-level defaults keep creation cheap: an op result sets only _st
    _vm = None          # ViewMeta when this tensor aliases part of its storage
    _vc = None          # cached value of a view
    _vv = -1            # storage version the cache was read at
    _rg = False         # requires_grad
    _grad_fn = None
    _output_nr = 0
    _grad = None
    _acc = None         # AccumulateGrad node of a leaf
    _base = None        # torch's _base (view base)
    _gv = 0             # storage.gv when a view's grad_fn was made
    _hooks = None       # leaf hooks
    _retains = False
    _inference = False
    _is_param = False
    _cm = None          # a view torch refuses to write in place under autograd: (kind, output nr)
    _regen = None       # (view_as_real|view_as_complex, its input): replayed by _regen_view
    __array_priority__ = 1000

    # ---- value accessors: the only places that touch the array ----
    @property
    def _value(self):
        vm = self._vm
        if vm is None:
            return self._st.value
        st = self._st
        if self._vv != st.version:
            self._vc, self._vv = gather(st.value, vm), st.version
        return self._vc

    def _assign(self, arr):
        """Write ``arr`` (already of this dtype, broadcastable) into this tensor's elements."""
        st, vm = self._st, self._vm
        if vm is None:
            if arr.shape != st.value.shape:
                arr = jnp.broadcast_to(arr, st.value.shape)
            st.value = arr
        else:
            st.value = scatter(st.value, vm, arr)
        st.version += 1
        if vm is not None:
            self._vc, self._vv = jnp.broadcast_to(arr, vm.shape), st.version

    # ---- construction ----
    def __new__(cls, *args, **kwargs):
        from ._creation import legacy_new
        return legacy_new(cls, *args, **kwargs)

    # ---- metadata ----
    @property
    def shape(self):
        vm = self._vm
        return Size(self._st.value.shape if vm is None else vm.shape)

    def size(self, dim=None):
        s = self.shape
        from ._ops._util import wrap_dim
        return s if dim is None else s[wrap_dim(dim, len(s))]

    @property
    def dtype(self):
        return D._by_np[self._value.dtype]

    @property
    def ndim(self):
        return len(self.shape)

    def dim(self):
        return len(self.shape)

    ndimension = dim

    def numel(self):
        return self.shape.numel()

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.numel() * self.dtype.itemsize

    def stride(self, dim=None):
        stride = meta_of(self)[1]
        from ._ops._util import wrap_dim
        return stride if dim is None else stride[wrap_dim(dim, len(stride))]

    def storage_offset(self):
        vm = self._vm
        return 0 if vm is None else vm.offset

    def is_contiguous(self, memory_format=None):
        vm = self._vm
        if vm is None:
            return True
        expect = 1
        for n, s in zip(reversed(vm.shape), reversed(vm.stride)):
            if n != 1:
                if s != expect:
                    return False
                expect *= n
        return True

    def _is_view(self):
        return self._base is not None

    @property
    def _version(self):
        return self._st.version

    def data_ptr(self):
        return id(self._st) * 64 + self.storage_offset() * self.dtype.itemsize

    def untyped_storage(self):
        return self._st

    @property
    def device(self):
        v = self._value
        if isinstance(v, jax.core.Tracer):
            return CPU
        return torch_device(next(iter(v.devices())))

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    is_cpu = property(lambda self: self.device.type == "cpu")
    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "torch.strided"

    def get_device(self):
        d = self.device
        return -1 if d.type == "cpu" else d.index

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_signed(self):
        return self.dtype.is_signed

    def is_inference(self):
        return self._inference

    # ---- autograd state ----
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        if self._grad_fn is not None and not flag:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if flag and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._rg = bool(flag)

    def requires_grad_(self, requires_grad=True):
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = bool(requires_grad) or self._grad_fn is not None
        return self

    @property
    def grad_fn(self):
        from .autograd.graph import edge_of
        if self._grad_fn is not None and self._vm is not None and self._gv != self._st.gv:
            edge_of(self)
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad(self):
        if self._grad is None and self._grad_fn is not None and not self._retains:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed want "
                "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
                "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
                "the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more "
                "information. (Triggered internally at /__w/pytorch/pytorch/build/aten/src/ATen/"
                "core/TensorBody.h:493.)", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, g):
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(g).__name__}")
            if g.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if g.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = g

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, other):
        self._st, self._vm, self._vv = other._st, other._vm, -1

    def detach(self):
        t = _alias(self)
        return t

    def detach_(self):
        if self._base is not None and self._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_"
                               "view is set as True, gradients are views of DDP buckets, and hence "
                               "detach_() cannot be called on these gradients. To fix this error, "
                               "please refer to the Optimizer.zero_grad() function in "
                               "torch/optim/optimizer.py as the solution.")
        self._grad_fn, self._rg = None, False
        return self

    def retain_grad(self):
        if self._grad_fn is None:
            return
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if not self._retains:
            self._retains = True
            from .autograd.graph import add_retain_hook
            add_retain_hook(self)

    @property
    def retains_grad(self):
        return self._retains

    def register_hook(self, hook):
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.graph import register_tensor_hook
        return register_tensor_hook(self, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ---- host conversion ----
    def _numpy(self):
        return np.asarray(jax.device_get(self._value))

    def numpy(self, *, force=False):
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if not force and self.device.type != "cpu":
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._numpy()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def tolist(self):
        a = self._numpy()
        if self.dtype is D.bfloat16:
            a = a.astype(np.float32)
        return a.tolist()

    def item(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        return self.tolist() if self.dim() == 0 else self.reshape(()).tolist()

    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with {'more than one' if n else 'no'} "
                               "value is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def __index__(self):
        if self.dtype.is_floating_point or self.dtype.is_complex or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def _scalar(self, kind):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar") if \
                kind != "float" else ValueError("only one element tensors can be converted to "
                                                "Python scalars")
        return self.item()

    def __hash__(self):
        return id(self)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self, tensor_contents=tensor_contents)

    def __format__(self, spec):
        if self.dim() == 0 and type(self) is Tensor:
            return self.detach().item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        from ._creation import _rebuild
        return (_rebuild, (self._numpy(), self._rg))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        t = self.detach().clone()
        t._rg = self._rg
        if self._grad is not None:
            t._grad = self._grad.detach().clone()
        if type(self) is not Tensor:
            t.__class__ = type(self)
        t.__dict__.update({k: v for k, v in self.__dict__.items() if not k.startswith("_")})
        memo[id(self)] = t
        return t

    # ---- device / dtype movement ----
    def cpu(self, memory_format=None):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        return self.to("cuda" if device is None else (device if not isinstance(device, int)
                                                       else f"cuda:{device}"))

    def type(self, dtype=None, non_blocking=False, **kw):
        if dtype is None:
            leg = self.dtype._legacy
            return ("torch.cuda." if self.is_cuda else "torch.") + leg
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            dtype = next(d for d in D.ALL if d._legacy == name)
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self, memory_format=None):
        return self.to(D.float32)

    def double(self, memory_format=None):
        return self.to(D.float64)

    def half(self, memory_format=None):
        return self.to(D.float16)

    def bfloat16(self, memory_format=None):
        return self.to(D.bfloat16)

    def int(self, memory_format=None):
        return self.to(D.int32)

    def long(self, memory_format=None):
        return self.to(D.int64)

    def short(self, memory_format=None):
        return self.to(D.int16)

    def char(self, memory_format=None):
        return self.to(D.int8)

    def byte(self, memory_format=None):
        return self.to(D.uint8)

    def bool(self, memory_format=None):
        return self.to(D.bool)

    def cfloat(self, memory_format=None):
        return self.to(D.complex64)

    def cdouble(self, memory_format=None):
        return self.to(D.complex128)

    def to(self, *args, **kwargs):
        dev, dtype, copy = _parse_to(self, args, kwargs)
        out = self
        if dtype is not None and dtype is not self.dtype:
            out = out._to_dtype(dtype)
            copy = False
        if dev is not None and dev != self.device:
            out = out._to_device(dev)
            copy = False
        if copy:
            out = out.clone()
        return out

    def _to_device(self, dev):
        from ._ops.registry import OPS, call
        return call(OPS["_to_device"], (self,), (jax_device(dev),))

    def _to_dtype(self, dtype):
        from ._ops.registry import OPS, call
        return call(OPS["_to_copy"], (self,), (dtype,))

    def resize_(self, *sizes, memory_format=None):
        """torch's resize_: a contiguous layout at the same storage offset over the same storage,
        which grows in place (aliases keep sharing it) when the new size does not fit. Grown
        elements are zero (torch leaves them uninitialised)."""
        from ._ops._util import shape_arg
        shape = shape_arg(sizes)
        if self._rg:
            raise RuntimeError("cannot resize variables that require grad")
        if any(s < 0 for s in shape):
            raise RuntimeError("numel: integer multiplication overflow")
        _, _, off, comp = meta_of(self)
        st = self._st
        n = int(np.prod(shape))
        need = (off + n) * (comp or st.value.dtype).itemsize if n else 0
        rsize = st.value.dtype.itemsize
        if need > st.value.size * rsize:
            _grow(st, self, -(-need // rsize))
            if off == 0 and comp is None and n == st.value.size:
                st.value = st.value.reshape(shape)
        stride = contiguous_strides(shape)
        self._vm = None if is_whole(st.value.shape, shape, stride, off, comp) else \
            ViewMeta(shape, stride, off, comp)
        st.version += 1
        self._vv = -1
        return self

    def set_(self, source=None, storage_offset=0, size=None, stride=None):
        """torch's set_: alias source (a Tensor: its layout, or the given one over its storage; a
        storage from untyped_storage(): its bytes read as this tensor's dtype)."""
        from .autograd.graph import check_inplace
        check_inplace(self)
        dt = self._value.dtype
        if source is None:
            st, layout = Storage(jnp.zeros((0,), dt)), None
        elif isinstance(source, Tensor):
            if source.dtype is not self.dtype:
                from ._ops.indexing import _CTYPE
                raise RuntimeError(f"Could not set tensor of type {_CTYPE[source.dtype]} to a "
                                   f"tensor of type {_CTYPE[self.dtype]}")
            st, layout = source._st, (None if size is None else (storage_offset, size, stride))
        else:
            st = source
            layout = (storage_offset, size if size is not None else
                      (st.value.size * st.value.dtype.itemsize // dt.itemsize,), stride)
        self._st, self._vv, self._base, self._cm, self._regen = st, -1, None, None, None
        if layout is None:
            self._vm = None if source is None else source._vm
            return self
        off, size = layout[0], tuple(layout[1])
        stride = contiguous_strides(size) if layout[2] is None else tuple(layout[2])
        if len(size) != len(stride):
            raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                               f"({len(stride)})")
        comp = None if dt == st.value.dtype else dt
        self._vm = None if is_whole(st.value.shape, size, stride, off, comp) else \
            ViewMeta(size, stride, off, comp)
        return self

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False, **kw):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    def __class_getitem__(cls, item):
        return cls


def _parse_to(t, args, kwargs):
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    flags = []  # positional non_blocking, copy
    for a in args:
        if isinstance(a, bool):
            flags.append(a)
        elif isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, (str, device, int)):
            dev = device(a)
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__})")
    if len(flags) > 1:
        copy = flags[1]
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected "
                        f"keyword arguments {list(kwargs)}")
    return (device(dev) if dev is not None else None), dtype, copy


def _grow(st, keep, n):
    """Enlarge storage st in place to n root elements (a flat array, zeros appended). Other
    tensors reading it whole (detach, .data, set_) keep their shape through a layout."""
    old = st.value
    if sys.getrefcount(st) > 4:  # referenced beyond keep and this call: find the aliases
        found = []
        for o in gc.get_referrers(st):
            if isinstance(o, dict):
                found += [t for t in gc.get_referrers(o) if isinstance(t, Tensor) and
                          getattr(t, "__dict__", None) is o]
            elif isinstance(o, Tensor):
                found.append(o)
        for t in found:
            if t is not keep and t._st is st and t._vm is None:
                t._vm = ViewMeta(old.shape, contiguous_strides(old.shape), 0)
                t._vc, t._vv = old, st.version
    st.value = jnp.concatenate([old.reshape(-1), jnp.zeros(n - old.size, old.dtype)])


def wrap(arr, requires_grad=False):
    """A new root Tensor owning ``arr``."""
    t = _new(Tensor)
    t._st = Storage(arr)
    if requires_grad:
        t._rg = True
    return t


def _alias(src, cls=Tensor):
    """A tensor sharing src's storage and layout, with no autograd history (detach/.data)."""
    t = _new(cls)
    t._st, t._vm = src._st, src._vm
    return t


def view_of(src, arr, shape, stride, offset):
    """A view tensor over src's storage with the given layout (in elements of arr's dtype);
    arr is its current value."""
    t = _new(Tensor)
    st = src._st
    t._st = st
    root = st.value
    comp = None if arr.dtype == root.dtype else arr.dtype
    whole = comp is None and offset == 0 and tuple(shape) == tuple(root.shape) and \
        tuple(stride) == contiguous_strides(root.shape)
    if not whole:
        t._vm = ViewMeta(shape, stride, offset, comp)
        t._vc, t._vv = arr, st.version
    t._base = src._base if src._base is not None else src
    if not STATE.enabled:  # like torch: still requires grad, but no gradient reaches it
        t._cm = ("no_grad", 0)
        t._rg = src._rg
    elif src._cm is not None:
        t._cm = (src._cm[0], 0)
    return t
