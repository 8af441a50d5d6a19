"""Helpers shared by several checks: contracts, spies, module probes, autograd errors, losses, gym.

The general assertion helpers live in torchlings.checkapi.testing; what is here serves
particular checks and is documented where it is defined.
"""
