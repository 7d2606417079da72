"""Secrets kept out of tracked files: ``make serve`` without SECRET_KEY (one key,
made once, kept private, reused) and development/tests (``local_secrets.py``)."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.repo_name }}.local_secrets import with_local_secrets
from {{ cookiecutter.repo_name }}.scripts.local_secret import local_secret
from {{ cookiecutter.repo_name }}.settings import SettingsError

PRINT_KEY = "import os; print(os.environ['SECRET_KEY'])"


def run_with_local_secret(cwd, **environ):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | environ
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "{{ cookiecutter.repo_name }}.scripts.local_secret",
            "--",
            sys.executable,
            "-c",
            PRINT_KEY,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_key_is_made_once_private_and_reused(tmp_path):
    path = tmp_path / ".secret_key"
    key, made = local_secret(path)
    assert made and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret(path) == (key, False)


def test_command_gets_the_kept_key_and_says_so(tmp_path):
    first = run_with_local_secret(tmp_path)
    second = run_with_local_secret(tmp_path)
    kept = (tmp_path / ".secret_key").read_text().strip()
    assert first.stdout.strip() == second.stdout.strip() == kept
    assert "made in .secret_key" in first.stderr
    assert "kept in .secret_key" in second.stderr


def test_a_set_secret_key_wins(tmp_path):
    done = run_with_local_secret(tmp_path, SECRET_KEY="from-the-deployment")
    assert done.stdout.strip() == "from-the-deployment"
    assert not (tmp_path / ".secret_key").exists()


def test_development_secrets_are_made_once_per_checkout(tmp_path):
    path = tmp_path / ".local_secrets.json"
    settings = {"app.environment": "development", "app.local_secrets": str(path)}
    first = with_local_secrets(settings)
    assert len(first["secret_key"]) >= 32 and len(first["profiling.token"]) >= 32
    assert first["secret_key"] != first["profiling.token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert with_local_secrets(settings) == first
    other = with_local_secrets({**settings, "app.local_secrets": str(tmp_path / "b")})
    assert other["secret_key"] != first["secret_key"]


def test_set_secrets_win_and_no_file_is_made(tmp_path):
    path = tmp_path / ".local_secrets.json"
    settings = {
        "app.environment": "testing",
        "app.local_secrets": str(path),
        "secret_key": "set",
        "profiling.token": "set too",
    }
    assert with_local_secrets(settings) == settings
    assert not path.exists()


def test_production_never_reads_or_makes_local_secrets(tmp_path):
    path = tmp_path / ".local_secrets.json"
    settings = {"app.environment": "production", "app.local_secrets": str(path)}
    assert with_local_secrets(settings) == settings
    assert not path.exists()


def test_a_damaged_secrets_file_is_a_clear_error(tmp_path):
    path = tmp_path / ".local_secrets.json"
    path.write_text("secret_key = x\n")
    settings = {"app.environment": "development", "app.local_secrets": str(path)}
    with pytest.raises(SettingsError, match="delete it"):
        with_local_secrets(settings)


def test_the_app_starts_with_the_kept_secrets(app):
    settings = app.registry.settings
    kept = json.loads(Path(settings["app.local_secrets"]).read_text())
    assert settings["secret_key"] == kept["secret_key"]
    assert app.registry.app_settings.secret_key == kept["secret_key"]
