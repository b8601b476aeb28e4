"""Put reflex.lock/package.json back in its committed form when only its form changed.

Reflex writes that file twice while it sets up the frontend: first from its own template
(json.dumps: spaces after ',' and ':'), then npm rewrites it (compact, as committed). A
build stopped between the two (Ctrl-C during the first, long `npm install`) leaves the
template's form behind, and `git status` shows the file changed although nothing in it did.
`make` runs this before building: the same JSON gets the committed bytes back; a real change
(a dependency added or upgraded) is left alone, to be committed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOCK = Path("reflex.lock/package.json")


def main() -> int:
    try:
        committed = subprocess.run(
            ["git", "show", f"HEAD:{LOCK.as_posix()}"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0  # not a git checkout, or the file is not committed: nothing to keep
    try:
        current = LOCK.read_bytes()
        same = current == committed or json.loads(current) == json.loads(committed)
    except (OSError, ValueError):
        return 0
    if same and current != committed:
        LOCK.write_bytes(committed)
        print(f"{LOCK}: only its form had changed; put back as committed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
