"""Every numbered invariant of docs/architecture.md is cited in the code where it holds.

The invariants are the rules the code relies on without checking them at run time; a rule cited
nowhere is a rule nobody will keep. Each invariant N must appear as "Invariant N" in at least one
source file under base/, fileformat/, engine/, net/ or cmd/. Prints a doctest-style summary line
for tests/run_tests.sh."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIRS = ("base", "fileformat", "engine", "net", "cmd")


def numbered_invariants(text):
    section = text.split("## 5. Invariants", 1)[1].split("\n## ", 1)[0]
    return [int(n) for n in re.findall(r"^(\d+)\. ", section, re.MULTILINE)]


def cited_invariants():
    cited = set()
    for folder in SOURCE_DIRS:
        for directory, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith((".h", ".cc")):
                    with open(os.path.join(directory, name), encoding="utf-8") as source:
                        cited.update(int(n) for n in re.findall(r"Invariants? (\d+)", source.read()))
    return cited


def main():
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as doc:
        invariants = numbered_invariants(doc.read())
    cited = cited_invariants()
    failed = 0
    if invariants != list(range(1, len(invariants) + 1)):
        print(f"invariants are not numbered 1..N: {invariants}")
        failed += 1
    for n in invariants:
        if n not in cited:
            print(f"Invariant {n} (docs/architecture.md) is cited nowhere in the code")
            failed += 1
    for n in sorted(cited - set(invariants)):
        print(f"the code cites Invariant {n}, which docs/architecture.md does not define")
        failed += 1
    total = len(invariants)
    print(f"[doctest] test cases: {total} | {max(0, total - failed)} passed | {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
