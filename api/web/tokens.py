"""Bearer tokens: compact JWS (RFC 7515) signed with Ed25519 (``alg: EdDSA``, RFC 8037),
short-lived, and revocable through the account (``Account.tokens_valid_after``).

The token only says who signed in and when; the role and areas are read from the account on
every request, so a changed or disabled account takes effect at once.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.keys import KeyStore

__all__ = ["TOKEN_KEY_NAME", "TokenClaims", "TokenSigner"]

TOKEN_KEY_NAME = "tabien-api-token"
_HEADER = {"alg": "EdDSA", "typ": "JWT"}
_ISSUER = "tabien"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenClaims:
    username: str
    issued_at: datetime
    expires_at: datetime
    token_id: str


_VERIFIED_KEPT = 50_000  # tokens; a few hundred bytes each


class TokenSigner:
    def __init__(self, private_key: Ed25519PrivateKey, lifetime: timedelta) -> None:
        self._private = private_key
        self._public = private_key.public_key()
        self.lifetime = lifetime
        # A token's signature is checked once: its claims never change, and whether it has
        # expired or been revoked is decided afresh on every request.
        self._verified: dict[str, TokenClaims] = {}

    @classmethod
    def from_key_store(cls, store: KeyStore, lifetime: timedelta = timedelta(hours=1),
                       ) -> TokenSigner:
        """The API's token key from the key store, made on first use."""
        if TOKEN_KEY_NAME in store.names():
            key = store.load(TOKEN_KEY_NAME)
        else:
            key = store.generate(TOKEN_KEY_NAME)
        return cls(key, lifetime)

    def issue(self, username: str, now: datetime | None = None) -> tuple[str, TokenClaims]:
        issued = now or datetime.now(UTC)
        claims = TokenClaims(username, issued, issued + self.lifetime, secrets.token_hex(16))
        # ``iat`` is whole seconds (RFC 7519); revocation compares the exact moment.
        payload = {"iss": _ISSUER, "sub": username, "iat": int(issued.timestamp()),
                   "exp": int(claims.expires_at.timestamp()), "jti": claims.token_id,
                   "issued": issued.isoformat()}
        signing_input = f"{_b64(orjson.dumps(_HEADER))}.{_b64(orjson.dumps(payload))}"
        signature = self._private.sign(signing_input.encode())
        return f"{signing_input}.{_b64(signature)}", claims

    def read(self, token: str, now: datetime | None = None) -> TokenClaims | None:
        """The claims of a token this server signed that has not expired, else None."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if claims is None:
                return None
            if len(self._verified) >= _VERIFIED_KEPT:
                self._verified.clear()  # rare: the tokens of the last hour are checked again
            self._verified[token] = claims
        if (now or datetime.now(UTC)) >= claims.expires_at:
            return None
        return claims

    def _verify(self, token: str) -> TokenClaims | None:
        """The claims of a token whose signature, header and issuer are this server's."""
        try:
            header_part, payload_part, signature_part = token.split(".")
            header = orjson.loads(_unb64(header_part))
            if header != _HEADER:
                return None
            self._public.verify(_unb64(signature_part),
                                f"{header_part}.{payload_part}".encode())
            payload = orjson.loads(_unb64(payload_part))
            issued = datetime.fromisoformat(str(payload["issued"]))
            expires = datetime.fromtimestamp(int(payload["exp"]), UTC)
            if issued.tzinfo is None:
                return None
            claims = TokenClaims(str(payload["sub"]), issued, expires, str(payload["jti"]))
        except (ValueError, KeyError, TypeError, InvalidSignature, orjson.JSONDecodeError):
            return None
        if payload.get("iss") != _ISSUER:
            return None
        return claims
