"""``kubectl exec``, ``kubectl attach``, ``kubectl run -it`` and the Python client's exec."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest
from kubernetes import client
from kubernetes.stream import stream

from tests.integration.streaming.conftest import KUBECTL, pod_phase, run_kubectl
from tests.polling import eventually

#: kubectl's own transports: WebSockets by default, SPDY when they are switched off.
TRANSPORTS = {
    "websocket": {},
    "spdy": {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"},
}
TWO_CONTAINERS = """\
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  containers:
  - name: a
    image: busybox
    command: ["sleep", "3600"]
    env: [{name: WHO, value: "container a"}]
  - name: b
    image: busybox
    command: ["sleep", "3600"]
    env: [{name: WHO, value: "container b"}]
"""


@pytest.fixture()
def web(ready_pod) -> str:
    return ready_pod("web", "--image=nginx")


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request) -> dict[str, str]:
    return TRANSPORTS[request.param]


def test_exec_runs_a_command(kubectl, namespace, web):
    listing = kubectl("exec", web, "-n", namespace, "--", "ls", "/").split()
    assert {"bin", "etc", "usr", "docker-entrypoint.sh"} <= set(listing)


def test_exit_code_and_stderr(kubectl, namespace, web, transport):
    script = "echo to-stdout; echo to-stderr >&2; exit 3"
    result = run_kubectl(kubectl, "exec", web, "-n", namespace, "--", "sh", "-c", script,
                         env=transport)  # fmt: skip
    assert result.returncode == 3
    assert result.stdout == "to-stdout\n"
    assert result.stderr == "to-stderr\ncommand terminated with exit code 3\n"


def test_stdin_from_a_pipe(kubectl, namespace, web, transport):
    result = run_kubectl(kubectl, "exec", "-i", web, "-n", namespace, "--", "sh",
                         input="echo hello from stdin\nexit 4\n", env=transport)  # fmt: skip
    assert (result.returncode, result.stdout) == (4, "hello from stdin\n")


def test_interactive_shell_on_a_terminal(kubectl, namespace, web, transport):
    controller, terminal = pty.openpty()
    shell = subprocess.Popen(
        [str(KUBECTL), "exec", "-it", web, "-n", namespace, "--", "sh"],
        stdin=terminal, stdout=terminal, stderr=terminal,
        env={**kubectl.env, **transport}, close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    seen = b""

    def read_until(text: bytes, timeout: float = 20) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < deadline, f"no {text!r} in {seen!r}"
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                seen += os.read(controller, 4096)

    try:
        read_until(b"# ")
        os.write(controller, b"echo $((6 * 7))\r")
        read_until(b"42\r\n")
        os.write(controller, b"exit 5\r")
        assert shell.wait(20) == 5
    finally:
        if shell.poll() is None:
            shell.kill()
        shell.wait(10)
        os.close(controller)
    assert b"echo $((6 * 7))\r\n42\r\n" in seen


def test_container_flag_and_default(kubectl, namespace, ready_pod):
    ready_pod("two", manifest=TWO_CONTAINERS)
    chosen = kubectl("exec", "two", "-c", "b", "-n", namespace, "--", "sh", "-c", "echo $WHO")
    assert chosen == "container b\n"
    defaulted = kubectl.run("exec", "two", "-n", namespace, "--", "sh", "-c", "echo $WHO")
    assert defaulted.stdout == "container a\n"
    assert defaulted.stderr == 'Defaulted container "a" out of: a, b\n'


def test_exec_in_a_container_that_is_not_running(kubectl, namespace, transport):
    kubectl("run", "stuck", "-n", namespace, "--image=registry.invalid/nothing:1")
    result = run_kubectl(kubectl, "exec", "stuck", "-n", namespace, "--", "ls", env=transport)
    assert result.returncode == 1
    if transport:
        expected = 'error: unable to upgrade connection: container not found ("stuck")\n'
    else:
        expected = (
            "error: Internal error occurred: unable to upgrade connection: "
            'container not found ("stuck")\n'
        )
    assert result.stderr == expected


def test_exec_in_a_completed_pod_is_refused_by_kubectl(kubectl, namespace):
    kubectl("run", "done", "-n", namespace, "--image=busybox", "--restart=Never", "--", "true")
    eventually(lambda: pod_phase(kubectl, namespace, "done") == "Succeeded", what="completion")
    result = kubectl.run("exec", "done", "-n", namespace, "--", "ls", check=False)
    assert result.stderr == (
        "error: cannot exec into a container in a completed pod; current phase is Succeeded\n"
    )


def test_a_missing_executable(kubectl, namespace, web):
    result = kubectl.run("exec", web, "-n", namespace, "--", "nosuch", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: Internal error occurred: Internal error occurred: error executing command in "
        'container: failed to exec in container: failed to start exec "'
    )
    assert result.stderr.endswith(
        "OCI runtime exec failed: exec failed: unable to start container process: exec: "
        '"nosuch": executable file not found in $PATH: unknown\n'
    )


def test_python_client_exec(api_client, namespace, web):
    core = client.CoreV1Api(api_client)
    output = stream(
        core.connect_get_namespaced_pod_exec, web, namespace,
        command=["sh", "-c", "echo out; echo err >&2"],
        stderr=True, stdin=False, stdout=True, tty=False,
    )  # fmt: skip
    assert output == "out\nerr\n"
    session = stream(
        core.connect_get_namespaced_pod_exec, web, namespace, command=["cat"],
        stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False,
    )  # fmt: skip
    try:
        session.write_stdin("ping\n")
        assert session.readline_stdout(timeout=10) == "ping"
        session.close_channel(0)
        session.run_forever(timeout=10)
        assert session.returncode == 0
    finally:
        session.close()


def test_python_client_sees_the_exit_code(api_client, namespace, web):
    core = client.CoreV1Api(api_client)
    session = stream(
        core.connect_get_namespaced_pod_exec, web, namespace, command=["sh", "-c", "exit 7"],
        stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False,
    )  # fmt: skip
    try:
        session.run_forever(timeout=10)
        assert session.returncode == 7
    finally:
        session.close()


# --- attach --------------------------------------------------------------------------------------


def test_attach_relays_new_output(kubectl, namespace, ready_pod, background):
    script = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done"
    ready_pod("ticker", "--image=busybox", "--", "sh", "-c", script)
    attached = background("attach", "ticker", "-n", namespace)
    first = int(attached.wait_for_line(r"^tick (\d+)$").group(1))
    second = int(attached.wait_for_line(r"^tick (\d+)$").group(1))
    assert second == first + 1


def test_run_interactive_waits_for_the_exit_code(kubectl, namespace, transport):
    script = "sleep 1; echo late; exit 2"
    result = run_kubectl(kubectl, "run", "-i", "--rm", "--restart=Never", "--image=busybox",
                         "later", "-n", namespace, "--", "sh", "-c", script,
                         input="", env=transport)  # fmt: skip
    assert result.returncode == 2
    assert result.stdout.splitlines() == ["late", f'pod "later" deleted from {namespace} namespace']
    assert f"pod {namespace}/later terminated (Error)" in result.stderr


def test_run_it_echo(kubectl, namespace):
    result = run_kubectl(kubectl, "run", "-it", "--rm", "--restart=Never", "--image=busybox",
                         "t", "-n", namespace, "--", "echo", "hi", input="")  # fmt: skip
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "hi"
    assert lines.count("hi") == 1
    assert lines[-1] == f'pod "t" deleted from {namespace} namespace'
    assert kubectl.run("get", "pod", "t", "-n", namespace, check=False).returncode == 1


def test_run_hello_world(kubectl, namespace):
    result = run_kubectl(kubectl, "run", "hello-world", "--image=hello-world", "-it",
                         "--restart=Never", "-n", namespace, input="")  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("\nHello from Docker!\n")
    assert result.stdout.count("Hello from Docker!") == 1
    assert "If you can read this, your container setup is working." in result.stdout
