"""Check: epsilon-greedy action selection from a 1-D tensor of Q-values."""

import torch

from torchlings.checkapi.testing import expect, fail
from torchlings.checkapi.testkit.contracts import expect_py_int
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract
from torchlings.checkapi.testkit.rl import as_action, expect_frequency

TRIALS = 6000  # draws per statistical test: fast, and the 6-sigma bounds stay tight

CONCEPT = (
    "Epsilon-greedy: with probability epsilon pick uniformly among ALL n actions, "
    "otherwise the argmax. The greedy action therefore comes up with probability "
    "1 - epsilon + epsilon / n and every other action with probability epsilon / n."
)


def _counts(exercise, q_values, epsilon, seed):
    generator = torch.Generator().manual_seed(seed)
    n = q_values.shape[0]
    counts = [0] * n
    for _ in range(TRIALS):
        action = as_action(exercise.epsilon_greedy(q_values, epsilon, generator),
                           name="the action epsilon_greedy returns", concept=CONCEPT)
        expect(0 <= action < n,
               f"epsilon_greedy returned action {action}, but with {n} Q-values the actions "
               f"are 0 .. {n - 1}.\n{CONCEPT}")
        counts[action] += 1
    return counts


def test_epsilon_zero_is_greedy(exercise):
    """With epsilon = 0 the action is always the argmax of the Q-values."""
    generator = torch.Generator().manual_seed(0)
    data = torch.Generator().manual_seed(1)
    misses = []
    for _ in range(200):
        q_values = torch.randn(5, generator=data) * 3 - 1  # negative values too
        best = int(q_values.argmax())
        action = as_action(exercise.epsilon_greedy(q_values, 0.0, generator),
                           name="the action at epsilon = 0", concept=CONCEPT)
        if action != best:
            misses.append((q_values, action, best))
    if misses:
        q_values, action, best = misses[0]
        values = all(a == int(q.max().item()) for q, a, _ in misses)
        # Exploring at epsilon = 0 (a flipped comparison) misses about 4 states in 5.
        explored = not values and 20 < len(misses) < 190
        worst = all(a == int(q.argmin()) for q, a, _ in misses) and len(misses) == 200
        if worst:
            story = ("It returned the action with the SMALLEST Q-value every time: the greedy "
                     "action has the largest, q_values.argmax() (not argmin).")
        elif explored:
            story = ("It explored at epsilon = 0: explore only when the uniform draw is BELOW "
                     "epsilon (`draw < epsilon`); `>` explores with probability 1 - epsilon.")
        elif values:
            story = ("The greedy action is the INDEX of the largest Q-value, q_values.argmax(), "
                     "not the value itself.")
        else:
            story = "The greedy action is the index of the largest Q-value: q_values.argmax()."
        fail(f"With epsilon = 0, epsilon_greedy returned a non-greedy action in {len(misses)} "
             f"of 200 states; e.g. for Q-values {[round(v, 2) for v in q_values.tolist()]} it "
             f"returned {action}, but the greedy action is {best}. {story}\n{CONCEPT}")


def test_epsilon_one_is_uniform(exercise):
    """With epsilon = 1 every action is equally likely, the greedy one included."""
    q_values = torch.tensor([0.5, 3.0, -1.0, 2.0])
    counts = _counts(exercise, q_values, 1.0, seed=2)
    # The greedy action (1) first: leaving it out of the random branch is the classic slip.
    for action in (1, 0, 2, 3):
        count = counts[action]
        expect_frequency(count, TRIALS, 1 / 4, name=f"with epsilon = 1, action {action}",
                         concept="At epsilon = 1 the agent explores on every step, uniformly "
                         "over all actions, the greedy one included (a greedy action every "
                         "time means the comparison is flipped: explore when draw < epsilon). "
                         + CONCEPT)


def test_frequencies_in_between(exercise):
    """With epsilon = 0.3 and 4 actions: greedy 0.775, each other action 0.075."""
    q_values = torch.tensor([-2.0, 1.0, 4.0, 0.0])
    epsilon, n, greedy = 0.3, 4, 2
    counts = _counts(exercise, q_values, epsilon, seed=3)
    expect_frequency(counts[greedy], TRIALS, 1 - epsilon + epsilon / n,
                     name="with epsilon = 0.3, the greedy action",
                     concept="Check the comparison: explore when the uniform draw is BELOW "
                     "epsilon, and let the random branch pick the greedy action too. " + CONCEPT)
    for action in range(n):
        if action != greedy:
            expect_frequency(counts[action], TRIALS, epsilon / n,
                             name=f"with epsilon = 0.3, action {action}", concept=CONCEPT)


def test_uses_the_generator(exercise):
    """Two generators with the same seed give the same actions: the run can be repeated."""
    q_values = torch.tensor([1.0, 0.0, 2.0])
    runs = []
    for _ in range(2):
        generator = torch.Generator().manual_seed(1234)
        runs.append([as_action(exercise.epsilon_greedy(q_values, 0.5, generator),
                               name="the action", concept=CONCEPT) for _ in range(100)])
    expect(runs[0] == runs[1],
           "Two runs with generators seeded the same way chose different actions, so some "
           "random draw did not come from the generator you were handed. Pass "
           "generator=generator to torch.rand and torch.randint (and use no other source "
           "of randomness, such as Python's random module).")


def test_returns_a_python_int(exercise):
    """The action is a Python int (as the docstring says), on both branches."""
    q_values = torch.tensor([0.3, -1.0, 2.5])
    for epsilon, branch in ((0.0, "the greedy branch"), (1.0, "the exploring branch")):
        action = exercise.epsilon_greedy(q_values, epsilon, torch.Generator().manual_seed(5))
        expect_py_int(action, name=f"the action from {branch} (epsilon = {epsilon:g})",
                      concept="An environment's step() wants a plain int: int(tensor.item()).")


def test_contract(exercise):
    """At epsilon = 0 the choice is the argmax for one action or many, float64, huge or
    negative Q-values and Q-values with a graph; the caller's Q-values and the global random
    stream stay as they were."""
    def inputs(draw):
        q_values = draw.randn(draw["actions"], scale=draw["scale"]) - draw["scale"]
        if draw["has_graph"]:
            q_values.requires_grad_()  # straight from a Q-network: still part of its graph
        return Args(q_values, 0.0, torch.Generator().manual_seed(draw.seed()))

    check_contract(Contract(
        function="epsilon_greedy", call=exercise.epsilon_greedy,
        reference=lambda q_values, epsilon, generator: int(q_values.argmax().item()),
        inputs=inputs, gradients=False,
        axes={"actions": [1, 2, 9], "dtype": [torch.float32, torch.float64],
              "scale": [1.0, 1e6], "has_graph": [False, True]},
        concept=CONCEPT + " Choosing an action only reads the Q-values: it never changes them."))
