"""Password hashes: ``hashlib.scrypt`` with a random salt per password.

Why scrypt: it is in the standard library (no C extension to build), and it
is memory-hard, so a GPU or ASIC guessing leaked hashes gains far less than
against PBKDF2 or a plain salted hash. ``n=2**14, r=8, p=1`` (16 MiB, tens of
milliseconds) is the RFC 7914 interactive-login figure. The parameters are
stored with each hash, so raising them later leaves old hashes verifiable.

A hash is text: ``scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>``.
"""

import base64
import functools
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
# Longer passwords are refused before hashing: hashing cost must not be the
# client's to choose.
MAX_PASSWORD = 1024
MAX_MEMORY = 64 * 1024 * 1024  # scrypt's maxmem: room for n=2**15 too


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _derive(password, salt, n, r, p):
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=MAX_MEMORY,
        dklen=KEY_BYTES,
    )


def hash_password(password):
    """A new hash of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, N, R, P)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(key)}"


def verify_password(password, stored):
    """Does ``password`` match ``stored`` (a ``hash_password`` result)?

    The keys are compared with ``hmac.compare_digest`` (time independent of
    where they differ). A malformed hash is a mismatch, never an error.
    """
    if len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key, validate=True)
        salt = base64.b64decode(salt, validate=True)
        actual = _derive(password, salt, int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def unknown_user_hash():
    """Checked against when the user name is unknown, so a wrong name costs
    the same time as a wrong password: timing does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(16))
