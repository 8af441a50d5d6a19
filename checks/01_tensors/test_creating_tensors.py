"""Check: creating tensors with the right shape, dtype and device."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract


def test_reward_buffer(exercise):
    """The reward buffer has one zero per environment per step: (n_envs, n_steps), float32."""
    buffer = exercise.reward_buffer(3, 5)
    expect_tensor(
        buffer, name="reward_buffer(3, 5)", shape=(3, 5), dtype=torch.float32, values=0.0,
        concept="The shape is the list of sizes you pass to the factory, in order: "
                "torch.zeros(n_envs, n_steps) gives n_envs rows of n_steps slots.",
    )


def test_observation_is_float32(exercise):
    """Observations come out as float32, even when the environment hands over ints."""
    concept = ("torch.tensor infers the dtype from the data: Python ints give int64 and NumPy "
               "floats give float64. A network's weights are float32, so ask for "
               "dtype=torch.float32 (or convert with .float()).")
    obs = exercise.observation([3, 1])
    expect_tensor(obs, name="observation([3, 1])", shape=(2,), dtype=torch.float32,
                  values=[3.0, 1.0], concept=concept)
    obs = exercise.observation([0.5, -2.0, 4.0])
    expect_tensor(obs, name="observation([0.5, -2.0, 4.0])", shape=(3,), dtype=torch.float32,
                  values=[0.5, -2.0, 4.0],
                  concept=concept + " Floats must come through as they are: going through an "
                  "integer dtype first (int64, then .float()) cuts 0.5 to 0.")


def test_action_ids(exercise):
    """Action ids are the int64 values 0 .. n_actions - 1."""
    ids = exercise.action_ids(4)
    expect_tensor(
        ids, name="action_ids(4)", shape=(4,), dtype=torch.int64, values=[0, 1, 2, 3],
        concept="torch.arange(n) counts 0 .. n-1 and, given ints, returns int64: the dtype "
                "PyTorch requires for indices (gather, indexing, cross-entropy targets).",
    )


def test_exploration_noise_shape_and_distribution(exercise):
    """The noise is float32, of the requested shape, and standard normal (mean 0, std 1)."""
    noise = exercise.exploration_noise((200, 50), torch.Generator().manual_seed(0))
    expect_tensor(noise, name="exploration_noise((200, 50), generator)", shape=(200, 50),
                  dtype=torch.float32, finite=True,
                  concept="Pass the shape to the factory; randn gives float32 by default.")
    mean, std = noise.mean().item(), noise.std().item()
    # 10,000 samples: the mean of a true standard normal is within 0.05 of 0 and its
    # std within 0.05 of 1 with overwhelming probability.
    expect(abs(mean) < 0.05 and abs(std - 1.0) < 0.05,
           f"The noise has mean {mean:.3f} and std {std:.3f}; standard normal noise has mean 0 "
           "and std 1. torch.rand draws uniformly from [0, 1); torch.randn draws from the "
           "standard normal.")


def test_exploration_noise_uses_the_generator(exercise):
    """The same seeded generator gives the same noise, whatever the global random state."""
    torch.manual_seed(1)
    first = exercise.exploration_noise((8,), torch.Generator().manual_seed(42))
    torch.manual_seed(2)
    again = exercise.exploration_noise((8,), torch.Generator().manual_seed(42))
    other = exercise.exploration_noise((8,), torch.Generator().manual_seed(43))
    expect_tensor(first, name="exploration_noise((8,), generator)", shape=(8,),
                  dtype=torch.float32)
    expect(torch.equal(first, again),
           "Two calls with generators seeded alike gave different noise, so the noise is not "
           "drawn from the generator you were handed. Pass it on: generator=generator.")
    expect(not torch.equal(first, other),
           "Generators with different seeds gave the same noise: the noise does not depend "
           "on the generator. Pass it on: generator=generator.")


def test_exploration_noise_advances_the_generator_only(exercise):
    """Each call draws fresh noise from the generator and leaves the global random state alone."""
    generator = torch.Generator().manual_seed(42)
    torch.manual_seed(5)
    global_before = torch.get_rng_state()
    first = exercise.exploration_noise((8,), generator)
    second = exercise.exploration_noise((8,), generator)
    expect(not torch.equal(first, second),
           "Two calls on the same generator gave the same noise, so every step of an episode "
           "would get identical 'exploration'. Draw from the generator itself "
           "(generator=generator): each draw moves it on. Re-seeding something from "
           "generator.initial_seed() starts over every time.")
    expect(torch.equal(torch.get_rng_state(), global_before),
           "exploration_noise changed the global random state (torch.manual_seed, or a draw "
           "without generator=). Noise drawn from the generator you are handed touches "
           "nothing else, so the rest of the program stays reproducible.")


def test_ones_on_device(exercise):
    """ones_on creates float32 ones of the given shape on the given device."""
    concept = ("Factories take device=...; creating the tensor where it will be used avoids a "
               "copy. (The check uses the 'meta' device, which has shapes but no data, so it "
               "runs without a GPU.)")
    ones = exercise.ones_on((2, 3), torch.device("cpu"))
    expect_tensor(ones, name="ones_on((2, 3), cpu)", shape=(2, 3), dtype=torch.float32,
                  device="cpu", values=1.0, concept=concept)
    ones = exercise.ones_on((4,), torch.device("meta"))
    expect_tensor(ones, name="ones_on((4,), meta)", shape=(4,), dtype=torch.float32,
                  device="meta", concept=concept)


def _form(noise):
    """Noise reduced to its shape, dtype and device: any standard-normal draw from the
    generator is right, so its values are judged by the tests above, not here."""
    return torch.zeros_like(noise) if isinstance(noise, torch.Tensor) else noise


def test_factories_contract(exercise):
    """Each factory keeps its promise for any sizes: one environment, a scalar shape (), no values."""
    sizes = {"n": [1, 4], "m": [1, 7]}
    check_contract(Contract(
        function="reward_buffer", call=exercise.reward_buffer,
        reference=lambda n_envs, n_steps: torch.zeros(n_envs, n_steps),
        inputs=lambda draw: Args(draw["n"], draw["m"]), axes=sizes,
        concept="torch.zeros(n_envs, n_steps) gives n_envs rows of n_steps float32 zeros, "
                "whatever the sizes."))
    check_contract(Contract(
        function="observation", call=exercise.observation,
        reference=lambda values: torch.tensor(values, dtype=torch.float32),
        inputs=lambda draw: Args(list(draw["values"])),
        axes={"values": [(), (7,), (3, -1), (0.5, -2.25, 4.0), (2, 0.75), (1_000_000, -3)]},
        concept="The values come out as they are, floats and ints alike, as float32: "
                "torch.tensor(values, dtype=torch.float32). Going through an integer dtype "
                "first cuts 0.75 to 0."))
    check_contract(Contract(
        function="action_ids", call=exercise.action_ids,
        reference=lambda n_actions: torch.arange(n_actions),
        inputs=lambda draw: Args(draw["n_actions"]), axes={"n_actions": [1, 2, 18]},
        concept="torch.arange(n_actions): the int64 ids 0 .. n_actions - 1 for any count."))
    shapes = {"shape": [(), (1,), (2, 3), (3, 1, 2)]}
    check_contract(Contract(
        function="exploration_noise",
        call=lambda shape, seed: _form(exercise.exploration_noise(
            shape, torch.Generator().manual_seed(seed))),
        reference=lambda shape, seed: torch.zeros(shape),
        inputs=lambda draw: Args(draw["shape"], draw.seed()), axes=shapes,
        concept="The noise has exactly the shape it is given, () (a single number) included: "
                "pass the shape tuple as it is, torch.randn(shape, generator=generator). "
                "Unpacking it with * leaves torch.randn no size at all for ()."))
    check_contract(Contract(
        function="ones_on", call=exercise.ones_on,
        reference=lambda shape, device: torch.ones(shape, device=device),
        inputs=lambda draw: Args(draw["shape"], draw.device),
        axes={**shapes, "device": ["cpu", "meta"]},
        concept="The ones have exactly the shape they are given, () (a single number) included: "
                "pass the shape tuple as it is, torch.ones(shape, device=device). Unpacking it "
                "with * leaves torch.ones no size at all for ()."))
