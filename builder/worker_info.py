"""What a worker tells the System page about itself, through Celery's remote control.

`studio_info` is an inspect command (`app.control.broadcast("studio_info", reply=True)`), answered
by each worker's main process: its queues, its CPUs and the GPUs it can see. GPUs are read with
`nvidia-smi` (name and memory) once per process, so asking never imports torch into the worker's
parent process or touches a GPU a build is using.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from typing import Any

from celery.worker.control import inspect_command

from builder.childenv import child_env


@lru_cache(maxsize=1)
def gpus() -> tuple[str, ...]:
    """Each NVIDIA GPU as "name, N MiB", or () when there is none (or no driver)."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return ()
    try:
        out = subprocess.run(
            [smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
            env=child_env(),
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(line.strip() for line in out.splitlines() if line.strip())


def describe(queues: list[str]) -> dict[str, Any]:
    return {"queues": sorted(queues), "cpus": os.cpu_count() or 1, "gpus": list(gpus()), "pid": os.getpid()}


@inspect_command()
def studio_info(state: Any) -> dict[str, Any]:
    """The worker's queues and devices (the System page's "workers" row)."""
    queues = [queue.name for queue in state.consumer.task_consumer.queues]
    return describe(queues)
