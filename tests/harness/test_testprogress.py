# SPDX-License-Identifier: Apache-2.0
"""tests/integration/testprogress.py and tests/run's counting of it: after an
L1 test host lockup a failure stays a failure; only a test the lockup cut off
before its outcome runs again, and tests/run names every such test."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import testprogress  # noqa: E402

A, B, C, D = ("tests/integration/test_x.py::test_%s" % n for n in "abcd")


def parse(text):
    return testprogress.parse(text.strip().splitlines())


# A failed in a session that then died; a new session ran A again and it
# passed (what the old rule allowed, and counted as a pass).
FAILED_THEN_PASSED = """
# session
started %(A)s
failed %(A)s
started %(B)s
# session
started %(A)s
passed %(A)s
started %(B)s
passed %(B)s
# end
""" % {"A": A, "B": B}


def test_a_failure_stays_a_failure():
    p = parse(FAILED_THEN_PASSED)
    assert p.outcomes[A] == "failed"
    assert p.outcomes[B] == "passed"


def test_a_finished_test_does_not_run_again_only_a_cut_off_one():
    p = parse("""
# session
started %s
failed %s
started %s
passed %s
started %s
""" % (A, A, B, B, C))
    assert p.done() == {A, B}  # C, cut off by the lockup, runs again
    assert p.unfinished() == [C] and p.reruns() == []


def test_a_cut_off_test_that_ran_again_is_a_rerun():
    p = parse("""
# session
started %s
# session
started %s
passed %s
# end
""" % (A, A, A))
    assert p.outcomes == {A: "passed"}
    assert p.reruns() == [A] and p.unfinished() == []


def test_skip_reasons_are_kept():
    p = parse("# session\nstarted %s\nskipped %s\tno loop device\n# end\n" % (A, A))
    assert p.outcomes[A] == "skipped" and p.reasons[A] == "no loop device"
    assert testprogress.summary(p) == ["skipped %s\tno loop device" % A]


def run_progress_stage(tmp_path, progress_text, rc=0):
    """tests/run's own progress_stage function on a crafted progress file."""
    progress = tmp_path / "progress"
    progress.write_text(progress_text.lstrip())
    log = tmp_path / "integration.log"
    log.write_text("")
    script = ('source "$1/tests/run" && progress_stage integration "$2" "$3" "$4" && '
              'echo "TOTALS $PASSED $FAILED $SKIPPED"')
    out = subprocess.run(["bash", "-c", script, "bash", str(ROOT), str(log), str(progress),
                          str(rc)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=60).stdout
    totals = [line.split()[1:] for line in out.splitlines() if line.startswith("TOTALS ")]
    assert totals, out
    return [int(n) for n in totals[-1]], out


def test_run_counts_a_failure_that_later_passed_as_failed(tmp_path):
    (passed, failed, skipped), out = run_progress_stage(tmp_path, FAILED_THEN_PASSED)
    assert (passed, failed, skipped) == (1, 1, 0), out
    assert "-- integration: 1 passed, 1 failed" in out, out
    assert "ran again: %s: L1 test host locked up before it finished" % B in out, out
    # A finished (failed) before the lockup: not a rerun
    assert "ran again: %s" % A not in out, out


def test_run_names_a_test_that_never_finished_and_counts_it_failed(tmp_path):
    text = "# session\nstarted %s\npassed %s\nstarted %s\n" % (A, A, C)
    (passed, failed, skipped), out = run_progress_stage(tmp_path, text, rc=125)
    assert (passed, failed, skipped) == (1, 1, 0), out
    assert "FAILED %s: L1 test host locked up before it finished" % C in out, out


def test_run_names_skipped_tests_with_their_reason(tmp_path):
    text = "# session\nstarted %s\nskipped %s\tno loop device here\n# end\n" % (D, D)
    (passed, failed, skipped), out = run_progress_stage(tmp_path, text)
    assert (passed, failed, skipped) == (0, 0, 1), out
    assert "   skipped: %s: no loop device here" % D in out, out
