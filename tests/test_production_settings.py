"""The documented production settings pass ``manage.py check --deploy`` without a
single warning (run in a subprocess, with the environment systemd would give it)."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]


def production_env(tmp_path, **overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "BUERGERCHAT_", "DATABASE_URL", "REDIS_URL", "WAGTAILADMIN_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="demo_site.settings_production",
        DJANGO_SECRET_KEY="test-only-Kq3v9xZp2Lr7Wm4Tn8Yb6Hc1Jd5Fs0Gu-not-a-real-key",
        DJANGO_ALLOWED_HOSTS="www.musterstadt.de,musterstadt.de",
        DATABASE_URL="postgres://buergerchat:secret@127.0.0.1:5432/buergerchat",
        REDIS_URL="redis://127.0.0.1:6379/0",
        BUERGERCHAT_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        BUERGERCHAT_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
    )
    env.update(overrides)
    return env


def check_deploy(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_need_their_secrets(tmp_path):
    env = production_env(tmp_path)
    del env["BUERGERCHAT_ENCRYPTION_KEYS"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "BUERGERCHAT_ENCRYPTION_KEYS" in result.stderr
