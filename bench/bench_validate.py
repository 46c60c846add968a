"""Time `manifests.load` against a bare `yaml.load` (C loader) on a 100,000-user manifest.

Each user has a phone and a totp that references a secrets file, as a migration writes them. The
target is a ratio of at most 3: checking every field and keeping every position should cost little
more than reading the YAML at all. Run: python bench/bench_validate.py [USERS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

from mfasync import manifests


def manifest_text(users: int) -> str:
    lines = ["version: 1", "users:"]
    for i in range(users):
        lines += [
            f'  - user_id: "auth0|{i:024x}"',
            "    methods:",
            "      - type: phone",
            f'        phone_number: "+1415555{i % 10000:04d}"',
            "      - type: totp",
            "        name: Authenticator",
            f'        totp_secret: "${{file:secrets.json#u{i}}}"',
        ]
    return "\n".join(lines) + "\n"


def best_of(runs: int, func: object) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    text = manifest_text(users)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "migration.yaml"
        path.write_text(text)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        bare = best_of(3, lambda: yaml.load(path.read_text(), Loader=loader))
        loaded = best_of(3, lambda: manifests.load([path]))
        count = len(manifests.load([path]).users)
    print(f"users: {count:,} ({len(text) / 1e6:.1f} MB, C loader: {loader is not yaml.SafeLoader})")
    print(f"yaml.load (bare):   {bare:6.2f} s")
    print(f"manifests.load:     {loaded:6.2f} s")
    print(f"ratio:              {loaded / bare:6.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
