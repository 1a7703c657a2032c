"""nn.functional ops: normalization."""
