"""reflex.lock/package.json keeps its committed bytes when a build left only its form changed
(scripts/lock_format.py, run by `make run` and `make test`), and a real change is kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "lock_format.py"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path):
    lock = tmp_path / "reflex.lock" / "package.json"
    lock.parent.mkdir()
    lock.write_bytes((ROOT / "reflex.lock" / "package.json").read_bytes())
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x")
    return tmp_path, lock


def run(repo: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT)], cwd=repo, check=True, capture_output=True)


def test_the_committed_file_is_in_the_form_npm_leaves_it():
    """What a finished build writes last (npm: compact, no newline at the end)."""
    raw = (ROOT / "reflex.lock" / "package.json").read_text()
    assert raw == json.dumps(json.loads(raw), separators=(",", ":"))


def test_the_template_form_is_put_back(repo):
    path, lock = repo
    data = json.loads(lock.read_text())
    lock.write_text(json.dumps(data))  # Reflex's template form: spaces after , and :
    assert git(path, "status", "--porcelain") != ""
    run(path)
    assert git(path, "status", "--porcelain") == ""


def test_a_real_change_is_left_to_commit(repo):
    path, lock = repo
    data = json.loads(lock.read_text())
    data["dependencies"]["recharts"] = "^3.0.0"
    changed = json.dumps(data)
    lock.write_text(changed)
    run(path)
    assert lock.read_text() == changed
