"""nn.functional ops: nn_linear."""
