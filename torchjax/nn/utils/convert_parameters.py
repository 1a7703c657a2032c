"""torch.nn.utils.convert_parameters: parameters <-> one flat vector."""
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _typename(o):
    from ...optim.optimizer import _torch_typename
    return _torch_typename(o)


def parameters_to_vector(parameters):
    import torchjax
    return torchjax.cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
