"""Running the ``relaydesk`` command as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RELAYDESK = [sys.executable, "-m", "webapp.cli"]


def parse_env(text: str) -> dict[str, str]:
    """``NAME=value`` lines of an .env file (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in text.splitlines()
             if line.strip() and not line.startswith("#"))
    return {name: value for name, value in pairs}


def clean_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The process environment without the machine's Relaydesk settings, plus ``settings``."""
    from webapp.config import SETTINGS

    names = {s.env for s in SETTINGS}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update({"RELAYDESK_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", **settings})
    return env


def relaydesk(args: list[str], env: dict[str, str],
              timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(RELAYDESK + args, env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)
