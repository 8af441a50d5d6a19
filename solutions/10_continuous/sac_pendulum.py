"""Capstone: a SAC agent learns to swing up Pendulum-v1.

Pendulum-v1 is a rod hanging from a motor. The action is one torque in
[-2, 2]; the observation is (cos theta, sin theta, angular velocity); every
step costs more the further the rod is from upright, the faster it spins and
the harder it pushes, so returns are negative and 0 is perfect. An episode
is always 200 steps, cut by a time limit: it never terminates. A random
agent scores about -1200 to -1500 per episode; an agent that swings the rod
up and holds it there scores about -150.

Soft Actor-Critic, as you have built it in pieces:

- the actor draws u ~ N(mean, std) with rsample, squashes a = tanh(u) into
  (-1, 1), and scales it to the torque range; its log pi carries the tanh
  correction and the log of the scale, summed over the action dims;
- two critics learn toward one target, r + gamma * (1 - terminated) *
  (min of the two TARGET critics at a fresh a' - alpha * log pi(a')),
  computed without grad;
- the actor minimises alpha * log pi(a|s) - min(Q1, Q2)(s, a);
- alpha = exp(log_alpha) is learned so that the entropy stays near
  TARGET_ENTROPY;
- each target critic trails its critic by Polyak averaging, tau per step.

The loop (given): 1000 random steps fill the replay buffer, then one update
of critics, actor and alpha per environment step. The check trains one seed
and asks for a mean return of -250 over the last 5 episodes within 10,000
steps: by then the rod goes up and stays up in almost every episode.
Leave the hyperparameters as they are: the bar was measured with them.

Your pieces:

1. `squash(mean, log_std, scale, bias)`: rsample u, act with
   tanh(u) * scale + bias, and return that action with its log pi, (B,).
   tanh's correction as log(1 - tanh(u)^2 + 1e-6), or chapter 9's exact
   softplus form. `Actor.forward` calls it, so `actor(obs)` returns
   (action, log_pi).
2. `critic_targets`: the twin-critic target above, a constant, one per
   transition. (Pendulum never terminates, so `terminated` is all 0 here;
   the check tries ones too.)
3. `actor_loss`: fresh (actions, log_pi) = actor(obs); return the mean of
   alpha * log pi - min(Q1, Q2) and that log pi (the temperature loss reuses
   it). The given loop zeroes the critics' gradients before their own step.
4. `alpha_loss`: -(log_alpha * (log_pi + TARGET_ENTROPY).detach()).mean().
5. `soft_update`: target <- (1 - tau) * target + tau * online, for every
   parameter, in place and without grad; the target stays its own module.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal

GAMMA = 0.99
HIDDEN = 64
LR = 1e-3
BATCH = 128
WARMUP = 1000
TAU = 0.005
TARGET_ENTROPY = -1.0  # -action_dim for Pendulum's one torque
LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0


def squash(
    mean: torch.Tensor, log_std: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """A reparameterised action in [bias - scale, bias + scale] (B, A) and its log pi (B,)."""
    gaussian = Normal(mean, log_std.exp())
    u = gaussian.rsample()
    a = torch.tanh(u)
    log_pi = gaussian.log_prob(u) - torch.log(1.0 - a.pow(2) + 1e-6) - torch.log(scale)
    return a * scale + bias, log_pi.sum(dim=-1)


def critic_targets(
    actor: nn.Module,
    q1_target: nn.Module,
    q2_target: nn.Module,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    terminated: torch.Tensor,
    alpha: float,
    gamma: float,
) -> torch.Tensor:
    """The (B,) targets of both critics, with no graph."""
    with torch.no_grad():
        next_actions, next_log_pi = actor(next_obs)
        next_q = torch.min(q1_target(next_obs, next_actions), q2_target(next_obs, next_actions))
        return rewards + gamma * (1.0 - terminated) * (next_q - alpha * next_log_pi)


def actor_loss(actor: nn.Module, q1: nn.Module, q2: nn.Module, obs: torch.Tensor,
               alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(the 0-d actor loss, the (B,) log pi of the fresh actions it used)."""
    actions, log_pi = actor(obs)
    q = torch.min(q1(obs, actions), q2(obs, actions))
    return (alpha * log_pi - q).mean(), log_pi


def alpha_loss(log_alpha: torch.Tensor, log_pi: torch.Tensor) -> torch.Tensor:
    """The 0-d temperature loss; its gradient reaches log_alpha only."""
    return -(log_alpha * (log_pi + TARGET_ENTROPY).detach()).mean()


def soft_update(online: nn.Module, target: nn.Module, tau: float) -> None:
    """Move every target weight a fraction tau of the way toward the online one, in place."""
    with torch.no_grad():
        for mine, theirs in zip(target.parameters(), online.parameters(), strict=True):
            mine.lerp_(theirs, tau)


class Actor(nn.Module):
    """obs (B, obs_dim) -> (a reparameterised action in the env's bounds (B, A), log pi (B,))."""

    def __init__(self, obs_dim: int, low, high, hidden: int = HIDDEN) -> None:
        super().__init__()
        low, high = torch.as_tensor(low, dtype=torch.float32), torch.as_tensor(high, dtype=torch.float32)
        act_dim = low.numel()
        self.trunk = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(),
                                   nn.Linear(hidden, hidden), nn.ReLU())
        self.mean = nn.Linear(hidden, act_dim)
        self.log_std = nn.Linear(hidden, act_dim)
        self.register_buffer("scale", (high - low) / 2)
        self.register_buffer("bias", (high + low) / 2)

    def heads(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(obs)
        return self.mean(h), self.log_std(h).clamp(LOG_STD_MIN, LOG_STD_MAX)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.heads(obs)
        return squash(mean, log_std, self.scale, self.bias)

    @torch.no_grad()
    def greedy(self, obs: torch.Tensor) -> torch.Tensor:
        """The action without exploration noise: tanh(mean), scaled; for watching it play."""
        mean, _ = self.heads(obs)
        return torch.tanh(mean) * self.scale + self.bias


class Critic(nn.Module):
    """(obs (B, obs_dim), action (B, A)) -> Q (B,)."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim + act_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([obs, action], dim=-1)).squeeze(-1)


def train(env, max_steps: int, on_episode) -> nn.Module:
    """Play and learn for up to max_steps; on_episode(ret) returns True to stop early.

    The caller seeds torch and the environment first; this loop is given.
    Returns the trained actor.
    """
    obs_dim = env.observation_space.shape[0]
    low, high = env.action_space.low, env.action_space.high
    act_dim = low.shape[0]
    actor = Actor(obs_dim, low, high)
    q1, q2 = Critic(obs_dim, act_dim), Critic(obs_dim, act_dim)
    q1_target, q2_target = Critic(obs_dim, act_dim), Critic(obs_dim, act_dim)
    q1_target.load_state_dict(q1.state_dict())
    q2_target.load_state_dict(q2.state_dict())
    log_alpha = torch.zeros(1, requires_grad=True)
    actor_opt = torch.optim.Adam(actor.parameters(), lr=LR, foreach=True)
    critic_opt = torch.optim.Adam([*q1.parameters(), *q2.parameters()], lr=LR, foreach=True)
    alpha_opt = torch.optim.Adam([log_alpha], lr=LR)
    store = {"obs": torch.zeros(max_steps, obs_dim), "actions": torch.zeros(max_steps, act_dim),
             "rewards": torch.zeros(max_steps), "next_obs": torch.zeros(max_steps, obs_dim),
             "terminated": torch.zeros(max_steps)}
    obs, _ = env.reset()
    episode_return = 0.0
    for step in range(max_steps):
        obs_t = torch.as_tensor(obs, dtype=torch.float32)
        if step < WARMUP:
            action = torch.as_tensor(env.action_space.sample(), dtype=torch.float32)
        else:
            with torch.no_grad():
                action = actor(obs_t.unsqueeze(0))[0][0]
        obs, reward, terminated, truncated, _ = env.step(action.numpy())
        for key, value in (("obs", obs_t), ("actions", action), ("rewards", float(reward)),
                           ("next_obs", torch.as_tensor(obs, dtype=torch.float32)),
                           ("terminated", float(terminated))):
            store[key][step] = value
        episode_return += float(reward)
        if terminated or truncated:
            if on_episode(episode_return):
                return actor
            episode_return = 0.0
            obs, _ = env.reset()
        if step + 1 < WARMUP:
            continue
        idx = torch.randint(step + 1, (BATCH,))
        b_obs, b_act, b_rew, b_next, b_term = (store[key][idx] for key in
                                               ("obs", "actions", "rewards", "next_obs",
                                                "terminated"))
        alpha = log_alpha.exp().item()
        targets = critic_targets(actor, q1_target, q2_target, b_rew, b_next, b_term, alpha, GAMMA)
        critic_loss = F.mse_loss(q1(b_obs, b_act), targets) + F.mse_loss(q2(b_obs, b_act), targets)
        critic_opt.zero_grad()
        critic_loss.backward()
        critic_opt.step()
        loss, log_pi = actor_loss(actor, q1, q2, b_obs, alpha)
        actor_opt.zero_grad()
        loss.backward()
        actor_opt.step()
        temperature_loss = alpha_loss(log_alpha, log_pi)
        alpha_opt.zero_grad()
        temperature_loss.backward()
        alpha_opt.step()
        soft_update(q1, q1_target, TAU)
        soft_update(q2, q2_target, TAU)
    return actor
