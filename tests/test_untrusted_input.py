"""What a visitor, a caller or a forged webhook sends never takes the centre elsewhere."""

from __future__ import annotations

import pytest
from helpers import log_in

# --- where the login sends a person next -----------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",  # the browser drops the tab: //evil.example/
        "/\n/evil.example/",
        "/\r/evil.example/",
        "\t//evil.example/",
        "/\\evil.example/",  # the browser reads a backslash as a slash
        "https:/evil.example/",  # a scheme without slashes: still another origin
        "/tickets/\r\nSet-Cookie: planted=1",
    ],
)
def test_the_login_never_sends_a_browser_to_another_site(app, make_user, target):
    member = make_user("agent", "fr")
    client = app.test_client()
    response = log_in(client, member.email, member.password, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/tickets/"
    # Already logged in, the login page sends the person on at once: home, too.
    again = client.get("/staff/login", query_string={"next": target})
    assert again.status_code == 302 and again.headers["Location"] == "/tickets/"


def test_the_login_still_goes_back_to_a_page_of_the_site(app, make_user):
    member = make_user("agent", "fr")
    client = app.test_client()
    target = "/tickets/?status=all&q=dupont%20marie"
    response = log_in(client, member.email, member.password, next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == target
