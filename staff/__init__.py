"""Staff accounts, login, roles, the audit log and security headers, shared by every staff page.

Other domains protect their views with `role_required(...)`, read the logged-in person with
`current_staff()`, and write what staff change to the log with `audit.record(...)`.
"""

from __future__ import annotations

from flask import Flask

from centre import jobs
from centre.extensions import listen_to_sessions
from staff import audit, auth, demo, security, views
from staff.auth import current_staff, login_required, refuse, register_home, role_required
from staff.cli import users_group

__all__ = [
    "current_staff",
    "init_app",
    "login_required",
    "refuse",
    "register_home",
    "role_required",
]


def init_app(app: Flask) -> None:
    """Check the session before every request, add the security headers, register the pages."""
    app.before_request(auth.load_session)
    jobs.register_scheduled(
        app,
        "release-departed-agents",
        jobs.every(),
        auth.release_the_departed,
        "end the availability of agents whose session ended",
    )
    security.init_app(app)
    app.register_blueprint(views.bp)
    app.add_url_rule("/", "front_door", views.front_door)
    app.cli.add_command(users_group)
    listen_to_sessions(app, "do_orm_execute", audit.refuse_bulk_changes)
    app.extensions.setdefault("setup.demo", []).append(demo.demo_lines)
