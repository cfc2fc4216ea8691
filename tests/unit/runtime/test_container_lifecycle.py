"""Starting, stopping, exec and interactive exec, the way the kubelet drives a container."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from kubelab.cluster.clock import Clock
from kubelab.cluster.runtime import Container, ExecFailed, StartError, command_line


def test_command_and_args_override_entrypoint_and_cmd(catalog: Any) -> None:
    nginx = catalog.resolve("nginx")
    assert command_line(nginx, {}) == ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]
    assert command_line(nginx, {"args": ["nginx-debug"]}) == [
        "/docker-entrypoint.sh",
        "nginx-debug",
    ]
    assert command_line(nginx, {"command": ["sleep"]}) == ["sleep"]
    assert command_line(nginx, {"command": ["sleep"], "args": ["9"]}) == ["sleep", "9"]


async def test_sleep_as_pid_1_ignores_sigterm_until_the_grace_period_ends(
    start: Any, clock: Clock
) -> None:
    container = await start("busybox", {"command": ["sleep", "3600"]})
    before = clock.now()
    status = await container.stop(grace_seconds=10)
    assert (status.exit_code, status.reason, status.signal) == (137, "Error", 9)
    assert (clock.now() - before).total_seconds() >= 10


async def test_programs_that_handle_sigterm_stop_at_once(start: Any, clock: Clock) -> None:
    container = await start("kubelab/demo-app:1.0")
    before = clock.now()
    status = await container.stop(grace_seconds=30)
    assert (status.exit_code, status.reason) == (0, "Completed")
    assert (clock.now() - before).total_seconds() < 10
    assert container.logs.text().splitlines()[-1].endswith("received SIGTERM, shutting down")
    pause = await start("registry.k8s.io/pause:3.10")
    assert (await pause.stop(30)).exit_code == 0


async def test_missing_executables_fail_to_start(start: Any, catalog: Any, clock: Clock) -> None:
    container = Container(catalog.resolve("busybox"), {"command": ["nosuch"]}, clock=clock)
    with pytest.raises(StartError) as raised:
        container.start()
    assert str(raised.value).endswith(
        'unable to start container process: exec: "nosuch": executable file not found in '
        "$PATH: unknown"
    )
    assert (await container.wait()).reason == "StartError"


async def test_termination_message_comes_from_the_file_or_the_logs(start: Any) -> None:
    written = await start(
        "busybox", {"command": ["sh", "-c", "echo bad > /dev/termination-log; exit 2"]}
    )
    assert (await written.wait()).message == "bad\n"
    fallback = await start(
        "busybox",
        {
            "command": ["sh", "-c", "echo oops; exit 1"],
            "terminationMessagePolicy": "FallbackToLogsOnError",
        },
    )
    assert (await fallback.wait()).message == "oops\n"


async def test_exec_runs_in_the_running_container(start: Any) -> None:
    container = await start("alpine", {"command": ["sleep", "3600"]})
    assert await container.exec(["cat", "/etc/alpine-release"]) == (0, "3.22.2\n", "")
    assert await container.exec(["sh", "-c", "cat"], stdin="piped\n") == (0, "piped\n", "")
    code, output, _ = await container.exec(["sh", "-c", "echo out; echo err >&2"], tty=True)
    assert output == "out\r\nerr\r\n"
    with pytest.raises(ExecFailed, match='exec: "bash": executable file not found in \\$PATH'):
        await container.exec(["bash"])
    container.kill()
    await container.wait()
    with pytest.raises(ExecFailed):
        await container.exec(["ls"])


async def _typed(*chunks: str) -> AsyncIterator[str]:
    for chunk in chunks:
        await asyncio.sleep(0.005)
        yield chunk


async def test_interactive_shell_prompts_and_echoes(start: Any) -> None:
    container = await start("busybox", {"command": ["sleep", "3600"]})
    output: list[str] = []

    async def collect(text: str) -> None:
        output.append(text)

    code = await container.exec_stream(
        ["sh"], stdin=_typed("cd /tmp\r", "echo hi\r", "exit 5\r"),
        on_stdout=collect, on_stderr=collect, tty=True,
    )  # fmt: skip
    text = "".join(output)
    assert code == 5
    assert text.startswith("/ # cd /tmp\r\n/tmp # echo hi\r\nhi\r\n/tmp # exit 5")


async def test_interactive_bash_prompt_and_ctrl_c(start: Any) -> None:
    container = await start("ubuntu", {"command": ["sleep", "3600"]}, hostname="web-1")
    output: list[str] = []

    async def collect(text: str) -> None:
        output.append(text)

    code = await container.exec_stream(
        ["bash"], stdin=_typed("sleep 100\r", "\x03", "exit\r"),
        on_stdout=collect, on_stderr=collect, tty=True,
    )  # fmt: skip
    text = "".join(output)
    assert code == 130
    assert text.startswith("root@web-1:/# sleep 100\r\n^C\r\nroot@web-1:/# exit\r\nexit\r\n")


async def test_logs_can_be_followed(start: Any) -> None:
    container = await start(
        "busybox", {"command": ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 1; done"]}
    )
    lines = [entry.line async for entry in container.logs.follow()]
    assert lines == ["1", "2", "3"]
    assert {entry.stream for entry in container.logs.entries} == {"stdout"}
