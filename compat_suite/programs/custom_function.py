# compat: rtol=1e-5 atol=1e-6
"""Custom torch.autograd.Function: ctx, saved tensors, multiple outputs, setup_context."""
import torch

torch.set_printoptions(precision=6)


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class ScaleShift(torch.autograd.Function):
    """Non-tensor argument (gets None grad) and a needs_input_grad check."""

    @staticmethod
    def forward(ctx, x, scale, shift):
        ctx.scale = scale
        ctx.save_for_backward(x)
        return x * scale + shift

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        print("needs_input_grad", ctx.needs_input_grad)
        return grad * ctx.scale, None, grad.sum() if ctx.needs_input_grad[2] else None


class SplitSigns(torch.autograd.Function):
    """Two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0), x.clamp(max=0)

    @staticmethod
    def backward(ctx, gpos, gneg):
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, gpos, gneg)


class Cube(torch.autograd.Function):
    """forward without ctx plus setup_context; differentiable backward."""

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


x = torch.tensor([0.0, 1.0, -2.0], requires_grad=True)
y = Exp.apply(x)
print(y, y.grad_fn.name(), y.requires_grad)
y.sum().backward()
print(x.grad)

x.grad = None
shift = torch.tensor(1.0, requires_grad=True)
out = ScaleShift.apply(x, 3.0, shift)
out.sum().backward()
print(out, x.grad, shift.grad)
out2 = ScaleShift.apply(x, 2.0, torch.tensor(5.0))
out2.sum().backward()
print(out2, x.grad)

x.grad = None
pos, neg = SplitSigns.apply(x)
(pos * 2 + neg * 3).sum().backward()
print(pos, neg, x.grad)

c = torch.tensor([1.0, 2.0], requires_grad=True)
k = Cube.apply(c)
(g,) = torch.autograd.grad(k.sum(), c, create_graph=True)
(gg,) = torch.autograd.grad(g.sum(), c)
print(k, g, gg)

with torch.no_grad():
    print(Exp.apply(x).requires_grad)
print(Exp.apply(torch.tensor([1.0])).requires_grad)
