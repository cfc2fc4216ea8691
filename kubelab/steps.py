"""The helpers a lesson calls for each step: apply, delete, wait, read logs, run kubectl.

Each helper works on the current connection (:func:`kubelab.connect.current`) and in its
namespace, which :func:`lesson_namespace` sets once at the top of a lesson. Helpers show what
they did the way kubectl would say it, because learners are meant to recognise the same output
when they later type the commands themselves. Their results were already shown when the step
ran, so echoing one as the last line of a notebook cell does not show it a second time (an
object returned by a wait shows only its kind and name).

``apply`` runs the real ``kubectl apply`` (a three-way merge with server-side field
validation), so a manifest applied here and one applied by hand behave identically. Reading,
deleting and waiting use the Kubernetes Python client directly. Waits poll the API and show
their progress as they go (see :mod:`kubelab.widgets.progress`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import ResourceNotFoundError
from kubernetes.dynamic.resource import Resource, ResourceList

from kubelab.connect import Connection, current, set_current
from kubelab.widgets import in_notebook
from kubelab.widgets.progress import Progress, WaitDisplay, describe_object

#: How often a wait asks the API again. Fast enough to feel live, cheap for any API server.
POLL_INTERVAL_SECONDS = 0.25

#: The manifest file suffixes that mark a string as a path rather than YAML text.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

#: Pod phases after which no condition changes any more: its containers will not run again.
FINISHED_PHASES = ("Succeeded", "Failed")

#: What "ready" means for kinds whose readiness is not a ``Ready`` condition.
READY_CONDITIONS = {
    "Deployment": "condition=Available",
    "Job": "condition=Complete",
    "PersistentVolumeClaim": "jsonpath={.status.phase}=Bound",
    "Namespace": "jsonpath={.status.phase}=Active",
}


class StepError(RuntimeError):
    """A step could not be done; the message is what kubectl or the API server said."""


class ManifestError(StepError, ValueError):
    """A manifest could not be read: not YAML, not an object, or missing apiVersion/kind."""


class WaitTimeout(StepError, TimeoutError):
    """A wait ran out of time; the message says what was last seen."""


class _AlreadyShown:
    """Marks a result that its step has displayed already (see the module docstring)."""

    def _ipython_display_(self) -> None:
        """Display nothing: the step showed this result while it ran."""


class ShownText(_AlreadyShown, str):
    """Text (logs, a namespace name) that its step has printed already."""


class ShownObject(dict):
    """A Kubernetes object as the API returned it. A wait has reported its state already, so
    echoing it in a notebook names the object instead of printing every field again."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        metadata = self.get("metadata") or {}
        where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        printer.text(f"<{self.get('kind')} {where}{metadata.get('name')}>")


# --- manifests ---------------------------------------------------------------------------


def load_manifest(
    manifest: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Any],
) -> list[dict[str, Any]]:
    """The objects in a manifest, given as YAML text (one or more documents), a file or
    directory path, a dict, or a list of dicts. ``List`` kinds are flattened into their items.

    Only what is needed to address an object is checked here (a mapping with ``apiVersion``
    and ``kind``); the API server validates the rest and says exactly what is wrong.
    """
    if isinstance(manifest, Mapping):
        documents: list[Any] = [manifest]
    elif isinstance(manifest, os.PathLike) or _looks_like_path(manifest):
        documents = _read_manifest_path(Path(manifest))  # type: ignore[arg-type]
    elif isinstance(manifest, str):
        documents = _parse_yaml(manifest, "the manifest")
    elif isinstance(manifest, Sequence):
        documents = list(manifest)
    else:
        raise ManifestError(f"cannot apply a {type(manifest).__name__}; give YAML, a path or dicts")
    objects: list[dict[str, Any]] = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, Mapping):
            raise ManifestError(
                f"document {number} is a {type(document).__name__}, not a Kubernetes object"
            )
        missing = [key for key in ("apiVersion", "kind") if not document.get(key)]
        if missing:
            raise ManifestError(f"document {number} has no {' and no '.join(missing)}")
        if str(document["kind"]).endswith("List") and isinstance(document.get("items"), list):
            objects.extend(load_manifest(document["items"]))
        else:
            objects.append(dict(document))
    if not objects:
        raise ManifestError("the manifest holds no objects")
    return objects


def _looks_like_path(manifest: object) -> bool:
    """A one-line string that names an existing file or ends like a manifest file."""
    if not isinstance(manifest, str) or "\n" in manifest.strip() or ": " in manifest:
        return False
    text = manifest.strip()
    return text.endswith(MANIFEST_SUFFIXES) or Path(text).expanduser().exists()


def _read_manifest_path(path: Path) -> list[Any]:
    path = path.expanduser()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in MANIFEST_SUFFIXES)
        return [document for file in files for document in _read_manifest_path(file)]
    try:
        text = path.read_text()
    except OSError as error:
        raise ManifestError(f"cannot read {path}: {error.strerror}") from error
    return _parse_yaml(text, str(path))


def _parse_yaml(text: str, source: str) -> list[Any]:
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise ManifestError(f"{source} is not valid YAML: {error}") from error


def _kubectl_input(manifest: Any) -> tuple[list[str], str | None]:
    """How ``kubectl apply`` gets a manifest: files by path (so its messages name them),
    everything else as YAML on stdin."""
    if isinstance(manifest, os.PathLike) or _looks_like_path(manifest):
        return ["-f", str(Path(manifest).expanduser())], None
    if isinstance(manifest, str):
        return ["-f", "-"], manifest
    return ["-f", "-"], yaml.safe_dump_all(load_manifest(manifest), sort_keys=False)


# --- kubectl -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KubectlResult(_AlreadyShown):
    """What one kubectl run printed and how it exited."""

    args: tuple[str, ...]
    stdout: str
    stderr: str
    returncode: int

    @property
    def ok(self) -> bool:
        return self.returncode == 0


_NAMESPACE_FLAGS = ("-n", "--namespace", "-A", "--all-namespaces")


def _names_namespace(args: Sequence[str]) -> bool:
    """Whether kubectl arguments choose a namespace themselves (before any ``--``)."""
    for arg in args:
        if arg == "--":
            return False
        if arg in _NAMESPACE_FLAGS or arg.startswith(("--namespace=", "--all-namespaces=")):
            return True
        if arg.startswith("-n") and not arg.startswith("--"):
            return True
    return False


def kubectl(
    *args: str,
    input: str | None = None,
    show: bool = True,
    timeout: float | None = None,
    connection: Connection | None = None,
) -> KubectlResult:
    """Run the real kubectl on the current connection, in the lesson namespace unless the
    arguments name one (``-n``, ``-A``), showing its output as it arrives.

    Standard output is printed line by line, so ``rollout status`` or ``get -w`` are live;
    errors are shown in red in a notebook. Interrupting the cell stops kubectl.
    """
    connection = connection or current()
    namespace = [] if _names_namespace(args) else ["--namespace", connection.namespace]
    command = connection.kubectl_command(*namespace, *args)
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=connection.environment(),
    )
    errors: list[str] = []
    readers = [threading.Thread(target=_collect, args=(process.stderr, errors), daemon=True)]
    if input is not None:
        readers.append(threading.Thread(target=_feed, args=(process.stdin, input), daemon=True))
    for reader in readers:
        reader.start()
    output: list[str] = []

    def stop_for_timeout() -> None:
        errors.append(f"kubelab: kubectl was stopped after {timeout:g}s\n")
        process.kill()

    timer = threading.Timer(timeout, stop_for_timeout) if timeout else None
    if timer:
        timer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if show:
                print(line, end="", flush=True)
        process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        raise
    finally:
        if timer:
            timer.cancel()
        for reader in readers:
            reader.join(5)
    result = KubectlResult(tuple(args), "".join(output), "".join(errors), process.returncode)
    if show and result.stderr:
        show_error(result.stderr)
    return result


def _collect(stream: Any, into: list[str]) -> None:
    for line in stream:
        into.append(line)


def _feed(stream: Any, text: str) -> None:
    try:
        stream.write(text)
        stream.close()
    except BrokenPipeError:
        pass


def show_error(text: str) -> None:
    """Show a tool's error output: red text in a notebook, standard error elsewhere."""
    if in_notebook():
        from IPython.display import HTML, display

        display(
            HTML(
                "<pre style='color:#b3261e;background:#fdecea;padding:4px 8px;margin:0;"
                f"white-space:pre-wrap'>{escape(text.rstrip())}</pre>"
            )
        )
    else:
        print(text, end="" if text.endswith("\n") else "\n", file=sys.stderr, flush=True)


# --- apply and delete ----------------------------------------------------------------------

_APPLY_LINE = re.compile(
    r"^(?P<resource>[^\s/]+)/(?P<name>\S+) (?P<action>created|configured|unchanged)"
)


@dataclass(frozen=True)
class AppliedObject:
    """One line of ``kubectl apply`` output: ``deployment.apps/web configured``."""

    resource: str
    name: str
    action: str

    def __str__(self) -> str:
        return f"{self.resource}/{self.name} {self.action}"


@dataclass(frozen=True)
class ApplyResult(_AlreadyShown):
    """What ``apply`` did to each object, in the order kubectl reported it."""

    objects: tuple[AppliedObject, ...]
    output: str

    def __str__(self) -> str:
        return self.output

    def action(self, name: str) -> str | None:
        """``created``, ``configured`` or ``unchanged`` for the object called ``name``."""
        return next((entry.action for entry in self.objects if entry.name == name), None)


def apply(
    manifest: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Any],
    *,
    namespace: str | None = None,
    connection: Connection | None = None,
) -> ApplyResult:
    """Create or update the objects in ``manifest`` with ``kubectl apply``, in the lesson
    namespace (or ``namespace``). As with ``kubectl apply -n``, an object that names another
    namespace is refused rather than silently created elsewhere. Raises :class:`StepError` with
    kubectl's message when the cluster refuses any object (the others are still applied, as
    kubectl does)."""
    load_manifest(manifest)
    connection = connection or current()
    source, stdin = _kubectl_input(manifest)
    result = kubectl(
        "apply",
        "--validate=strict",
        "--namespace",
        namespace or connection.namespace,
        *source,
        input=stdin,
        connection=connection,
    )
    if not result.ok:
        raise StepError(result.stderr.strip() or f"kubectl apply exited with {result.returncode}")
    objects = tuple(
        AppliedObject(match["resource"], match["name"], match["action"])
        for match in map(_APPLY_LINE.match, result.stdout.splitlines())
        if match
    )
    return ApplyResult(objects, result.stdout)


def delete(
    what: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Any],
    name: str | None = None,
    *,
    namespace: str | None = None,
    wait: bool = True,
    timeout: float = 60.0,
    connection: Connection | None = None,
) -> list[str]:
    """Delete objects and, like kubectl, wait until they are gone.

    ``what`` is a kind with ``name`` (``delete("pod", "web")``), ``kind/name``
    (``delete("deployment/web")``) or a manifest in any form :func:`apply` takes. Objects that
    do not exist are reported and skipped, so a clean-up step can always be run again. Returns
    the deleted objects as ``kind/name``.
    """
    connection = connection or current()
    targets = _delete_targets(connection, what, name)
    deleted: list[tuple[Resource, str, str | None]] = []
    for resource, object_name, object_namespace in targets:
        where = _namespace_for(resource, object_namespace or namespace, connection)
        label = _kubectl_kind(resource)
        try:
            with _api_errors(connection):
                resource.delete(name=object_name, namespace=where, propagation_policy="Background")
        except _Missing:
            print(f'{label} "{object_name}" not found (nothing to delete)')
            continue
        print(f'{label} "{object_name}" deleted')
        deleted.append((resource, object_name, where))
    if wait and deleted:
        _wait_until_gone(connection, deleted, timeout)
    return [f"{_kubectl_kind(resource)}/{name}" for resource, name, _ in deleted]


def _delete_targets(
    connection: Connection, what: Any, name: str | None
) -> list[tuple[Resource, str, str | None]]:
    if name is not None:
        return [(_resource_for_kind(connection, str(what)), name, None)]
    if isinstance(what, str) and _is_kind_slash_name(what):
        kind, _, object_name = what.partition("/")
        return [(_resource_for_kind(connection, kind), object_name, None)]
    targets = []
    for obj in load_manifest(what):
        metadata = obj.get("metadata") or {}
        if not metadata.get("name"):
            raise ManifestError(f"a {obj['kind']} in the manifest has no metadata.name")
        resource = _resource_for_object(connection, obj)
        targets.append((resource, metadata["name"], metadata.get("namespace")))
    return targets


def _is_kind_slash_name(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9.\-]+/[a-z0-9][a-z0-9.\-]*", text.strip())) and not (
        text.strip().endswith(MANIFEST_SUFFIXES) or Path(text).exists()
    )


def _wait_until_gone(
    connection: Connection, objects: list[tuple[Resource, str, str | None]], timeout: float
) -> None:
    total = len(objects)
    title = (
        f"Waiting for {_kubectl_kind(objects[0][0])}/{objects[0][1]} to be deleted"
        if total == 1
        else f"Waiting for {total} objects to be deleted"
    )

    def observe() -> tuple[bool, Progress]:
        remaining = [item for item in objects if _get(connection, *item) is not None]
        gone = total - len(remaining)
        if not remaining:
            done = f"{_kubectl_kind(objects[0][0])}/{objects[0][1]} deleted"
            return True, Progress(done if total == 1 else f"all {total} deleted", gone, total)
        names = ", ".join(f"{_kubectl_kind(resource)}/{name}" for resource, name, _ in remaining)
        return False, Progress(f"{gone} of {total} gone; still there: {names}", gone, total)

    _poll(title, observe, timeout)


# --- waiting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitCondition:
    """What a wait waits for, parsed from kubectl's ``--for`` syntax.

    ``condition=Ready`` (or just ``Ready``), ``condition=Available=False``, ``delete``,
    ``create``, ``jsonpath={.status.phase}=Running`` and ``jsonpath={.status.podIP}`` (the field
    is set) are understood; condition names and values compare case-insensitively, as kubectl
    compares them.
    """

    mode: str
    path: tuple[str | int, ...] = ()
    expected: str | None = None

    @classmethod
    def parse(cls, text: str) -> WaitCondition:
        text = text.strip()
        if text.lower() in ("delete", "deleted"):
            return cls("delete")
        if text.lower() in ("create", "created", "exists"):
            return cls("create")
        if text.startswith("jsonpath=") or text.startswith(("{", ".")):
            expression = text.removeprefix("jsonpath=")
            closing = expression.find("}") if expression.startswith("{") else -1
            split_at = expression.find("=", closing + 1)
            path_text = expression if split_at < 0 else expression[:split_at]
            expected = None if split_at < 0 else expression[split_at + 1 :]
            return cls("field", parse_field_path(path_text), expected)
        name, _, status = text.removeprefix("condition=").partition("=")
        if not name:
            raise StepError(f"cannot wait for {text!r}: name a condition, such as condition=Ready")
        return cls("condition", (name,), status or "True")

    def describe(self) -> str:
        if self.mode == "delete":
            return "to be deleted"
        if self.mode == "create":
            return "to exist"
        if self.mode == "condition":
            return f"to be {self.path[0]}" + (
                "" if self.expected == "True" else f"={self.expected}"
            )
        field_text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        if self.expected is None:
            return f"to have {{{field_text}}} set"
        return f"to have {{{field_text}}}={self.expected}"

    def met(self, obj: Mapping[str, Any] | None) -> bool:
        if self.mode == "delete":
            return obj is None
        if obj is None:
            return False
        if self.mode == "create":
            return True
        if self.mode == "condition":
            wanted = str(self.path[0]).lower()
            return any(
                str(entry.get("type", "")).lower() == wanted
                and str(entry.get("status", "")).lower() == str(self.expected).lower()
                for entry in (obj.get("status") or {}).get("conditions") or []
            )
        found, value = field_value(obj, self.path)
        if not found:
            return False
        return self.expected is None or _jsonpath_text(value) == self.expected


_PATH_TOKEN = re.compile(
    r"\[(\d+)\]|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]|((?:\\.|[^.\[\\])+)"
)


def parse_field_path(text: str) -> tuple[str | int, ...]:
    """``{.status.containerStatuses[0].ready}`` as ``("status", "containerStatuses", 0,
    "ready")``. Keys with dots are written ``['app.kubernetes.io/name']`` or with ``\\.``."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    body = body.strip().lstrip(".")
    if not body:
        raise StepError(f"the field path {text!r} is empty")
    parts: list[str | int] = []
    position = 0
    while position < len(body):
        if body[position] == ".":
            position += 1
            continue
        match = _PATH_TOKEN.match(body, position)
        if not match:
            raise StepError(f"cannot read the field path {text!r} at {body[position:]!r}")
        index, single, double, plain = match.groups()
        if index is not None:
            parts.append(int(index))
        else:
            key = single if single is not None else double
            parts.append(key if key is not None else re.sub(r"\\(.)", r"\1", plain))
        position = match.end()
    return tuple(parts)


def field_value(obj: Any, path: Sequence[str | int]) -> tuple[bool, Any]:
    """Follow ``path`` into ``obj``; ``(False, None)`` when any step of it is missing."""
    value = obj
    for part in path:
        in_list = isinstance(part, int) and isinstance(value, list) and part < len(value)
        in_map = isinstance(part, str) and isinstance(value, Mapping) and part in value
        if not (in_list or in_map):
            return False, None
        value = value[part]
    return True, value


def _jsonpath_text(value: Any) -> str:
    """A value as kubectl's jsonpath prints it, which is what ``--for=jsonpath`` compares."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def wait_for(
    kind: str,
    name: str | None = None,
    condition: str | None = None,
    *,
    timeout: float = 60.0,
    namespace: str | None = None,
    connection: Connection | None = None,
) -> ShownObject | None:
    """Wait until an object meets ``condition``, showing its progress, and return it.

    ``kind`` and ``name`` may be given together as ``"pod/web"``. ``condition`` takes kubectl's
    ``--for`` forms (see :class:`WaitCondition`); without one the wait is for readiness:
    ``Available`` for a Deployment, ``Complete`` for a Job, ``Bound`` for a claim, ``Ready``
    otherwise. Unlike ``kubectl wait``, an object that does not exist yet is waited for, because
    in a lesson it is often still being created by a controller. Raises :class:`WaitTimeout`
    with the last state seen. Returns None after waiting for a deletion.
    """
    if name is None:
        kind, _, name = kind.partition("/")
        if not name:
            raise StepError(f"wait_for needs a name: wait_for({kind!r}, 'NAME') or 'kind/name'")
    connection = connection or current()
    resource = _resource_for_kind(connection, kind)
    where = _namespace_for(resource, namespace, connection)
    wanted = WaitCondition.parse(condition or READY_CONDITIONS.get(resource.kind, "Ready"))
    label = f"{_kubectl_kind(resource)}/{name}"
    seen: list[Mapping[str, Any] | None] = [None]

    def observe() -> tuple[bool, Progress]:
        obj = _get(connection, resource, name, where)
        seen[0] = obj
        if wanted.met(obj):
            return True, Progress(f"{label} {'deleted' if obj is None else 'condition met'}")
        phase = ((obj or {}).get("status") or {}).get("phase")
        if resource.kind == "Pod" and wanted.mode == "condition" and phase in FINISHED_PHASES:
            raise StepError(f"{label} has finished ({phase}) and will not become {wanted.path[0]}")
        return False, describe_object(resource.kind, obj)

    _poll(f"Waiting for {label} {wanted.describe()}", observe, timeout)
    return None if seen[0] is None else ShownObject(seen[0])


def wait_for_rollout(
    deployment: str,
    *,
    timeout: float = 180.0,
    namespace: str | None = None,
    connection: Connection | None = None,
) -> ShownObject:
    """Wait for a Deployment's rollout to finish, as ``kubectl rollout status`` does, showing
    each stage ("2 of 3 updated replicas are available"). Raises :class:`StepError` when the
    rollout exceeds its progress deadline and :class:`WaitTimeout` after ``timeout``."""
    name = deployment.split("/", 1)[1] if "/" in deployment else deployment
    connection = connection or current()
    resource = _resource_for_object(connection, {"apiVersion": "apps/v1", "kind": "Deployment"})
    where = namespace or connection.namespace
    latest: list[Mapping[str, Any]] = []

    def observe() -> tuple[bool, Progress]:
        obj = _get(connection, resource, name, where)
        if obj is None:
            return False, Progress(f'deployment "{name}" not found yet')
        latest[:] = [obj]
        return rollout_status(obj)

    _poll(f'Waiting for deployment "{name}" to roll out', observe, timeout)
    return ShownObject(latest[0])


def rollout_status(deployment: Mapping[str, Any]) -> tuple[bool, Progress]:
    """Where a Deployment's rollout stands, in ``kubectl rollout status``'s words and order."""
    name = deployment["metadata"]["name"]
    status = deployment.get("status") or {}
    desired = (deployment.get("spec") or {}).get("replicas", 1)
    generation = deployment["metadata"].get("generation", 0)
    if generation > status.get("observedGeneration", 0):
        return False, Progress("Waiting for deployment spec update to be observed...")
    progressing = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), {}
    )
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        raise StepError(f'deployment "{name}" exceeded its progress deadline')
    updated = status.get("updatedReplicas") or 0
    replicas = status.get("replicas") or 0
    available = status.get("availableReplicas") or 0
    if updated < desired:
        message = f"{updated} out of {desired} new replicas have been updated..."
        return False, Progress(message, updated, desired)
    if replicas > updated:
        message = f"{replicas - updated} old replicas are pending termination..."
        return False, Progress(message, updated, replicas)
    if available < updated:
        message = f"{available} of {updated} updated replicas are available..."
        return False, Progress(message, available, updated)
    return True, Progress(f'deployment "{name}" successfully rolled out', desired, desired)


def _poll(title: str, observe: Callable[[], tuple[bool, Progress]], timeout: float) -> None:
    """Ask ``observe`` until it reports done, showing each answer; raise on timeout."""
    with WaitDisplay(title) as display:
        deadline = time.monotonic() + timeout
        while True:
            try:
                done, progress = observe()
            except StepError as error:
                display.fail(str(error))
                raise
            if done:
                display.succeed(progress.message)
                return
            display.update(progress)
            if time.monotonic() >= deadline:
                display.fail(f"timed out: {progress.message}")
                raise WaitTimeout(f"{title}: gave up after {timeout:g}s; {progress.message}")
            time.sleep(POLL_INTERVAL_SECONDS)


# --- logs and namespaces -------------------------------------------------------------------


def logs(
    pod: str,
    container: str | None = None,
    tail: int | None = None,
    *,
    namespace: str | None = None,
    connection: Connection | None = None,
) -> ShownText:
    """Print a pod's log (``pod`` may be ``"pod/web"``) and return it as text."""
    name = pod.split("/", 1)[1] if pod.startswith(("pod/", "pods/", "po/")) else pod
    connection = connection or current()
    with _api_errors(connection):
        text = CoreV1Api(connection.api_client).read_namespaced_pod_log(
            name, namespace or connection.namespace, container=container, tail_lines=tail
        )
    print(text, end="" if not text or text.endswith("\n") else "\n")
    return ShownText(text)


def lesson_namespace(name: str, *, connection: Connection | None = None) -> ShownText:
    """Make sure namespace ``name`` exists and make it the default for every later helper and
    ``%kubectl`` in this session. A namespace still terminating from an earlier reset is waited
    out and created again, so a lesson can always start fresh."""
    connection = connection or current()
    resource = _resource_for_object(connection, {"apiVersion": "v1", "kind": "Namespace"})
    existing = _get(connection, resource, name, None)
    if existing is not None and (existing.get("metadata") or {}).get("deletionTimestamp"):
        _wait_until_gone(connection, [(resource, name, None)], timeout=120.0)
        existing = None
    if existing is None:
        try:
            with _api_errors(connection):
                resource.create(
                    body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
                )
            state = "created"
        except _Conflict:
            state = "already there"
    else:
        state = "already there"
    set_current(connection.in_namespace(name))
    print(f"Namespace {name} ({state}) is now the default for this session.")
    return ShownText(name)


# --- API access ----------------------------------------------------------------------------


class _Missing(StepError):
    """The API answered 404 (callers that expect it catch it; to others it is an error)."""


class _Conflict(StepError):
    """The API answered 409."""


@contextmanager
def _api_errors(connection: Connection) -> Iterator[None]:
    """Turn client exceptions into messages in kubectl's words, and 404/409 into signals."""
    try:
        yield
    except ApiException as error:
        if error.status == 404:
            raise _Missing(_server_message(error)) from error
        if error.status == 409:
            raise _Conflict(_server_message(error)) from error
        raise StepError(_server_message(error)) from error
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise StepError(
            f"cannot reach the cluster at {connection.server} ({error.__class__.__name__}); "
            "run 'kubelab doctor' to find out why"
        ) from error


def _server_message(error: ApiException) -> str:
    """``Error from server (Reason): message``, as kubectl prints an API error."""
    try:
        status = json.loads(error.body or "")
    except (TypeError, ValueError):
        status = {}
    reason = status.get("reason") or error.reason or f"HTTP {error.status}"
    message = status.get("message") or error.reason or ""
    return f"Error from server ({reason}): {message}"


def _get(
    connection: Connection, resource: Resource, name: str, namespace: str | None
) -> dict[str, Any] | None:
    try:
        with _api_errors(connection):
            return resource.get(name=name, namespace=namespace).to_dict()
    except _Missing:
        return None


def _resource_for_object(connection: Connection, obj: Mapping[str, Any]) -> Resource:
    """The API resource serving an object's apiVersion and kind (found by discovery)."""
    for attempt in range(2):
        try:
            with _api_errors(connection):
                return connection.dynamic.resources.get(
                    api_version=obj["apiVersion"], kind=obj["kind"]
                )
        except ResourceNotFoundError:
            if attempt == 0:
                connection.dynamic.resources.invalidate_cache()
    raise StepError(
        f"the cluster has no resource type for kind {obj['kind']!r} in {obj['apiVersion']!r} "
        "(is a CustomResourceDefinition missing, or the apiVersion misspelled?)"
    )


def _resource_for_kind(connection: Connection, text: str) -> Resource:
    """The resource kubectl would pick for ``pod``, ``pods``, ``po``, ``Deployment``,
    ``deployments.apps``: preferred versions only, the core group first."""
    wanted, _, group = text.strip().lower().partition(".")
    for attempt in range(2):
        with _api_errors(connection):
            candidates = connection.dynamic.resources.search()
        matches = [
            resource
            for resource in candidates
            if _is_kind_named(resource, wanted) and (not group or resource.group == group)
        ]
        if matches:
            return sorted(matches, key=lambda resource: resource.group != "")[0]
        if attempt == 0:
            connection.dynamic.resources.invalidate_cache()
    raise StepError(
        f"the cluster has no resource type {text!r} (see the list with: kubectl api-resources)"
    )


def _is_kind_named(resource: Resource, wanted: str) -> bool:
    if isinstance(resource, ResourceList) or not resource.name or "/" in resource.name:
        return False
    if not getattr(resource, "preferred", True):
        return False
    names = {resource.name, resource.singular_name, resource.kind.lower()}
    return wanted in names or wanted in (resource.short_names or [])


def _namespace_for(resource: Resource, namespace: str | None, connection: Connection) -> str | None:
    return (namespace or connection.namespace) if resource.namespaced else None


def _kubectl_kind(resource: Resource) -> str:
    """``deployment.apps`` or ``pod``: how kubectl names a kind in its messages."""
    kind = resource.kind.lower()
    return f"{kind}.{resource.group}" if resource.group else kind
