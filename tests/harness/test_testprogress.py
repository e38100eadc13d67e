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


def run_function(tmp_path, call):
    """One of tests/run's functions, sourced, on files in tmp_path."""
    script = 'source "$1/tests/run" && cd "$2" && %s' % call
    return subprocess.run(["bash", "-c", script, "bash", str(ROOT), str(tmp_path)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60).stdout


def test_run_names_skipped_unit_tests_and_cmocka_skips_inside_a_pass(tmp_path):
    (tmp_path / "testlog.json").write_text("\n".join([
        '{"name": "test_ok", "result": "OK", "stdout": "[  PASSED  ] 2 test(s).\\n"}',
        '{"name": "test_acpi", "result": "OK", "stdout": "[ RUN      ] test_iasl\\n'
        '[  SKIPPED ] test_iasl\\n[  PASSED  ] 3 test(s).\\n[  SKIPPED ] 1 test(s), '
        'listed below:\\n[  SKIPPED ] test_iasl\\n"}',
        '{"name": "test_kvm", "result": "SKIP", "stdout": "no /dev/kvm here\\n"}',
        '{"name": "test_bad", "result": "FAIL", "stdout": ""}']) + "\n")
    out = run_function(tmp_path, 'counts=$(unit_counts testlog.json) && head -n1 <<<"$counts" '
                       '&& tail -n +2 <<<"$counts" | list_skips')
    lines = out.splitlines()
    assert lines[0] == "2 1 2", out  # the cmocka skip counts too
    assert "   skipped: test_acpi/test_iasl: cmocka skip() in the test" in lines, out
    assert "   skipped: test_kvm: no /dev/kvm here" in lines, out
    assert len(lines) == 3, out


def test_run_names_skipped_pytest_tests(tmp_path):
    (tmp_path / "cli.xml").write_text(
        '<testsuites><testsuite tests="3" failures="0" errors="0" skipped="1">'
        '<testcase classname="tests.cli.test_cli" name="test_a"/>'
        '<testcase classname="tests.cli.test_cli" name="test_b">'
        '<skipped type="pytest.skip" message="needs\n root">x</skipped></testcase>'
        '<testcase classname="tests.cli.test_cli" name="test_c"/>'
        '</testsuite></testsuites>')
    out = run_function(tmp_path, 'counts=$(junit_counts cli.xml) && head -n1 <<<"$counts" '
                       '&& tail -n +2 <<<"$counts" | list_skips')
    assert out.splitlines() == ["2 0 1", "   skipped: tests.cli.test_cli::test_b: needs root"], out
