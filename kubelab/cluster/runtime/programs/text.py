"""Text tools: ``echo``, ``printf``, ``cat``, ``grep``, ``head``, ``tail``, ``wc``, ``tee``."""

from __future__ import annotations

import re

from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs.common import (
    busybox_style,
    cannot_open,
    parse_options,
    path_of,
    read_input,
)
from kubelab.cluster.runtime.streams import from_bytes, to_bytes

ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
TAIL_POLL_SECONDS = 0.5


class _StopOutput(Exception):
    """``\\c`` in echo -e or printf %b: print nothing more."""


def expand_escapes(text: str, octal_needs_zero: bool = True) -> str:
    result, index = [], 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 == len(text):
            result.append(char)
            index += 1
            continue
        code = text[index + 1]
        if code in ESCAPES:
            result.append(ESCAPES[code])
            index += 2
        elif code == "c":
            raise _StopOutput("".join(result))
        elif code == "0" or (code.isdigit() and code < "8" and not octal_needs_zero):
            start = index + (2 if code == "0" and octal_needs_zero else 1)
            digits = re.match(r"[0-7]{0,3}", text[start:]).group()  # type: ignore[union-attr]
            result.append(chr(int(digits or "0", 8)))
            index = start + len(digits)
        else:
            result.append("\\" + code)
            index += 2
    return "".join(result)


async def echo(process: Process) -> int:
    arguments = process.argv[1:]
    newline, escapes = True, process.flavor == "dash"
    allowed = "n" if process.flavor == "dash" else "neE"
    while arguments and re.fullmatch(f"-[{allowed}]+", arguments[0]):
        for flag in arguments.pop(0)[1:]:
            newline = newline and flag != "n"
            escapes = (escapes or flag == "e") and flag != "E"
    text = " ".join(arguments)
    if escapes:
        try:
            text = expand_escapes(text)
        except _StopOutput as stop:
            await process.write_out(str(stop))
            return 0
    await process.write_out(text + ("\n" if newline else ""))
    return 0


PRINTF_SPEC = re.compile(r"%([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?([sdiouxXfFeEgGcb%])")


def _number(text: str) -> float | int:
    text = text.strip()
    if text[:1] in ("'", '"'):
        return ord(text[1]) if len(text) > 1 else 0
    try:
        return int(text, 0)
    except ValueError:
        return float(text)


async def printf(process: Process) -> int:
    if len(process.argv) < 2:
        await process.write_err("printf: usage: printf format [arguments]\n")
        return 2 if not busybox_style(process) else 1
    form, arguments = process.argv[1], process.argv[2:]
    output: list[str] = []
    status = 0
    while True:
        used = 0

        def convert(match: re.Match[str], arguments: list[str] = arguments) -> str:
            nonlocal used, status
            flags, width, precision, kind = match.groups()
            if kind == "%":
                return "%"
            value = arguments[used] if used < len(arguments) else ""
            used += 1
            if kind == "b":
                return expand_escapes(value, octal_needs_zero=True)
            spec = "%" + flags + (width or "") + (f".{precision}" if precision else "")
            if kind in "sc":
                return (spec + "s") % (value[:1] if kind == "c" else value)
            try:
                number = _number(value) if value else 0
            except ValueError:
                status = 1
                number = 0
            if kind in "diouxX":
                return (spec + kind.replace("i", "d").replace("u", "d")) % int(number)
            return (spec + kind) % float(number)

        try:
            output.append(expand_escapes(PRINTF_SPEC.sub(convert, form), octal_needs_zero=False))
        except _StopOutput as stop:
            output.append(str(stop))
            break
        arguments = arguments[used:]
        if not arguments or not used:
            break
    await process.write_out("".join(output))
    return status


async def cat(process: Process) -> int:
    parsed = await parse_options(process, "nuAveEtT")
    if parsed is None:
        return 1
    options, names = parsed
    status = 0
    for name in names or ["-"]:
        if name == "-":
            while chunk := await process.stdin.read_chunk():
                await process.write_out(chunk)
            continue
        try:
            text = await read_input(process, name)
        except OSError as problem:
            await cannot_open(process, name, problem)
            status = 1
            continue
        if "-n" in options:
            lines = text.splitlines(keepends=True)
            text = "".join(f"{number:6}\t{line}" for number, line in enumerate(lines, 1))
        await process.write_out(text)
    return status


def _grep_regex(pattern: str, options: dict[str, str]) -> re.Pattern[str]:
    if "-F" in options:
        source = re.escape(pattern)
    elif "-E" in options:
        source = pattern
    else:  # basic regular expressions: ( ) { } | + ? are literal unless escaped
        source = re.sub(
            r"\\([(){}|+?])|([(){}|+?])",
            lambda m: m.group(1) or "\\" + m.group(2),
            pattern,
        )
    if "-w" in options:
        source = rf"\b(?:{source})\b"
    return re.compile(source, re.IGNORECASE if "-i" in options else 0)


async def grep(process: Process) -> int:
    parsed = await parse_options(process, "ivcqnEFwle:hH")
    if parsed is None:
        return 2
    options, arguments = parsed
    if "-e" not in options and not arguments:
        await process.write_err("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
        return 2
    pattern = options["-e"] if "-e" in options else arguments.pop(0)
    regex = _grep_regex(pattern, options)
    names = arguments or ["-"]
    show_names = ("-H" in options or len(names) > 1) and "-h" not in options
    found, status = False, 0
    for name in names:
        try:
            text = await read_input(process, name)
        except OSError as problem:
            await process.write_err(f"grep: {name}: {problem.strerror}\n")
            status = 2
            continue
        label = "(standard input)" if name == "-" else name
        count = 0
        for number, line in enumerate(text.splitlines(), 1):
            if bool(regex.search(line)) == ("-v" in options):
                continue
            count += 1
            found = True
            if "-q" in options:
                return 0
            if "-c" in options or "-l" in options:
                continue
            prefix = (f"{label}:" if show_names else "") + (f"{number}:" if "-n" in options else "")
            await process.write_out(prefix + line + "\n")
        if "-l" in options and count:
            await process.write_out(label + "\n")
        elif "-c" in options:
            await process.write_out((f"{label}:" if show_names else "") + f"{count}\n")
    return status or (0 if found else 1)


def _classic_count(process: Process) -> None:
    """Accept the old ``head -5`` spelling by rewriting it as ``-n 5``."""
    if len(process.argv) > 1 and re.fullmatch(r"-\d+", process.argv[1]):
        process.argv = [process.argv[0], "-n", process.argv[1][1:], *process.argv[2:]]


async def head(process: Process) -> int:
    _classic_count(process)
    parsed = await parse_options(process, "n:q")
    if parsed is None:
        return 1
    options, names = parsed
    count = int(options.get("-n", "10").lstrip("+") or 0)
    status = 0
    for index, name in enumerate(names or ["-"]):
        if name == "-":
            for _ in range(count):
                line = await process.stdin.readline()
                if not line:
                    break
                await process.write_out(line)
            process.stdin.close()
            continue
        try:
            text = await read_input(process, name)
        except OSError as problem:
            await cannot_open(process, name, problem)
            status = 1
            continue
        if len(names) > 1:
            await process.write_out(("\n" if index else "") + f"==> {name} <==\n")
        await process.write_out("".join(text.splitlines(keepends=True)[:count]))
    return status


def _tail_lines(text: str, spec: str) -> str:
    lines = text.splitlines(keepends=True)
    if spec.startswith("+"):
        return "".join(lines[max(int(spec[1:] or 1) - 1, 0) :])
    count = int(spec or 0)
    return "".join(lines[-count:]) if count else ""


async def tail(process: Process) -> int:
    _classic_count(process)
    parsed = await parse_options(process, "n:c:fFq")
    if parsed is None:
        return 1
    options, names = parsed
    spec = options.get("-n", "10")
    follow = "-f" in options or "-F" in options
    name = names[0] if names else "-"
    try:
        text = await read_input(process, name)
    except OSError as problem:
        await cannot_open(process, name, problem)  # -F warns too, then waits for the file
        if "-F" not in options:
            return 1
        text = ""
    if "-c" in options:
        # Bytes, not lines: ``tail -c+N`` is how ``kubectl cp --retries`` resumes an archive.
        data = to_bytes(text)
        count = options["-c"]
        digits = count.lstrip("+-")
        if not digits.isdigit():
            await process.write_err(f"tail: invalid number of bytes: '{count}'\n")
            return 1
        start = int(digits) - 1 if count.startswith("+") else len(data) - int(digits)
        await process.write_out(from_bytes(data[max(start, 0) :]))
        return 0
    await process.write_out(_tail_lines(text, spec))
    if not follow or name == "-":
        return 0
    fs, path, seen = process.sandbox.fs, path_of(process, name), len(text)
    while True:  # poll, as tail does where it cannot watch the file
        await process.sandbox.clock.sleep(TAIL_POLL_SECONDS)
        try:
            current = fs.read_text(path)
        except OSError:
            continue
        if len(current) < seen:
            seen = 0
        if len(current) > seen:
            await process.write_out(current[seen:])
            seen = len(current)


async def wc(process: Process) -> int:
    parsed = await parse_options(process, "lcwm")
    if parsed is None:
        return 1
    options, names = parsed
    wanted = [flag for flag in ("-l", "-w", "-c") if flag in options] or ["-l", "-w", "-c"]
    status = 0
    for name in names or ["-"]:
        try:
            text = await read_input(process, name)
        except OSError as problem:
            await process.write_err(f"wc: {name}: {problem.strerror}\n")
            status = 1
            continue
        counts = {"-l": text.count("\n"), "-w": len(text.split()), "-c": len(to_bytes(text))}
        values = [counts[flag] for flag in wanted]
        line = " ".join(f"{value:7}" for value in values) if len(values) > 1 else str(values[0])
        await process.write_out(line + ("" if name == "-" else f" {name}") + "\n")
    return status


async def tee(process: Process) -> int:
    parsed = await parse_options(process, "a")
    if parsed is None:
        return 1
    options, names = parsed
    fs = process.sandbox.fs
    status = 0
    targets = []
    for name in names:
        try:
            fs.write(path_of(process, name), "", append="-a" in options)
            targets.append(path_of(process, name))
        except OSError as problem:
            await process.write_err(f"tee: {name}: {problem.strerror}\n")
            status = 1
    while chunk := await process.stdin.read_chunk():
        await process.write_out(chunk)
        for path in targets:
            fs.write(path, chunk, append=True)
    return status
