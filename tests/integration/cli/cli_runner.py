"""Runs the real ``mailwarden`` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class CLI:
    """``mailwarden`` with a private config and data folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "mailwarden.toml"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILWARDEN_")}
        self.env.update({"MAILWARDEN_CONFIG": str(self.config), "LANG": "C.UTF-8", "COLUMNS": "200"})

    def __call__(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        done = subprocess.run(
            [sys.executable, "-m", "mailwarden", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.root,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)
