"""Behavioural probes: does the thing the learner built actually *work*?

A Deployment can match every field and still serve nothing. Probes check behaviour, only
through the Kubernetes API so they work on any cluster: HTTP through a Service via the API
server's proxy, a command's output through ``exec``, a container's log, data that must survive
its pod being replaced, and a Deployment's rollout history.
"""

from __future__ import annotations

import json
import shlex
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from kubelab.checks.context import RunContext
from kubelab.checks.criteria import Criterion, Evaluation
from kubelab.checks.diagnosis import (
    Finding,
    NamespaceView,
    absence_findings,
    controller_owner,
    is_pod_ready,
    is_terminating,
    object_findings,
    service_findings,
)
from kubelab.checks.kubeapi import APIRequestError
from kubelab.checks.matchers import Matcher, SpecError, as_matcher, show
from kubelab.checks.outcome import Outcome
from kubelab.checks.results import Evidence, Verdict
from kubelab.checks.selection import Selection
from kubelab.checks.verdicts import evidence_from, failure_verdict


class Probe(ABC):
    """A behaviour to try; ``start`` makes the per-run evaluation."""

    @abstractmethod
    def start(self, context: RunContext, hidden: bool) -> Evaluation:
        """Begin probing for one check run."""


class _Repeating(Evaluation):
    """Probes without memory: every evaluation tries again from scratch."""

    def __init__(self, probe: _StatelessProbe, context: RunContext, hidden: bool) -> None:
        self.probe, self.context, self.hidden = probe, context, hidden

    def evaluate(self) -> Verdict:
        return self.probe.look(self.context, self.hidden)


class _StatelessProbe(Probe):
    def start(self, context: RunContext, hidden: bool) -> Evaluation:
        return _Repeating(self, context, hidden)

    @abstractmethod
    def look(self, context: RunContext, hidden: bool) -> Verdict:
        """Try the behaviour once, now."""


@dataclass(frozen=True, kw_only=True)
class ProbeCriterion(Criterion):
    probe: Probe

    def start(self, context: RunContext) -> Evaluation:
        return _WithMessage(self.probe.start(context, self.hidden), self.message)


class _WithMessage(Evaluation):
    """Puts the author's failure message in place of the probe's own summary."""

    def __init__(self, inner: Evaluation, message: str | None) -> None:
        self.inner, self.message = inner, message

    def evaluate(self) -> Verdict:
        verdict = self.inner.evaluate()
        if self.message and verdict.outcome is Outcome.FAIL:
            verdict.summary = self.message
        return verdict

    def close(self) -> None:
        self.inner.close()


def _text_details(matcher: Matcher, text: str, where: str, hidden: bool) -> list[str]:
    return [m.render(hidden) for m in matcher.mismatches(text.strip(), where)]


def _pods(selection: Selection) -> Selection:
    if selection.kind != "Pod":
        raise SpecError(f"this probe runs in pods; select kind Pod, not {selection.kind}")
    return selection


def _ready_pod(
    selection: Selection, context: RunContext, hidden: bool
) -> tuple[dict[str, Any] | None, Verdict | None]:
    """A Ready pod of the selection, or the verdict explaining why there is none yet."""
    resolved = selection.resolve(context.api, context.namespace)
    namespace = resolved.namespace or context.namespace
    view = NamespaceView(context.api, namespace)
    what = "pods this check looks for" if hidden else selection.describe()
    if not resolved.objects:
        findings = absence_findings(selection, resolved.rtype, view, hidden)
        return None, failure_verdict(
            f"No {what} found in namespace {namespace}.",
            [],
            findings,
            True,
            evidence_from([], view),
        )
    ready = sorted(
        (p for p in resolved.objects if is_pod_ready(p) and not is_terminating(p)),
        key=lambda p: p["metadata"]["name"],
    )
    if ready:
        return ready[0], None
    findings = [f for pod in resolved.objects for f in object_findings(pod, view)]
    return None, failure_verdict(
        f"None of the {what} is Ready, so the probe cannot run yet.",
        [],
        findings,
        True,
        evidence_from(resolved.objects, view),
    )


# --- HTTP through a Service -------------------------------------------------------------------


@dataclass(frozen=True)
class HttpProbe(_StatelessProbe):
    """GET a path through a Service (via the API server proxy) and check status and body."""

    service: str
    port: int | str
    path: str = "/"
    status: int = 200
    body: Any = None
    namespace: str | None = None
    timeout: float = 5.0

    def look(self, context: RunContext, hidden: bool) -> Verdict:
        namespace = self.namespace or context.namespace
        code, text = context.api.service_proxy(
            namespace, self.service, self.port, self.path, self.timeout
        )
        api_status = _api_status(text)
        if api_status is not None and api_status.get("reason") == "MethodNotAllowed":
            return Verdict(
                Outcome.ERROR,
                "This cluster does not proxy HTTP to Services, so the probe cannot run "
                f"({api_status.get('message', '')}).",
            )
        body = as_matcher(self.body) if self.body is not None else None
        details = _text_details(body, text, "response body", hidden) if body else []
        if code == self.status and not details:
            return Verdict(Outcome.PASS)
        target = f"GET {self.path} through Service {self.service} port {self.port}"
        summary = f"{target} answered HTTP {code}"
        if api_status is not None:
            summary += f" from the API server: {api_status.get('message', '')}"
        if code != self.status:
            summary += "." if hidden else f"; expected HTTP {self.status}."
        else:
            summary += ", but the response is not as asked."
        view = NamespaceView(context.api, namespace)
        service = context.api.get(context.api.resource("v1", "Service"), self.service, namespace)
        if service is None:
            selection = Selection(kind="Service", name=self.service, namespace=namespace)
            rtype = context.api.resource("v1", "Service")
            findings = absence_findings(selection, rtype, view, hidden)
        else:
            findings = service_findings(service, view)
        return failure_verdict(summary, details, findings, True, evidence_from([], view))


def _api_status(text: str) -> dict[str, Any] | None:
    """The API server's own error (not the application's answer), if that is what came back."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict) and document.get("kind") == "Status":
        return document
    return None


# --- exec and logs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecProbe(_StatelessProbe):
    """Run a command in a Ready pod of the selection; check its exit code and output."""

    select: Selection
    command: tuple[str, ...]
    container: str | None = None
    output: Any = None
    exit_code: int = 0
    timeout: float = 10.0

    def __post_init__(self) -> None:
        _pods(self.select)
        if not self.command:
            raise SpecError("an exec probe needs a command")

    def look(self, context: RunContext, hidden: bool) -> Verdict:
        pod, waiting = _ready_pod(self.select, context, hidden)
        if pod is None:
            assert waiting is not None
            return waiting
        name = pod["metadata"]["name"]
        shown = shlex.join(self.command)
        try:
            result = context.api.exec(
                pod["metadata"]["namespace"], name, self.container, list(self.command), self.timeout
            )
        except APIRequestError as exc:
            return Verdict(Outcome.ERROR, f"Could not run `{shown}` in Pod {name}: {exc.message}")
        details: list[str] = []
        if result.exit_code != self.exit_code:
            expected = "" if hidden else f" (expected {self.exit_code})"
            details.append(f"exit code: {result.exit_code}{expected}")
            if result.stderr.strip():
                details.append(f"stderr: {result.stderr.strip()[-300:]}")
        if self.output is not None:
            details.extend(_text_details(as_matcher(self.output), result.stdout, "output", hidden))
        if not details:
            return Verdict(Outcome.PASS, evidence=Evidence([pod]))
        summary = f"`{shown}` in Pod {name} did not give the expected result."
        return Verdict(Outcome.FAIL, summary, details, evidence=Evidence([pod]))


@dataclass(frozen=True)
class LogsProbe(_StatelessProbe):
    """Some selected pod's log matches (``{$contains: "ready"}``, ``{$regex: ...}``)."""

    select: Selection
    log: Any
    container: str | None = None

    def __post_init__(self) -> None:
        _pods(self.select)

    def look(self, context: RunContext, hidden: bool) -> Verdict:
        resolved = self.select.resolve(context.api, context.namespace)
        namespace = resolved.namespace or context.namespace
        view = NamespaceView(context.api, namespace)
        what = "pods this check looks for" if hidden else self.select.describe()
        if not resolved.objects:
            findings = absence_findings(self.select, resolved.rtype, view, hidden)
            return failure_verdict(
                f"No {what} found in namespace {namespace}.",
                [],
                findings,
                True,
                evidence_from([], view),
            )
        matcher = as_matcher(self.log)
        details: list[str] = []
        for pod in sorted(resolved.objects, key=lambda p: p["metadata"]["name"]):
            name = pod["metadata"]["name"]
            try:
                text = context.api.pod_log(namespace, name, self.container)
            except APIRequestError as exc:
                details.append(f"Pod {name}: no log to read yet ({exc.message})")
                continue
            if matcher.matches(text):
                return Verdict(Outcome.PASS, evidence=Evidence([pod]))
            lines = text.strip().splitlines()
            last = f"; its last line is {show(lines[-1][:120])}" if lines else "; it is empty"
            if hidden:
                details.append(f"Pod {name}: its log does not show what the task asks for{last}")
            else:
                details.append(f"Pod {name}: expected its log to be {matcher.describe()}{last}")
        findings = [f for pod in resolved.objects for f in object_findings(pod, view)]
        return failure_verdict(
            f"No log of the {what} is as expected.",
            details,
            findings,
            True,
            evidence_from(resolved.objects, view),
        )


# --- data that survives its pod ---------------------------------------------------------------


@dataclass(frozen=True)
class DataSurvivesProbe(Probe):
    """Write a token to ``path``, delete the pod, read the token back from its replacement.

    This is how a learner's claim "my data is on a persistent volume" is verified for real. It
    deletes one pod, so it only runs on pods a controller will replace.
    """

    select: Selection
    path: str
    container: str | None = None

    def __post_init__(self) -> None:
        _pods(self.select)
        if not self.path.startswith("/"):
            raise SpecError(f"data_survives needs an absolute path, not {self.path!r}")

    def start(self, context: RunContext, hidden: bool) -> Evaluation:
        return _DataSurvivesRun(self, context, hidden)


class _DataSurvivesRun(Evaluation):
    def __init__(self, probe: DataSurvivesProbe, context: RunContext, hidden: bool) -> None:
        self.probe, self.context, self.hidden = probe, context, hidden
        self.token = f"kubelab-{uuid.uuid4().hex}"
        self.original: dict[str, Any] | None = None
        self.final: Verdict | None = None

    def evaluate(self) -> Verdict:
        """Write and delete once; after that, only wait and read (the outcome then sticks)."""
        if self.final is not None:
            return self.final
        verdict = self._write() if self.original is None else self._read_back()
        if self.original is not None and verdict.outcome is not Outcome.NOT_YET:
            self.final = verdict
        return verdict

    def _exec(self, pod: dict[str, Any], script: str) -> Any:
        return self.context.api.exec(
            pod["metadata"]["namespace"],
            pod["metadata"]["name"],
            self.probe.container,
            ["sh", "-c", script],
            10.0,
        )

    def _write(self) -> Verdict:
        pod, waiting = _ready_pod(self.probe.select, self.context, self.hidden)
        if pod is None:
            assert waiting is not None
            return waiting
        name = pod["metadata"]["name"]
        if controller_owner(pod) is None:
            return Verdict(
                Outcome.FAIL,
                f"Pod {name} is not managed by a controller (Deployment, StatefulSet...), so "
                "nothing would replace it; the data check needs a pod that comes back.",
                evidence=Evidence([pod]),
            )
        path = shlex.quote(self.probe.path)
        result = self._exec(pod, f"printf %s {self.token} > {path}")
        if result.exit_code != 0:
            return Verdict(
                Outcome.FAIL,
                f"Could not write to {self.probe.path} in Pod {name}.",
                [f"stderr: {result.stderr.strip()[-300:]}"] if result.stderr.strip() else [],
                evidence=Evidence([pod]),
            )
        rtype = self.context.api.resource("v1", "Pod")
        self.context.api.delete(rtype, name, pod["metadata"]["namespace"])
        self.original = pod
        return Verdict(Outcome.NOT_YET, f"Deleted Pod {name}; waiting for its replacement.")

    def _read_back(self) -> Verdict:
        assert self.original is not None
        old_uid = self.original["metadata"]["uid"]
        resolved = self.probe.select.resolve(self.context.api, self.context.namespace)
        replacements = sorted(
            (
                p
                for p in resolved.objects
                if p["metadata"]["uid"] != old_uid and is_pod_ready(p) and not is_terminating(p)
            ),
            key=lambda p: p["metadata"]["name"],
        )
        old_name = self.original["metadata"]["name"]
        if not replacements:
            view = NamespaceView(self.context.api, resolved.namespace or self.context.namespace)
            others = [p for p in resolved.objects if p["metadata"]["uid"] != old_uid]
            findings = [f for pod in others for f in object_findings(pod, view)]
            return failure_verdict(
                f"Pod {old_name} was deleted; its replacement is not Ready yet.",
                [],
                findings,
                True,
                evidence_from(others, view),
            )
        pod = replacements[0]
        result = self._exec(pod, f"cat {shlex.quote(self.probe.path)}")
        if result.exit_code == 0 and result.stdout.strip() == self.token:
            return Verdict(Outcome.PASS, evidence=Evidence([self.original, pod]))
        found = result.stdout.strip() or "nothing"
        summary = (
            f"Data written to {self.probe.path} in Pod {old_name} was gone after the pod was "
            f"replaced by Pod {pod['metadata']['name']} (read back: {show(found[:80])})."
        )
        cause = _storage_cause(pod, self.probe.path, self.probe.container)
        return Verdict(
            Outcome.FAIL,
            summary,
            [],
            [cause] if cause is not None else [],
            evidence=Evidence([self.original, pod]),
        )


def _storage_cause(pod: dict[str, Any], path: str, container: str | None) -> Finding | None:
    """Why data at ``path`` did not survive: not on a volume, or on a pod-scoped one."""
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    chosen = next((c for c in containers if c.get("name") == container), None) or (
        containers[0] if containers else {}
    )
    mounts = sorted(
        (
            m
            for m in chosen.get("volumeMounts") or []
            if path == m.get("mountPath")
            or path.startswith(m.get("mountPath", "").rstrip("/") + "/")
        ),
        key=lambda m: len(m.get("mountPath", "")),
    )
    if not mounts:
        return Finding(
            "not-on-volume",
            f"{path} is not on any volume: files written there belong to the container and "
            "disappear with it. Mount a volume backed by a PersistentVolumeClaim there.",
        )
    mount = mounts[-1]
    volume = next((v for v in spec.get("volumes") or [] if v.get("name") == mount.get("name")), {})
    if "emptyDir" in volume:
        return Finding(
            "ephemeral-volume",
            f"{path} is on the emptyDir volume {mount.get('name')}, which is deleted together "
            "with its pod. Use a PersistentVolumeClaim instead.",
        )
    return None


# --- rollout history --------------------------------------------------------------------------


REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True)
class RolloutHistoryProbe(_StatelessProbe):
    """A Deployment has at least N revisions, and some revision had each listed pod template.

    ``includes`` entries match a revision's pod template partially, e.g.
    ``{spec: {containers: [{image: nginx:1.25}]}}`` - the history ``kubectl rollout history``
    shows, read from the Deployment's ReplicaSets.
    """

    deployment: str
    min_revisions: int = 1
    includes: tuple[Any, ...] = ()
    namespace: str | None = None

    def look(self, context: RunContext, hidden: bool) -> Verdict:
        api = context.api
        namespace = self.namespace or context.namespace
        view = NamespaceView(api, namespace)
        rtype = api.resource("apps/v1", "Deployment")
        deployment = api.get(rtype, self.deployment, namespace)
        if deployment is None:
            selection = Selection(
                kind="Deployment", api_version="apps/v1", name=self.deployment, namespace=namespace
            )
            findings = absence_findings(selection, rtype, view, hidden)
            return failure_verdict(
                f"No Deployment {self.deployment} found in namespace {namespace}.",
                [],
                findings,
                True,
                evidence_from([], view),
            )
        uid = deployment["metadata"]["uid"]
        revisions = sorted(
            (
                rs
                for rs in api.list(api.resource("apps/v1", "ReplicaSet"), namespace)
                if (controller_owner(rs) or {}).get("uid") == uid
                and str(
                    rs["metadata"].get("annotations", {}).get(REVISION_ANNOTATION, "")
                ).isdigit()
            ),
            key=lambda rs: int(rs["metadata"]["annotations"][REVISION_ANNOTATION]),
        )
        details: list[str] = []
        if len(revisions) < self.min_revisions:
            wanted = "" if hidden else f"; expected at least {self.min_revisions}"
            details.append(f"Deployment {self.deployment} has {len(revisions)} revision(s){wanted}")
        for entry in self.includes:
            matcher = as_matcher(entry)
            if not any(matcher.matches((rs.get("spec") or {}).get("template")) for rs in revisions):
                details.append(
                    "no revision has the pod template the task asks for"
                    if hidden
                    else f"no revision has a pod template like {matcher.describe()}"
                )
        if not details:
            return Verdict(Outcome.PASS, evidence=Evidence([deployment, *revisions]))
        return failure_verdict(
            f"The rollout history of Deployment {self.deployment} is not as asked.",
            details,
            object_findings(deployment, view),
            True,
            evidence_from([deployment, *revisions], view),
        )
