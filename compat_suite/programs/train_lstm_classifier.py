# compat: rtol=1e-4 atol=1e-5
"""An LSTM sequence classifier: Embedding, packed variable-length batches, clip_grad_norm_."""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

torch.manual_seed(0)
vocab, classes = 12, 3
seqs = [torch.randint(1, vocab, (int(torch.randint(3, 9, ()).item()),)) for _ in range(24)]
targets = torch.tensor([int(s.sum().item()) % classes for s in seqs])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(vocab, 8, padding_idx=0)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(16, classes)

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.emb(padded), lengths, batch_first=True,
                                      enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.head(h[-1])


model = Classifier()
print(model)
print([(k, tuple(v.shape)) for k, v in model.state_dict().items()][:6])
opt = torch.optim.Adam(model.parameters(), lr=0.02)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
for epoch in range(5):
    for i in range(0, 24, 8):
        batch = seqs[i:i + 8]
        lengths = torch.tensor([len(s) for s in batch])
        padded = pad_sequence(batch, batch_first=True)
        opt.zero_grad()
        loss = loss_fn(model(padded, lengths), targets[i:i + 8])
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f} grad norm {norm.item():.4f}")
model.eval()
with torch.no_grad():
    lengths = torch.tensor([len(s) for s in seqs])
    pred = model(pad_sequence(seqs, batch_first=True), lengths).argmax(1)
print(pred)
print((pred == targets).sum().item(), "of", len(seqs))
