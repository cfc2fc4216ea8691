"""A watch stream read on a thread of its own, over plain HTTPS, until a named object appears."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

from tests.reliability.rawapi import RawAPI


def event_name(event: dict[str, Any]) -> str:
    """The name of the object an event is about, whether it carries the object or a Table."""
    shown = event["object"]
    if shown.get("kind") == "Table":
        shown = shown["rows"][0]["object"]
    return shown["metadata"]["name"]


class WatchReader(threading.Thread):
    """Reads one watch stream until it sees the ADDED event for ``until``."""

    def __init__(self, api: RawAPI, path: str, until: str, accept: str = "application/json"):
        super().__init__(daemon=True)
        self.connection = http.client.HTTPSConnection(
            "127.0.0.1", api.port, context=api.context, timeout=60
        )
        headers = {"Authorization": f"Bearer {api.token}", "Accept": accept}
        self.connection.request("GET", path, headers=headers)
        self.reply = self.connection.getresponse()
        assert self.reply.status == 200
        self.until = until
        self.events: list[dict[str, Any]] = []

    def run(self) -> None:
        while True:
            line = self.reply.readline()
            if not line:
                return
            event = json.loads(line)
            self.events.append(event)
            if event["type"] == "ADDED" and event_name(event) == self.until:
                self.connection.close()
                return
