"""Forgetting a caller: each domain that holds what points to a caller says how it forgets them.

A domain registers a hook in its `init_app` (`register_forget_caller`); the privacy job
(`flask privacy anonymise`) calls every hook, in the order the packages were set up, inside
one transaction, and tells what each changed. A domain that stores a caller's number, its
keyed hash or its masked form without registering a hook keeps them after the caller asked
to be forgotten: a new table of that kind needs its hook in the same change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from centre import phones

HOOKS = "privacy.forget_caller"


@dataclass(frozen=True)
class Caller:
    """The caller to forget: their number in E.164 form and its keyed hash, as rows store it."""

    number: str
    digest: str


@dataclass
class Report:
    """What a privacy run changed, by kind of data."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        """Count `count` more changes of `kind`."""
        self.counts[kind] = self.counts.get(kind, 0) + count

    def lines(self) -> list[str]:
        """Return one line per kind of data changed."""
        return [f"{kind}: {count}" for kind, count in self.counts.items()]


ForgetCaller = Callable[[Caller, Report], None]


def register_forget_caller(app: Flask, hook: ForgetCaller) -> None:
    """Let a domain forget what it holds of a caller when the privacy job asks."""
    hooks = app.extensions.setdefault(HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def forget_caller(number: str) -> Report:
    """Have every domain forget the caller of `number`; ValueError if it is not a number."""
    normalised = phones.normalise(number)
    digest = phones.keyed_hash(normalised, current_app.config["PHONE_HASH_KEY"])
    if normalised is None or digest is None:
        raise ValueError("not a phone number")
    caller = Caller(normalised, digest)
    report = Report()
    for hook in current_app.extensions.get(HOOKS, []):
        hook(caller, report)
    return report
