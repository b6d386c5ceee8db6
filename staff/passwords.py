"""Passwords: argon2id hashes, and the rules a new password must meet."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext

MIN_LENGTH = 12
MAX_LENGTH = 64
# A login reads at most this much of what was typed: a megabyte "password" is not hashed.
TYPED_MAX_LENGTH = 256
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
_TAIL = re.compile(r"[\d\W_]+$")
_HEAD = re.compile(r"^[\d\W_]+")

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# Verified against when the account does not exist, so both answers take as long.
_DUMMY_HASH = _hasher.hash("no account has this password, it only spends time")


@cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common and breached passwords, lower case."""
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def hash_password(password: str) -> str:
    """Return the argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches the hash (spending the same time when there is none)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def _cores(lowered: str) -> set[str]:
    """Return the password with any part of its leading and trailing digits and symbols cut.

    "#Qwerty2026!" yields "qwerty" among others; "0000000000002026!" yields "000000000000".
    """
    cores: set[str] = set()
    tail = len(lowered) - len(_TAIL.sub("", lowered))
    for end in range(len(lowered) - tail, len(lowered) + 1):
        core = lowered[:end]
        head = len(core) - len(_HEAD.sub("", core))
        cores.update(core[start:] for start in range(head + 1))
    return cores


def problems(password: str, email: str = "") -> list[str]:
    """Return why `password` is refused, in the page's language; an empty list accepts it."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(gettext("Use at least %(count)s characters.", count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        found.append(gettext("Use at most %(count)s characters.", count=MAX_LENGTH))
    lowered = password.lower()
    listed = common_passwords()
    name = email.split("@")[0].lower()
    if (
        any(core in listed for core in _cores(lowered))
        or len(set(lowered)) <= 2
        or (len(name) >= 4 and name in lowered)
    ):
        found.append(
            gettext("This password is too common or too easy to guess: choose another one.")
        )
    return found
