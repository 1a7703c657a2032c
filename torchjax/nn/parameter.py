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


class Buffer:  # placeholder; the Module helper replaces it with torch's nn.Buffer
    pass


class UninitializedParameter(Parameter):  # placeholder
    pass


class UninitializedBuffer(Tensor):  # placeholder
    pass
