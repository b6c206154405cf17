#!/usr/bin/env python3
"""Runs a command and kills it with SIGKILL when a trigger fires.

Usage: kill_at.py TRIGGER LOG -- COMMAND...

TRIGGER is one of
  ms:N              N milliseconds after the start
  path:GLOB[:COUNT] once GLOB matches at least COUNT (default 1) paths
  stderr:TEXT       once a line of the command's standard error holds TEXT

The command's standard error goes to LOG. Prints one line: "killed after
N ms" or "exited with S before the trigger". The command is stopped
(SIGSTOP) before the kill, so the processes it had started at that moment
are known exactly: they must be gone within 10 s (sandboxes die with their
parent); those left are listed, killed, and the exit status is 3.
Exit status: 0 when killed, 2 when the command finished first, 3 as above.
"""
import glob
import os
import signal
import subprocess
import sys
import threading
import time


def descendants(root):
    """(pid, start time) of every process below root."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(entry), fields[19]))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def alive(pid, start):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[19] == start and fields[0] != "Z"
    except OSError:
        return False


def wait_until_stopped(pid):
    """Returns once every thread of pid is stopped (or pid has ended)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            states = []
            for thread in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{thread}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
        except OSError:
            return
        if all(state in "TtZX" for state in states):
            return
        time.sleep(0.001)


def main():
    trigger, log_path = sys.argv[1], sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1:]
    kind, _, argument = trigger.partition(":")
    seen = threading.Event()
    log = open(log_path, "w")
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, errors="replace")

    def read_stderr():
        for line in process.stderr:
            log.write(line)
            log.flush()
            if kind == "stderr" and argument in line:
                seen.set()

    reader = threading.Thread(target=read_stderr)
    reader.start()
    pattern, _, count = argument.partition(":") if kind == "path" else (argument, "", "")
    needed = int(count or 1)
    while process.poll() is None:
        elapsed = (time.monotonic() - start) * 1000
        fired = (kind == "ms" and elapsed >= int(argument)) or seen.is_set() or (
            kind == "path" and len(glob.glob(pattern)) >= needed)
        if fired:
            # Stopped first, so that it forks nothing between the list of its
            # processes and the kill.
            os.kill(process.pid, signal.SIGSTOP)
            wait_until_stopped(process.pid)
            below = descendants(process.pid)
            process.kill()
            process.wait()
            print(f"killed after {elapsed:.0f} ms")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(alive(*p) for p in below):
                time.sleep(0.05)
            survivors = [pid for pid, started in below if alive(pid, started)]
            for pid in survivors:
                os.kill(pid, signal.SIGKILL)
            reader.join()
            if survivors:
                print(f"processes left running after the kill: {survivors}")
                return 3
            return 0
        time.sleep(0.005)
    reader.join()
    print(f"exited with {process.returncode} before the trigger")
    return 2


if __name__ == "__main__":
    sys.exit(main())
