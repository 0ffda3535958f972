"""``python -m bench.flame FILE``: a flame summary of a py-spy profile (``py-spy record -f raw``),
for bench/README.md: where the CPU went, as text.

``--within TEXT`` keeps only the stacks with a frame containing TEXT (say, the benchmark arm
``one (bench/grades.py``: the samples of gradeCreate). Three tables: the packages the time was
spent in (a sample counts for the innermost frame's package), the project's functions by
inclusive time (a sample counts once for every project function on its stack), and the
innermost frames (self time)."""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")
PROJECT = ("schema/", "resolvers/", "models/", "pubsub/", "edge/", "server.py")


def _parse(line: str) -> tuple[list[tuple[str, str]], int] | None:
    stack, _, count = line.rstrip("\n").rpartition(" ")
    if not stack or not count.isdigit():
        return None
    frames = []
    for raw in stack.split(";"):
        found = _FRAME.match(raw)
        frames.append((found["function"], found["file"]) if found else (raw, ""))
    return frames, int(count)


def _package(file: str) -> str:
    if file.startswith(PROJECT):
        return "ediary " + file.split("/", 1)[0].removesuffix(".py")
    if file.startswith("<frozen") or "/" not in file:
        return "python " + file
    return file.split("/", 1)[0]


def summary(path: Path, within: str | None, top: int) -> str:
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = kept = 0
    for line in path.read_text().splitlines():
        parsed = _parse(line)
        if parsed is None:
            continue
        frames, count = parsed
        total += count
        if within is not None and not any(within in f"{fn} ({file}" for fn, file in frames):
            continue
        kept += count
        function, file = frames[-1]
        packages[_package(file)] += count
        leaves[f"{function} ({file})"] += count
        for name in {f"{fn} ({file})" for fn, file in frames if file.startswith(PROJECT)}:
            inclusive[name] += count
    if not kept:
        return f"no samples{' within ' + within if within else ''} (of {total})"

    def table(title: str, counter: Counter[str]) -> list[str]:
        rows = [f"{title}:"]
        rows += [f"  {100 * n / kept:5.1f} %  {name}" for name, n in counter.most_common(top)]
        return rows

    head = f"{kept} samples" + (f" within {within!r} ({100 * kept / total:.1f} % of {total})" if within else "")
    return "\n".join(
        [
            head,
            *table("by package (innermost frame)", packages),
            *table("project functions, inclusive", inclusive),
            *table("innermost frames (self)", leaves),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flame", description=__doc__)
    parser.add_argument("file", type=Path, help="py-spy record -f raw output")
    parser.add_argument("--within", help="keep only stacks with a frame containing this text")
    parser.add_argument("--top", type=int, default=15, help="rows per table (default 15)")
    args = parser.parse_args(argv)
    print(summary(args.file, args.within, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
