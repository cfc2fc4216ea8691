"""``RUN``: a command executed in a simulated container on top of the image built so far.

The container starts from the current root filesystem, with the image's environment, working
directory and user, runs ``/bin/sh -c COMMAND`` (or the exec form's program), and whatever it
changed becomes the step's layer: new and changed files, and whiteouts for what it deleted. Only
the programs of the teaching cluster's images exist here (the shell, coreutils-style tools,
``python -c``...); a package manager or a compiler does not, and the build says to use Docker.
"""

from __future__ import annotations

import asyncio
import posixpath
import re
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kubelab.cluster.clock import Clock
from kubelab.cluster.registry.oci import Change, Tree, tree_changes
from kubelab.cluster.runtime.container import Container, StartError
from kubelab.cluster.runtime.filesystem import ContainerFilesystem
from kubelab.cluster.runtime.images import Image
from kubelab.images.dockerfile import BuildError

#: Paths the runtime provides to every container; they never become part of a layer.
RUNTIME_PATHS = ("/etc/hostname",)
#: Kernel file systems, mounted into every container and never part of an image.
KERNEL_DIRECTORIES = ("/dev", "/proc", "/sys")
NOT_FOUND = re.compile(
    r"^(?:/bin/sh: )?(?:\S+: )?(?:line \d+: )?([^:\s]+): (?:command )?not found", re.MULTILINE
)
#: How long a RUN step may take before the build gives up on it.
RUN_TIMEOUT_SECONDS = 300

T = TypeVar("T")


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on a private event loop, even inside a running one."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as problem:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(problem)

    thread = threading.Thread(target=target, name="kubelab-image-run")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


def snapshot(fs: ContainerFilesystem) -> Tree:
    """Every path of a container's filesystem, directories ending in ``/``."""
    tree: Tree = {}
    pending = ["/"]
    while pending:
        directory = pending.pop()
        for name in fs.list(directory):
            path = posixpath.join(directory, name)
            if path in RUNTIME_PATHS or path in KERNEL_DIRECTORIES:
                continue
            if fs.is_dir(path):
                tree[path + "/"] = b""
                pending.append(path)
            else:
                tree[path] = fs.read_bytes(path)
    return tree


@dataclass(frozen=True)
class RunResult:
    changes: list[Change]
    output: str


def _missing_command(output: str) -> str | None:
    match = NOT_FOUND.search(output)
    return match.group(1) if match else None


async def _run(image: Image, argv: list[str], env: Mapping[str, str]) -> tuple[int, str, Tree]:
    container = Container(
        image,
        {"name": "build", "command": argv},
        clock=Clock(),
        env=env,
        hostname="buildkitsandbox",
    )
    container.start()
    async with asyncio.timeout(RUN_TIMEOUT_SECONDS):
        status = await container.wait()
    return status.exit_code, container.logs.text(), snapshot(container.fs)


def run_step(
    image: Image, before: Tree, argv: list[str], env: Mapping[str, str], where: str, shown: str
) -> RunResult:
    """Run ``argv`` on ``image`` (whose files are ``before``); the layer it makes, or an error."""
    try:
        code, output, after = run_blocking(_run(image, argv, env))
    except StartError as problem:
        raise BuildError(f"{where}: {shown}: {problem}") from None
    except TimeoutError:
        raise BuildError(f"{where}: {shown}: did not finish in {RUN_TIMEOUT_SECONDS}s") from None
    if code != 0:
        described = " ".join(argv)
        message = f'{where}: process "{described}" did not complete successfully: exit code: {code}'
        if output.strip():
            message += "\n" + output.rstrip()
        missing = _missing_command(output) if code == 127 else None
        if missing is not None:
            message += (
                f'\n"{missing}" is not a command the teaching cluster\'s images can run, so the '
                "kubelab builder cannot run this step. Build this Dockerfile with Docker "
                "(docker build) or on minikube (minikube image build) instead."
            )
        else:
            message += (
                "\nThe kubelab builder runs RUN steps with the teaching cluster's simulated "
                "programs; if this step needs a real one, build with Docker or minikube."
            )
        raise BuildError(message)
    kept = {
        path: data
        for path, data in before.items()
        if path.rstrip("/") not in KERNEL_DIRECTORIES
        and not path.startswith(tuple(d + "/" for d in KERNEL_DIRECTORIES))
    }
    return RunResult(tree_changes(kept, after), output)
