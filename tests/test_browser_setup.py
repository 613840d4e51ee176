"""Without Chromium the browser tests are skipped, saying how to install it; under CI they fail.

The browser tests run in a pytest of their own with ``$R2R_CHROMIUM`` naming no browser, as on a
machine without one.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

E2E = "tests/test_dashboard_e2e.py"


def browser_tests(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "R2R_CHROMIUM")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", E2E],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**base, "R2R_CHROMIUM": "/nonexistent/chromium", **env},
        timeout=120,
        check=False,
    )


def test_without_chromium_the_browser_tests_are_skipped_with_the_install_command() -> None:
    result = browser_tests()
    assert result.returncode == 0, result.stdout
    assert "2 skipped" in result.stdout
    assert "SKIPPED [1]" in result.stdout and "the browser tests need Chromium" in result.stdout
    assert "apt-get install chromium" in result.stdout


def test_under_ci_a_missing_chromium_fails_the_browser_tests() -> None:
    result = browser_tests(CI="true")
    assert result.returncode != 0
    assert "2 error" in result.stdout and "CI=true: a missing browser is an error" in result.stdout
