"""``make serve`` without SECRET_KEY: one key, made once, kept private, reused."""

import os
import stat
import subprocess
import sys

from {{ cookiecutter.repo_name }}.scripts.local_secret import local_secret

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
