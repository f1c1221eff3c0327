"""CPU time of process trees, read from /proc, and a CPU hog that makes the machine slower.

A tree's CPU is the sum, over its live processes, of their own time (utime + stime) and of the
time of the children they have reaped (cutime + cstime). A child that exits and is waited for
moves its time into its parent's reaped figure, so the sum neither loses nor double-counts
short-lived children (a segment encoder, a browser renderer) between two snapshots.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str
    own: float  # seconds on a CPU: utime + stime
    reaped: float  # seconds of the children it has waited for: cutime + cstime


def snapshot() -> dict[int, Proc]:
    """Every process visible now, by pid."""
    procs = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                raw = stat.read()
        except OSError:  # it exited while we looked
            continue
        # The name sits in parentheses and may hold spaces or parentheses itself.
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        procs[int(entry.name)] = Proc(
            int(entry.name), int(fields[1]), name, (utime + stime) / TICK, (cutime + cstime) / TICK
        )
    return procs


def tree(procs: dict[int, Proc], root: int) -> list[int]:
    """`root` and all its live descendants (empty if root is gone)."""
    if root not in procs:
        return []
    children: dict[int, list[int]] = defaultdict(list)
    for proc in procs.values():
        children[proc.ppid].append(proc.pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def tree_seconds(procs: dict[int, Proc], root: int) -> float:
    return sum(procs[pid].own + procs[pid].reaped for pid in tree(procs, root))


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle since boot (all cores)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    # guest time is already counted in user/nice; the first eight fields are the rest.
    return (sum(values[:8]) - idle) / TICK


def start_hog(core: int | None = None) -> subprocess.Popen:
    """A busy loop pinned to one core: the studio's processes get about one core less, which on
    a 2-core machine is roughly a machine half as fast."""
    core = max(os.sched_getaffinity(0)) if core is None else core
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    os.sched_setaffinity(hog.pid, {core})
    return hog


def hold_to_one_core(core: int | None = None) -> Callable[[], None]:
    """Hold this thread, and every process and thread it starts from now on (they inherit it), to
    one core; returns the call that lets this thread go back. Unlike a hog, this halves a 2-core
    machine for the studio even when other work keeps both cores busy: a hog at the same priority
    then gets only its fair share of its core."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {max(allowed) if core is None else core})
    return lambda: os.sched_setaffinity(0, allowed)
