"""SAC's temperature: learning how much to explore.

The temperature alpha weighs entropy against reward. Fixed, it is a painful
knob: the right amount of randomness depends on the task and changes as the
agent learns. SAC with automatic tuning learns alpha instead, with a target:
keep the policy's entropy near a target value, by convention
target_entropy = -action_dim (about the entropy of a fairly narrow
Gaussian per dimension).

alpha must stay positive, so the parameter is log_alpha and alpha =
log_alpha.exp(). The loss, for a batch of log pi(a|s) of fresh actions, is

    loss = -( log_alpha * (log_pi + target_entropy).detach() ).mean()

Why it works: -log_pi estimates the entropy. If the policy is too sure of
itself (entropy below target, so log_pi + target_entropy > 0), the gradient of
the loss with respect to log_alpha is negative, a descent step raises alpha,
and the entropy bonus grows; if it is random enough, alpha falls.

The `.detach()` matters: this loss trains alpha only. Without it the
gradient would also flow into log_pi, and from there into the actor, pushing
the policy toward whatever makes this loss small, which is not the actor's
objective.

One contract, stated plainly: this exercise asks for SB3's form, with
log_alpha multiplying the bracket. CleanRL writes `-(log_alpha.exp() *
(log_pi + target_entropy)).mean()` (with log_pi made under no_grad): the same
sign and the same resting point, but every gradient is scaled by alpha, so the
numbers differ. Write the log_alpha form here. log_alpha may be 0-d or (1,)
(SB3 and CleanRL both use (1,)); the loss is 0-d either way.

Tensors handed in as data are left as they were: no in-place change, no
requires_grad switched on, no .grad written. Work on new tensors.
"""

import torch


def sac_alpha_loss(
    log_alpha: torch.Tensor, log_pi: torch.Tensor, action_dim: int
) -> torch.Tensor:
    """The temperature loss (0-d, in log_alpha's dtype); its gradient reaches log_alpha only.

    log_alpha: the learned parameter (0-d or (1,)). log_pi: (B,) log pi(a|s) of fresh
    actions in log_alpha's dtype, possibly still attached to the actor. action_dim: an int.
    """
    # TODO: target_entropy = -action_dim; the loss above, with log_pi cut from the graph.
    raise NotImplementedError("write the temperature loss")
