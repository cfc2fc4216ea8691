"""Which program a file in an image runs.

Real images hold compiled programs. Simulated images hold a short *marker* instead: a file that
starts like an ELF binary and names the program (and its flavour: ``busybox`` or GNU tools, the
``ash``/``dash``/``bash`` shell, or a version). Running the file runs that Python program. So
``ls -l /bin/sh`` shows an executable, ``cat /bin/sh`` shows the marker, and a command is found
(or not) by searching ``$PATH`` in the container's own files, exactly as on Linux.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubelab.cluster.runtime.process import Program

MARKER = b"\x7fELF kubelab-program "

_PACKAGE = "kubelab.cluster.runtime"
#: program name -> "module:function"; modules are imported when first run.
PROGRAMS = {
    "sh": "shell.program:main",
    **{name: f"programs.text:{name}" for name in ("echo", "printf", "cat", "grep", "head",
                                                  "tail", "wc", "tee")},
    **{name: f"programs.files:{name}" for name in ("touch", "rm", "mkdir", "cp", "mv", "df")},
    "ls": "programs.listing:ls",
    **{name: f"programs.filters:{name}" for name in ("sort", "uniq", "cut", "base64", "seq",
                                                     "basename", "dirname")},
    **{name: f"programs.system:{name}" for name in ("sleep", "true", "false", "env", "printenv",
                                                    "date", "hostname", "whoami", "id", "pwd",
                                                    "kill", "ps", "free", "uname", "test")},
    **{name: f"programs.nettools:{name}" for name in ("wget", "curl", "nslookup")},
    "tar": "programs.archive:tar",
    "hello": "programs.hello:main",
    "pause": "programs.pause:main",
    "nginx": "programs.nginx:main",
    "nginx-entrypoint": "programs.nginx:entrypoint",
    "httpd": "programs.httpd:main",
    "redis-server": "programs.redis:server",
    "redis-cli": "programs.redis:cli",
    "redis-entrypoint": "programs.redis:entrypoint",
    "python": "programs.python:main",
    "demo-app": "programs.demo_app:main",
}  # fmt: skip


def executable(program: str, flavor: str = "") -> bytes:
    """The content of an image file that runs ``program``."""
    return MARKER + f"{program} {flavor}".strip().encode() + b"\n"


def parse_executable(head: bytes) -> tuple[str, str] | None:
    """``(program, flavor)`` if ``head`` is the start of a marker file, else None."""
    if not head.startswith(MARKER):
        return None
    name, _, flavor = head[len(MARKER) :].split(b"\n")[0].decode().partition(" ")
    return (name, flavor) if name in PROGRAMS else None


def program_named(name: str) -> Program:
    module_name, _, function = PROGRAMS[name].partition(":")
    module = importlib.import_module(f"{_PACKAGE}.{module_name}")
    return getattr(module, function)
