"""torch's CPU generator: seeding, sampling functions and state round trips."""
import torch

torch.manual_seed(0)
print(torch.rand(5))
print(torch.randn(2, 3))
print(torch.randint(0, 10, (8,)), torch.randint(5, (2, 2)))
print(torch.randperm(10))
print(torch.rand(3, dtype=torch.float64))
print(torch.initial_seed())

torch.manual_seed(42)
a = torch.rand(4)
torch.manual_seed(42)
print(torch.equal(a, torch.rand(4)))

state = torch.get_rng_state()
print(state.dtype, state.shape)
first = torch.randn(6)
torch.set_rng_state(state)
print(torch.equal(first, torch.randn(6)))

g = torch.Generator().manual_seed(123)
print(torch.rand(3, generator=g), torch.randint(0, 100, (4,), generator=g))
gs = g.get_state()
r1 = torch.randn(3, generator=g)
g.set_state(gs)
print(torch.equal(r1, torch.randn(3, generator=g)), g.initial_seed())

torch.manual_seed(7)
t = torch.empty(4)
print(t.uniform_(-1, 1), t.normal_(2.0, 0.5))
print(torch.rand_like(t), torch.randn_like(t).shape)
print(torch.randn(100).mean().abs() < 0.5, torch.rand(1000).max() < 1)
