"""Helpers shared by several checks of one chapter: spies, module probes, autograd errors.

The general assertion helpers live in torchlings.testing; what is here serves
particular checks and is documented where it is defined.
"""
