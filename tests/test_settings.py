import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_mode_passes_the_deploy_check(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="aijesus.settings_production",
        DATA_DIR=str(tmp_path),
        ALLOWED_HOSTS="studio.example.org",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_a_bad_setting_stops_start_up_with_a_clear_message(tmp_path):
    result = run_manage("check", DATA_DIR=str(tmp_path), LLM_ENGINE="gpt9")
    assert result.returncode != 0
    assert "LLM_ENGINE='gpt9' is not one of: offline, openai" in result.stderr


def test_the_default_database_is_sqlite_in_the_data_dir(tmp_path):
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    result = run_manage("shell", "-c", code, DATA_DIR=str(tmp_path), DATABASE_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "studio.sqlite3")
    assert (tmp_path / "secret_key").exists()
