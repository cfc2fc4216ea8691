"""``ls``: list directory contents the way busybox and GNU coreutils print them.

The two differ in small ways a learner sees at once: busybox pads the long format to fixed
widths (``%4u`` links, ``%-8s`` owner, ``%9u`` size) while GNU pads each column to its widest
entry; ``-h`` shows ``4.0K`` in both but ``12.1K`` (busybox) against ``13K`` (GNU); a missing
file is ``ls: x: No such file or directory`` (exit 1) against ``ls: cannot access 'x': ...``
(exit 2). Symlinks follow the kernel's rules: ``-l`` shows a link itself (``key ->
..data/key``), ``-L`` what it points to, a name written with a trailing slash is always
followed, and without ``-l``, ``-d`` or ``-F`` a link to a directory named on the command line
is listed as that directory. This is what makes a ConfigMap or Secret volume look right.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from math import ceil

from kubelab.cluster.runtime.filesystem import FileInfo
from kubelab.cluster.runtime.process import Process
from kubelab.cluster.runtime.programs.common import busybox_style, parse_option_list, path_of

BUSYBOX_OPTIONS = "1aAcCdFghHiklLnpQrRsStuvxXT:w:"
BUSYBOX_LONG = ("full-time", "group-directories-first", "color")
GNU_OPTIONS = "1aAbBcCdfFgGhHiklLmnNopqQrRsStuUvxXZT:w:"
GNU_LONG = (
    "all", "almost-all", "directory", "dereference", "dereference-command-line", "classify",
    "human-readable", "inode", "numeric-uid-gid", "recursive", "reverse", "size", "color",
    "full-time", "group-directories-first", "no-group", "literal", "help",
)  # fmt: skip
#: Long options and the short option each stands for.
LONG_ALIASES = {
    "--all": "-a", "--almost-all": "-A", "--directory": "-d", "--dereference": "-L",
    "--dereference-command-line": "-H", "--classify": "-F", "--human-readable": "-h",
    "--inode": "-i", "--numeric-uid-gid": "-n", "--recursive": "-R", "--reverse": "-r",
    "--size": "-s", "--no-group": "-G", "--full-time": "-l",
}  # fmt: skip
#: Options that imply the long format.
LONG_FORMAT = frozenset({"-l", "-n", "-g", "-o"})
#: busybox's colours (bold;colour) by file type when its output is a terminal.
BUSYBOX_COLORS = {"dir": "1;34", "link": "1;36", "exec": "1;32", "file": "0;0"}
SIX_MONTHS = timedelta(seconds=31_556_952 // 2)
DEFAULT_WIDTH = 80


@dataclass
class Settings:
    """The options of one ``ls`` run, after later options have overridden earlier ones."""

    gnu: bool
    long: bool = False
    one_per_line: bool = False
    across: bool = False
    show: str = "visible"  # "visible", "almost" (-A) or "all" (-a)
    directory: bool = False
    follow: bool = False  # -L
    follow_arguments: bool = False  # -H, or implied
    recursive: bool = False
    indicator: str = ""  # "", "slash" (-p) or "classify" (-F)
    inode: bool = False
    blocks: bool = False
    human: bool = False
    numeric: bool = False
    owner: bool = True
    group: bool = True
    reverse: bool = False
    sort: str = "name"  # "name", "size", "time", "none" or "extension"
    color: bool = False
    quote: bool = False
    full_time: bool = False
    width: int = DEFAULT_WIDTH
    seen: list[str] = field(default_factory=list)


@dataclass
class Entry:
    """One name to print, with what ``stat`` says about it (and, for a link, its target)."""

    name: str
    path: str
    info: FileInfo
    target: FileInfo | None = None

    @property
    def kind(self) -> str:
        return self.info.entry.kind


def _color_option(arguments: list[str]) -> tuple[list[str], str | None]:
    """Take ``--color[=WHEN]`` out of the arguments (its value is optional, unlike getopt's)."""
    kept, when = [], None
    for index, argument in enumerate(arguments):
        if argument == "--":
            kept.extend(arguments[index:])
            break
        if argument in ("--color", "--colour") or argument.startswith(("--color=", "--colour=")):
            when = argument.partition("=")[2] or "always"
        else:
            kept.append(argument)
    return kept, when


def _settings(process: Process, options: list[tuple[str, str]], color: str | None) -> Settings:
    settings = Settings(gnu=not busybox_style(process))
    for flag, value in options:
        flag = LONG_ALIASES.get(flag, flag)
        settings.seen.append(flag)
        if flag in LONG_FORMAT:
            settings.long, settings.one_per_line, settings.across = True, False, False
            settings.numeric = settings.numeric or flag == "-n"
            settings.owner = settings.owner and flag != "-g"
            settings.group = settings.group and flag != "-o"
        elif flag == "-1":  # it has no effect on the long format
            settings.one_per_line, settings.across = True, False
        elif flag in ("-C", "-x"):  # columns instead of the long format
            settings.long, settings.one_per_line, settings.across = False, False, flag == "-x"
        elif flag in ("-a", "-A", "-f"):
            settings.show = "almost" if flag == "-A" else "all"
            settings.sort = "none" if flag == "-f" else settings.sort
        elif flag in ("-L", "-H"):
            settings.follow, settings.follow_arguments = flag == "-L", flag == "-H"
        elif flag in ("-S", "-t", "-U", "-X"):
            settings.sort = {"-S": "size", "-t": "time", "-U": "none", "-X": "extension"}[flag]
        elif flag in ("-F", "-p"):
            settings.indicator = "classify" if flag == "-F" else "slash"
        elif flag in ("-w", "-T"):
            if flag == "-w" and value.isdigit():
                settings.width = int(value) or 10**9
        else:
            _switch(settings, flag)
    settings.full_time = "--full-time" in (flag for flag, _ in options)
    if color is not None:
        settings.color = color in ("always", "yes", "force") or (
            color in ("auto", "tty", "if-tty") and process.tty
        )
    else:
        settings.color = process.tty and not settings.gnu
    if settings.directory:
        settings.recursive = False
    if not process.tty and not settings.long and "-C" not in settings.seen and not settings.across:
        settings.one_per_line = True
    if "COLUMNS" in process.env and process.env["COLUMNS"].isdigit() and "-w" not in settings.seen:
        settings.width = int(process.env["COLUMNS"]) or DEFAULT_WIDTH
    return settings


def _switch(settings: Settings, flag: str) -> None:
    """Options that only turn something on."""
    name = {
        "-d": "directory", "-R": "recursive", "-i": "inode", "-s": "blocks", "-h": "human",
        "-r": "reverse", "-Q": "quote",
    }.get(flag)  # fmt: skip
    if name:
        setattr(settings, name, True)
    elif flag == "-G":
        settings.group = False


# --- what is printed for one entry ---------------------------------------------------------


def busybox_human(size: int) -> str:
    """busybox's ``-h``: one decimal from 1K up, rounded to nearest (``12.1K``)."""
    if size == 0:
        return "0"
    value, fraction, unit = size, 0, 0
    while value >= 1024:
        fraction = ((value % 1024) * 10 + 512) // 1024
        value //= 1024
        unit += 1
    if fraction >= 10:
        value, fraction = value + 1, 0
    return f"{value}.{fraction}{' KMGTPEZY'[unit]}" if unit else str(value)


def gnu_human(size: int) -> str:
    """GNU's ``-h``: rounded up, one decimal below 10 (``4.0K``, ``13K``)."""
    value, unit = Fraction(size), 0
    while value >= 1024 and unit < 8:
        value /= 1024
        unit += 1
    if unit == 0:
        return str(size)
    letters = "KMGTPEZY"
    if value < 10:
        tenths = ceil(value * 10)
        if tenths < 100:
            return f"{tenths // 10}.{tenths % 10}{letters[unit - 1]}"
        value = Fraction(10)
    whole = ceil(value)
    if whole >= 1024 and unit < 8:
        return f"1.0{letters[unit]}"
    return f"{whole}{letters[unit - 1]}"


def _when(settings: Settings, mtime: datetime, now: datetime) -> str:
    if settings.full_time:
        if settings.gnu:
            return mtime.strftime("%Y-%m-%d %H:%M:%S.") + f"{mtime.microsecond * 1000:09d} +0000"
        return mtime.strftime("%Y-%m-%d %H:%M:%S +0000")
    age = now - mtime
    recent = age < SIX_MONTHS and (
        age >= timedelta(seconds=-1) if settings.gnu else age > timedelta(minutes=-15)
    )
    return mtime.strftime("%b %e %H:%M" if recent else "%b %e  %Y")


def _indicator(settings: Settings, info: FileInfo | None) -> str:
    if not settings.indicator or info is None:
        return ""
    entry = info.entry
    if entry.is_dir:
        return "/"
    if settings.indicator != "classify":
        return ""
    if entry.kind == "link":
        return "@"
    return "*" if _executable(info) else ""


def _executable(info: FileInfo) -> bool:
    entry = info.entry
    if entry.kind != "file":
        return False
    return entry.executable if entry.permissions is None else bool(entry.permissions & 0o111)


def _paint(settings: Settings, text: str, info: FileInfo | None) -> str:
    if not settings.color or info is None:
        return text
    kind = "exec" if _executable(info) else info.entry.kind
    code = BUSYBOX_COLORS.get(kind, "0;0")
    if settings.gnu:
        return f"\x1b[{code.replace('0;0', '0')}m{text}\x1b[0m" if kind != "file" else text
    return f"\x1b[{code}m{text}\x1b[m"


def _shown_name(settings: Settings, entry: Entry) -> str:
    name = f'"{entry.name}"' if settings.quote else entry.name
    text = _paint(settings, name, entry.info)
    if settings.long and entry.kind == "link":
        target = entry.info.entry.target
        target = f'"{target}"' if settings.quote else target
        return f"{text} -> {_paint(settings, target, entry.target)}" + _indicator(
            settings, entry.target
        )
    return text + _indicator(settings, entry.info)


def _owner(process: Process, settings: Settings, number: int, table: str) -> str:
    if settings.numeric:
        return str(number)
    return _names(process, table).get(number, str(number))


def _names(process: Process, table: str) -> dict[int, str]:
    try:
        lines = process.sandbox.fs.read_text(table).splitlines()
    except OSError:
        return {}
    names: dict[int, str] = {}
    for line in lines:
        fields = line.split(":")
        if len(fields) > 2 and fields[2].isdigit():
            names.setdefault(int(fields[2]), fields[0])
    return names


def _long_lines(process: Process, settings: Settings, entries: list[Entry]) -> list[str]:
    now = process.sandbox.clock.now()
    human = gnu_human if settings.gnu else busybox_human
    rows = []
    for entry in entries:
        info = entry.info
        size = human(info.size) if settings.human else str(info.size)
        rows.append(
            (
                str(info.inode),
                human(info.blocks * 1024) if settings.human and settings.gnu else str(info.blocks),
                info.entry.mode,
                str(info.links),
                _owner(process, settings, info.uid, "/etc/passwd"),
                _owner(process, settings, info.gid, "/etc/group"),
                size,
                _when(settings, info.entry.mtime, now),
                _shown_name(settings, entry),
            )
        )
    if not settings.gnu:
        size_width = 7 if settings.human else 9
        return [
            (f"{inode:>7} " if settings.inode else "")
            + (f"{blocks:>6} " if settings.blocks else "")
            + f"{mode:<10} {links:>4} "
            + (f"{owner[:8]:<8} " if settings.owner else "")
            + (f"{group[:8]:<8} " if settings.group else "")
            + f"{size:>{size_width}} {when} {name}"
            for inode, blocks, mode, links, owner, group, size, when, name in rows
        ]
    widths = [max((len(row[column]) for row in rows), default=0) for column in range(9)]
    lines = []
    for inode, blocks, mode, links, owner, group, size, when, name in rows:
        fields = [f"{inode:>{widths[0]}}"] if settings.inode else []
        fields += [f"{blocks:>{widths[1]}}"] if settings.blocks else []
        fields += [mode, f"{links:>{widths[3]}}"]
        fields += [f"{owner:<{widths[4]}}"] if settings.owner else []
        fields += [f"{group:<{widths[5]}}"] if settings.group else []
        fields += [f"{size:>{widths[6]}}", when, name]
        lines.append(" ".join(fields))
    return lines


def _short_cells(settings: Settings, entries: list[Entry]) -> list[tuple[str, int]]:
    """Each entry as printed outside the long format, with its width on screen."""
    cells = []
    human = gnu_human if settings.gnu else busybox_human
    blocks = [
        human(e.info.blocks * 1024) if settings.human else str(e.info.blocks) for e in entries
    ]
    inode_width = max((len(str(e.info.inode)) for e in entries), default=0)
    block_width = max((len(text) for text in blocks), default=0)
    for entry, allocated in zip(entries, blocks, strict=True):
        prefix = ""
        if settings.inode:
            prefix += f"{entry.info.inode:>{inode_width if settings.gnu else 7}} "
        if settings.blocks:
            prefix += f"{allocated:>{block_width if settings.gnu else 6}} "
        name = entry.name + _indicator(settings, entry.info)
        shown = prefix + _shown_name(settings, entry)
        cells.append((shown, len(prefix) + len(name) + (2 if settings.quote else 0)))
    return cells


def _columns(settings: Settings, cells: list[tuple[str, int]]) -> list[str]:
    """Lay names out in columns filled top to bottom (``-x``: left to right)."""
    if not cells:
        return []
    count = len(cells)
    if settings.gnu:
        columns = 1
        for candidate in range(count, 0, -1):
            rows = -(-count // candidate)
            widths = _column_widths(settings, cells, candidate, rows)
            if len(widths) == candidate and sum(widths) < settings.width:
                columns = candidate
                break
    else:
        width = max(length for _, length in cells) + 2
        columns = max((settings.width - 1) // width, 1)
    rows = -(-count // columns)
    widths = _column_widths(settings, cells, columns, rows)
    if not settings.gnu:
        widths = [max(length for _, length in cells) + 2] * columns
    lines = []
    for row in range(rows):
        line = ""
        for column in range(columns):
            index = row * columns + column if settings.across else column * rows + row
            if index >= count:
                continue
            text, length = cells[index]
            last = (
                column == columns - 1 or _next_index(settings, row, column, rows, columns) >= count
            )
            line += text + ("" if last else " " * (widths[column] - length))
        lines.append(line)
    return lines


def _next_index(settings: Settings, row: int, column: int, rows: int, columns: int) -> int:
    return row * columns + column + 1 if settings.across else (column + 1) * rows + row


def _column_widths(
    settings: Settings, cells: list[tuple[str, int]], columns: int, rows: int
) -> list[int]:
    widths = []
    for column in range(columns):
        indexes = [
            row * columns + column if settings.across else column * rows + row
            for row in range(rows)
        ]
        lengths = [cells[i][1] for i in indexes if i < len(cells)]
        if not lengths:
            break
        widths.append(max(lengths) + (2 if column < columns - 1 else 0))
    return widths


# --- collecting and sorting ----------------------------------------------------------------


def _sorted(settings: Settings, entries: list[Entry]) -> list[Entry]:
    if settings.sort == "none":
        return entries
    by_name = sorted(entries, key=lambda e: e.name.encode("utf-8", "surrogateescape"))
    if settings.sort == "size":
        by_name.sort(key=lambda e: -e.info.size)
    elif settings.sort == "time":
        by_name.sort(key=lambda e: e.info.entry.mtime, reverse=True)
    elif settings.sort == "extension":
        by_name.sort(key=lambda e: posixpath.splitext(e.name)[1])
    return by_name[::-1] if settings.reverse else by_name


def _entry(process: Process, name: str, path: str, follow: bool) -> Entry | None:
    fs = process.sandbox.fs
    info = fs.info(path, follow=follow)
    if info is None and follow:
        info = fs.info(path)  # a dangling link is still listed, as itself
    if info is None:
        return None
    target = fs.info(path, follow=True) if info.entry.kind == "link" else None
    return Entry(name, path, info, target)


class Lister:
    """One run of ``ls``: operands first, then each directory (and, with ``-R``, below)."""

    def __init__(self, process: Process, settings: Settings) -> None:
        self.process = process
        self.settings = settings
        self.status = 0
        self.printed = False

    async def fail(self, name: str, problem: str, directory: bool = False) -> None:
        if self.settings.gnu:
            what = "open directory" if directory else "access"
            await self.process.write_err(f"ls: cannot {what} '{name}': {problem}\n")
            self.status = 2 if not directory or self.status == 2 else 1
        else:
            text = f"ls: can't open '{name}': {problem}" if directory else f"ls: {name}: {problem}"
            await self.process.write_err(text + "\n")
            self.status = 1

    async def run(self, names: list[str]) -> int:
        settings = self.settings
        follow_arguments = (
            settings.follow
            or settings.follow_arguments
            or not (settings.long or settings.directory or settings.indicator == "classify")
        )
        files, directories = [], []
        for name in names:
            path = path_of(self.process, name)
            # A trailing slash makes the kernel follow a symlink, whatever the options.
            entry = _entry(self.process, name, path, follow_arguments or name.endswith("/"))
            if entry is None:
                await self.fail(name, "No such file or directory")
                continue
            if name.endswith("/") and not entry.info.entry.is_dir:
                await self.fail(name, "Not a directory")
                continue
            if entry.info.entry.is_dir and not settings.directory:
                directories.append(entry)
            else:
                files.append(entry)
        labelled = len(names) > 1 or settings.recursive
        if files:
            await self.print_entries(_sorted(settings, files), total=False)
        for entry in _sorted(settings, directories):
            await self.list_directory(entry.name, entry.path, labelled)
        return self.status

    async def print_entries(self, entries: list[Entry], total: bool) -> None:
        settings = self.settings
        lines: list[str] = []
        if total and (settings.long or settings.blocks):
            blocks = sum(entry.info.blocks for entry in entries)
            if settings.gnu and settings.human:
                lines.append(f"total {gnu_human(blocks * 1024)}")
            else:
                lines.append(f"total {blocks}")
        if settings.long:
            lines += _long_lines(self.process, settings, entries)
        elif settings.one_per_line:
            lines += [text for text, _ in _short_cells(settings, entries)]
        else:
            lines += _columns(settings, _short_cells(settings, entries))
        if lines:
            await self.process.write_out("".join(line + "\n" for line in lines))
        self.printed = self.printed or bool(entries)

    async def list_directory(self, name: str, path: str, labelled: bool) -> None:
        fs = self.process.sandbox.fs
        if labelled:
            await self.process.write_out(("\n" if self.printed else "") + f"{name}:\n")
            self.printed = True
        try:
            names = fs.list(path)
        except OSError as problem:
            await self.fail(name, problem.strerror or "Input/output error", directory=True)
            return
        if self.settings.show == "all":
            names = [".", "..", *names]
        elif self.settings.show == "visible":
            names = [n for n in names if not n.startswith(".")]
        entries = []
        for child in names:
            child_path = posixpath.normpath(posixpath.join(path, child))
            entry = _entry(self.process, child, child_path, self.settings.follow)
            if entry is not None:
                entries.append(entry)
        entries = _sorted(self.settings, entries)
        await self.print_entries(entries, total=True)
        self.printed = True
        if not self.settings.recursive:
            return
        for entry in entries:
            if entry.info.entry.is_dir and entry.name not in (".", ".."):
                below = name.rstrip("/") + "/" + entry.name if name != "/" else "/" + entry.name
                await self.list_directory(below, entry.path, True)


async def ls(process: Process) -> int:
    arguments, color = _color_option(process.argv[1:])
    gnu = not busybox_style(process)
    process.argv = [process.argv[0], *arguments]
    parsed = await parse_option_list(
        process, GNU_OPTIONS if gnu else BUSYBOX_OPTIONS, GNU_LONG if gnu else BUSYBOX_LONG
    )
    if parsed is None:
        return 2 if gnu else 1
    options, names = parsed
    if any(flag == "--help" for flag, _ in options):
        await process.write_out("Usage: ls [OPTION]... [FILE]...\n")
        return 0
    settings = _settings(process, options, color)
    return await Lister(process, settings).run(names or ["."])
