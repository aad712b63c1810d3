"""Staff passwords: Argon2id hashes with today's parameters, checked in a worker thread."""

from adapters.crypto.passwords import Argon2PasswordHasher

CHEAP = {"time_cost": 1, "memory_cost_kib": 64, "parallelism": 1}


async def test_a_password_hash_is_argon2id_and_verifies_only_that_password() -> None:
    hasher = Argon2PasswordHasher(**CHEAP)

    stored = await hasher.hash("correct horse battery")

    assert stored.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    assert await hasher.verify("correct horse battery", stored)
    assert not await hasher.verify("correct horse batterY", stored)
    assert not await hasher.verify("correct horse battery", "not a hash")


async def test_checking_against_no_hash_answers_no_even_for_an_empty_password() -> None:
    hasher = Argon2PasswordHasher(**CHEAP)

    assert not await hasher.verify("", None)
    assert not await hasher.verify("anything at all", None)


async def test_the_default_parameters_are_rfc_9106s_and_weaker_hashes_need_rehashing() -> None:
    hasher = Argon2PasswordHasher()
    weak = await Argon2PasswordHasher(**CHEAP).hash("pw")

    assert repr(hasher) == "Argon2PasswordHasher(argon2id, t=3, m=65536 KiB, p=4)"
    assert hasher.needs_rehash(weak)
    assert hasher.needs_rehash("garbage")
