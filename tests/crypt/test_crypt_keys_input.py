"""Bad key material for encryption at rest: an age recipient, the PEERKIT_AGE_IDENTITY file, the
keyring's wrapping key and crypt/keys.toml are each refused with one line naming what to fix."""
from __future__ import annotations

import base64

import pytest

from peerkit import cryptkeys, secrets
from peerkit.errors import DataError, SecretError


def test_a_recipient_must_be_an_age_public_key():
    import pyrage

    real = str(pyrage.x25519.Identity.generate().to_public())
    assert cryptkeys.check_recipient(f"  {real}\n") == real
    with pytest.raises(DataError) as err:
        cryptkeys.check_recipient("ssh-ed25519 AAAA")
    assert err.value.message == "recipient: must be an age X25519 public key (age1...)"
    with pytest.raises(DataError) as err:
        cryptkeys.check_recipient("age1notakey")
    assert err.value.message == "recipient: is not a valid age X25519 public key (age1...)"


def test_the_identity_file_must_exist_and_hold_an_identity(tmp_path, monkeypatch):
    import pyrage

    assert cryptkeys.age_identities() == []  # variable unset
    monkeypatch.setenv(cryptkeys.IDENTITY_ENV, str(tmp_path / "absent.txt"))
    with pytest.raises(SecretError, match=r"cannot read the identity file .*absent.txt"):
        cryptkeys.age_identities()
    empty = tmp_path / "empty.txt"
    empty.write_text("# created: 2026-11-25\n")
    monkeypatch.setenv(cryptkeys.IDENTITY_ENV, str(empty))
    with pytest.raises(SecretError, match=r"empty.txt holds no age identity \(AGE-SECRET-KEY-1...\)$"):
        cryptkeys.age_identities()
    broken = tmp_path / "broken.txt"
    broken.write_text("AGE-SECRET-KEY-1NOTAKEY\n")
    monkeypatch.setenv(cryptkeys.IDENTITY_ENV, str(broken))
    with pytest.raises(SecretError, match=r"broken.txt holds a malformed age identity$"):
        cryptkeys.age_identities()
    good = tmp_path / "good.txt"
    identity = pyrage.x25519.Identity.generate()
    good.write_text(f"# a comment\n{identity}\n")
    monkeypatch.setenv(cryptkeys.IDENTITY_ENV, str(good))
    assert [str(i) for i in cryptkeys.age_identities()] == [str(identity)]


def test_a_wrapped_key_for_another_identity_does_not_unwrap():
    import pyrage

    key = bytes(range(32))
    mine, other = pyrage.x25519.Identity.generate(), pyrage.x25519.Identity.generate()
    wrapped = cryptkeys.wrap_for_age(str(mine.to_public()), key)
    from peerkit import crypt

    assert cryptkeys.unwrap_age([mine], wrapped, crypt.key_id(key)) == key
    assert cryptkeys.unwrap_age([other], wrapped, crypt.key_id(key)) is None
    assert cryptkeys.unwrap_age([mine], wrapped, "another-key-id") is None
    assert cryptkeys.unwrap_age([mine], "not base64!", crypt.key_id(key)) is None


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_keyring_secret_that_is_no_wrapping_key_is_refused(memory_keyring, value):
    secrets.set_secret("crypt-peer-test", value)
    with pytest.raises(SecretError) as err:
        cryptkeys.peer_wrap_key({"peer_secret": "crypt-peer-test"})
    assert "the keyring secret 'crypt-peer-test' is not a peerkit wrapping key" in err.value.message
    assert err.value.exit_code == 4


def test_the_wrapping_key_is_made_once_when_asked(memory_keyring):
    state = {"peer_secret": "crypt-peer-new"}
    assert cryptkeys.peer_wrap_key(state) is None
    made = cryptkeys.peer_wrap_key(state, create=True)
    assert len(made) == 32
    assert cryptkeys.peer_wrap_key(state) == made
    assert base64.b64decode(secrets.get_secret("crypt-peer-new")) == made


def test_a_keys_file_that_is_not_peerkits_is_refused(tmp_path):
    path = cryptkeys.keys_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('state = "on"\nkeys = "all of them"\n')
    with pytest.raises(DataError) as err:
        cryptkeys.read_state(tmp_path)
    assert err.value.message.endswith("keys.toml: field 'state': not a peerkit keys file "
                                      "(restore it from a backup or git)")
    assert cryptkeys.read_state(tmp_path / "elsewhere") is None
