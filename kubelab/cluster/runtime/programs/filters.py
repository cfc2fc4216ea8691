"""Filters and small helpers from coreutils (and busybox): ``sort``, ``uniq``, ``cut``,
``base64``, ``seq``, ``basename`` and ``dirname``.

They work as in a container with no locale set (the C locale): ``sort`` orders by character
code, so ``B`` comes before ``a``.
"""

from __future__ import annotations

import base64 as b64
import binascii
import re
from collections.abc import Callable

from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs.common import (
    busybox_style,
    cannot_open,
    parse_options,
    read_input,
    tool_name,
)
from kubelab.cluster.runtime.streams import from_bytes, to_bytes

#: ``base64`` wraps its output at this many columns unless told otherwise (``-w``).
BASE64_COLUMNS = 76
_LEADING_NUMBER = re.compile(r"\s*(-?\d+(?:\.\d*)?|-?\.\d+)")


async def _read_all(process: Process, names: list[str]) -> str | None:
    """The inputs joined (standard input for none or ``-``); None after reporting a file
    that cannot be read."""
    parts = []
    for name in names or ["-"]:
        try:
            parts.append(await read_input(process, name))
        except OSError as problem:
            if process.argv[0].endswith("sort") and not busybox_style(process):
                await process.write_err(f"sort: cannot read: {name}: {problem.strerror}\n")
            else:
                await cannot_open(process, name, problem)
            return None
    return "".join(parts)


async def _options_and_text(
    process: Process, short: str, long: tuple[str, ...] = (), one_file: bool = False
) -> tuple[dict[str, str], str] | None:
    """The tool's options and its whole input (only the first operand with ``one_file``);
    None once a bad option or an unreadable file has been reported."""
    parsed = await parse_options(process, short, long)
    if parsed is None:
        return None
    options, names = parsed
    text = await _read_all(process, names[:1] if one_file else names)
    return None if text is None else (options, text)


def _lines(text: str) -> list[str]:
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []


def _numeric(text: str) -> float:
    found = _LEADING_NUMBER.match(text)
    return float(found.group(1)) if found else 0.0


async def sort(process: Process) -> int:
    given = await _options_and_text(process, "rnuk:t:")
    if given is None:
        return 2
    options, text = given
    separator = options.get("-t")
    field = int(options["-k"].split(",")[0].split(".")[0]) if "-k" in options else 0

    def key_text(line: str) -> str:
        """The sort key: the line from field ``-k`` on (fields start at their blanks)."""
        if field <= 1:
            return line
        if separator is not None:
            parts = line.split(separator)
            return separator.join(parts[field - 1 :]) if len(parts) >= field else ""
        found = re.match(rf"(?:\s*\S+){{{field - 1}}}", line)
        return line[found.end() :] if found else ""

    lines = _lines(text)
    if "-n" in options:
        lines.sort(key=lambda line: (_numeric(key_text(line)), line))
    else:
        lines.sort(key=lambda line: (key_text(line), line))
    if "-r" in options:
        lines.reverse()
    if "-u" in options:
        compare = (lambda line: _numeric(key_text(line))) if "-n" in options else key_text
        unique, seen = [], object()
        for line in lines:
            if compare(line) != seen:
                unique.append(line)
                seen = compare(line)
        lines = unique
    await process.write_out("".join(f"{line}\n" for line in lines))
    return 0


async def uniq(process: Process) -> int:
    given = await _options_and_text(process, "cdu", one_file=True)
    if given is None:
        return 1
    options, text = given
    groups: list[list[str]] = []
    for line in _lines(text):
        if groups and groups[-1][0] == line:
            groups[-1].append(line)
        else:
            groups.append([line])
    out = []
    for group in groups:
        if ("-d" in options and len(group) == 1) or ("-u" in options and len(group) > 1):
            continue
        prefix = f"{len(group):7d} " if "-c" in options else ""
        out.append(f"{prefix}{group[0]}\n")
    await process.write_out("".join(out))
    return 0


def _ranges(spec: str) -> list[tuple[int, int]] | None:
    """``1,3-4,6-`` as 1-based inclusive ranges (open ends as 1 and a large number)."""
    ranges = []
    for part in spec.split(","):
        found = re.fullmatch(r"(\d*)(-?)(\d*)", part)
        if not found or not (found.group(1) or found.group(3)):
            return None
        start = int(found.group(1) or 1)
        end = int(found.group(3)) if found.group(3) else (10**9 if found.group(2) else start)
        if start < 1:
            return None
        ranges.append((start, end))
    return ranges


def _selected(items: list[str], ranges: list[tuple[int, int]]) -> list[str]:
    return [item for index, item in enumerate(items, 1) if any(a <= index <= b for a, b in ranges)]


async def cut(process: Process) -> int:
    parsed = await parse_options(process, "d:f:c:b:s")
    if parsed is None:
        return 1
    options, names = parsed
    spec = options.get("-f") or options.get("-c") or options.get("-b")
    if spec is None:
        await process.write_err(
            "cut: you must specify a list of bytes, characters, or fields\n"
            + ("" if busybox_style(process) else "Try 'cut --help' for more information.\n")
        )
        return 1
    ranges = _ranges(spec)
    if ranges is None:
        await process.write_err(f"cut: invalid field value '{spec}'\n")
        return 1
    delimiter = options.get("-d", "\t")
    if len(delimiter) != 1:
        await process.write_err("cut: the delimiter must be a single character\n")
        return 1
    text = await _read_all(process, names)
    if text is None:
        return 1
    out = []
    for line in _lines(text):
        if "-f" not in options:
            out.append("".join(_selected(list(line), ranges)) + "\n")
        elif delimiter in line:
            out.append(delimiter.join(_selected(line.split(delimiter), ranges)) + "\n")
        elif "-s" not in options:
            out.append(line + "\n")
    await process.write_out("".join(out))
    return 0


async def base64(process: Process) -> int:
    given = await _options_and_text(process, "dw:", ("decode", "wrap="), one_file=True)
    if given is None:
        return 1
    options, text = given
    data = to_bytes(text)
    if "-d" in options or "--decode" in options:
        try:
            decoded = b64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            await process.write_err("base64: invalid input\n")
            return 1
        await process.write_out(from_bytes(decoded))
        return 0
    columns = int(options.get("-w", options.get("--wrap", BASE64_COLUMNS)))
    encoded = b64.b64encode(data).decode()
    if columns > 0:
        encoded = "\n".join(encoded[i : i + columns] for i in range(0, len(encoded), columns))
    await process.write_out(encoded + "\n" if encoded else "")
    return 0


def _seq_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


async def seq(process: Process) -> int:
    parsed = await parse_options(process, "s:w")
    if parsed is None:
        return 1
    options, operands = parsed
    numbers = [_seq_number(o) for o in operands]
    if not 1 <= len(operands) <= 3 or None in numbers:
        bad = next((o for o, n in zip(operands, numbers, strict=True) if n is None), None)
        message = f"invalid floating point argument: '{bad}'" if bad else "missing operand"
        await process.write_err(f"seq: {message}\n")
        return 1
    first, step, last = (
        (1.0, 1.0, numbers[0])
        if len(numbers) == 1
        else (numbers[0], 1.0, numbers[1])
        if len(numbers) == 2
        else tuple(numbers)
    )
    if step == 0:
        await process.write_err("seq: invalid Zero increment value: '0'\n")
        return 1
    decimals = max((len(o.split(".")[1]) for o in operands if "." in o), default=0)
    values = []
    value = first
    while (step > 0 and value <= last + 1e-9) or (step < 0 and value >= last - 1e-9):
        values.append(f"{value:.{decimals}f}")
        value = first + step * len(values)
    if "-w" in options and values:
        width = max(len(v) for v in values)
        values = [v.zfill(width) for v in values]
    separator = options.get("-s", "\n")
    await process.write_out(separator.join(values) + "\n" if values else "")
    return 0


async def _path_answer(process: Process, answer: Callable[[list[str]], str]) -> int:
    """Run a tool that prints one line computed from its operands (``basename``, ``dirname``)."""
    operands = process.argv[1:]
    if not operands:
        name = tool_name(process)
        hint = "" if busybox_style(process) else f"Try '{name} --help' for more information.\n"
        await process.write_err(f"{name}: missing operand\n{hint}")
        return 1
    await process.write_out(answer(operands) + "\n")
    return 0


def _last_component(operands: list[str]) -> str:
    name = operands[0].rstrip("/") or "/"
    name = name.rsplit("/", 1)[-1] if name != "/" else "/"
    if len(operands) > 1 and name != operands[1] and name.endswith(operands[1]):
        name = name[: -len(operands[1])]
    return name


def _parent(operands: list[str]) -> str:
    path = operands[0].rstrip("/")
    if "/" not in path:
        return "/" if operands[0].startswith("/") else "."
    return path.rsplit("/", 1)[0].rstrip("/") or "/"


async def basename(process: Process) -> int:
    return await _path_answer(process, _last_component)


async def dirname(process: Process) -> int:
    return await _path_answer(process, _parent)
