"""The site secret that keys the MRN hash (HMAC-SHA-256).

Taken from ``$HIM_SECRET_KEY`` when set, else from a key file created on first use with 32 random
bytes, mode 0600, outside the warehouse directory (``$HIM_SECRET_KEY_FILE`` or
``~/.config/him/secret.key``). Losing the key means new loads hash MRNs differently: back it up apart
from the warehouse.
"""

from __future__ import annotations

import os
import secrets

from warehouse.errors import HimError
from warehouse.paths import secret_key_file


def load_secret() -> bytes:
    """Return the site secret, creating the key file on first use."""
    env = os.environ.get("HIM_SECRET_KEY")
    if env:
        if len(env) < 16:
            raise HimError("HIM_SECRET_KEY is shorter than 16 characters; use a long random value")
        return env.encode("utf-8")
    path = secret_key_file()
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise HimError(f"the key file {path} is damaged (too short); restore it from backup")
        return key.encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key.encode("ascii")
