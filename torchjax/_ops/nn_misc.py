"""nn.functional ops: nn_misc."""
