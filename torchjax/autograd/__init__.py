"""torch.autograd: backward, grad, Function, grad-mode switches."""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled)
from .function import Function, FunctionCtx, once_differentiable
from . import graph, function, grad_mode


def _tensors(x):
    from .._tensor import Tensor
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _root_grads(outputs, grad_outputs, create_graph):
    from .._creation import ones_like
    grads = []
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = _tensors(grad_outputs) if not isinstance(grad_outputs, (list, tuple)) else \
        list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs"
                           if not grad_outputs else
                           f"Mismatch in number of tensors: got {len(grad_outputs)} gradients for "
                           f"{len(outputs)} outputs")
    for o, g in zip(outputs, grad_outputs):
        if g is None:
            if o._rg and o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(o)
        elif not create_graph:
            g = g.detach()
        if g.shape != o.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {g.shape} and "
                               f"output[0] has a shape of {o.shape}.")
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    tensors = _tensors(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(tensors):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
    grads = _root_grads(tensors, grad_tensors, create_graph)
    inputs = _tensors(inputs)
    if inputs is not None and not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    graph.run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    from .._creation import zeros_like
    single = not isinstance(inputs, (list, tuple))
    outputs, inputs = _tensors(outputs), _tensors(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(outputs):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
    for t in inputs:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _root_grads(outputs, grad_outputs, create_graph)
    res = graph.run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                             accumulate=False)
    out = []
    for i, (g, t) in enumerate(zip(res, inputs)):
        if g is None:
            if materialize_grads:
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the desired "
                                   "behavior.")
        elif not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)


def Variable(data, requires_grad=False, volatile=False):
    """Legacy wrapper: returns a Tensor."""
    t = data.detach()
    if requires_grad:
        t.requires_grad_(True)
    return t


from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: E402
from . import anomaly_mode  # noqa: E402
