"""torchlings: a terminal course in the PyTorch that deep RL is built on."""

__version__ = "0.1.0"
