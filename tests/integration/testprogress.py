# SPDX-License-Identifier: Apache-2.0
"""The integration tests' progress file: resume after the L1 test host died,
without letting a failure turn into a pass.

With VFKIT_TEST_PROGRESS=FILE, conftest.py appends (and fsyncs):

    # session                  pytest started (once per L1 boot)
    started <nodeid>           a test began
    <outcome> <nodeid>         it finished: passed, failed or skipped;
                               a skip carries "\\t<reason>" after the nodeid
    # end                      pytest finished

When the L1 test host locks up, scripts/testhost boots it again and pytest
starts a new session. A test that has an outcome never runs again, whatever
the outcome: a failure stays a failure. Only a test that started and had no
outcome before its session ended (the host died under it) runs again.

Run as a script, ``testprogress.py FILE`` prints what tests/run counts, one line
per test, in file order:

    passed|failed|skipped <nodeid>[\\t<reason>]
    rerun <nodeid>             it was cut off by a lockup, then ran again
    unfinished <nodeid>        it was cut off and never ran to an outcome
                               (tests/run counts that as a failure)

A test with several outcomes (which only a hand-edited or concatenated file
has) counts as failed if any of them failed.
"""

import sys
from dataclasses import dataclass, field

OUTCOMES = ("passed", "failed", "skipped")


@dataclass
class Progress:
    outcomes: dict = field(default_factory=dict)   # nodeid -> outcome (failed sticks)
    reasons: dict = field(default_factory=dict)    # nodeid -> skip reason
    cut_off: list = field(default_factory=list)    # nodeids a lockup interrupted, in order

    def done(self):
        """nodeids that must not run again."""
        return set(self.outcomes)

    def reruns(self):
        return [n for n in self.cut_off if n in self.outcomes]

    def unfinished(self):
        return [n for n in self.cut_off if n not in self.outcomes]


def parse(lines):
    p = Progress()
    running = set()  # started in the current session, no outcome yet

    def session_died():
        for nodeid in sorted(running):
            if nodeid not in p.cut_off:
                p.cut_off.append(nodeid)
        running.clear()

    for line in lines:
        line = line.rstrip("\n")
        if line == "# session":
            session_died()  # a session that never reached "# end"
        elif line == "# end":
            session_died()  # pytest itself ended mid-test (internal error)
        elif " " in line and not line.startswith("#"):
            word, rest = line.split(" ", 1)
            nodeid, _, reason = rest.partition("\t")
            if word == "started":
                running.add(nodeid)
            elif word in OUTCOMES:
                running.discard(nodeid)
                if p.outcomes.get(nodeid) != "failed":
                    p.outcomes[nodeid] = word
                if word == "skipped":
                    p.reasons[nodeid] = reason
    session_died()  # the last session may have died too
    return p


def read(path):
    try:
        with open(path) as f:
            return parse(f)
    except FileNotFoundError:
        return Progress()


def summary(p):
    out = []
    for nodeid, outcome in p.outcomes.items():
        reason = p.reasons.get(nodeid) if outcome == "skipped" else None
        out.append("%s %s%s" % (outcome, nodeid, "\t" + reason if reason else ""))
    out += ["rerun %s" % n for n in p.reruns()]
    out += ["unfinished %s" % n for n in p.unfinished()]
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: testprogress.py PROGRESS_FILE")
    for line in summary(read(sys.argv[1])):
        print(line)
