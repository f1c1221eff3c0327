"""README's "Pointing it at real services", step by step: each engine line's variables, set exactly
as written there on a fresh install (`manage.py studio --setup-only`, as `make run` prepares one),
change what `manage.py doctor` says the installed persona's clips will use."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import psutil
import pytest

from tests.builder.worker import ROOT

pytestmark = pytest.mark.slow

ASSIGNMENT = re.compile(r"\b([A-Z][A-Z0-9_]+)=(\S+)")


def readme_lines() -> dict[str, dict[str, str]]:
    """Each bullet of the section as {its bold name: the variables its code spans set}."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Pointing it at real services", 1)[1].split("\n## ", 1)[0]
    found = {}
    for bullet in re.split(r"\n- ", section)[1:]:
        name = re.match(r"\*\*(.+?)\*\*", bullet).group(1)
        spans = re.findall(r"`([^`]*)`", bullet, flags=re.DOTALL)
        found[name] = dict(pair for span in spans for pair in ASSIGNMENT.findall(span))
    return found


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("fresh-install")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LLM_", "TTS_", "STREAM_", "WAV2LIP_", "DJANGO_ALLOW"))
    }
    env.update(DATA_DIR=str(data), DATABASE_URL=f"sqlite:///{data / 'studio.sqlite3'}")
    subprocess.run(
        [sys.executable, "manage.py", "studio", "--setup-only"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def doctor(env: dict[str, str], **variables: str) -> dict[str, str]:
    """`manage.py doctor` with `variables` set: each row's title → its line(s)."""
    done = subprocess.run(
        [sys.executable, "manage.py", "doctor", "--offline", "--no-workers", "--no-color"],
        cwd=ROOT, env={**env, **variables}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    rows: dict[str, str] = {}
    current = None
    for line in done.stdout.splitlines():
        match = re.match(
            r"^(ok|look|FAIL|off)\s+(Answer engine|Voice|Lip-sync|Stream output|Persona)\s+(.*)$", line
        )
        if match:
            current = match.group(2)
            rows[current] = match.group(3)
        elif current and line.startswith(" "):
            rows[current] += " | " + line.strip()
    rows["output"] = done.stdout + done.stderr
    return rows


def test_the_section_names_the_lines_this_test_follows():
    lines = readme_lines()
    assert lines["OpenAI"] == {"LLM_ENGINE": "openai", "LLM_API_KEY": "sk-…", "LLM_MODEL": "gpt-4o-mini"}
    assert lines["Ollama / vLLM / llama.cpp server"]["LLM_BASE_URL"] == "http://127.0.0.1:11434/v1"
    assert lines["OpenAI voices"]["TTS_ENGINE"] == "openai"
    assert lines["A Coqui model you downloaded"]["TTS_ENGINE"] == "coqui"


def test_before_any_variable_the_offline_defaults(fresh_install):
    rows = doctor(fresh_install)
    assert rows["Answer engine"].startswith("offline (studio default, LLM_ENGINE)")
    assert rows["Voice"].startswith("espeak")


def test_openai(fresh_install):
    variables = readme_lines()["OpenAI"]
    rows = doctor(fresh_install, **variables)
    assert rows["Answer engine"].startswith(
        "openai, model gpt-4o-mini at the OpenAI API (studio default, LLM_ENGINE); "
        "API key: the studio's LLM_API_KEY"
    )
    assert variables["LLM_API_KEY"] not in rows["output"]


def test_ollama(fresh_install):
    rows = doctor(fresh_install, **readme_lines()["Ollama / vLLM / llama.cpp server"])
    assert rows["Answer engine"].startswith(
        "openai, model llama3.1 at http://127.0.0.1:11434/v1 (studio default"
    )


def test_openai_voices(fresh_install):
    rows = doctor(fresh_install, **readme_lines()["OpenAI voices"], **readme_lines()["OpenAI"])
    assert rows["Voice"].startswith("openai, voice the language's default (studio default, TTS_ENGINE)")


def test_a_coqui_model(fresh_install):
    variables = readme_lines()["A Coqui model you downloaded"]
    rows = doctor(fresh_install, **variables)
    assert rows["Voice"].startswith("coqui")
    # The README's path is an example: the row says it is not there and what to set.
    assert "TTS_MODEL_PATH" in rows["Voice"] and variables["TTS_MODEL_PATH"] in rows["Voice"]


def test_make_run_prints_the_checks_summary_at_start(fresh_install):
    """`make run` runs `manage.py studio`: before it starts the processes it says what is wrong."""
    from tests.streamer.helpers import free_port

    nowhere = f"http://127.0.0.1:{free_port()}/v1"
    env = {**fresh_install, "LLM_ENGINE": "openai", "LLM_BASE_URL": nowhere, "STUDIO_PORT": str(free_port())}
    argv = [sys.executable, "manage.py", "studio"]
    studio = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        seen = []
        for line in studio.stdout:  # ends when the studio exits: a missing line fails, never hangs
            seen.append(line)
            if line.startswith("Checks:"):
                break
    finally:
        studio.send_signal(signal.SIGINT)
        try:  # read on, as a terminal does: a full pipe would stop the processes' logging
            studio.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            studio.kill()
            studio.communicate()
    summary = seen[-1] if seen else ""
    assert summary.startswith("Checks: ") and "1 problem (Answer engine)" in summary, "".join(seen)
    assert "python manage.py doctor" in summary
    # Ctrl-C right after start still stops everything it started (honcho and its processes).
    assert studio.returncode is not None
    marker = f"DATA_DIR={fresh_install['DATA_DIR']}"
    _, left = psutil.wait_procs(processes_with(marker), timeout=60)
    assert not left, f"still running after Ctrl-C: {[' '.join(p.cmdline()) for p in left if p.is_running()]}"


def processes_with(marker: str) -> list[psutil.Process]:
    """The processes (other than this one) whose environment holds `marker` ("NAME=value")."""
    name, _, value = marker.partition("=")
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            if process.environ().get(name) == value:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found
