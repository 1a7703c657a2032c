"""An ordinary PyTorch training script: a Dataset, a DataLoader, a small CNN, Adam with a
learning-rate schedule, evaluation, and a checkpoint saved and loaded back.

Run it with PyTorch:        python examples/train_classifier.py
Run it on JAX (torchjax):   python -m torchjax examples/train_classifier.py
"""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, random_split


class Stripes(Dataset):
    """8x8 images with a horizontal (label 0) or vertical (label 1) stripe, plus noise."""

    def __init__(self, n):
        self.labels = torch.randint(0, 2, (n,))
        pos = torch.randint(0, 8, (n,))
        self.images = 0.3 * torch.randn(n, 1, 8, 8)
        for i in range(n):
            if self.labels[i] == 0:
                self.images[i, 0, pos[i], :] += 1.0
            else:
                self.images[i, 0, :, pos[i]] += 1.0

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(16, 2))

    def forward(self, x):
        return self.head(self.features(x))


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(dim=1) == y).sum().item()
    return correct / len(loader.dataset)


torch.manual_seed(0)
train_set, test_set = random_split(Stripes(256), [0.75, 0.25])
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
test_loader = DataLoader(test_set, batch_size=64)

model = SmallCNN()
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(4):
    model.train()
    total = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    scheduler.step()
    print(f"epoch {epoch}: loss {total / len(train_set):.4f}  "
          f"test accuracy {evaluate(model, test_loader):.3f}  lr {scheduler.get_last_lr()[0]:.4f}")

path = os.path.join(tempfile.mkdtemp(), "checkpoint.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
restored = SmallCNN()
restored.load_state_dict(torch.load(path)["model"])
print("restored model accuracy:", evaluate(restored, test_loader))
