"""Password hashes (web/passwords.py): salted scrypt, compared in constant time."""

import pytest

from {{ cookiecutter.repo_name }}.web import passwords


def test_a_password_verifies_against_its_own_hash_only():
    stored = passwords.hash_password("correct horse")

    assert passwords.verify_password("correct horse", stored)
    assert not passwords.verify_password("correct horse ", stored)
    assert "correct horse" not in stored


def test_each_hash_has_its_own_salt():
    first, second = (passwords.hash_password("same") for _ in range(2))
    assert first != second
    assert first.split("$")[:4] == ["scrypt", str(passwords.N), "8", "1"]


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "md5$1$2$3$4$5",
        "scrypt$x$8$1$AA==$AA==",
        "scrypt$16384$8$1$!!$AA==",
    ],
)
def test_a_malformed_hash_is_a_mismatch_not_an_error(stored):
    assert passwords.verify_password("anything", stored) is False


def test_an_overlong_password_is_refused_before_hashing():
    stored = passwords.hash_password("x" * passwords.MAX_PASSWORD)
    assert passwords.verify_password("x" * passwords.MAX_PASSWORD, stored)
    assert not passwords.verify_password("x" * (passwords.MAX_PASSWORD + 1), stored)


def test_the_unknown_user_hash_matches_no_password():
    assert not passwords.verify_password("", passwords.unknown_user_hash())
    assert passwords.unknown_user_hash() is passwords.unknown_user_hash()
