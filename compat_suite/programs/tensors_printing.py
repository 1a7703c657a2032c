"""Tensor creation, attributes, views, indexing and printing."""
import torch

a = torch.tensor([[1.5, -2.25, 3.0], [0.0, 4.125, -0.5]])
print(a)
print(repr(a.dtype), a.shape, a.size(), a.size(1), a.dim(), a.ndim, a.numel(), a.device)
print(a.is_floating_point(), a.is_contiguous(), a.requires_grad, a.is_leaf)
print(torch.zeros(2, 3, dtype=torch.int64))
print(torch.ones(2, dtype=torch.bool), torch.ones(()), torch.zeros(0, 3))
print(torch.arange(10), torch.arange(1, 4, 0.5), torch.arange(5, dtype=torch.float64))
print(torch.linspace(0, 1, 5), torch.full((2, 2), 7), torch.full((2,), 2.5))
print(torch.eye(3), torch.empty(2, 0).shape)
print(torch.tensor(3), torch.tensor(2.5), torch.tensor(True), torch.tensor([1, 2]).dtype)
print(torch.tensor([1e-8, 1.0, 1e8]), torch.tensor([1e10, 2.0]), torch.tensor([0.1, 0.25]))
print(torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0]))
print(torch.tensor([[True, False], [False, True]]), torch.tensor([-3, 100, 7], dtype=torch.int8))
print(torch.arange(2000.0))
print(torch.arange(24).reshape(2, 3, 4))

# indexing and slicing
b = torch.arange(12).reshape(3, 4)
print(b[1], b[:, 2], b[1:, ::2], b[-1, -1], b[b > 5], b[[0, 2]], b[..., None].shape)
print(b[torch.tensor([2, 0]), torch.tensor([1, 3])], b[1, 2].item(), b.tolist())
b[0, 0] = 100
b[2] = torch.tensor([9, 8, 7, 6])
b[:, 1] += 1
print(b)

# views share memory
c = torch.arange(6.0)
v = c.view(2, 3)
v[0, 1] = -1.0
print(c, v.t(), v.t().is_contiguous(), v.t().contiguous().is_contiguous())
print(v.transpose(0, 1).shape, v.permute(1, 0).stride(), v.unsqueeze(0).shape, v.flatten())
print(v.reshape(3, 2), v.squeeze(), torch.arange(4).view(1, 4, 1).squeeze().shape)
print(torch.cat([v, v]), torch.stack([c, c], dim=1).shape, v.chunk(3, dim=1))
print(v.expand(2, 2, 3).shape, torch.arange(3).repeat(2), v.flip(0))

# dtype conversion
print(a.int(), a.long().dtype, a.to(torch.float64), a.bool(), a.type(torch.int32))
print(a.clone().numpy().tolist() if hasattr(a, "numpy") else None)
torch.set_printoptions(precision=2)
print(torch.tensor([3.14159, 2.71828]))
torch.set_printoptions(precision=4)
print(torch.tensor([3.14159, 2.71828]), str(torch.float32), torch.int64)
