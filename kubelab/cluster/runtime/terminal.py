"""A terminal's line discipline, for ``kubectl exec -it``.

With ``-t`` kubectl puts the learner's terminal in raw mode and sends every key press as it
is typed. Turning key presses into lines is then the job of the (pseudo-)terminal inside the
container: it echoes what is typed, handles backspace, hands a finished line to the program at
Enter, turns Ctrl-C into SIGINT for the program in the foreground and Ctrl-D on an empty line
into end-of-file. Output gets ``\\r\\n`` line endings, which a raw terminal needs.
"""

from __future__ import annotations

from collections.abc import Callable

from kubelab.cluster.runtime.streams import Output, Pipe

CTRL_C, CTRL_D, CTRL_U, BACKSPACE, DELETE = "\x03", "\x04", "\x15", "\x08", "\x7f"


class TerminalOutput:
    """Output to a terminal: ``\\n`` becomes ``\\r\\n``."""

    def __init__(self, output: Output) -> None:
        self._output = output

    async def write(self, text: str) -> None:
        await self._output.write(text.replace("\r\n", "\n").replace("\n", "\r\n"))


class LineDiscipline:
    """Cooks typed characters into lines on ``pipe`` and echoes them to ``echo``."""

    def __init__(self, pipe: Pipe, echo: Output, interrupt: Callable[[], None]) -> None:
        self._pipe = pipe
        self._echo = echo
        self._interrupt = interrupt
        self._line = ""

    async def feed(self, typed: str) -> None:
        for char in typed:
            if char in ("\r", "\n"):
                await self._echo.write("\r\n")
                await self._pipe.write(self._line + "\n")
                self._line = ""
            elif char in (BACKSPACE, DELETE):
                if self._line:
                    self._line = self._line[:-1]
                    await self._echo.write("\b \b")
            elif char == CTRL_U:
                await self._echo.write("\b \b" * len(self._line))
                self._line = ""
            elif char == CTRL_C:
                await self._echo.write("^C\r\n")
                self._line = ""
                self._interrupt()
            elif char == CTRL_D:
                if self._line:
                    await self._pipe.write(self._line)
                    self._line = ""
                else:
                    self._pipe.close_write()
            elif char.isprintable() or char == "\t":
                self._line += char
                await self._echo.write(char)
