"""Passwords: chosen ones (argon2id), one-time ones an admin hands over, and random codes.

Every verification costs the same whatever the account's state, so that the response time
tells nothing about which logins exist. The tokens a login gets are its session's
(``resolvers/sessions.py``)."""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters
# One-time passwords are random (~80 bits), not chosen by people: guessing them from the hash
# is hopeless whatever its cost, so they are hashed cheaply. That keeps a roster import of a
# thousand accounts at a few seconds instead of a minute; ``verify_password`` reads the
# parameters from the hash itself.
_one_time_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# Verified against when the login is unknown, so that an unknown login costs the same time
# as a wrong password and the response time does not reveal which logins exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

# argon2 releases the GIL: a full-cost hash (50 ms of CPU on a quiet core, 64 MiB) runs on this
# thread, not on the event loop, where it held every other request of the process waiting. One
# thread per process: a storm of logins queues here and takes at most one core of the node.
_ARGON2 = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")

# Readable one-time passwords: no 0/O, 1/l/I. 14 characters of 55 is ~80 bits.
_OTP_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
OTP_LENGTH = 14


def one_time_password() -> str:
    """A fresh random password for an admin to hand over; shown once, stored only hashed."""
    return "".join(secrets.choice(_OTP_ALPHABET) for _ in range(OTP_LENGTH))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def hashed(password: str) -> str:
    """``hash_password`` off the event loop: what a request calls (before its transaction, so
    that no database connection waits on argon2)."""
    return await asyncio.get_running_loop().run_in_executor(_ARGON2, hash_password, password)


def hash_one_time_password(password: str) -> str:
    return _one_time_hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_random_code(code_hash: str, code: str) -> bool:
    """A random code (a recovery code) against its cheap hash, without ``verify_password``'s
    dummy full-cost work: which codes exist is not what the response time could tell."""
    return _verify(code_hash, code)


def _full_cost(password_hash: str) -> bool:
    """Whether verifying against this hash costs what a chosen password's does."""
    try:
        parameters = extract_parameters(password_hash)
    except InvalidHashError:
        return False
    return (parameters.time_cost, parameters.memory_cost) >= (_hasher.time_cost, _hasher.memory_cost)


def verify_password(password_hash: str | None, password: str) -> bool:
    """The same work whatever the account's state: exactly one full-cost argon2 verification,
    against the account's hash when it is a chosen password's, else against a dummy one (an
    unknown login, an account holding a cheap one-time password's hash or none) on top of the
    cheap check, so that the response time tells nothing about the login or its account."""
    if password_hash is not None and _full_cost(password_hash):
        return _verify(password_hash, password)
    _verify(_DUMMY_HASH, password)
    return password_hash is not None and _verify(password_hash, password)


async def verified(password_hash: str | None, password: str) -> bool:
    """``verify_password`` off the event loop: what a request calls."""
    return await asyncio.get_running_loop().run_in_executor(_ARGON2, verify_password, password_hash, password)
