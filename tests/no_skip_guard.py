"""pytest plugin: with BUERGERCHAT_REQUIRE_ALL=1 (set by .ci/run) any skipped test
fails the run, so a missing browser or server can never pass CI unnoticed."""

import os


def _required():
    return os.environ.get("BUERGERCHAT_REQUIRE_ALL") == "1"


def pytest_sessionfinish(session, exitstatus):
    if not _required():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"BUERGERCHAT_REQUIRE_ALL=1: {len(skipped)} test(s) were skipped; in CI every part is required:",
            red=True,
        )
        for report in skipped:
            reporter.write_line(f"  {report.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}")
        session.exitstatus = 1
