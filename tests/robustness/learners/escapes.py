"""Starts a sleeping child and an escaped spinner (fork, setsid, fork), writes their
pids to $PIDS_FILE, then spins itself (or returns 42 when $ESCAPE_THEN_PASS is set)."""

import os


def _escape() -> int:
    read_end, write_end = os.pipe()
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write_end, str(os.getpid()).encode())
            while True:
                pass
        os._exit(0)
    os.close(write_end)
    escaped = int(os.read(read_end, 64))
    os.waitpid(first, 0)
    return escaped


def answer():
    pids = [os.getpid()]
    sleeper = os.fork()
    if sleeper == 0:
        import time

        time.sleep(600)
        os._exit(0)
    pids += [sleeper, _escape()]
    target = os.environ["PIDS_FILE"]
    with open(target + ".tmp", "w") as handle:
        handle.write(" ".join(map(str, pids)))
    os.replace(target + ".tmp", target)
    if os.environ.get("ESCAPE_THEN_PASS"):
        return 42
    while True:
        pass
