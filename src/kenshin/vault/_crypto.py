"""The vault key and AES-256-GCM sealing.

The key comes from ``KENSHIN_VAULT_KEY`` (32 random bytes, URL-safe base64) or, when that
is not set, from the OS keyring (``keyring``, service ``kenshin``, name ``vault-key``). It
is never written to the database; only a short key identifier is, so that a wrong key is
told apart from damaged data. Each entry is sealed with a fresh 96-bit nonce and the
engagement code and device key as associated data, so a ciphertext cannot be moved to
another device's row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kenshin.errors import KenshinError

KEY_ENV = "KENSHIN_VAULT_KEY"
KEYRING_SERVICE = "kenshin"
KEYRING_NAME = "vault-key"
NONCE_BYTES = 12


class VaultError(KenshinError):
    """The vault cannot do what was asked (no key, wrong key, nothing stored...)."""


class VaultKey:
    """A 256-bit key; its repr never shows it."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise VaultError("vault.bad_key")
        self._key = key

    def __repr__(self) -> str:
        return "VaultKey(***)"

    @property
    def key_id(self) -> str:
        """A short public identifier of the key (not usable to recover it)."""
        return hashlib.sha256(b"kenshin-vault-key-id\x00" + self._key).hexdigest()[:16]

    def seal(self, plaintext: bytes, associated: bytes) -> tuple[bytes, bytes]:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce, AESGCM(self._key).encrypt(nonce, plaintext, associated)

    def open(self, nonce: bytes, ciphertext: bytes, associated: bytes) -> bytes:
        try:
            return AESGCM(self._key).decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            raise VaultError("vault.cannot_open") from None


def new_key_text() -> str:
    """A fresh random key, as the text to put in ``KENSHIN_VAULT_KEY``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def parse_key(text: str) -> VaultKey:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise VaultError("vault.bad_key") from None
    return VaultKey(raw)


def _keyring_text() -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_NAME)
    except (KeyringError, RuntimeError, OSError):
        return None
    return str(value) if value else None


def store_in_keyring(text: str) -> None:
    """Keep a key in the OS keyring (raises ``VaultError`` when there is no usable keyring)."""
    parse_key(text)
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, KEYRING_NAME, text)
    except (ImportError, KeyringError, RuntimeError, OSError):
        raise VaultError("vault.no_keyring") from None


def load_key(environ: dict[str, str] | None = None) -> VaultKey:
    """The vault key from the environment, else the OS keyring, else a clear error."""
    env = os.environ if environ is None else environ
    text = env.get(KEY_ENV) or _keyring_text()
    if not text:
        raise VaultError("vault.no_key", env=KEY_ENV)
    return parse_key(text)
