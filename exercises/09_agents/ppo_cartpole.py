"""Capstone: a PPO agent that learns CartPole-v1.

Every piece of this agent is one you have written before; here they meet and
an agent learns to balance a pole, live on your screen. CartPole-v1 pays +1
for every step the pole stays up; an episode ends when it falls (terminated)
or after 500 steps (truncated). "Solved" means a mean return of at least 195
over the last 20 episodes.

PPO alternates two phases. It plays ROLLOUT steps with the current policy and
stores them (obs, action, log-prob, value, reward, done). Then it learns from
that batch for a few EPOCHS, each a pass over the rollout in shuffled
minibatches, and throws the batch away. There is one environment, so each
rollout tensor is (T,); with N environments it would be time-major (T, N).

In this course `dones[t] = 1` when step t was the LAST step of its episode.
CleanRL's `next_done` flags the first step of the next episode instead, so
the same mask appears there as `1 - dones[t + 1]`. A time-limit truncation is
not a real ending: the loop below adds gamma * V(final observation) to that
last reward, so the bootstrap the (1 - done) mask cuts is put back.

Your three pieces:

1. `compute_gae`: generalised advantage estimation, walking the rollout
   backwards. delta_t = r_t + gamma * V(s_{t+1}) * (1 - done_t) - V(s_t);
   A_t = delta_t + gamma * lam * (1 - done_t) * A_{t+1}. The value after the
   last step is `last_value`. The critic's targets are `A + values`.
2. `clipped_policy_loss`: ratio = exp(new_log_prob - old_log_prob);
   loss = -mean(min(ratio * A, clamp(ratio, 1 - clip, 1 + clip) * A)).
3. `minibatches`: the indices for one epoch's minibatches, a fresh random
   permutation of the rollout cut into MINIBATCH-sized slices, so every
   step is used exactly once per epoch and in a new order each time.
   `ppo_update` (given) runs EPOCHS such passes.

Leave the hyperparameters as they are: the check's bar was measured with them.
"""

import torch
from torch import nn
from torch.distributions import Categorical

GAMMA = 0.99
LAM = 0.95
CLIP = 0.2
ROLLOUT = 256
EPOCHS = 4
MINIBATCH = 64
LR = 3e-3
VALUE_COEF = 0.5
ENTROPY_COEF = 0.01
MAX_GRAD_NORM = 0.5


class ActorCritic(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(),
                                   nn.Linear(hidden, n_actions))
        self.critic = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def dist(self, obs: torch.Tensor) -> Categorical:
        return Categorical(logits=self.actor(obs))

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    lam: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and value targets, each (T,), for one rollout of T steps.

    Both in the rollout's dtype: rewards, values, dones and last_value share one.
    """
    # TODO: walk t from the last step back to the first. `alive = 1 - dones[t]`
    # cuts both the bootstrap V(s_{t+1}) and the running advantage at an
    # episode's last step. The value after the rollout's last step is last_value.
    raise NotImplementedError("compute_gae: the backward GAE recursion")


def clipped_policy_loss(
    new_log_probs: torch.Tensor,
    old_log_probs: torch.Tensor,
    advantages: torch.Tensor,
    clip: float,
) -> torch.Tensor:
    """The PPO clipped surrogate, as a loss to minimise (a scalar)."""
    # TODO: the probability ratio, its clipped twin, the pessimistic minimum of
    # the two surrogates, and a minus sign (optimisers minimise).
    raise NotImplementedError("clipped_policy_loss: the clipped surrogate loss")


def minibatches(size: int, minibatch: int) -> list[torch.Tensor]:
    """One epoch's minibatches: a fresh random order of range(size), cut into slices."""
    # TODO: a fresh random permutation of range(size) (torch.randperm), cut
    # into consecutive slices of `minibatch` indices (the last may be shorter).
    raise NotImplementedError("minibatches: shuffle, then slice")


def ppo_update(agent: ActorCritic, optimizer: torch.optim.Optimizer, batch: dict) -> None:
    """EPOCHS passes of shuffled minibatches over one rollout (this loop is given)."""
    for _ in range(EPOCHS):
        for idx in minibatches(batch["obs"].shape[0], MINIBATCH):
            advantages = batch["advantages"][idx]
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
            dist = agent.dist(batch["obs"][idx])
            policy_loss = clipped_policy_loss(dist.log_prob(batch["actions"][idx]),
                                              batch["log_probs"][idx], advantages, CLIP)
            value_loss = (agent.value(batch["obs"][idx]) - batch["returns"][idx]).pow(2).mean()
            loss = policy_loss + VALUE_COEF * value_loss - ENTROPY_COEF * dist.entropy().mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), MAX_GRAD_NORM)
            optimizer.step()


def train(env, max_steps: int, on_episode) -> ActorCritic:
    """Play and learn for up to max_steps; on_episode(ret) returns True to stop early.

    The caller seeds torch and the environment first; this loop is given. While
    it plays, the weights do not change, so the log-probs and values of the
    whole rollout are computed afterwards in one batch.
    """
    agent = ActorCritic(env.observation_space.shape[0], env.action_space.n)
    optimizer = torch.optim.Adam(agent.parameters(), lr=LR)
    obs, _ = env.reset()
    episode_return, steps = 0.0, 0
    while steps < max_steps:
        observations, actions, rewards, dones = [], [], [], []
        for _ in range(ROLLOUT):
            obs_t = torch.as_tensor(obs, dtype=torch.float32)
            with torch.no_grad():
                action = int(torch.multinomial(agent.actor(obs_t).softmax(-1), 1))
            obs, reward, terminated, truncated, _ = env.step(action)
            steps += 1
            episode_return += float(reward)
            if truncated and not terminated:  # a time limit, not an ending: bootstrap
                with torch.no_grad():
                    reward += GAMMA * float(agent.value(torch.as_tensor(obs, dtype=torch.float32)))
            observations.append(obs_t)
            actions.append(action)
            rewards.append(float(reward))
            dones.append(float(terminated or truncated))
            if terminated or truncated:
                if on_episode(episode_return):
                    return agent
                episode_return = 0.0
                obs, _ = env.reset()
        batch = {"obs": torch.stack(observations), "actions": torch.tensor(actions),
                 "rewards": torch.tensor(rewards), "dones": torch.tensor(dones)}
        with torch.no_grad():
            batch["log_probs"] = agent.dist(batch["obs"]).log_prob(batch["actions"])
            batch["values"] = agent.value(batch["obs"])
            last_value = agent.value(torch.as_tensor(obs, dtype=torch.float32))
        batch["advantages"], batch["returns"] = compute_gae(
            batch["rewards"], batch["values"], batch["dones"], last_value, GAMMA, LAM)
        ppo_update(agent, optimizer, batch)
    return agent
