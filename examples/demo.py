"""A small, ordinary PyTorch program.

Run it with PyTorch:        python examples/demo.py
Run it on JAX (torchjax):   python -m torchjax examples/demo.py
"""

import torch

torch.manual_seed(0)

# Tensors and arithmetic
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
b = torch.ones(2, 2)
print("a + b =", a + b)
print("a @ a =", a @ a)
print("a.sum() =", a.sum().item(), " a.mean() =", a.mean().item())
print("a * 10 - 1 =", a * 10 - 1)
print("shape:", tuple(a.shape), " dtype:", a.dtype)

# Autograd on a scalar function
x = torch.tensor(3.0, requires_grad=True)
y = x**2 + 2 * x
y.backward()
print("d/dx (x^2 + 2x) at x=3:", x.grad.item())

# Least-squares fit by hand-written gradient descent
true_w = torch.tensor([2.0, -3.4])
true_b = 4.2
X = torch.randn(100, 2)
Y = X @ true_w + true_b

w = torch.zeros(2, requires_grad=True)
bias = torch.zeros(1, requires_grad=True)
lr = 0.1

for step in range(200):
    pred = X @ w + bias
    loss = ((pred - Y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        bias -= lr * bias.grad
    w.grad.zero_()
    bias.grad.zero_()
    if step % 50 == 0:
        print(f"step {step:3d}  loss {loss.item():.6f}")

print("fitted w:", [round(v, 3) for v in w.tolist()], " b:", round(bias.item(), 3))
print("done:", loss.item() < 1e-6)
