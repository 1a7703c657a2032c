"""torch.nn.init: initialisation functions drawing from torch's CPU generator."""
