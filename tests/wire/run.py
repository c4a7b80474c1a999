"""Runs every wire test module and prints a doctest-style summary line that
tests/run_tests.sh adds to its totals: `[doctest] test cases: N | P passed | F failed`."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    sys.path.insert(0, HERE)
    suite = unittest.defaultTestLoader.discover(HERE, pattern="test_*.py")
    result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite)
    total = result.testsRun
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"[doctest] test cases: {total} | {total - failed} passed | {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
