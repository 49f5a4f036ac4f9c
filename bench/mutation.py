"""A bounded mutation spot-check of the suite (issue 14 §4).

    python bench/mutation.py [--timeout 600]

mutmut (pinned in the dev dependencies) mutates the modules listed under [tool.mutmut] in
pyproject.toml (domain/money.py and domain/taxes.py: rounding, tax bases and rates) inside its
own copy, `mutants/`, never the work tree, and runs, for each mutant, the unit tests that cover
the mutated function. The run stops after `--timeout` seconds (mutants not reached are counted
apart, as are those no selected test covers). Prints killed / survived / timeouts / not run and the score (killed ÷ run), then the
survivors: each is a small bug no test notices.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).with_name("mutmut")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the whole run")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        subprocess.run([str(MUTMUT), "run", "--max-children", "1"], cwd=ROOT, timeout=args.timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        bounded = False
    except subprocess.TimeoutExpired:
        bounded = True
    elapsed = time.monotonic() - started
    subprocess.run([str(MUTMUT), "export-cicd-stats"], cwd=ROOT, check=False, capture_output=True)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())
    killed, survived = stats.get("killed", 0), stats.get("survived", 0)
    timeouts, total, no_tests = stats.get("timeout", 0), stats.get("total", 0), stats.get("no_tests", 0)
    run = killed + survived + timeouts
    score = 100 * (killed + timeouts) / run if run else 0.0
    print(f"mutation run: {elapsed:.0f} s{' (stopped at the time bound)' if bounded else ''}")
    print(f"mutants: {total}, run: {run}, killed: {killed}, timeouts: {timeouts}, survived: {survived}, "
          f"no covering test in the selection: {no_tests}, not reached: {total - run - no_tests}")
    print(f"score: {score:.1f} % of the mutants run were caught")
    results = subprocess.run([str(MUTMUT), "results"], cwd=ROOT, check=False, capture_output=True, text=True)
    survivors = [line.strip() for line in results.stdout.splitlines() if "survived" in line]
    if survivors:
        print("survivors (bugs no test notices):")
        for line in survivors[:40]:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
