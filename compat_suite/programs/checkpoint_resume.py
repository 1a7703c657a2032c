# compat: rtol=1e-5 atol=1e-6
"""Checkpoint and resume: save model, optimizer and scheduler state, load into fresh objects, and
continue exactly where an uninterrupted run would be."""
import io
import os
import tempfile

import torch
import torch.nn as nn


def make():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    return model, opt, sched


def train(model, opt, sched, steps, start):
    for step in range(start, start + steps):
        g = torch.Generator().manual_seed(step)
        x = torch.randn(16, 3, generator=g)
        y = x.sum(1, keepdim=True)
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        print(f"step {step} loss {loss.item():.6f}")


model, opt, sched = make()
train(model, opt, sched, 6, 0)
print("uninterrupted", model[2].bias)

model, opt, sched = make()
train(model, opt, sched, 3, 0)
path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(),
            "step": 3}, path)
ckpt = torch.load(path)
print(sorted(ckpt), list(ckpt["model"]), ckpt["optim"]["param_groups"][0]["params"])
print(ckpt["optim"]["state"][0]["step"], ckpt["sched"]["last_epoch"])
model2, opt2, sched2 = make()
model2.load_state_dict(ckpt["model"])
opt2.load_state_dict(ckpt["optim"])
sched2.load_state_dict(ckpt["sched"])
train(model2, opt2, sched2, 3, ckpt["step"])
print("resumed", model2[2].bias)

buf = io.BytesIO()
torch.save(model2, buf)
buf.seek(0)
whole = torch.load(buf, weights_only=False)
print(type(whole).__name__, torch.equal(whole[0].weight, model2[0].weight))
buf.seek(0)
try:
    torch.load(buf)
except Exception as e:
    print(type(e).__name__)
t = torch.arange(6.)
v = t[2:]
buf = io.BytesIO()
torch.save([t, v], buf)
buf.seek(0)
a, b = torch.load(buf)
b[0] = 100.0
print(a, b)
