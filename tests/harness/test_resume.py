# SPDX-License-Identifier: Apache-2.0
"""The integration conftest's progress hooks in real pytest sessions: the
first session dies inside a test (as when the L1 test host locks up), the
second resumes. The failure before the lockup stays a failure and does not
run again; the test the lockup cut off runs again and tests/run names it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "tests" / "integration"

# Loads tests/integration/conftest.py under another name and uses only its
# progress-file hooks (not its fixtures, which need a guest).
CONFTEST = """
import importlib.util, sys
sys.path.insert(0, %r)
spec = importlib.util.spec_from_file_location("integration_conftest", %r)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
pytest_sessionstart = m.pytest_sessionstart
pytest_sessionfinish = m.pytest_sessionfinish
pytest_collection_modifyitems = m.pytest_collection_modifyitems
pytest_runtest_logstart = m.pytest_runtest_logstart
pytest_runtest_logreport = m.pytest_runtest_logreport
pytest_runtest_logfinish = m.pytest_runtest_logfinish
""" % (str(INTEGRATION), str(INTEGRATION / "conftest.py"))

TESTS = """
import os
import pytest

def test_a_fails():
    assert False, "a real failure"

def test_b_cut_off():
    mark = os.environ["LOCKUP_MARK"]
    if not os.path.exists(mark):
        open(mark, "w").close()
        os._exit(3)  # the host dies under this test: no outcome, no "# end"

def test_c_passes():
    pass

def test_d_skips():
    pytest.skip("no loop device here")
"""


def session(tmp_path, progress):
    env = dict(os.environ, VFKIT_TEST_PROGRESS=str(progress),
               LOCKUP_MARK=str(tmp_path / "locked-up"))
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           str(tmp_path / "suite")], env=env, cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)


def test_resume_after_a_lockup_keeps_the_failure(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "test_fake.py").write_text(TESTS)
    progress = tmp_path / "progress"

    first = session(tmp_path, progress)
    assert first.returncode == 3, first.stdout
    second = session(tmp_path, progress)
    # test_a's failure is not run again, so this session itself passes...
    assert second.returncode == 0, second.stdout
    assert "1 deselected" in second.stdout, second.stdout
    assert "a real failure" not in second.stdout, second.stdout

    log = tmp_path / "integration.log"
    log.write_text(first.stdout + second.stdout)
    script = ('source "$1/tests/run" && progress_stage integration "$2" "$3" 0 && '
              'echo "TOTALS $PASSED $FAILED $SKIPPED"')
    out = subprocess.run(["bash", "-c", script, "bash", str(ROOT), str(log), str(progress)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60).stdout
    assert "TOTALS 2 1 1" in out, out  # ...but the failure still counts
    b = "test_fake.py::test_b_cut_off"
    assert "ran again: " in out and b + ": L1 test host locked up before it finished" in out, out
    assert "skipped: " in out and "test_fake.py::test_d_skips: no loop device here" in out, out
