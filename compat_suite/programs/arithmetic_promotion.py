"""Arithmetic, comparisons and torch's type promotion rules."""
import torch

i = torch.tensor([1, 2, 3])
f = torch.tensor([0.5, 1.5, -2.5])
b = torch.tensor([True, False, True])
u8 = torch.tensor([200, 10, 255], dtype=torch.uint8)
i8 = torch.tensor([-100, 50, 127], dtype=torch.int8)
h = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float16)
d = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)

for name, x in [("int+float", i + f), ("int+2.5", i + 2.5), ("int*2", i * 2), ("bool+int", b + i),
                ("bool+bool", b + b), ("u8+i8", u8 + i8), ("u8+1", u8 + 1), ("i8*2", i8 * 2),
                ("half+float", h + f), ("half+2.0", h + 2.0), ("double+f", d + f),
                ("int/int", i / i), ("int//2", i // 2), ("0-d float", i + torch.tensor(1.5)),
                ("0-d int64 + i8", i8 + torch.tensor(1)), ("0-d double + f", f + torch.tensor(1.0, dtype=torch.float64)),
                ("complex", f + 1j), ("bool*1.5", b * 1.5)]:
    print(name, x, x.dtype)

print(torch.result_type(i, 1.0), torch.result_type(u8, i8), torch.promote_types(torch.int32, torch.float16))
print(torch.can_cast(torch.float32, torch.int32), torch.can_cast(torch.int32, torch.float32))

# division, remainder and rounding with negatives
n = torch.tensor([-7, -3, 3, 7])
print(n // 2, n % 3, torch.fmod(n, 3), torch.remainder(n, -3), n / 2)
print(torch.div(n, 2, rounding_mode="floor"), torch.div(n, 2, rounding_mode="trunc"))
print(torch.tensor([-2.5, -1.5, 0.5, 1.5, 2.5]).round(), torch.tensor([1.234567]).round(decimals=3))
print(torch.tensor([1.0, -1.0, 0.0]) / 0, torch.tensor([5, 6]) ** 2, 2 ** torch.tensor([1, 2, 3]))
print(torch.tensor([-7.5, 7.5]) % 2, torch.tensor([2.0]) ** 0.5, torch.tensor([4]) ** -1.0)

# integer overflow wraps
print(torch.tensor([127], dtype=torch.int8) + 1, torch.tensor([0], dtype=torch.uint8) - 1)
print(u8 * 2, (i8.to(torch.int16) * 300))

# comparisons and logic
print(i > 1, f <= 0.5, i == torch.tensor([1, 0, 3]), (i > 1) & b, (i > 1) | b, ~b, b ^ True)
print(torch.maximum(i, torch.tensor([2, 2, 2])), torch.minimum(f, torch.tensor(0.0)))
print(torch.where(f > 0, f, torch.zeros(3)), torch.clamp(f, -1, 1), f.abs().sqrt())
print(i.sum(), i.sum().dtype, b.sum(), f.mean(), i.prod(), f.max(), f.argmin(), u8.sum().dtype)
print(torch.equal(i, i.clone()), torch.allclose(f, f + 1e-9), f.sign(), i.neg(), ~i)
print(i & 6, i | 4, i ^ 1, i << 2, torch.tensor([-8]) >> 1)

# in-place ops keep the destination dtype
x = torch.tensor([1, 2, 3])
x += 2
x *= 3
print(x, x.dtype)
y = torch.tensor([1.0, 2.0])
y += torch.tensor([1, 1])
print(y, y.dtype)
try:
    x += 1.5
except RuntimeError as e:
    print("RuntimeError on int += float")
try:
    torch.tensor([1, 2]) + torch.tensor([1, 2, 3])
except RuntimeError as e:
    print("RuntimeError on shape mismatch")

# broadcasting
print(torch.arange(3).view(3, 1) + torch.arange(4), (torch.ones(2, 1, 3) * torch.ones(4, 1)).shape)
print(torch.arange(6.0).view(2, 3) @ torch.arange(3.0), torch.mm(torch.eye(2), torch.ones(2, 2)))
