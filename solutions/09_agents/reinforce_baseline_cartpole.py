"""Capstone: REINFORCE with a learned baseline learns CartPole-v1.

The plainest policy gradient: play whole episodes with the current policy,
then make every action taken more likely in proportion to how much better
than expected things went after it. CartPole-v1 pays +1 for every step the
pole stays up; an episode ends when it falls or after 500 steps. "Solved"
means a mean return of at least 195 over the last 20 episodes.

The loop below plays EPISODES_PER_UPDATE episodes back to back into one flat
list of steps, then learns once. In this course `dones[t] = 1` when step t
was the LAST step of its episode (CleanRL's `next_done` flags the first step
of the next episode instead: `1 - dones[t + 1]` there). Here the data are
whole episodes, so every episode's last step has done = 1; an episode cut
at 500 steps counts as ended too (Monte Carlo returns have nothing to
bootstrap from, and CartPole rarely gets that far while learning).

Your pieces, all from earlier chapters:

1. `returns_to_go`: G_t = r_t + gamma * G_{t+1}, walking backwards, with the
   sum starting again from zero where an episode ended (done = 1): what
   happens in the next episode is not a consequence of this one's actions.
2. `reinforce_losses`: the baseline is a value network's estimate V(s_t). The
   advantage A_t = G_t - V(s_t) must be a constant for the policy loss
   (detach it): the policy loss should move the policy, never the critic.
   The policy loss is -mean(log pi(a_t | s_t) * A_t): the minus sign because
   optimisers minimise and we want to climb. The value loss is the mean
   squared error between V(s_t) and G_t.

Leave the hyperparameters as they are: the check's bar was measured with them.
"""

import torch
from torch import nn

GAMMA = 0.99
LR = 1e-2
EPISODES_PER_UPDATE = 2


class PolicyAndBaseline(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        self.policy = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(),
                                    nn.Linear(hidden, n_actions))
        self.baseline = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def log_probs(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        logp = self.policy(obs).log_softmax(-1)
        return logp.gather(1, actions.unsqueeze(1)).squeeze(1)

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.baseline(obs).squeeze(-1)


def returns_to_go(rewards: torch.Tensor, dones: torch.Tensor, gamma: float) -> torch.Tensor:
    """Discounted returns (T,) in the rewards' dtype, for a flat list of steps from whole episodes."""
    returns = torch.zeros_like(rewards)
    running = torch.zeros(())
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * (1.0 - dones[t]) * running
        returns[t] = running
    return returns


def reinforce_losses(
    log_probs: torch.Tensor, values: torch.Tensor, returns: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(policy_loss, value_loss), two scalars; log_probs and values carry grad."""
    advantages = returns - values.detach()
    policy_loss = -(log_probs * advantages).mean()
    value_loss = (values - returns).pow(2).mean()
    return policy_loss, value_loss


def train(env, max_steps: int, on_episode) -> PolicyAndBaseline:
    """Play and learn for up to max_steps; on_episode(ret) returns True to stop early.

    The caller seeds torch and the environment first; this loop is given.
    """
    agent = PolicyAndBaseline(env.observation_space.shape[0], env.action_space.n)
    optimizer = torch.optim.Adam(agent.parameters(), lr=LR)
    steps = 0
    while steps < max_steps:
        observations, actions, rewards, dones = [], [], [], []
        for _ in range(EPISODES_PER_UPDATE):
            obs, _ = env.reset()
            episode_return, done = 0.0, False
            while not done:
                obs_t = torch.as_tensor(obs, dtype=torch.float32)
                with torch.no_grad():
                    action = int(torch.multinomial(agent.policy(obs_t).softmax(-1), 1))
                obs, reward, terminated, truncated, _ = env.step(action)
                steps += 1
                done = terminated or truncated
                episode_return += float(reward)
                observations.append(obs_t)
                actions.append(action)
                rewards.append(float(reward))
                dones.append(float(done))
            if on_episode(episode_return):
                return agent
        obs_b, actions_b = torch.stack(observations), torch.tensor(actions)
        returns = returns_to_go(torch.tensor(rewards), torch.tensor(dones), GAMMA)
        policy_loss, value_loss = reinforce_losses(
            agent.log_probs(obs_b, actions_b), agent.value(obs_b), returns)
        optimizer.zero_grad()
        (policy_loss + value_loss).backward()
        optimizer.step()
    return agent
