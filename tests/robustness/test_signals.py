"""The runner signals only processes it still holds.

A process id is free for reuse the moment its process is reaped, and thread
ids come from the same numbers: a `kill(pid)` sent after the reap can end any
process on the machine (one that just started a thread included: kill() with
a thread's id ends its whole process). So a check, and its group, are
signalled only while the check is unreaped, and everything else through a
pidfd. A signal answered ESRCH is a signal sent to a number nobody held at
that moment: in a busier second, somebody else's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torchlings.engine.host.subprocess_engine import child_environment
from torchlings.engine.host.warm_engine import warm_supported

HERE = Path(__file__).parent
ENGINE_LEARNERS = HERE.parent / "engine" / "learners"
TINY_CHECK = ENGINE_LEARNERS / "check_tiny.py"

pytestmark = pytest.mark.skipif(not warm_supported() or not sys.platform.startswith("linux"),
                                reason="needs fork, /proc and pidfds (Linux)")

IGNORES_ALARM = """\
import signal, time


def answer():
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # only the engine's clock can end it now
    while True:
        time.sleep(0.05)
"""

# Both engines on a pass, a crash, a hang the check's own alarm ends, a hang
# only the engine's clock ends (warm: its backstop), and a pass that leaves
# processes behind (in its group, and escaped from it).
SCRIPT = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from torchlings.engine import CheckJob, make_engine
    check, folder = Path(sys.argv[1]), Path(sys.argv[2])
    for one_shot in (False, True):
        engine = make_engine(one_shot=one_shot)
        try:
            for name, timeout in [("good", 20), ("segfault", 20), ("sleeper", 1),
                                  ("ignores_alarm", 1), ("escapes", 20)]:
                if one_shot and name == "ignores_alarm":
                    continue  # its backstop waits 20 s for a cold start: the warm one shows it
                result = engine.check(CheckJob(check, folder / f"{name}.py", timeout=timeout))
                print(("one-shot" if one_shot else "warm"), name, result.status.name, flush=True)
        finally:
            engine.close()
""")


def learners(tmp_path: Path) -> Path:
    folder = tmp_path / "learners"
    folder.mkdir()
    for name in ("good", "segfault", "sleeper"):
        shutil.copyfile(ENGINE_LEARNERS / f"{name}.py", folder / f"{name}.py")
    shutil.copyfile(HERE / "learners" / "escapes.py", folder / "escapes.py")
    (folder / "ignores_alarm.py").write_text(IGNORES_ALARM)
    return folder


def strace_usable() -> str | None:
    """Why strace cannot follow processes here (None: it can)."""
    if shutil.which("strace") is None:
        return "strace is not installed (apt-get install strace)"
    probe = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "true"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"strace cannot ptrace here: {probe.stderr.strip()[:200]}"
    return None


def in_own_pid_namespace() -> list[str]:
    """A prefix that runs a command in a PID namespace of its own, where this machine allows it:
    whatever the learners leave behind ends with it, whatever goes wrong."""
    if shutil.which("unshare") is None:
        return []
    probe = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"],
                           capture_output=True, timeout=30)
    return ["unshare", "--pid", "--fork", "--mount-proc"] if probe.returncode == 0 else []


def test_no_signal_the_runner_sends_finds_nobody(tmp_path):
    why = strace_usable()
    if why is not None:
        pytest.skip(why)
    folder = learners(tmp_path)
    trace = tmp_path / "trace"
    env = {**child_environment(), "PIDS_FILE": str(tmp_path / "pids"),
           "ESCAPE_THEN_PASS": "1"}
    done = subprocess.run(
        [*in_own_pid_namespace(), "strace", "-f", "-qq", "--seccomp-bpf",
         "-e", "trace=kill,tgkill,pidfd_send_signal", "-o", str(trace),
         sys.executable, "-c", SCRIPT, str(TINY_CHECK), str(folder)],
        capture_output=True, text=True, env=env, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    statuses = {tuple(line.split()[:2]): line.split()[2] for line in done.stdout.splitlines()}
    assert statuses[("warm", "good")] == "PASSED"
    assert statuses[("one-shot", "good")] == "PASSED"
    assert statuses[("warm", "segfault")] == "CRASHED"
    assert statuses[("one-shot", "segfault")] == "CRASHED"
    assert statuses[("warm", "sleeper")] == "TIMEOUT"
    assert statuses[("warm", "ignores_alarm")] == "TIMEOUT"
    assert statuses[("one-shot", "escapes")] == "PASSED"
    lines = trace.read_text().splitlines()
    # Not vacuous: the runner did end the hangs and what the escapes left.
    assert any("SIGKILL" in line for line in lines), lines[-20:]
    stale = [line for line in lines if "ESRCH" in line]
    assert not stale, "signals sent to processes nobody held:\n" + "\n".join(stale)


# The worker's reaping, in a Python of its own (it reaps any child of its
# process): a check that leaves a member of its group behind. Every signal must
# reach a process that is still there (alive, or a zombie not yet reaped).
REAPING = textwrap.dedent("""
    import os, socket, sys, time
    from torchlings.engine.worker.warm_worker import Checks

    def state(pid):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            return "gone"
        return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3].decode()

    sent = []
    real_killpg, real_kill = os.killpg, os.kill
    def killpg(pgid, sig):
        sent.append(f"killpg {pgid} {state(pgid)}")
        real_killpg(pgid, sig)
    def kill(pid, sig):
        sent.append(f"kill {pid} {state(pid)}")
        real_kill(pid, sig)
    os.killpg, os.kill = killpg, kill

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        if os.fork() == 0:  # stays in the group, asleep
            time.sleep(60)
            os._exit(0)
        os.write(write_end, b"x")
        os._exit(3)
    os.close(write_end)
    os.read(read_end, 1)
    ours, theirs = socket.socketpair()
    checks = Checks(theirs)
    checks.running[pid] = ("1", "")
    deadline = time.monotonic() + 30
    while pid in checks.running and time.monotonic() < deadline:
        checks.reap()
        time.sleep(0.01)
    print("check", pid, state(pid))
    for line in sent:
        print(line)
""")


def test_the_worker_ends_a_checks_group_before_it_reaps_it():
    done = subprocess.run([*in_own_pid_namespace(), sys.executable, "-c", REAPING],
                          capture_output=True, text=True, env=child_environment(), timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    _, pid, state = lines[0].split()
    assert state == "gone"  # reaped
    assert f"killpg {pid}" in "\n".join(lines), f"the check's group was never ended: {lines}"
    late = [line for line in lines[1:] if line.endswith(" gone")]
    assert not late, f"signals sent after the process was reaped: {late}"


def test_the_warm_engine_never_signals_a_check_itself(monkeypatch, tmp_path):
    # Only the worker, the check's parent, knows whether it is reaped: the
    # engine asks, whatever the check did (pass, crash, time out).
    from torchlings.engine import CheckJob, Status
    from torchlings.engine.host.warm_engine import WarmEngine

    folder = learners(tmp_path)
    engine = WarmEngine()
    started: list[int] = []
    signalled: list[int] = []
    real_kill, real_killpg = os.kill, os.killpg
    real_pidfd_send = signal.pidfd_send_signal

    def kill(pid, sig):
        signalled.append(pid)
        real_kill(pid, sig)

    def killpg(pgid, sig):
        signalled.append(-pgid)
        real_killpg(pgid, sig)

    def pidfd_send(fd, sig, *args):
        signalled.append(0)
        real_pidfd_send(fd, sig, *args)

    try:
        engine.start()
        assert engine.wait_ready(90)
        monkeypatch.setattr(os, "kill", kill)
        monkeypatch.setattr(os, "killpg", killpg)
        monkeypatch.setattr(signal, "pidfd_send_signal", pidfd_send)
        for name, timeout, status in [("good", 20, Status.PASSED), ("segfault", 20, Status.CRASHED),
                                      ("ignores_alarm", 1, Status.TIMEOUT)]:
            result = engine.check(CheckJob(TINY_CHECK, folder / f"{name}.py", timeout=timeout))
            assert result.status is status, result.summary
        started.append(engine.worker_pid() or 0)
    finally:
        monkeypatch.undo()
        engine.close()
    assert signalled == [], f"the engine sent signals itself: {signalled}"
