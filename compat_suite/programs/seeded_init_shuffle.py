"""Default initialisation and data shuffling under torch.manual_seed: exact values, no tolerance."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset, random_split

torch.manual_seed(0)
lin = nn.Linear(4, 3)
print(lin.weight)
print(lin.bias)
conv = nn.Conv2d(2, 3, 3)
print(conv.weight[0, 0])
emb = nn.Embedding(5, 3, padding_idx=1)
print(emb.weight)
lstm = nn.LSTM(3, 2)
print(lstm.weight_hh_l0)
bn = nn.BatchNorm1d(3)
print(bn.weight, bn.bias, bn.running_var)
w = torch.empty(3, 5)
nn.init.xavier_uniform_(w)
print(w)
nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
print(w)

data = TensorDataset(torch.arange(10), torch.arange(10) * 10)
loader = DataLoader(data, batch_size=4, shuffle=True)
for epoch in range(2):
    print([b[0].tolist() for b in loader])
print(list(RandomSampler(range(6))))
print(list(RandomSampler(range(6), replacement=True, num_samples=4)))
train, val = random_split(range(10), [0.7, 0.3], generator=torch.Generator().manual_seed(1))
print(list(train), list(val))
print(torch.rand(3))
