"""The credential vault: device accounts handed over for path C (現地作業員による実機調査).

Accounts are sealed with AES-256-GCM under a key from ``KENSHIN_VAULT_KEY`` or the OS
keyring — never stored in the database — shown only on explicit request, every access
written to the audit log, and purged when the engagement is closed (automatically, in the
same transaction as the status change). Secrets travel as ``Secret`` values whose repr
and str are masked, so they cannot leak into logs, errors or tracebacks by accident.
"""

from kenshin.vault._crypto import (
    KEY_ENV,
    VaultError,
    VaultKey,
    load_key,
    new_key_text,
    parse_key,
    store_in_keyring,
)
from kenshin.vault._vault import DeviceAccount, Secret, Vault, VaultEntry, purge

__all__ = [
    "KEY_ENV",
    "DeviceAccount",
    "Secret",
    "Vault",
    "VaultEntry",
    "VaultError",
    "VaultKey",
    "load_key",
    "new_key_text",
    "parse_key",
    "purge",
    "store_in_keyring",
]
