"""The platform's Ed25519 key: signed answers that integrators can verify offline with the published key."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


@lru_cache(maxsize=4)
def _load(key_b64: str | None, key_file: str) -> Ed25519PrivateKey:
    if key_b64:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(key_b64))
    path = Path(key_file)
    if not path.exists():  # development: one key per installation, created on first use
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64encode(raw))
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_bytes().strip()))


def private_key() -> Ed25519PrivateKey:
    return _load(settings.IECQ_SIGNING_KEY, settings.IECQ_SIGNING_KEY_FILE)


def public_key_raw() -> bytes:
    return private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def key_id() -> str:
    return hashlib.sha256(public_key_raw()).hexdigest()[:16]


def canonical(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed: JSON with sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any]) -> dict[str, Any]:
    """An envelope with the payload, its Ed25519 signature (base64url) and the key's id."""
    signature = private_key().sign(canonical(payload))
    return {
        "payload": payload,
        "algorithm": "Ed25519",
        "key_id": key_id(),
        "signature": base64.urlsafe_b64encode(signature).decode().rstrip("="),
    }


def verify(envelope: dict[str, Any], public_key: bytes) -> bool:
    """What an integrator does offline: check the signature over the canonical payload."""
    signature = base64.urlsafe_b64decode(envelope["signature"] + "=" * (-len(envelope["signature"]) % 4))
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, canonical(envelope["payload"]))
    except InvalidSignature:
        return False
    return True
