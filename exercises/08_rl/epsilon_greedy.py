"""Epsilon-greedy: pick an action from Q-values, exploring some of the time.

A Q-network gives one number per action: how much total reward it expects
if it takes that action now. Acting greedily means taking the action with
the largest Q-value, `q_values.argmax()`. But an agent that only ever takes
what it currently believes is best never finds out that it was wrong, so
DQN explores with epsilon-greedy:

- with probability epsilon, pick an action uniformly at random among ALL
  actions (the greedy one included);
- otherwise, pick the greedy action.

So epsilon = 0 is pure greedy, epsilon = 1 is pure random, and in between
the greedy action comes up with probability 1 - epsilon + epsilon / n.

Randomness comes from the `generator` you are handed: a torch.Generator is a
private random-number stream, and the same seed gives the same draws. Pass
it to every random call (`torch.rand(..., generator=generator)`,
`torch.randint(..., generator=generator)`, or any other correct draw from
it), so that a run can be repeated exactly: an RL bug you cannot reproduce
is one you cannot fix.

Your job: write the choice between exploring and exploiting.
"""

import torch


def epsilon_greedy(q_values: torch.Tensor, epsilon: float, generator: torch.Generator) -> int:
    """Return an action index (a Python int) for one state's Q-values.

    q_values: a 1-D float tensor, one Q-value per action.
    epsilon: the probability of exploring, between 0 and 1.
    generator: the torch.Generator every random draw must use.
    """
    n_actions = q_values.shape[0]
    # TODO: draw a uniform number in [0, 1) from the generator. If it is below
    # epsilon, return a uniformly random action in 0 .. n_actions - 1 (drawn
    # from the generator too); otherwise return the index of the largest Q-value.
    # Return a Python int: .item() turns a one-element tensor into one.
    raise NotImplementedError(f"choose one of the {n_actions} actions epsilon-greedily")
