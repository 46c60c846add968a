"""The benchmark harness: `python -m bench.run NAME [--quick]`, NAME one of all, rate, buckets,
sdk, economy, scale, state, incremental, startup.

Runs the chosen benchmarks in order, prints one table of every measured figure against its target,
and writes it to bench/results/latest.md and latest.json. Exit 0 when every target was met, 1
otherwise (a missed target is a finding, explained in BENCHMARKS.md, not a crash). A full run takes
about 10 minutes on a 2-core machine, --quick about 1.5 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable

from bench import buckets, economy, harness, incremental, rate, scale, sdk, startup, state

BENCHMARKS: dict[str, Callable[..., list[harness.Row]]] = {
    "rate": rate.run,
    "buckets": buckets.run,
    "sdk": sdk.run,
    "economy": economy.run,
    "scale": scale.run,
    "state": state.run,
    "incremental": incremental.run,
    "startup": startup.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("benchmark", choices=["all", *BENCHMARKS])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 1.5 minutes)")
    args = parser.parse_args(argv)
    chosen = list(BENCHMARKS) if args.benchmark == "all" else [args.benchmark]
    command = "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    start = time.perf_counter()
    rows: list[harness.Row] = []
    with tempfile.TemporaryDirectory(prefix="mfasync-bench-state-") as folder:
        # every command runs with a state, as a user's does by default, but a throwaway one:
        # never the working directory's (`state` chooses its own per measurement)
        os.environ.setdefault("MFASYNC_STATE", f"sqlite:///{folder}/state.db")
        for name in chosen:
            rows += BENCHMARKS[name](quick=args.quick)
    seconds = time.perf_counter() - start
    print(harness.table(rows))
    for path in harness.write(rows, command=command, quick=args.quick, seconds=seconds):
        harness.say(f"written: {path}")
    harness.say(f"{seconds:.0f} s in all")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
