"""Saving weights, and loading files you did not write.

`torch.save` uses Python's pickle, and a pickle is a small program: unpickling
can call any function the file names. `torch.load(path, weights_only=False)`
runs that program, so loading a "model" someone sent you, or downloaded, can
delete files or open a shell. `torch.load(path, weights_only=True)` only
rebuilds plain data -- tensors, dicts, lists, numbers, strings -- and refuses
anything else with an error. Python's own `pickle.load` is exactly as
dangerous as weights_only=False: when weights_only=True refuses a file,
that refusal is the answer, not a cue to fall back to plain pickle.

That restriction is easy to live with if you save the right thing. Pickling a
whole module with `torch.save(model, path)` stores a reference to its class
(and needs that exact code to load); saving `model.state_dict()` stores just a
dict from names to tensors. To load it, you build the model in code and call
`model.load_state_dict(...)`, which by default refuses a dict whose names do
not match the model's: a file saved from another network fails loudly
instead of leaving the model half-filled (`strict=False` turns that off).

Why RL cares: pretrained policies, world models and replay data are passed
around as .pt files. Loading one should never be able to run someone else's
code on your machine.
"""

import torch
from torch import nn


def save_weights(model: nn.Module, path) -> None:
    """Save only the model's parameters and buffers (its state_dict) to `path`."""
    # TODO: this pickles the whole object; save just what load_weights needs
    torch.save(model, path)


def load_weights(model: nn.Module, path) -> None:
    """Fill `model` in place with the weights in `path`, a file you may not trust."""
    # TODO: this runs whatever code the file contains. Load plain data only.
    loaded = torch.load(path, weights_only=False)
    model.load_state_dict(loaded.state_dict())
