"""nn.Parameter: a Tensor subclass that modules register; prints 'Parameter containing:'."""
from .._tensor import Tensor, _alias


class Parameter(Tensor):
    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        from .._creation import empty
        if data is None:
            data = empty(0)
        t = _alias(data, cls)
        t._rg = bool(requires_grad)
        return t

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        from .._creation import _rebuild_param
        return (_rebuild_param, (self.detach()._numpy(), self._rg))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        r = Parameter(self.detach().clone(), self._rg)
        memo[id(self)] = r
        return r


class _BufferMeta(type):
    # isinstance(t, Buffer) is True for tensors made by Buffer(...): they are plain Tensors
    def __instancecheck__(cls, instance):
        if cls is Buffer and isinstance(instance, Tensor) and \
                getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """torch.nn.Buffer: marks a tensor so that assigning it to a Module attribute registers a
    buffer (persistent or not). Returns a detached plain Tensor, like torch."""

    def __new__(cls, data=None, *, persistent=True):
        from .._creation import empty
        if data is None:
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedTensorMixin:
    """Marks a Parameter/Buffer whose shape is decided by the first forward (lazy modules)."""

    def materialize(self, shape, device=None, dtype=None):
        from .._creation import empty
        if device is None:
            device = self.data.device
        if dtype is None:
            dtype = self.data.dtype
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


def is_lazy(param):
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._creation import empty
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.data.device, self.data.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._creation import empty
        t = _alias(empty(0, device=device, dtype=dtype), cls)
        t._rg = bool(requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
