"""Capstone: a DQN agent learns CartPole-v1.

Every piece of this agent is one you have written before: a Q-network, an
epsilon-greedy policy, a replay buffer, the TD target, a target network.
Here they meet, and the agent learns to balance a pole. CartPole-v1 pays +1
for every step the pole stays up; an episode ends when it falls (terminated)
or after 500 steps (truncated).

The loop: act epsilon-greedily, store (s, a, r, s', terminated) in the replay
buffer, and after a short warm-up take one gradient step per environment
step on a random minibatch of stored transitions. Every TARGET_SYNC steps the
target network becomes a copy of the online one. The check trains it on one
seed and asks for a mean return of 150 over the last 20 episodes within
10,000 steps: DQN learns CartPole more slowly and less steadily than PPO, and
each of its steps costs a gradient update.

In this course `dones[t] = 1` when step t was the LAST step of its episode
(CleanRL's `next_done` flags the first step of the next episode instead:
`1 - dones[t + 1]` there). The replay buffer stores `terminated`, the true
endings only: a time-limit truncation is not an ending, the state after it
still has a value, so the TD target keeps bootstrapping there.

Your pieces:

1. `td_targets`: y = r + gamma * (1 - terminated) * max_a' Q_target(s', a'),
   from the TARGET network, as a constant (under torch.no_grad()).
2. `dqn_step`: Q(s, a) of the actions taken (gather), the Huber loss
   (F.smooth_l1_loss) against the targets, and one optimizer step. The
   targets come from `target`, never from `online`.
3. `sync_target`: copy the online network's weights into the target network
   (the target stays its own module; it just gets the same numbers).

Leave the hyperparameters as they are: the check's bar was measured with them.
"""

import torch
import torch.nn.functional as F
from torch import nn

GAMMA = 0.99
HIDDEN = 128
LR = 1e-3
BATCH = 64
BUFFER = 20_000
WARMUP = 300
TARGET_SYNC = 200
EPS_START, EPS_END, EPS_STEPS = 1.0, 0.05, 2_000
MAX_GRAD_NORM = 10.0


def q_network(obs_dim: int, n_actions: int, hidden: int = HIDDEN) -> nn.Module:
    return nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, n_actions))


def td_targets(
    target: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    terminated: torch.Tensor,
    gamma: float,
) -> torch.Tensor:
    """The (B,) TD targets, a constant: no gradient flows back through them."""
    with torch.no_grad():
        next_q = target(next_obs).max(dim=1).values
        return rewards + gamma * (1.0 - terminated) * next_q


def dqn_step(
    online: nn.Module,
    target: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: tuple[torch.Tensor, ...],
    gamma: float,
) -> float:
    """One gradient step on the online network; returns the loss as a float.

    batch = (obs, actions, rewards, next_obs, terminated): (B, obs_dim),
    (B,) int64, (B,), (B, obs_dim), (B,) float 0.0 / 1.0.
    """
    obs, actions, rewards, next_obs, terminated = batch
    targets = td_targets(target, rewards, next_obs, terminated, gamma)
    q_taken = online(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
    loss = F.smooth_l1_loss(q_taken, targets)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(online.parameters(), MAX_GRAD_NORM)
    optimizer.step()
    return loss.item()


def sync_target(online: nn.Module, target: nn.Module) -> None:
    """Make the target network's weights equal to the online network's."""
    target.load_state_dict(online.state_dict())


def epsilon_at(step: int) -> float:
    fraction = min(step / EPS_STEPS, 1.0)
    return EPS_START + fraction * (EPS_END - EPS_START)


def train(env, max_steps: int, on_episode) -> nn.Module:
    """Play and learn for up to max_steps; on_episode(ret) returns True to stop early.

    The caller seeds torch and the environment first; this loop is given.
    """
    obs_dim, n_actions = env.observation_space.shape[0], env.action_space.n
    online, target = q_network(obs_dim, n_actions), q_network(obs_dim, n_actions)
    sync_target(online, target)
    optimizer = torch.optim.Adam(online.parameters(), lr=LR, foreach=True)
    store = {"obs": torch.zeros(BUFFER, obs_dim), "actions": torch.zeros(BUFFER, dtype=torch.long),
             "rewards": torch.zeros(BUFFER), "next_obs": torch.zeros(BUFFER, obs_dim),
             "terminated": torch.zeros(BUFFER)}
    obs, _ = env.reset()
    episode_return = 0.0
    for step in range(max_steps):
        obs_t = torch.as_tensor(obs, dtype=torch.float32)
        if torch.rand(()) < epsilon_at(step):
            action = int(torch.randint(n_actions, ()))
        else:
            with torch.no_grad():
                action = int(online(obs_t).argmax())
        obs, reward, terminated, truncated, _ = env.step(action)
        slot = step % BUFFER
        for key, value in (("obs", obs_t), ("actions", action), ("rewards", reward),
                           ("next_obs", torch.as_tensor(obs, dtype=torch.float32)),
                           ("terminated", float(terminated))):
            store[key][slot] = value
        episode_return += float(reward)
        if terminated or truncated:
            if on_episode(episode_return):
                return online
            episode_return = 0.0
            obs, _ = env.reset()
        if step >= WARMUP:
            idx = torch.randint(min(step + 1, BUFFER), (BATCH,))
            batch = tuple(store[key][idx] for key in
                          ("obs", "actions", "rewards", "next_obs", "terminated"))
            dqn_step(online, target, optimizer, batch, GAMMA)
            if step % TARGET_SYNC == 0:
                sync_target(online, target)
    return online
