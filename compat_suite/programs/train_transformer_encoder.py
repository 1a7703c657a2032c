# compat: rtol=1e-4 atol=1e-5
"""A Transformer encoder with causal and key-padding masks, AdamW + a warm-up LambdaLR."""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
vocab, d_model, seq_len, batch = 10, 16, 7, 6


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(vocab, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=2, dim_feedforward=32, dropout=0.1,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.out = nn.Linear(d_model, vocab)

    def forward(self, tokens, pad_mask):
        mask = nn.Transformer.generate_square_subsequent_mask(tokens.shape[1])
        h = self.encoder(self.emb(tokens) * math.sqrt(d_model), mask=mask,
                         src_key_padding_mask=pad_mask, is_causal=True)
        return self.out(h)


model = TinyLM()
print(model.encoder.layers[0])
tokens = torch.randint(0, vocab, (batch, seq_len))
pad_mask = torch.zeros(batch, seq_len, dtype=torch.bool)
pad_mask[0, 5:] = True
pad_mask[3, 6:] = True
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 4))
loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
target = tokens.roll(-1, dims=1)
target[pad_mask] = -100
for step in range(12):
    opt.zero_grad()
    logits = model(tokens, pad_mask)
    loss = loss_fn(logits.reshape(-1, vocab), target.reshape(-1))
    loss.backward()
    opt.step()
    sched.step()
    if step % 3 == 0:
        print(f"step {step} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.6f}")
model.eval()
with torch.no_grad():
    print(model(tokens[:2], pad_mask[:2]).argmax(-1))
