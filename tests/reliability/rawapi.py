"""Plain HTTPS requests to a teaching cluster, for inputs no well-behaved client would send.

kubectl and the official client clean paths, encode bodies and refuse malformed input before it
leaves the machine, so the tests of what the server does with such input speak HTTP directly.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawAPI:
    """One cluster's address, CA and (optionally) bearer token."""

    def __init__(self, home: Path, port: int, token: str | None) -> None:
        self.port = port
        self.token = token
        self.ca_file = home / "pki" / "ca.crt"
        self.context = ssl.create_default_context(cafile=str(self.ca_file))

    @classmethod
    def admin(cls, home: Path, port: int) -> RawAPI:
        return cls(home, port, (home / "admin.token").read_text().strip())

    def with_token(self, token: str | None) -> RawAPI:
        """The same cluster, with another bearer token (or none)."""
        return RawAPI(self.ca_file.parent.parent, self.port, token)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        content_type: str = "application/json",
        timeout: float = 30,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send ``path`` exactly as written (no normalization) and read the whole reply."""
        if isinstance(body, dict | list):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        sent = {"Accept": "application/json", "Content-Type": content_type}
        if self.token is not None:
            sent["Authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context, timeout=timeout
        )
        try:
            connection.request(method, path, body=body, headers=sent)
            reply = connection.getresponse()
            return Reply(reply.status, reply.read())
        finally:
            connection.close()
