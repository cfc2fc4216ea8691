"""Attaching to a container's main process: ``kubectl run -it``, ``kubectl attach -i``/``-it``.

The learner's side is the real kubectl, on a pseudo-terminal where a person would type (raw
key presses, ``\\r`` for Enter) or on pipes for ``-i`` alone. What the container spec says about
``stdin``, ``stdinOnce`` and ``tty`` decides what the main process reads.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.integration.streaming.conftest import KUBECTL, pod_phase, run_kubectl
from tests.polling import eventually

TRANSPORTS = {
    "websocket": {},
    "spdy": {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"},
}
PROMPT_HINT = b"If you don't see a command prompt, try pressing enter."


class Terminal:
    """kubectl running on a pseudo-terminal: type into it, read what the learner would see."""

    def __init__(self, kubectl, args: tuple[str, ...], env: dict[str, str]) -> None:
        self.controller, terminal = pty.openpty()
        self.process = subprocess.Popen(
            [str(KUBECTL), *args], stdin=terminal, stdout=terminal, stderr=terminal,
            env={**kubectl.env, **env}, close_fds=True,
        )  # fmt: skip
        os.close(terminal)
        self.seen = b""

    def read_until(self, text: bytes, timeout: float = 30) -> bytes:
        """Everything shown so far, once ``text`` has appeared in it."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            assert time.monotonic() < deadline, f"no {text!r} in {self.seen!r}"
            ready, _, _ = select.select([self.controller], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.controller, 4096)
                except OSError:  # the other side has closed
                    time.sleep(0.1)
        return self.seen

    def type(self, keys: bytes) -> None:
        os.write(self.controller, keys)

    def wake_shell(self) -> None:
        """Press Enter when kubectl says to, as a learner does, and wait for the shell's prompt."""
        self.read_until(PROMPT_HINT)
        self.type(b"\r")
        self.read_until(b"/ # ")

    def exit_code(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout)
        self._drain()
        return code

    def _drain(self) -> None:
        while True:
            ready, _, _ = select.select([self.controller], [], [], 0.2)
            if not ready:
                return
            try:
                chunk = os.read(self.controller, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.seen += chunk

    def close(self) -> None:
        """Kill kubectl (as closing the terminal window would) and release the terminal."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        if self.controller >= 0:
            os.close(self.controller)
            self.controller = -1


@pytest.fixture()
def terminal(kubectl) -> Iterator[object]:
    """Start kubectl on a pseudo-terminal; it is killed after the test, passed or not."""
    started: list[Terminal] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Terminal:
        started.append(Terminal(kubectl, args, env or {}))
        return started[-1]

    yield start
    for running in started:
        running.close()


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request) -> dict[str, str]:
    return TRANSPORTS[request.param]


def start_stdin_pod(
    kubectl, namespace: str, name: str, *, once: bool = False, tty: bool = False
) -> None:
    """A busybox shell that reads stdin as its main process, running and Ready."""
    manifest = f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  restartPolicy: Never
  containers:
  - name: {name}
    image: busybox
    command: ["sh"]
    stdin: true
    stdinOnce: {str(once).lower()}
    tty: {str(tty).lower()}
"""
    kubectl("apply", "-f", "-", input=manifest)
    kubectl("wait", "--for=condition=Ready", f"pod/{name}", "-n", namespace, "--timeout=60s")


def test_run_it_gives_an_interactive_shell(kubectl, namespace, terminal, transport):
    shell = terminal("run", "-it", "shell", "--image=busybox", "--restart=Never", "--rm",
                     "-n", namespace, "--", "sh", env=transport)  # fmt: skip
    shell.wake_shell()
    shell.type(b"echo $((6 * 7))\r")
    seen = shell.read_until(b"42\r\n/ # ")
    assert b"/ # echo $((6 * 7))\r\n42\r\n/ # " in seen
    shell.type(b"cd /tmp\r")
    shell.read_until(b"/tmp # ")
    shell.type(b"exit 3\r")
    assert shell.exit_code() == 3
    assert f'pod "shell" deleted from {namespace} namespace'.encode() in shell.seen
    assert kubectl.run("get", "pod", "shell", "-n", namespace, check=False).returncode == 1


def test_typing_is_echoed_and_edited_like_a_terminal(kubectl, namespace, terminal):
    shell = terminal("run", "-it", "edit", "--image=busybox", "--restart=Never",
                     "-n", namespace, "--", "sh")  # fmt: skip
    shell.wake_shell()
    shell.type(b"echo hellp\x7fo\r")
    seen = shell.read_until(b"hello\r\n/ # ")
    assert b"echo hellp\b \bo\r\nhello\r\n" in seen
    shell.type(b"sleep 600\r")
    shell.read_until(b"sleep 600\r\n")
    shell.type(b"\x03")
    shell.read_until(b"^C\r\n/ # ")
    shell.type(b"echo $?\r")
    shell.read_until(b"130\r\n/ # ")
    shell.type(b"true\r")
    shell.type(b"\x04")
    assert shell.exit_code() == 0
    eventually(lambda: pod_phase(kubectl, namespace, "edit") == "Succeeded", what="completion")


def test_attach_it_reaches_the_running_shell(kubectl, namespace, terminal):
    start_stdin_pod(kubectl, namespace, "held", tty=True)
    first = terminal("attach", "-it", "held", "-n", namespace)
    first.read_until(PROMPT_HINT)
    first.type(b"export GREETING=kept\r")
    first.read_until(b"export GREETING=kept\r\n/ # ")
    first.close()
    assert pod_phase(kubectl, namespace, "held") == "Running"
    second = terminal("attach", "-it", "held", "-n", namespace)
    second.read_until(PROMPT_HINT)
    second.type(b"echo $GREETING\r")
    second.read_until(b"kept\r\n/ # ")
    second.type(b"exit\r")
    assert second.exit_code() == 0
    eventually(lambda: pod_phase(kubectl, namespace, "held") == "Succeeded", what="completion")


def test_attach_i_feeds_lines_and_leaves_stdin_open(kubectl, namespace, transport):
    start_stdin_pod(kubectl, namespace, "reader")
    script = "echo one\nread name\nkubelab\necho hi $name\n"
    first = run_kubectl(kubectl, "attach", "-i", "reader", "-n", namespace,
                        input=script, env=transport)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert first.stdout == "one\nhi kubelab\n"
    assert pod_phase(kubectl, namespace, "reader") == "Running"
    second = run_kubectl(kubectl, "attach", "-i", "reader", "-n", namespace,
                         input="echo two >&2\nexit 4\n", env=transport)  # fmt: skip
    assert second.returncode == 0
    assert second.stderr.splitlines()[-1] == "two"
    eventually(lambda: pod_phase(kubectl, namespace, "reader") == "Failed", what="the exit")
    exit_code = "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}"
    state = kubectl("get", "pod", "reader", "-n", namespace, "-o", exit_code)
    assert state == "4"


def test_stdin_once_ends_the_shell_after_the_first_session(kubectl, namespace, transport):
    start_stdin_pod(kubectl, namespace, "once", once=True)
    result = run_kubectl(kubectl, "attach", "-i", "once", "-n", namespace,
                         input="echo only once\n", env=transport)  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "only once\n")
    eventually(lambda: pod_phase(kubectl, namespace, "once") == "Succeeded", what="completion")


def test_run_i_pipes_a_script_into_the_shell(kubectl, namespace, transport):
    result = run_kubectl(kubectl, "run", "-i", "--rm", "--restart=Never", "--image=busybox",
                         "piped", "-n", namespace, "--", "sh",
                         input="echo from the pipe\nexit 0\n", env=transport)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "from the pipe", f'pod "piped" deleted from {namespace} namespace',
    ]  # fmt: skip


def test_without_stdin_the_main_process_reads_end_of_file(kubectl, namespace, transport):
    kubectl("run", "cat", "-n", namespace, "--image=busybox", "--restart=Never", "--", "cat")
    eventually(lambda: pod_phase(kubectl, namespace, "cat") == "Succeeded", what="cat to finish")
