"""``make run``: set up, then run the web server, a worker and the streamer under one runner."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from aijesus import processes
from aijesus.chat import crypto
from aijesus.chat.process import chat_command
from aijesus.localredis import ensure_redis
from aijesus.studio.system import FAIL, WARN, run_checks, summary


class Command(BaseCommand):
    help = "Migrate, seed, and run the whole studio (dashboard, worker, streamer). Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.STUDIO_PORT)
        parser.add_argument("--host", default=os.environ.get("STUDIO_HOST", "127.0.0.1"))
        parser.add_argument("--setup-only", action="store_true", help="Prepare, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed", stdout=self.stdout)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.reseal_tokens()
        if options["setup_only"]:
            return

        redis_url, bundled = ensure_redis(settings.REDIS_URL, settings.DATA_DIR / "redis")
        if bundled:
            self.stdout.write(f"No Redis at {settings.REDIS_URL}; started the bundled one at {redis_url}.")
        checks = run_checks(workers=False, redis_url=redis_url)
        problems = any(check.status == FAIL for check in checks)
        line = f"Checks: {summary(checks)}."
        if problems or any(check.status == WARN for check in checks):
            line += " Details: `python manage.py doctor` or the System page."
        self.stdout.write(self.style.ERROR(line) if problems else line)
        bin_dir = os.path.dirname(sys.executable)
        # No secret in honcho's environment: each process gets its own through its launcher.
        env = {
            **processes.without_secrets(os.environ),
            "REDIS_URL": redis_url,
            "STUDIO_PORT": str(options["port"]),
            "STUDIO_HOST": options["host"],
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "PYTHONUNBUFFERED": "1",
        }
        self.stdout.write(
            self.style.SUCCESS(f"Dashboard: http://{options['host']}:{options['port']}/")
            + "\nLog in as the owner, 'owner' (its password is printed on the first run only; reset it"
            " with `python manage.py changepassword owner`); invite moderators on the Users page."
            " Ctrl-C stops everything."
        )
        procfile = self.procfile()
        env[processes.SET_VAR] = ",".join(processes.configured_names(os.environ))
        argv = [sys.executable, "-m", "honcho", "start", "-f", str(procfile), "-d", str(settings.BASE_DIR)]
        # honcho stops every process on SIGINT/SIGTERM and exits when any of them stops. Pass our
        # signals on (a `kill` may reach only us) and wait, so Redis outlives the processes using it.
        # The handler goes in before honcho starts: a Ctrl-C while it starts is kept and passed on
        # once it runs, instead of ending this process alone and leaving the studio running.
        asked: list[int] = []
        runner: subprocess.Popen | None = None

        def stop(received: int, _frame: object) -> None:
            asked.append(received)
            if runner is not None:
                runner.send_signal(received)

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, stop)
        folder = secrets_folder(settings.DATA_DIR / "run")
        try:
            roles = re.findall(r"aijesus\.processes (\w+) --", procfile.read_text())
            processes.hand_out(folder, roles, secrets_env())
            runner = subprocess.Popen(argv, env={**env, processes.DIR_VAR: str(folder)})
            if asked:
                runner.send_signal(asked[-1])
            wait_for_runner(runner, asked)
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # a role that never started leaves its file
            if bundled:
                bundled.stop()

    def procfile(self) -> Path:
        """The Procfile, with the chat reader when there is chat to read (aijesus/chat/process.py)."""
        procfile = settings.BASE_DIR / "Procfile"
        chat = chat_command()
        if not chat:
            return procfile
        generated = settings.DATA_DIR / "Procfile"
        line = processes.command("chat", chat)
        generated.write_text(procfile.read_text().rstrip("\n") + f"\nchat: {line}\n")
        self.stdout.write(f"Chat reader: {chat}")
        return generated

    def reseal_tokens(self) -> None:
        """Values sealed with an older key (or, before TOKEN_ENCRYPTION_KEY, with SECRET_KEY's)
        are sealed again with the current one here, where every key is at hand: the chat reader,
        which holds TOKEN_ENCRYPTION_KEY but not SECRET_KEY, then opens them all."""
        done = crypto.reseal_all()
        if done.changed:
            self.stdout.write(f"Re-sealed {done.changed} stored token(s) with TOKEN_ENCRYPTION_KEY.")
        if done.unreadable:
            self.stdout.write(
                self.style.WARNING(
                    f"{done.unreadable} stored token(s) open with no configured key: connect Twitch again."
                )
            )


def secrets_env() -> dict[str, str]:
    """Our environment with the keys generated into DATA_DIR (when not given) spelled out, so the
    processes that may hold them get them from us and never read or write those files."""
    env = dict(os.environ)
    for name, value in (
        (processes.SECRET_KEY, settings.SECRET_KEY),
        (processes.TOKEN_ENCRYPTION_KEY, ",".join(crypto.keys())),
    ):
        if not env.get(name) and not env.get(f"{name}_FILE"):
            env[name] = value
    return env


def secrets_folder(parent: Path) -> Path:
    """A fresh 0700 folder for this run's secrets. Folders left by a run that was killed are
    removed (their secrets were taken within seconds of its start)."""
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob("secrets-*"):
        if time.time() - old.stat().st_mtime > 60:
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="secrets-", dir=parent))


def wait_for_runner(runner: subprocess.Popen, asked: list[int], grace: float = 10.0) -> None:
    """Wait for honcho to exit. honcho stops only the processes that have reported their start,
    and only once: a stop that reaches it in its first moment is lost and it runs on. So when a
    stop was asked for and honcho is still there after `grace` seconds, its processes are stopped
    here (SIGTERM, then SIGKILL), and honcho with them."""
    import psutil

    while True:
        try:
            runner.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            if not asked:
                continue
        try:
            tree = psutil.Process(runner.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for process in [*tree, psutil.Process(runner.pid)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.terminate()
        _, alive = psutil.wait_procs(tree, timeout=grace)
        for process in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            runner.wait(timeout=grace)
        if runner.poll() is None:
            runner.kill()
