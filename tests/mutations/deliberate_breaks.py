"""Apply each deliberate one-line break of issue 20 to a copy of the tree; run its covering tests.

Every break must be caught: the covering tests fail on the broken copy. The tree itself is
never touched. Run from the project root with the project's virtualenv:

    .venv/bin/python tests/mutations/deliberate_breaks.py [--baseline] [NAME ...]

It prints one row per break (caught or MISSED, the first failing test) and exits 1 if any
break went unnoticed. Each copy runs its tests with `python -m pytest` from the copy's root,
so the copy's packages come first on `sys.path` (before the editable install).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".venv", ".git", "mutants", "__pycache__", ".hypothesis", "instance")


@dataclass(frozen=True)
class Break:
    """One deliberate break: a file, the text replaced, what replaces it, the tests that cover it."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


BREAKS = (
    Break(
        "luhn-parity",
        "centre/check_digit.py",
        "        if position % 2 == 0:\n",
        "        if position % 2 == 1:\n",
        ("tests/test_references.py",),
    ),
    Break(
        "bad-check-digit-not-counted",
        "cases/lookups.py",
        '        outcome = "bad_check_digit"\n',
        '        ratelimit.release(limit_key)\n        outcome = "bad_check_digit"\n',
        ("tests/test_cases_phone.py",),
    ),
    Break(
        "closure-keeps-not-before",
        "tickets/callbacks.py",
        "            booking.not_before = to_storage(new)\n",
        "            pass\n",
        ("tests/test_callbacks.py",),
    ),
    Break(
        "callback-sla-from-creation",
        "tickets/sla.py",
        '    if ticket.type == "callback" and ticket.callback is not None:\n'
        "        scheduled = from_storage(ticket.callback.scheduled_at)\n",
        "    if False:\n        scheduled = from_storage(ticket.callback.scheduled_at)\n",
        ("tests/test_desk.py", "tests/test_sla_follows_calendar.py"),
    ),
    Break(
        "observation-sla-24h",
        "tickets/sla.py",
        '    "observation": 60,\n',
        '    "observation": 24,\n',
        ("tests/test_desk.py", "tests/test_sla_follows_calendar.py"),
    ),
    Break(
        "password-change-keeps-sessions",
        "staff/accounts.py",
        "    user.password_changed_at = user.updated_at = to_storage(now())\n    end_sessions(user)\n",
        "    user.password_changed_at = user.updated_at = to_storage(now())\n",
        ("tests/test_staff_accounts.py",),
    ),
    Break(
        "privacy-raw-number-only",
        "centre/forgetting.py",
        "    caller = Caller(normalised, digest)\n",
        "    caller = Caller(number, digest)\n",
        ("tests/test_privacy.py", "tests/test_forgetting_a_caller.py"),
    ),
    Break(
        "case-sms-every-press",
        "cases/phone.py",
        '        if step.call.context.get("case_texted") != case.id:\n',
        "        if True:\n",
        ("tests/test_cases_phone.py",),
    ),
    Break(
        "csrf-ssl-strict-off",
        "centre/settings.py",
        '        "WTF_CSRF_SSL_STRICT": True,\n',
        '        "WTF_CSRF_SSL_STRICT": False,\n',
        ("tests/test_staff.py", "tests/test_staff_accounts.py"),
    ),
)

PYTEST = ["-q", "-x", "-p", "no:cacheprovider", "-m", "not browser", "--no-header", "-rf"]


def check(item: Break, workdir: Path) -> tuple[str, str, float]:
    """Break a fresh copy as `item` says and run its tests; return (verdict, detail, seconds)."""
    copy = workdir / item.name
    shutil.copytree(ROOT, copy, ignore=SKIP)
    target = copy / item.path
    text = target.read_text(encoding="utf-8")
    if text.count(item.old) != 1:
        return "NOT APPLIED", f"{item.path}: the text to break is not found once", 0.0
    target.write_text(text.replace(item.old, item.new), encoding="utf-8")
    started = time.monotonic()
    run = subprocess.run(  # noqa: S603 (our own interpreter and pytest, fixed arguments)
        [sys.executable, "-m", "pytest", *PYTEST, *item.tests],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    failed = [line for line in run.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    if run.returncode == 1 and failed:
        return "caught", failed[0].split(" - ")[0], seconds
    if run.returncode == 0:
        return "MISSED", run.stdout.strip().splitlines()[-1], seconds
    return "ERROR", (run.stdout + run.stderr).strip().splitlines()[-1], seconds


def baseline(tests: tuple[str, ...], workdir: Path) -> str:
    """Run `tests` on an unbroken copy; return pytest's last line (they must pass)."""
    copy = workdir / "unbroken"
    if not copy.exists():
        shutil.copytree(ROOT, copy, ignore=SKIP)
    run = subprocess.run(  # noqa: S603 (our own interpreter and pytest, fixed arguments)
        [sys.executable, "-m", "pytest", *PYTEST, *tests],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    last = run.stdout.strip().splitlines()[-1]
    return last if run.returncode == 0 else f"FAILS UNBROKEN: {last}"


def main(names: list[str]) -> int:
    """Check every break (or the ones named); print the table; return 1 if one is not caught.

    With `--baseline`, first run each break's tests on an unbroken copy: a break only counts
    as caught when the same tests pass without it.
    """
    with_baseline = "--baseline" in names
    names = [n for n in names if n != "--baseline"]
    chosen = [b for b in BREAKS if not names or b.name in names]
    rows = []
    with tempfile.TemporaryDirectory(prefix="breaks-") as workdir:
        if with_baseline:
            for tests in dict.fromkeys(b.tests for b in chosen):
                print(
                    f"| unbroken | {' '.join(tests)} | {baseline(tests, Path(workdir))} |",
                    flush=True,
                )
        for item in chosen:
            verdict, detail, seconds = check(item, Path(workdir))
            rows.append((item.name, item.path, verdict, detail, seconds))
            print(
                f"| {item.name} | {item.path} | {verdict} | {detail} | {seconds:.0f} s |",
                flush=True,
            )
    return 0 if all(row[2] == "caught" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
