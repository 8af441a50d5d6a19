"""Check: (T, N) rollout storage: rows by step, next_obs / next_done, flatten and back."""

import torch

from torchlings.checkapi.testing import expect, expect_tensor, fail
from torchlings.checkapi.testkit.harness import Args, Contract, check_contract

T, N, OBS = 5, 3, 4  # all different, so a swapped T and N shows
NAMES = ("obs", "actions", "log_probs", "rewards", "dones", "values")
CONCEPT = (
    "Time-major storage: row t of every buffer holds step t of all N envs. add() writes row "
    "`step`, then step += 1. Flattened, sample k is step k // N of env k % N."
)


def _step_data(t, envs=N, *, attached=False):
    """Step t of every env, with values that say where they belong: 100 t + 10 n (+ d)."""
    base = 100.0 * t + 10.0 * torch.arange(envs, dtype=torch.float32)
    obs = base.unsqueeze(1) + torch.arange(OBS, dtype=torch.float32)
    value = base + 1.5
    log_prob = -(base + 2.5)
    if attached:
        weight = torch.ones((), requires_grad=True)
        value, log_prob = value * weight, log_prob * weight
    return {
        "obs": obs,
        "action": (torch.arange(envs) + t) % 2,
        "log_prob": log_prob,
        "reward": base + 0.5,
        "done": ((torch.arange(envs) + t) % 3 == 0).float(),
        "value": value,
        "next_obs": obs + 1000.0,
    }


def _expected_row(t, envs=N):
    d = _step_data(t, envs)
    return {"obs": d["obs"], "actions": d["action"], "log_probs": d["log_prob"],
            "rewards": d["reward"], "dones": d["done"], "values": d["value"]}


def _filled(exercise, steps=T, envs=N):
    storage = exercise.RolloutStorage(T, envs, OBS)
    for t in range(steps):
        storage.add(**_step_data(t, envs))
    return storage


def _full_buffers(envs=N):
    rows = [_expected_row(t, envs) for t in range(T)]
    return {name: torch.stack([row[name] for row in rows]) for name in NAMES}


def _explain_dones(storage, steps):
    """Name CleanRL's habit: dones[t] holding the PREVIOUS step's done (next_done before step)."""
    buffer = getattr(storage, "dones", None)
    if not isinstance(buffer, torch.Tensor) or buffer.dim() != 2:
        return  # the buffer checks below say what is wrong with it
    lagged = torch.zeros(T, buffer.shape[1])
    for t in range(1, steps):
        lagged[t] = _expected_row(t - 1, buffer.shape[1])["dones"]
    buffer = buffer.detach().float()
    if buffer.shape == lagged.shape and torch.equal(buffer, lagged):
        fail(f"storage.dones after {steps} adds is one step late: row t holds the done of step "
             "t - 1 (row 0 zeros), CleanRL's `dones[step] = next_done` stored before env.step. "
             "In this course dones[t] = 1 when step t was the LAST step of its episode: write "
             "the `done` passed to this add() into row t (and keep a copy as next_done).\n"
             + CONCEPT)


def test_buffers_on_creation(exercise):
    """A new storage holds zeroed (T, N) buffers, step 0, and no next_obs yet."""
    storage = exercise.RolloutStorage(T, N, OBS)
    for name in NAMES:
        shape = (T, N, OBS) if name == "obs" else (T, N)
        dtype = torch.int64 if name == "actions" else torch.float32
        expect_tensor(getattr(storage, name), name=f"storage.{name} of a new RolloutStorage("
                      f"num_steps={T}, num_envs={N}, obs_dim={OBS})", shape=shape, dtype=dtype,
                      values=torch.zeros(shape, dtype=dtype),
                      concept="Time-major: (T, N) first, as CleanRL and SB3 store rollouts; "
                      "actions are int64 indices, everything else float32.")
    expect(storage.step == 0, f"A new storage should start at step 0, not {storage.step!r}.")


def test_add_writes_row_step(exercise):
    """After two adds, rows 0 and 1 hold them, the rest is still zero, and step is 2."""
    storage = _filled(exercise, steps=2)
    expect(isinstance(storage.step, int) and storage.step == 2,
           f"After two add() calls storage.step should be the int 2; it is {storage.step!r}. "
           "Advance it by one per add, after writing.")
    _explain_dones(storage, 2)
    for name in NAMES:
        buffer = getattr(storage, name)
        want = torch.zeros_like(buffer)
        want[:2] = torch.stack([_expected_row(t)[name] for t in range(2)])
        expect_tensor(buffer, name=f"storage.{name} after two adds",
                      shape=tuple(want.shape), dtype=want.dtype, values=want,
                      concept="Step t goes in row t (the row storage.step points at BEFORE "
                      "it moves on), all N envs at once: buffer[t] = x. " + CONCEPT)


def test_full_rollout_then_no_more(exercise):
    """T adds fill every row; one more raises IndexError rather than wrapping around."""
    storage = _filled(exercise)
    _explain_dones(storage, T)
    for name, want in _full_buffers().items():
        expect_tensor(getattr(storage, name), name=f"storage.{name} after {T} adds",
                      values=want, concept=CONCEPT)
    try:
        storage.add(**_step_data(T))
    except IndexError:
        return
    fail(f"A {T + 1}th add() on storage for T = {T} steps did not raise. Row {T} does not "
         "exist: writing buffer[step] with step = T raises IndexError by itself; do not wrap "
         "around or grow the buffers.")


def test_next_obs_and_next_done(exercise):
    """next_obs and next_done are copies of the newest step's next_obs and done."""
    storage = exercise.RolloutStorage(T, N, OBS)
    for t in range(3):
        data = _step_data(t)
        storage.add(**data)
        expect(storage.next_obs is not None and storage.next_done is not None,
               "After add(), storage.next_obs and storage.next_done are still None: keep the "
               "observation the envs are on now, and whether the last step ended an episode. "
               "GAE bootstraps the last step from V(next_obs) unless next_done.")
        expect_tensor(storage.next_obs, name=f"storage.next_obs after add number {t + 1}",
                      shape=(N, OBS), values=data["next_obs"],
                      concept="next_obs is the LATEST observation returned by env.step, the "
                      "one the next rollout starts from.")
        expect_tensor(storage.next_done, name=f"storage.next_done after add number {t + 1}",
                      shape=(N,), values=data["done"],
                      concept="next_done is the done of the step just stored: 1 where next_obs "
                      "already belongs to a new episode.")
    data["next_obs"].fill_(-1.0)  # the env reuses its array for the next observation
    data["done"].fill_(-1.0)
    expect_tensor(storage.next_obs, name="storage.next_obs after the env reused its array",
                  values=_step_data(2)["next_obs"],
                  concept="Keep a copy (next_obs.clone()): storing the env's own tensor means "
                  "the storage changes whenever the env writes into it.")
    expect_tensor(storage.next_done, name="storage.next_done after the env reused its array",
                  values=_step_data(2)["done"], concept="Keep a copy of done as next_done.")


def test_stores_numbers_not_graphs(exercise):
    """log_probs and values that arrive attached are stored without their graph."""
    storage = exercise.RolloutStorage(T, N, OBS)
    storage.add(**_step_data(0, attached=True))
    for name in ("log_probs", "values"):
        expect_tensor(getattr(storage, name), name=f"storage.{name} after storing attached "
                      "tensors", requires_grad=False,
                      concept="Writing an attached tensor into a buffer links the whole buffer "
                      "into that graph. Store value.detach() and log_prob.detach().")


def test_buffer_dtypes_hold(exercise):
    """float64 observations and rewards are stored in the float32 buffers."""
    storage = exercise.RolloutStorage(T, N, OBS)
    data = _step_data(0)
    data["obs"], data["reward"] = data["obs"].double(), data["reward"].double()
    storage.add(**data)
    expect_tensor(storage.obs, name="storage.obs after adding float64 observations",
                  dtype=torch.float32, values=_full_buffers()["obs"] * (torch.arange(T) < 1)
                  .view(T, 1, 1), concept="Copy into the preallocated row (buffer[t] = x) so "
                  "the buffer keeps its dtype; do not replace the buffer.")
    expect_tensor(storage.rewards, name="storage.rewards after adding float64 rewards",
                  dtype=torch.float32, concept="The buffers keep their dtype.")


def test_flatten_is_time_major(exercise):
    """flatten(): (T * N, ...) per buffer, sample k = step k // N of env k % N."""
    flat = _filled(exercise).flatten()
    expect(isinstance(flat, dict) and set(flat) == set(NAMES),
           f"flatten() should return a dict with the keys {list(NAMES)}; it returned "
           f"{type(flat).__name__}" + (f" with {sorted(flat)}" if isinstance(flat, dict) else ""))
    for name, buffer in _full_buffers().items():
        want = torch.stack([buffer[k // N, k % N] for k in range(T * N)])
        expect_tensor(flat[name], name=f"flatten()['{name}']", shape=tuple(want.shape),
                      dtype=want.dtype, values=want,
                      concept="flatten(0, 1) or reshape(T * N, ...) keeps time-major order: "
                      "all envs of step 0, then all of step 1. A transpose first would "
                      "give env-major order. " + CONCEPT)


def test_unflatten_inverts_flatten(exercise):
    """unflatten() brings (T * N, ...) back to (T, N, ...), for stored and new tensors."""
    storage = _filled(exercise)
    flat = storage.flatten()
    for name in ("obs", "values"):
        expect_tensor(storage.unflatten(flat[name]), name=f"unflatten(flatten()['{name}'])",
                      shape=tuple(getattr(storage, name).shape),
                      values=getattr(storage, name), concept=CONCEPT)
    scores = torch.arange(T * N, dtype=torch.float64)  # e.g. advantages computed per sample
    want = torch.tensor([[t * N + n for n in range(N)] for t in range(T)], dtype=torch.float64)
    expect_tensor(storage.unflatten(scores), name="unflatten of a new (T * N,) tensor "
                  "[0, 1, 2, ...]", shape=(T, N), dtype=torch.float64, values=want,
                  concept="Sample k goes back to step k // N, env k % N: reshape(T, N, ...). "
                  "view(N, T) followed by a transpose puts every number in the wrong place.")


def test_by_env_is_a_transpose(exercise):
    """by_env(): (N, T, ...) where row n is env n's steps in time order."""
    storage = _filled(exercise)
    for name in ("rewards", "obs"):
        buffer = getattr(storage, name)
        want = torch.stack([buffer[:, n] for n in range(N)])
        expect_tensor(storage.by_env(buffer), name=f"by_env(storage.{name})",
                      shape=tuple(want.shape), values=want,
                      concept="(T, N) to (N, T) is a transpose (x.transpose(0, 1)). "
                      "reshape(N, T) keeps memory order and cuts it differently: env 0 "
                      "would get step 0 of all envs, then step 1 of some.")


def test_reset_starts_the_next_rollout(exercise):
    """After reset(), the next add goes to row 0 again; next_obs is kept until then."""
    storage = _filled(exercise)
    storage.reset()
    expect(storage.step == 0, f"After reset() storage.step is {storage.step!r}, expected 0.")
    expect_tensor(storage.next_obs, name="storage.next_obs after reset()",
                  values=_step_data(T - 1)["next_obs"],
                  concept="The next rollout starts from next_obs: reset() keeps it.")
    storage.add(**_step_data(7))
    expect_tensor(storage.rewards[0], name="row 0 of storage.rewards after reset() and one add",
                  values=_step_data(7)["reward"], concept=CONCEPT)


def test_one_env(exercise):
    """With a single env (N = 1) everything keeps its env dim."""
    storage = _filled(exercise, envs=1)
    flat = storage.flatten()
    expect_tensor(flat["rewards"], name="flatten()['rewards'] with N = 1", shape=(T,),
                  values=_full_buffers(envs=1)["rewards"].reshape(T), concept=CONCEPT)
    expect_tensor(storage.by_env(storage.rewards), name="by_env(storage.rewards) with N = 1",
                  shape=(1, T), concept="N = 1 is still a dim: no squeeze().")
    expect_tensor(storage.next_obs, name="storage.next_obs with N = 1", shape=(1, OBS),
                  concept="next_obs keeps its (N, obs_dim) shape.")


class _ReferenceStorage:
    """The docstring's storage, written once."""

    def __init__(self, num_steps, num_envs, obs_dim):
        self.num_steps, self.num_envs = num_steps, num_envs
        self.obs = torch.zeros(num_steps, num_envs, obs_dim)
        self.actions = torch.zeros(num_steps, num_envs, dtype=torch.int64)
        for name in NAMES[2:]:
            setattr(self, name, torch.zeros(num_steps, num_envs))
        self.step, self.next_obs, self.next_done = 0, None, None

    def add(self, obs, action, log_prob, reward, done, value, next_obs):
        t = self.step
        for name, item in zip(NAMES, (obs, action, log_prob, reward, done, value), strict=True):
            getattr(self, name)[t] = item.detach()
        self.next_obs, self.next_done = next_obs.detach().clone(), done.detach().clone()
        self.step = t + 1

    def flatten(self):
        return {name: getattr(self, name).flatten(0, 1) for name in NAMES}

    def unflatten(self, flat):
        return flat.reshape(self.num_steps, self.num_envs, *flat.shape[1:])

    def by_env(self, x):
        return x.transpose(0, 1)


def _one_rollout(storage_class):
    """Fill a storage step by step, as a collector does, and read every view of it back."""
    def run(num_steps, num_envs, obs_dim, steps, extra, attached):
        storage = storage_class(num_steps, num_envs, obs_dim)
        weight = torch.ones((), requires_grad=attached)
        for step in steps:  # attached: log_prob and value straight from the networks
            storage.add(**{**step, "log_prob": step["log_prob"] * weight,
                           "value": step["value"] * weight})
        kept_obs, kept_done = storage.next_obs, storage.next_done
        steps[-1]["next_obs"].add_(1.0)  # the env reuses its array for the next observation
        steps[-1]["done"].add_(1.0)
        flat = storage.flatten()
        return {
            "step": storage.step, "next_obs": kept_obs, "next_done": kept_done, "flat": flat,
            "back": {name: storage.unflatten(x) for name, x in flat.items()},
            "extra back": storage.unflatten(extra),  # a tensor made from the flat batch
            "by_env": {name: storage.by_env(getattr(storage, name)) for name in NAMES},
        }
    return run


def _explain_contract(case, got, want):
    """The check's words for the two mistakes the harness's account alone leaves vague."""
    if case.result_key in ("next_obs", "next_done"):
        fail("After the env wrote its next observation into the same array, storage.next_obs "
             "(or next_done) changed with it: it shares the caller's memory (kept as is, or "
             ".detach(), which shares it too). Keep a copy: next_obs.clone(), done.clone().\n"
             f"({case.problem})\n" + CONCEPT)
    if case.result_key == "by_env":
        fail("by_env must swap only the first two dims, (T, N, ...) to (N, T, ...), whatever "
             "comes after them: x.transpose(0, 1). (x.T reverses EVERY dim; a reshape scrambles "
             f"the steps.)\n({case.problem})\n" + CONCEPT)


def test_contract(exercise):
    """RolloutStorage keeps its promise for every T, N and obs_dim, attached inputs included."""
    def inputs(draw):
        n, d = draw["num_envs"], draw["obs_dim"]
        steps = []
        for _ in range(draw["num_steps"] if draw["full"] else 1):
            steps.append({"obs": draw.randn(n, d), "action": draw.randint(4, n),
                          "log_prob": draw.randn(n), "reward": draw.randn(n),
                          "done": (draw.rand(n) < 0.3).float(), "value": draw.randn(n),
                          "next_obs": draw.randn(n, d)})
        extra = draw.randn(draw["num_steps"] * n, 2)
        return Args(draw["num_steps"], n, d, steps, extra, draw["attached"])
    check_contract(Contract(
        function="RolloutStorage", call=_one_rollout(exercise.RolloutStorage),
        reference=_one_rollout(_ReferenceStorage), inputs=inputs,
        axes={"num_steps": [1, 4], "num_envs": [1, 3], "obs_dim": [1, 5], "full": [True, False],
              "attached": [False, True]},
        untouched=False, diagnose=_explain_contract, concept=CONCEPT))
