"""The three shells found in the course's images, and how their messages differ.

Which ``sh`` you get depends on the image: busybox and alpine have busybox' **ash**; debian and
ubuntu (and the images built on them: nginx, httpd, redis, python) have **dash** as ``/bin/sh``
and **bash** as ``/bin/bash``. They run the same scripts but word their errors differently,
e.g. a missing command is ``sh: foo: not found`` (ash), ``sh: 1: foo: not found`` (dash) or
``bash: line 1: foo: command not found`` (bash). Learners read these messages in
``kubectl logs``, so they follow the real shells.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str  # "ash", "dash" or "bash"

    def prefix(self, shell_name: str, line: int, mode: str) -> str:
        """What comes before an error message; ``mode`` is "c", "script" or "interactive"."""
        if self.name == "dash":
            return f"{shell_name}: {line}: "
        if mode == "script" or (mode == "c" and self.name == "bash"):
            return f"{shell_name}: line {line}: "
        return f"{shell_name}: "

    def not_found(self, command: str) -> str:
        return f"{command}: command not found" if self.name == "bash" else f"{command}: not found"

    def cannot_create(self, path: str, error: OSError) -> str:
        if self.name == "bash":
            return f"{path}: {error.strerror}"
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            reason = "nonexistent directory" if self.name == "ash" else "Directory nonexistent"
        else:
            reason = error.strerror or os.strerror(error.errno or errno.EIO)
        verb = "can't" if self.name == "ash" else "cannot"
        return f"{verb} create {path}: {reason}"

    def cannot_open(self, path: str, error: OSError) -> str:
        if self.name == "bash":
            return f"{path}: {error.strerror}"
        if error.errno == errno.ENOENT:
            reason = "no such file" if self.name == "ash" else "No such file"
        else:
            reason = error.strerror or ""
        verb = "can't" if self.name == "ash" else "cannot"
        return f"{verb} open {path}: {reason}"

    def cannot_cd(self, directory: str, error: OSError) -> str:
        if self.name == "bash":
            return f"cd: {directory}: {error.strerror}"
        if self.name == "dash":
            return f"cd: can't cd to {directory}"
        return f"cd: can't cd to {directory}: {error.strerror}"

    def cannot_execute(self, command: str) -> str:
        return f"{command}: Permission denied"

    def syntax_error(self, token: str, expecting: str, unterminated: str) -> str:
        if unterminated == "bad substitution":
            return f"{token}: bad substitution" if self.name != "dash" else "Bad substitution"
        if self.name == "bash":
            if unterminated:
                return f"unexpected EOF while looking for matching `{unterminated}'"
            if not token:
                return "syntax error: unexpected end of file"
            return f"syntax error near unexpected token `{token}'"
        if self.name == "dash":
            if unterminated:
                return "Syntax error: Unterminated quoted string"
            if not token:
                suffix = f' (expecting "{expecting}")' if expecting else ""
                return f"Syntax error: end of file unexpected{suffix}"
            return f'Syntax error: "{token}" unexpected'
        if unterminated:
            return "syntax error: unterminated quoted string"
        if not token:
            suffix = f' (expecting "{expecting}")' if expecting else ""
            return f"syntax error: unexpected end of file{suffix}"
        return f'syntax error: unexpected "{token}"'

    def prompt(self, *, user: str, uid: int, hostname: str, cwd: str, home: str) -> str:
        """The interactive prompt (PS1) as each image shows it by default."""
        mark = "#" if uid == 0 else "$"
        shown = (
            "~" + cwd[len(home) :] if home != "/" and (cwd + "/").startswith(home + "/") else cwd
        )
        if self.name == "ash":
            return f"{shown} {mark} "
        if self.name == "bash":
            return f"{user}@{hostname}:{shown}{mark} "
        return f"{mark} "

    def echo_interprets_escapes(self) -> bool:
        """dash's ``echo`` always expands ``\\n`` and knows no ``-e`` (a classic surprise)."""
        return self.name == "dash"
