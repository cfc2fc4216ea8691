"""Rewriting links in proxied pages so they lead back through the API server's proxy.

A page served at ``/api/v1/namespaces/default/services/web:80/proxy/`` that links to
``/style.css`` would send the browser to the API server's own ``/style.css``. kube-apiserver's
proxy therefore rewrites absolute-path links (and links to the backend's own address) in HTML
answers and in redirects to start with the proxy prefix. Links to other sites and relative
links already work and stay as they are.

As upstream does, every start tag is written back in a normal form (lower-case names, double
quotes, escaped values); the rest of the page is passed through byte for byte.
"""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

#: The attributes that hold URLs, per element (the table upstream uses).
URL_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "applet": frozenset({"codebase"}),
    "area": frozenset({"href"}),
    "audio": frozenset({"src"}),
    "base": frozenset({"href"}),
    "blockquote": frozenset({"cite"}),
    "body": frozenset({"background"}),
    "button": frozenset({"formaction"}),
    "command": frozenset({"icon"}),
    "del": frozenset({"cite"}),
    "embed": frozenset({"src"}),
    "form": frozenset({"action"}),
    "frame": frozenset({"longdesc", "src"}),
    "head": frozenset({"profile"}),
    "html": frozenset({"manifest"}),
    "iframe": frozenset({"longdesc", "src"}),
    "img": frozenset({"longdesc", "src", "usemap"}),
    "input": frozenset({"src", "usemap", "formaction"}),
    "ins": frozenset({"cite"}),
    "link": frozenset({"href"}),
    "object": frozenset({"classid", "codebase", "data", "usemap"}),
    "q": frozenset({"cite"}),
    "script": frozenset({"src"}),
    "source": frozenset({"src"}),
    "video": frozenset({"poster", "src"}),
}

_ESCAPES = {"&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "\r": "&#13;"}


def is_html(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "text/html"


def _escape(value: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in value)


class ProxyLinks:
    """Rewrites URLs found in a backend's answer to go through ``prefix``."""

    def __init__(self, prefix: str, backend_host: str, request_host: str) -> None:
        self.prefix = prefix
        self.backend_host = backend_host
        self.request_host = request_host

    def url(self, text: str) -> str:
        try:
            parts = urlsplit(text)
        except ValueError:
            return text
        foreign = parts.netloc not in ("", self.backend_host, self.request_host)
        if foreign or not parts.path.startswith("/"):
            return text
        if parts.netloc != self.request_host:
            parts = parts._replace(scheme="", netloc="")
        if not parts.path.startswith(self.prefix):
            joined = posixpath.normpath(f"{self.prefix}/{parts.path}")
            parts = parts._replace(path=joined + ("/" if parts.path.endswith("/") else ""))
        return urlunsplit(parts)

    def html(self, body: bytes) -> bytes:
        text = body.decode("utf-8", errors="surrogateescape")
        rewriter = _StartTagRewriter(self)
        rewriter.feed(text)
        rewriter.close()
        return rewriter.result(text).encode("utf-8", errors="surrogateescape")


class _StartTagRewriter(HTMLParser):
    """Finds every start tag and renders it again, with its URL attributes rewritten."""

    def __init__(self, links: ProxyLinks) -> None:
        super().__init__(convert_charrefs=False)
        self._links = links
        self._replacements: list[tuple[tuple[int, int], int, str]] = []

    def _render(self, tag: str, attrs: list[tuple[str, str | None]], closing: bool) -> None:
        raw = self.get_starttag_text() or ""
        wanted = URL_ATTRIBUTES.get(tag, frozenset())
        rendered = [tag]
        for name, value in attrs:
            value = value or ""
            if name in wanted:
                value = self._links.url(value)
            rendered.append(f'{name}="{_escape(value)}"')
        text = "<" + " ".join(rendered) + ("/>" if closing else ">")
        self._replacements.append((self.getpos(), len(raw), text))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._render(tag, attrs, closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._render(tag, attrs, closing=True)

    def result(self, source: str) -> str:
        line_starts = [0]
        for index, char in enumerate(source):
            if char == "\n":
                line_starts.append(index + 1)
        pieces = []
        done = 0
        for (line, column), length, text in self._replacements:
            start = line_starts[line - 1] + column
            pieces.append(source[done:start])
            pieces.append(text)
            done = start + length
        pieces.append(source[done:])
        return "".join(pieces)
