# compat: rtol=1e-4 atol=1e-5
"""An MLP regression: default init under a seed, MSELoss, SGD with momentum, a train loop."""
import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.linspace(-2, 2, 64).unsqueeze(1)
y = torch.sin(2 * x) + 0.1 * torch.randn(64, 1)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
print(model)
print(sum(p.numel() for p in model.parameters()), "parameters")
print([name for name, _ in model.named_parameters()])
print(model[0].weight[:3])

opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
loss_fn = nn.MSELoss()
for step in range(60):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.5f}")
print(loss.grad_fn.name())
model.eval()
with torch.no_grad():
    pred = model(torch.tensor([[-1.0], [0.0], [1.0]]))
print(pred)
print(model[4].bias)
