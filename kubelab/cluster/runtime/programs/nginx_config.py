"""Reading nginx configuration: the few directives the simulated nginx acts on.

nginx configuration is a list of directives ending in ``;`` and blocks in ``{ }``. The
simulated server understands ``server``, ``listen``, ``root``, ``index``, ``location`` (prefix
and ``=`` exact) and ``return``; other directives are accepted and ignored. Syntax errors are
reported the way nginx reports them, with file and line, so a broken ConfigMap fails loudly.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from kubelab.cluster.runtime.filesystem import ContainerFilesystem

CONF_DIR = "/etc/nginx/conf.d"
DEFAULT_ROOT = "/etc/nginx/html"


class ConfigError(Exception):
    pass


@dataclass
class Location:
    path: str
    exact: bool = False
    root: str | None = None
    index: tuple[str, ...] | None = None
    returns: tuple[int, str] | None = None


@dataclass
class Server:
    ports: list[int] = field(default_factory=list)
    root: str = DEFAULT_ROOT
    index: tuple[str, ...] = ("index.html",)
    locations: list[Location] = field(default_factory=list)

    def match(self, path: str) -> Location | None:
        for location in self.locations:
            if location.exact and location.path == path:
                return location
        prefixes = [loc for loc in self.locations if not loc.exact and path.startswith(loc.path)]
        return max(prefixes, key=lambda loc: len(loc.path), default=None)


Statement = tuple[list[str], list["Statement"] | None, int]


def _tokens(text: str, filename: str) -> list[tuple[str, int]]:
    tokens, index, line = [], 0, 1
    while index < len(text):
        char = text[index]
        if char == "\n":
            line += 1
            index += 1
        elif char.isspace():
            index += 1
        elif char == "#":
            while index < len(text) and text[index] != "\n":
                index += 1
        elif char in "{};":
            tokens.append((char, line))
            index += 1
        elif char in "'\"":
            end = text.find(char, index + 1)
            if end < 0:
                raise ConfigError(
                    f'unexpected end of file, expecting ";" or "}}" in {filename}:{line}'
                )
            tokens.append((text[index + 1 : end], line))
            line += text.count("\n", index, end)
            index = end + 1
        else:
            start = index
            while index < len(text) and not text[index].isspace() and text[index] not in "{};":
                index += 1
            tokens.append((text[start:index], line))
    return tokens


def _parse_block(
    tokens: list[tuple[str, int]], position: int, filename: str, nested: bool
) -> tuple[list[Statement], int]:
    statements: list[Statement] = []
    words: list[str] = []
    line = 1
    while position < len(tokens):
        token, line = tokens[position]
        position += 1
        if token == ";":
            if not words:
                raise ConfigError(f'unexpected ";" in {filename}:{line}')
            statements.append((words, None, line))
            words = []
        elif token == "{":
            block, position = _parse_block(tokens, position, filename, nested=True)
            statements.append((words, block, line))
            words = []
        elif token == "}":
            if not nested or words:
                raise ConfigError(f'unexpected "}}" in {filename}:{line}')
            return statements, position
        else:
            words.append(token)
    if nested or words:
        raise ConfigError(f'unexpected end of file, expecting ";" or "}}" in {filename}:{line}')
    return statements, position


def parse(text: str, filename: str) -> list[Statement]:
    return _parse_block(_tokens(text, filename), 0, filename, nested=False)[0]


def _listen_port(words: list[str]) -> int | None:
    address = words[1] if len(words) > 1 else "80"
    port = address.rsplit(":", 1)[-1].split("]")[-1] if not address.isdigit() else address
    return int(port) if port.isdigit() else None


def _server(block: list[Statement]) -> Server:
    server = Server()
    for words, inner, _ in block:
        if words[0] == "listen":
            port = _listen_port(words)
            if port is not None and port not in server.ports:
                server.ports.append(port)
        elif words[0] == "root" and len(words) > 1:
            server.root = words[1]
        elif words[0] == "index":
            server.index = tuple(words[1:])
        elif words[0] == "location" and inner is not None:
            exact = len(words) > 2 and words[1] == "="
            location = Location(words[-1], exact)
            for inner_words, _, _ in inner:
                if inner_words[0] == "root" and len(inner_words) > 1:
                    location.root = inner_words[1]
                elif inner_words[0] == "index":
                    location.index = tuple(inner_words[1:])
                elif inner_words[0] == "return" and len(inner_words) > 1:
                    text = " ".join(inner_words[2:])
                    location.returns = (int(inner_words[1]), text)
            server.locations.append(location)
    if not server.ports:
        server.ports.append(80)
    return server


def load_servers(fs: ContainerFilesystem) -> list[Server]:
    """Every ``server`` block of ``/etc/nginx/conf.d/*.conf``; raises ``ConfigError``."""
    servers = []
    names = fs.list(CONF_DIR) if fs.is_dir(CONF_DIR) else []
    for name in sorted(n for n in names if n.endswith(".conf")):
        path = posixpath.join(CONF_DIR, name)
        if not fs.is_file(path):
            continue
        for words, block, _ in parse(fs.read_text(path), path):
            if words[0] == "server" and block is not None:
                servers.append(_server(block))
    return servers
