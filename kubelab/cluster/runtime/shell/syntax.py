"""The shell's grammar: text → tokens → a tree of commands.

A POSIX shell reads its input in two steps. The *lexer* cuts the text into words and operators,
remembering which characters were quoted (quoting decides later whether ``$VAR`` is split into
several words, whether ``*`` is a file pattern, and whether ``if`` is a keyword). The *parser*
then builds the tree: lists joined by ``;`` and ``&&``/``||``, pipelines joined by ``|``, simple
commands with their redirections, and the compound commands ``if``, ``while``, ``until``, ``for``
and ``{ …; }``.

This module covers the subset of the POSIX grammar that container commands use; ``case``,
functions and here-documents are not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

OPERATORS = ("&&", "||", ";;", ">>", ">&", "<&", ">|", "&>", ";", "&", "|", "<", ">", "(", ")")
METACHARACTERS = frozenset(" \t\n;&|<>()")
RESERVED = frozenset(
    {"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "!", "{", "}"}
)
SPECIAL_PARAMETERS = frozenset("?$#@*!-0123456789")


class ShellSyntaxError(Exception):
    """Bad input; ``token`` is what was unexpected ("" for the end of the input)."""

    def __init__(self, token: str, line: int, expecting: str = "", *, unterminated: str = ""):
        super().__init__(token or "end of file")
        self.token = token
        self.line = line
        self.expecting = expecting
        #: The quote or bracket left open, when that is the problem.
        self.unterminated = unterminated


class IncompleteInput(ShellSyntaxError):
    """The input ended in the middle of a command; an interactive shell asks for more."""


# -- words ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Parameter:
    """``$name``, ``${name}``, ``${name:-word}``, ``${name#pattern}``, ``${#name}``."""

    name: str
    quoted: bool = False
    operator: str = ""
    argument: Word = ()
    length: bool = False


@dataclass(frozen=True)
class CommandSubstitution:
    source: str
    quoted: bool = False


@dataclass(frozen=True)
class Arithmetic:
    expression: str
    quoted: bool = False


Part = Literal | Parameter | CommandSubstitution | Arithmetic
Word = tuple[Part, ...]


def word_text(word: Word) -> str | None:
    """The plain text of a word made only of unquoted literals (keywords, names), else None."""
    if all(isinstance(part, Literal) and not part.quoted for part in word):
        return "".join(part.text for part in word)  # type: ignore[union-attr]
    return None


# -- the command tree -----------------------------------------------------------------------


@dataclass
class Redirect:
    fd: int
    operator: str  # "<", ">", ">>", ">&", "<&"
    target: Word


@dataclass
class Assignment:
    name: str
    value: Word


@dataclass
class SimpleCommand:
    assignments: list[Assignment]
    words: list[Word]
    redirects: list[Redirect]
    line: int


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)
    #: Ended by ``&``: runs in the background while the shell goes on.
    background: bool = False


@dataclass
class CommandList:
    items: list[AndOr] = field(default_factory=list)


@dataclass
class If:
    branches: list[tuple[CommandList, CommandList]]
    otherwise: CommandList | None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Loop:
    """``while`` (or ``until`` when ``until`` is set) *condition* ``do`` *body* ``done``."""

    condition: CommandList
    body: CommandList
    until: bool = False
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class For:
    variable: str
    items: list[Word] | None  # None: "for x; do" loops over "$@"
    body: CommandList
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Group:
    """``{ list; }`` runs in this shell; ``( list )`` (``subshell``) in a copy of it."""

    body: CommandList
    subshell: bool = False
    redirects: list[Redirect] = field(default_factory=list)


Command = SimpleCommand | If | Loop | For | Group


# -- lexer ----------------------------------------------------------------------------------


@dataclass
class Token:
    kind: str  # "word", "op", "newline", "io_number", "eof"
    value: str = ""
    word: Word = ()
    line: int = 1


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def tokens(self) -> list[Token]:
        result: list[Token] = []
        while True:
            token = self._next()
            result.append(token)
            if token.kind == "eof":
                return result

    def _next(self) -> Token:
        while True:
            char = self._peek()
            if char in (" ", "\t"):
                self.pos += 1
            elif char == "\\" and self._peek(1) == "\n":
                self.pos += 2
                self.line += 1
            elif char == "#":
                while self._peek() not in ("", "\n"):
                    self.pos += 1
            else:
                break
        line = self.line
        if char == "":
            return Token("eof", line=line)
        if char == "\n":
            self.pos += 1
            self.line += 1
            return Token("newline", "\n", line=line)
        for operator in OPERATORS:
            if self.text.startswith(operator, self.pos):
                self.pos += len(operator)
                return Token("op", operator, line=line)
        start = self.pos
        word = self._word()
        if self._peek() in ("<", ">") and self.text[start : self.pos].isdigit():
            return Token("io_number", self.text[start : self.pos], line=line)
        return Token("word", self.text[start : self.pos], word, line)

    def _word(self) -> Word:
        parts: list[Part] = []
        while (char := self._peek()) and char not in METACHARACTERS:
            if char == "\\":
                if self._peek(1) == "\n":
                    self.pos += 2
                    self.line += 1
                    continue
                parts.append(Literal(self._peek(1), quoted=True))
                self.pos += 2
            elif char == "'":
                end = self.text.find("'", self.pos + 1)
                if end < 0:
                    raise IncompleteInput("", self.line, unterminated="'")
                parts.append(Literal(self.text[self.pos + 1 : end], quoted=True))
                self.line += self.text.count("\n", self.pos, end)
                self.pos = end + 1
            elif char == '"':
                self.pos += 1
                parts.extend(self._double_quoted())
            elif char == "$":
                parts.append(self._dollar(quoted=False))
            elif char == "`":
                parts.append(self._backquoted(quoted=False))
            else:
                parts.append(Literal(char))
                self.pos += 1
        return _merge_literals(parts)

    def _double_quoted(self) -> list[Part]:
        parts: list[Part] = []
        while True:
            char = self._peek()
            if char == "":
                raise IncompleteInput("", self.line, unterminated='"')
            if char == '"':
                self.pos += 1
                return parts if parts else [Literal("", quoted=True)]
            if char == "\\" and self._peek(1) in ("$", "`", '"', "\\", "\n"):
                if self._peek(1) != "\n":
                    parts.append(Literal(self._peek(1), quoted=True))
                self.pos += 2
            elif char == "$":
                parts.append(self._dollar(quoted=True))
            elif char == "`":
                parts.append(self._backquoted(quoted=True))
            else:
                if char == "\n":
                    self.line += 1
                parts.append(Literal(char, quoted=True))
                self.pos += 1

    def _dollar(self, quoted: bool) -> Part:
        self.pos += 1
        char = self._peek()
        if self.text.startswith("((", self.pos):
            body = self._balanced("(", ")", self.pos)
            if not body.endswith(")"):
                raise ShellSyntaxError("(", self.line, unterminated="((")
            return Arithmetic(body[1:-1], quoted)
        if char == "(":
            return CommandSubstitution(self._balanced("(", ")", self.pos), quoted)
        if char == "{":
            return self._braced_parameter(quoted)
        if char in SPECIAL_PARAMETERS:
            self.pos += 1
            return Parameter(char, quoted)
        start = self.pos
        while (c := self._peek()) and (c.isalnum() or c == "_"):
            self.pos += 1
        if start == self.pos or self.text[start].isdigit():
            return Literal("$", quoted)
        return Parameter(self.text[start : self.pos], quoted)

    def _balanced(self, opening: str, closing: str, start: int) -> str:
        """The text between the bracket at ``start`` and its partner; moves past the partner."""
        depth, index, quote = 0, start, ""
        while index < len(self.text):
            char = self.text[index]
            if quote:
                if char == quote:
                    quote = ""
                elif char == "\\" and quote == '"':
                    index += 1
            elif char in ("'", '"'):
                quote = char
            elif char == "\\":
                index += 1
            elif char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth == 0:
                    self.line += self.text.count("\n", self.pos, index)
                    self.pos = index + 1
                    return self.text[start + 1 : index]
            index += 1
        raise IncompleteInput("", self.line, unterminated=opening)

    def _braced_parameter(self, quoted: bool) -> Part:
        body = self._balanced("{", "}", self.pos)
        if body.startswith("#") and len(body) > 1:
            return Parameter(body[1:], quoted, length=True)
        name_end = 0
        if body[:1] in SPECIAL_PARAMETERS:
            name_end = 1
        else:
            while name_end < len(body) and (body[name_end].isalnum() or body[name_end] == "_"):
                name_end += 1
        name, rest = body[:name_end], body[name_end:]
        if not name:
            raise ShellSyntaxError("${" + body + "}", self.line, unterminated="bad substitution")
        for operator in (":-", ":=", ":+", ":?", "-", "=", "+", "?", "##", "#", "%%", "%"):
            if rest.startswith(operator):
                argument = Lexer(rest[len(operator) :])._word_in_braces(quoted)
                return Parameter(name, quoted, operator, argument)
        if rest:
            raise ShellSyntaxError("${" + body + "}", self.line, unterminated="bad substitution")
        return Parameter(name, quoted)

    def _word_in_braces(self, quoted: bool) -> Word:
        """The ``word`` of ``${name:-word}``: expansions apply, spaces stay."""
        parts: list[Part] = []
        while (char := self._peek()) != "":
            if char == "$":
                parts.append(self._dollar(quoted))
            elif char == "'" and not quoted:
                end = self.text.find("'", self.pos + 1)
                parts.append(Literal(self.text[self.pos + 1 : end], True))
                self.pos = end + 1
            elif char == '"' and not quoted:
                self.pos += 1
                parts.extend(self._double_quoted())
            else:
                parts.append(Literal(char, quoted))
                self.pos += 1
        return _merge_literals(parts)

    def _backquoted(self, quoted: bool) -> Part:
        end = self.pos + 1
        while end < len(self.text) and self.text[end] != "`":
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise IncompleteInput("", self.line, unterminated="`")
        source = self.text[self.pos + 1 : end].replace("\\`", "`").replace("\\\\", "\\")
        self.pos = end + 1
        return CommandSubstitution(source, quoted)


def _merge_literals(parts: list[Part]) -> Word:
    merged: list[Part] = []
    for part in parts:
        previous = merged[-1] if merged else None
        if (
            isinstance(part, Literal)
            and isinstance(previous, Literal)
            and previous.quoted == part.quoted
        ):
            merged[-1] = Literal(previous.text + part.text, part.quoted)
        else:
            merged.append(part)
    return tuple(merged)


# -- parser ---------------------------------------------------------------------------------


def is_name(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and text.replace("_", "a").isalnum()


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = Lexer(text).tokens()
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def _advance(self) -> Token:
        token = self.token
        self.index += 1
        return token

    def _reserved(self) -> str | None:
        if self.token.kind != "word":
            return None
        text = word_text(self.token.word)
        return text if text in RESERVED else None

    def _skip_newlines(self) -> None:
        while self.token.kind == "newline":
            self._advance()

    def _unexpected(self, expecting: str = "") -> ShellSyntaxError:
        if self.token.kind == "eof":
            return IncompleteInput("", self.token.line, expecting)
        value = "newline" if self.token.kind == "newline" else self.token.value
        return ShellSyntaxError(value, self.token.line, expecting)

    def _expect_reserved(self, word: str) -> None:
        self._skip_newlines()
        if self._reserved() != word:
            raise self._unexpected(word)
        self._advance()

    def parse(self) -> CommandList:
        commands = self._list(terminators=frozenset())
        if self.token.kind != "eof":
            raise self._unexpected()
        return commands

    def _list(self, terminators: frozenset[str]) -> CommandList:
        result = CommandList()
        while True:
            self._skip_newlines()
            if self.token.kind == "eof" or self._reserved() in terminators:
                return result
            if self.token.kind == "op" and self.token.value in (")", ";;"):
                return result
            result.items.append(self._and_or())
            if self.token.kind == "op" and self.token.value in (";", "&"):
                result.items[-1].background = self._advance().value == "&"
            elif self.token.kind != "newline":
                return result

    def _and_or(self) -> AndOr:
        node = AndOr(self._pipeline())
        while self.token.kind == "op" and self.token.value in ("&&", "||"):
            operator = self._advance().value
            self._skip_newlines()
            node.rest.append((operator, self._pipeline()))
        return node

    def _pipeline(self) -> Pipeline:
        negate = False
        if self._reserved() == "!":
            self._advance()
            negate = True
        pipeline = Pipeline([self._command()], negate)
        while self.token.kind == "op" and self.token.value == "|":
            self._advance()
            self._skip_newlines()
            pipeline.commands.append(self._command())
        return pipeline

    def _command(self) -> Command:
        keyword = self._reserved()
        compound: Command
        if keyword == "if":
            compound = self._if()
        elif keyword in ("while", "until"):
            self._advance()
            condition = self._list(frozenset({"do"}))
            self._expect_reserved("do")
            body = self._list(frozenset({"done"}))
            self._expect_reserved("done")
            compound = Loop(condition, body, until=keyword == "until")
        elif keyword == "for":
            compound = self._for()
        elif keyword == "{":
            self._advance()
            body = self._list(frozenset({"}"}))
            self._expect_reserved("}")
            compound = Group(body)
        elif self.token.kind == "op" and self.token.value == "(":
            self._advance()
            body = self._list(frozenset())
            if not (self.token.kind == "op" and self.token.value == ")"):
                raise self._unexpected(")")
            self._advance()
            compound = Group(body, subshell=True)
        elif keyword is not None:
            raise self._unexpected()
        else:
            return self._simple()
        while (redirect := self._redirect()) is not None:
            compound.redirects.append(redirect)
        return compound

    def _if(self) -> If:
        self._advance()
        branches = []
        otherwise = None
        while True:
            condition = self._list(frozenset({"then"}))
            self._expect_reserved("then")
            body = self._list(frozenset({"elif", "else", "fi"}))
            branches.append((condition, body))
            self._skip_newlines()
            keyword = self._reserved()
            if keyword == "elif":
                self._advance()
                continue
            if keyword == "else":
                self._advance()
                otherwise = self._list(frozenset({"fi"}))
            self._expect_reserved("fi")
            return If(branches, otherwise)

    def _for(self) -> For:
        self._advance()
        if self.token.kind != "word" or not is_name(word_text(self.token.word) or ""):
            raise self._unexpected()
        variable = self._advance().value
        self._skip_newlines()
        items: list[Word] | None = None
        if self._reserved() == "in":
            self._advance()
            items = []
            while self.token.kind == "word":
                items.append(self._advance().word)
        if self.token.kind == "op" and self.token.value == ";":
            self._advance()
        self._expect_reserved("do")
        body = self._list(frozenset({"done"}))
        self._expect_reserved("done")
        return For(variable, items, body)

    def _redirect(self) -> Redirect | None:
        fd = None
        if self.token.kind == "io_number":
            fd = int(self._advance().value)
        if self.token.kind != "op" or self.token.value not in ("<", ">", ">>", ">&", "<&", ">|"):
            if fd is not None:
                raise self._unexpected()
            return None
        operator = self._advance().value.replace(">|", ">")
        if self.token.kind != "word":
            raise self._unexpected()
        default_fd = 0 if operator.startswith("<") else 1
        return Redirect(default_fd if fd is None else fd, operator, self._advance().word)

    def _simple(self) -> SimpleCommand:
        command = SimpleCommand([], [], [], self.token.line)
        while True:
            if (redirect := self._redirect()) is not None:
                command.redirects.append(redirect)
                continue
            if self.token.kind != "word":
                break
            token = self._advance()
            name, equals, _ = token.value.partition("=")
            first = token.word[0] if token.word else None
            if (
                not command.words
                and equals
                and is_name(name)
                and isinstance(first, Literal)
                and not first.quoted
                and first.text.startswith(name + "=")
            ):
                value = (Literal(first.text[len(name) + 1 :]), *token.word[1:])
                command.assignments.append(Assignment(name, value))
            else:
                command.words.append(token.word)
        if not (command.words or command.assignments or command.redirects):
            raise self._unexpected()
        return command


def parse(text: str) -> CommandList:
    """Parse a whole script; raises ``IncompleteInput`` or ``ShellSyntaxError``."""
    return Parser(text).parse()
