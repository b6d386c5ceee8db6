"""Two app instances behind HAProxy, on one PostgreSQL and one Redis: the web tier keeps no state.

The instances are real gunicorn processes on their own ports, the balancer is Debian's haproxy in
round robin, and each call's consecutive webhooks land on alternate instances (bench/two_machines.py,
which also runs by hand). The instances' clocks start on an open Tuesday morning and tick.

PostgreSQL is part of what is proved, so this module runs in the PostgreSQL run (TEST_DATABASE_URL
names PostgreSQL: `.ci/run`'s second run), in a database of its own beside the test database
(`<name>_two_machines_bench`, dropped and created afresh), and is skipped in the SQLite runs. It is
skipped too when haproxy is not installed (`.ci/run` installs it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from conftest import TEST_REDIS_URL

from bench import two_machines
from bench.two_machines import TwoMachines

DATABASE = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.skipif(
        not DATABASE.startswith("postgresql"),
        reason="needs PostgreSQL: runs in the PostgreSQL run (TEST_DATABASE_URL=postgresql+psycopg://...)",
    ),
    pytest.mark.skipif(
        two_machines.balancer_binary() is None,
        reason="haproxy is not installed (apt-get install haproxy; .ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def machines(
    redis_run_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoMachines]:
    """Start two instances and the balancer for this module; stop them after."""
    url = sa.make_url(DATABASE)
    own = url.set(database=f"{url.database}_two_machines_bench").render_as_string(
        hide_password=False
    )
    logs = tmp_path_factory.mktemp("two-machines")  # the instances' and haproxy's logs
    with TwoMachines(
        own, TEST_REDIS_URL, prefix=f"{redis_run_prefix}two-machines:", directory=logs
    ) as running:
        yield running


@pytest.mark.parametrize("path", two_machines.PATHS, ids=lambda path: path.__name__)
def test_every_phone_path_completes_with_each_webhook_on_the_other_instance(
    machines: TwoMachines, path: Callable[[TwoMachines], str]
) -> None:
    path(machines)


def test_signatures_validate_for_the_public_url_behind_the_balancer_and_nowhere_else(
    machines: TwoMachines,
) -> None:
    two_machines.signatures_behind_the_balancer(machines)


def test_the_case_lookup_limit_is_counted_once_across_both_instances(
    machines: TwoMachines,
) -> None:
    two_machines.lookup_limit_across_instances(machines)


def test_a_staff_session_holds_on_both_instances_and_the_login_throttle_counts_across_them(
    machines: TwoMachines,
) -> None:
    two_machines.staff_across_instances(machines)


def test_a_step_delivered_again_on_the_other_instance_is_answered_alike_and_acts_once(
    machines: TwoMachines,
) -> None:
    two_machines.a_webhook_delivered_again_on_the_other_instance(machines)


def test_killing_an_instance_mid_call_loses_no_call(machines: TwoMachines) -> None:
    # Last in the module: it leaves one instance running.
    two_machines.killing_an_instance_mid_call(machines)
    assert machines.errors() == {name: 0 for name in two_machines.INSTANCES}
