# compat: rtol=1e-5 atol=1e-6
"""backward, .grad accumulation, autograd.grad, hooks, retain_graph, higher-order gradients."""
import torch

torch.set_printoptions(precision=6)
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
w = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]], requires_grad=True)
y = (w @ x).tanh()
loss = (y ** 2).sum() + x.exp().mean()
print(y, loss, y.requires_grad, y.is_leaf, x.is_leaf, y.grad_fn.name(), loss.grad_fn.name())
loss.backward(retain_graph=True)
print(x.grad, w.grad)
loss.backward()  # second pass accumulates
print(x.grad, w.grad)
x.grad = None
w.grad.zero_()
print(x.grad, w.grad)

# backward twice without retain_graph fails
z = (x * x).sum()
z.backward()
try:
    z.backward()
except RuntimeError:
    print("RuntimeError on second backward")

# torch.autograd.grad, non-scalar outputs with grad_outputs
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
out = a ** 3
(g,) = torch.autograd.grad(out, a, grad_outputs=torch.tensor([1.0, 0.5, 0.25]))
print(g, a.grad)
g1, g2 = torch.autograd.grad((a * 2).sum(), [a, x], allow_unused=True)
print(g1, g2)

# second derivative
(d1,) = torch.autograd.grad((a ** 3).sum(), a, create_graph=True)
(d2,) = torch.autograd.grad(d1.sum(), a)
print(d1, d1.requires_grad, d2)
s = torch.tensor(0.7, requires_grad=True)
f = s.sin() * s
(df,) = torch.autograd.grad(f, s, create_graph=True)
(ddf,) = torch.autograd.grad(df, s)
print(df.item(), ddf.item())

# hooks
h = torch.tensor([1.0, 2.0], requires_grad=True)
seen = []
handle = h.register_hook(lambda grad: seen.append(grad.clone()) or grad * 10)
(h * h).sum().backward()
print(h.grad, seen)
handle.remove()
h.grad = None
(h * h).sum().backward()
print(h.grad, len(seen))
m = h * 3
m.retain_grad()
m.register_hook(lambda grad: grad + 1)
(m ** 2).sum().backward()
print(m.grad, h.grad)

# no_grad, detach, requires_grad_
with torch.no_grad():
    n = x * 2
print(n.requires_grad, x.detach().requires_grad, torch.is_grad_enabled())
with torch.enable_grad():
    print((x * 2).requires_grad)
q = torch.ones(2)
q.requires_grad_()
(q * torch.tensor([3.0, 4.0])).sum().backward()
print(q.grad, q.detach().requires_grad)
@torch.no_grad()
def doubled(t):
    return t * 2
print(doubled(q).requires_grad)
try:
    torch.ones(2).sum().backward()
except RuntimeError:
    print("RuntimeError: no graph")

# gradients through indexing, reductions and broadcasting
p = torch.arange(6.0).reshape(2, 3).requires_grad_()
r = p[:, 1:].sum() + p.max() + (p * torch.tensor([1.0, 2.0, 3.0])).mean() + p.norm()
r.backward()
print(r.item(), p.grad)
