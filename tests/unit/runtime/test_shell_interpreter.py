"""The shell subset, run the way kubectl exec runs it: ``sh -c '...'`` inside a container."""

from __future__ import annotations

from typing import Any

import pytest

from kubelab.cluster.runtime import Container


@pytest.fixture()
async def busybox(start: Any) -> Container:
    return await start("busybox:1.36", {"command": ["sleep", "3600"]}, env={"GREETING": "hi"})


@pytest.fixture()
async def ubuntu(start: Any) -> Container:
    return await start("ubuntu:24.04", {"command": ["sleep", "3600"]})


async def sh(container: Container, script: str, shell: str = "sh") -> tuple[int, str, str]:
    return await container.exec([shell, "-c", script])


@pytest.mark.parametrize(
    ("script", "output"),
    [
        (
            "echo 'single $GREETING' \"double $GREETING\" ${GREETING}x \\$esc",
            "single $GREETING double hi hix $esc\n",
        ),
        ("echo a; echo b", "a\nb\n"),
        ("true && echo yes || echo no; false && echo yes || echo no", "yes\nno\n"),
        ("false; echo $?; (exit 4); echo $?", "1\n4\n"),
        ("echo $$", "2\n"),
        (
            'X=\'a  b\'; for w in $X; do echo "[$w]"; done; for w in "$X"; do echo "[$w]"; done',
            "[a]\n[b]\n[a  b]\n",
        ),
        ("i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done", "0\n1\n2\n"),
        ("i=3; until [ $i -eq 0 ]; do i=$((i-1)); done; echo $i", "0\n"),
        ("if [ -f /etc/passwd ]; then echo file; fi", "file\n"),
        ('if [ -d /nope ]; then echo a; elif [ -z "" ]; then echo b; else echo c; fi', "b\n"),
        ("[ abc = abc ] && [ 1 -ne 2 ] && [ -n x ] && [ ! -e /nope ] && echo ok", "ok\n"),
        ("echo ${UNSET:-fallback} ${GREETING:+set} ${#GREETING}", "fallback set 2\n"),
        ("v=archive.tar.gz; echo ${v%.gz} ${v%%.*} ${v#*.}", "archive.tar archive tar.gz\n"),
        ('echo "$(echo inner) `echo back`"', "inner back\n"),
        ("printf '%s=%d\\n' a 1 b 2", "a=1\nb=2\n"),
        ("echo -n no-newline; echo -e ' tab\\there'", "no-newline tab\there\n"),
        ("export A=1; sh -c 'echo child $A'", "child 1\n"),
        ("cd /tmp && pwd; cd /nope; pwd", "/tmp\n/tmp\n"),
        ("printf 'b\\na\\nb\\n' | grep -c b; echo hi | grep -q hi && echo found", "2\nfound\n"),
        (
            "echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f | wc -l; cat < /tmp/f | head -n 1",
            "2\none\n",
        ),
        ("ls /nope 2>&1 | grep -c 'No such'", "1\n"),
        ("echo x > /dev/null; echo kept", "kept\n"),
        ("cd /etc && echo host*", "hostname\n"),
        ("set -- a b c; echo $# $2; shift; echo $@", "3 b\nb c\n"),
        ("echo hello | { read word; echo got $word; }", "got hello\n"),
    ],
)
async def test_shell_constructs(busybox: Container, script: str, output: str) -> None:
    code, stdout, stderr = await sh(busybox, script)
    assert (stdout, stderr) == (output, "") or stdout == output, stderr


@pytest.mark.parametrize(
    ("script", "code"),
    [("exit 3", 3), ("echo hi; exit 7", 7), ("false", 1), ("true", 0), ("exit", 0),
     ("set -e; false; echo unreachable", 1), ("! true", 1)],
)  # fmt: skip
async def test_exit_codes(busybox: Container, script: str, code: int) -> None:
    assert (await sh(busybox, script))[0] == code


async def test_unknown_commands_are_reported_per_shell(
    busybox: Container, ubuntu: Container
) -> None:
    assert await sh(busybox, "nosuch") == (127, "", "sh: nosuch: not found\n")
    assert await sh(ubuntu, "nosuch") == (127, "", "sh: 1: nosuch: not found\n")
    assert await sh(ubuntu, "true\nnosuch", "bash") == (
        127,
        "",
        "bash: line 2: nosuch: command not found\n",
    )


async def test_syntax_errors_exit_2_with_the_shells_wording(
    busybox: Container, ubuntu: Container
) -> None:
    assert await sh(busybox, "if true; then echo") == (
        2,
        "",
        'sh: syntax error: unexpected end of file (expecting "fi")\n',
    )
    assert await sh(ubuntu, "fi") == (2, "", 'sh: 1: Syntax error: "fi" unexpected\n')
    code, _, stderr = await sh(ubuntu, "echo 'open", "bash")
    assert code == 2 and "unexpected EOF while looking for matching `''" in stderr


async def test_redirection_errors_name_the_file(busybox: Container, ubuntu: Container) -> None:
    assert await sh(busybox, "echo x > /nope/f") == (
        1,
        "",
        "sh: can't create /nope/f: nonexistent directory\n",
    )
    assert await sh(ubuntu, "cat < /nope") == (1, "", "sh: 1: cannot open /nope: No such file\n")


async def test_dash_echo_interprets_backslashes_and_knows_no_dash_e(ubuntu: Container) -> None:
    assert (await sh(ubuntu, "echo -e 'a\\tb'"))[1] == "-e a\tb\n"
    assert (await sh(ubuntu, "echo -e 'a\\tb'", "bash"))[1] == "a\tb\n"


async def test_commands_of_the_image_and_their_messages(
    busybox: Container, ubuntu: Container, start: Any
) -> None:
    code, stdout, _ = await sh(busybox, "mkdir -p /tmp/a/b && touch /tmp/a/b/f && ls -1 /tmp/a/b")
    assert (code, stdout) == (0, "f\n")
    assert await sh(busybox, "cat /nope") == (
        1,
        "",
        "cat: can't open '/nope': No such file or directory\n",
    )
    assert await sh(ubuntu, "cat /nope") == (1, "", "cat: /nope: No such file or directory\n")
    assert await sh(busybox, "rm /nope") == (
        1,
        "",
        "rm: can't remove '/nope': No such file or directory\n",
    )
    assert await sh(ubuntu, "ls /nope") == (
        2,
        "",
        "ls: cannot access '/nope': No such file or directory\n",
    )
    debian = await start("debian:12", {"command": ["sleep", "3600"]})
    assert await sh(debian, "ps") == (127, "", "sh: 1: ps: not found\n")  # no procps in debian
    assert (await sh(busybox, "hostname; whoami; id"))[1] == (
        "web-0\nroot\nuid=0(root) gid=0(root) groups=0(root),10(wheel)\n"
    )
    assert (await sh(busybox, "cp /etc/passwd /tmp/p && mv /tmp/p /tmp/q && wc -l /tmp/q"))[1] == (
        "9 /tmp/q\n"
    )
    assert (await sh(busybox, "date +%Y"))[1].strip().isdigit()
    assert (await sh(busybox, "uname -s; env | grep -c GREETING; printenv GREETING"))[1] == (
        "Linux\n1\nhi\n"
    )
    assert (await sh(busybox, "tail -n 1 /etc/group; head -n 1 /etc/group"))[1] == (
        "nogroup:x:65534:\nroot:x:0:\n"
    )


async def test_sleep_accepts_fractions_and_kill_ends_processes(
    busybox: Container, clock: Any
) -> None:
    before = clock.now()
    assert (await sh(busybox, "sleep 0.5; sleep 1s"))[0] == 0
    assert (clock.now() - before).total_seconds() >= 1.5
    code, stdout, _ = await sh(busybox, "sleep 100 & kill $!; wait; echo done")
    assert (code, stdout) == (0, "done\n")


async def test_trap_runs_when_a_signal_arrives(start: Any, until: Any) -> None:
    container = await start("busybox", {"command": [
        "sh", "-c", "trap 'echo bye; exit 0' TERM; while true; do sleep 1; done",
    ]})  # fmt: skip
    status = await container.stop(30)
    assert (status.exit_code, status.reason) == (0, "Completed")
    assert container.logs.text() == "bye\n"
