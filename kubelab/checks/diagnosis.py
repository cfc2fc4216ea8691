"""The likely cause of a failure, read from the objects' conditions, container states and events.

"Pod web is not Ready" tells a learner nothing they could act on; "container web cannot pull
its image ngnix:1.25 (ImagePullBackOff)" does. When a criterion fails, the engine asks this
module what the cluster itself says about the objects involved: wrong namespace, a selector that
matches nothing, image pull errors, crash loops with their last log lines, failing probes,
unschedulable pods with the scheduler's reason, a missing ConfigMap key.

Each :class:`Finding` is also either *converging* (a pod still being created, a rollout in
progress: the state may still become right by itself, so the verdict is NOT YET) or a *problem*
(it will not fix itself, so the verdict is FAIL).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from kubelab.checks.kubeapi import AccessDenied, APIRequestError, KubeAPI, ResourceType
from kubelab.checks.labels import format_labels, selector_matches
from kubelab.checks.selection import Selection, plural
from kubelab.checks.values import images_equal

IMAGE_PULL_REASONS = {
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
}
START_FAILURE_REASONS = {
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "ContainerCannotRun",
}
WORKLOAD_KINDS = (
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("v1", "ReplicationController"),
)
LOG_TAIL_LINES = 5
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
_SHOWN_OBJECTS = 4


@dataclass(frozen=True)
class Finding:
    """One thing the cluster says about why the state is not (yet) what was asked."""

    cause: str
    message: str
    converging: bool = False
    log_tail: tuple[str, ...] = ()


MESSAGE_LIMIT = 240


def _brief(text: str) -> str:
    """Cluster messages can run long (a registry's full error); keep what a learner reads."""
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _problem(cause: str, message: str, log_tail: tuple[str, ...] = ()) -> Finding:
    return Finding(cause, _brief(message), False, log_tail)


def _progress(cause: str, message: str) -> Finding:
    return Finding(cause, _brief(message), True)


def _name(obj: dict[str, Any]) -> str:
    return str(obj.get("metadata", {}).get("name", "?"))


def _conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("type", ""): c for c in (obj.get("status") or {}).get("conditions") or []}


def is_terminating(obj: dict[str, Any]) -> bool:
    return bool(obj.get("metadata", {}).get("deletionTimestamp"))


def is_pod_ready(pod: dict[str, Any]) -> bool:
    return _conditions(pod).get("Ready", {}).get("status") == "True"


def controller_owner(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


@dataclass
class NamespaceView:
    """What diagnosis reads about one namespace, fetched at most once per evaluation.

    Everything it reads is remembered as evidence, so a grader can later see exactly which
    objects and events a verdict was based on.
    """

    api: KubeAPI
    namespace: str
    consulted: dict[str, dict[str, Any]] = field(default_factory=dict)
    consulted_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    _pods: list[dict[str, Any]] | None = None
    _events: list[dict[str, Any]] | None = None
    _workloads: list[dict[str, Any]] | None = None

    def note(self, obj: dict[str, Any]) -> None:
        """Remember an object (and its events) as evidence for the verdict being formed."""
        key = obj.get("metadata", {}).get("uid") or f"{obj.get('kind')}/{_name(obj)}"
        if key not in self.consulted:
            self.consulted[key] = obj
            self.events_for(obj)

    def pods(self) -> list[dict[str, Any]]:
        if self._pods is None:
            self._pods = self.api.list(self.api.resource("v1", "Pod"), self.namespace)
        return self._pods

    def events_for(self, obj: dict[str, Any]) -> list[dict[str, Any]]:
        if self._events is None:
            self._events = self.api.events(self.namespace)
        uid = obj.get("metadata", {}).get("uid")
        related = [
            event
            for event in self._events
            if (event.get("involvedObject") or {}).get("uid") == uid
            or (
                (event.get("involvedObject") or {}).get("kind") == obj.get("kind")
                and (event.get("involvedObject") or {}).get("name") == _name(obj)
            )
        ]
        for event in related:
            self.consulted_events[event.get("metadata", {}).get("uid", id(event))] = event
        return related

    def workloads(self) -> list[dict[str, Any]]:
        if self._workloads is None:
            self._workloads = []
            for api_version, kind in WORKLOAD_KINDS:
                try:
                    rtype = self.api.resource(api_version, kind)
                except APIRequestError:
                    continue
                self._workloads.extend(self.api.list(rtype, self.namespace))
        return self._workloads

    def last_log_lines(self, pod: dict[str, Any], container: str) -> tuple[str, ...]:
        """The end of a crashed container's log (the previous run's, if there is one)."""
        for previous in (True, False):
            try:
                text = self.api.pod_log(
                    self.namespace, _name(pod), container, previous, LOG_TAIL_LINES
                )
            except APIRequestError:
                continue
            lines = tuple(line for line in text.splitlines() if line.strip())
            if lines:
                return lines[-LOG_TAIL_LINES:]
        return ()


# --- pods -------------------------------------------------------------------------------------


def pod_findings(pod: dict[str, Any], view: NamespaceView) -> list[Finding]:
    view.note(pod)
    name = _name(pod)
    if is_terminating(pod):
        return [_progress("terminating", f"Pod {name} is being deleted")]
    status = pod.get("status") or {}
    phase = status.get("phase", "")
    if phase == "Succeeded":
        return []
    scheduled = _conditions(pod).get("PodScheduled", {})
    if scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        reason = scheduled.get("message") or _latest_message(
            view.events_for(pod), "FailedScheduling"
        )
        return [_problem("unschedulable", f"Pod {name} cannot be scheduled: {reason}")]
    findings: list[Finding] = []
    images = {
        c.get("name"): c.get("image")
        for c in (pod.get("spec") or {}).get("initContainers", [])
        + (pod.get("spec") or {}).get("containers", [])
    }
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    for container in statuses:
        findings.extend(_container_findings(pod, container, images, phase, view))
    if phase == "Failed" and not any(not f.converging for f in findings):
        detail = ": ".join(part for part in (status.get("reason"), status.get("message")) if part)
        findings.append(
            _problem("failed", f"Pod {name} has failed" + (f" ({detail})" if detail else ""))
        )
    if findings:
        return findings
    if phase == "Pending":
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            return [_progress("scheduling", f"Pod {name} is waiting to be scheduled to a node")]
        return [_progress("starting", f"Pod {name} is being started on node {node}")]
    if phase == "Running" and not is_pod_ready(pod):
        return _probe_findings(pod, view) or [
            _progress("starting", f"Pod {name} is running but not Ready yet")
        ]
    return []


def _container_findings(
    pod: dict[str, Any],
    container: dict[str, Any],
    images: dict[str, Any],
    phase: str,
    view: NamespaceView,
) -> list[Finding]:
    pod_name, name = _name(pod), container.get("name", "?")
    where = f"container {name} of Pod {pod_name}"
    state = container.get("state") or {}
    waiting = state.get("waiting")
    terminated = state.get("terminated")
    last = (container.get("lastState") or {}).get("terminated") or {}
    findings: list[Finding] = []
    if waiting is not None:
        reason = waiting.get("reason", "")
        message = waiting.get("message", "")
        wanted = images.get(name)
        if (
            reason in IMAGE_PULL_REASONS
            and wanted
            and not images_equal(wanted, container.get("image"))
        ):
            findings.append(
                _progress(
                    "image-changed",
                    f"{where} could not pull {container.get('image')}; the kubelet is about to "
                    f"pull the image its spec names now, {wanted}",
                )
            )
        elif reason in IMAGE_PULL_REASONS:
            image = container.get("image") or images.get(name)
            text = f"{where} cannot pull its image {image} ({reason})"
            findings.append(_problem("image-pull", text + (f": {message}" if message else "")))
        elif reason == "CrashLoopBackOff":
            restarts = container.get("restartCount", 0)
            times = "time" if restarts == 1 else "times"
            text = f"{where} keeps crashing (CrashLoopBackOff, restarted {restarts} {times}"
            if "exitCode" in last:
                text += f", last exit code {last['exitCode']}"
            findings.append(_problem("crash-loop", text + ")", view.last_log_lines(pod, name)))
        elif reason == "CreateContainerConfigError" and _configuration_present(pod, name, view):
            findings.append(
                _progress(
                    "config-fixed",
                    f"{where} could not start because configuration it reads was missing; it "
                    "exists now, so the kubelet will start the container on its next try",
                )
            )
        elif reason in START_FAILURE_REASONS:
            text = f"{where} cannot start ({reason})"
            findings.append(_problem("config-error", text + (f": {message}" if message else "")))
        else:
            findings.append(_progress("starting", f"{where} is starting ({reason or 'waiting'})"))
    if "OOMKilled" in (last.get("reason"), (terminated or {}).get("reason")):
        findings.append(
            _problem("oom-killed", f"{where} was killed for using more memory than its limit")
        )
    elif terminated is not None and phase == "Failed" and terminated.get("exitCode", 0) != 0:
        text = f"{where} exited with code {terminated.get('exitCode')}"
        if terminated.get("reason"):
            text += f" ({terminated['reason']})"
        findings.append(_problem("exited", text, view.last_log_lines(pod, name)))
    return findings


def _config_references(
    pod: dict[str, Any], container_name: str
) -> list[tuple[str, str, str | None]]:
    """(kind, name, key) of every ConfigMap/Secret a container must have to start.

    A key of None means the whole object (``envFrom``, a volume without ``items``); optional
    references are left out, as the kubelet starts the container without them.
    """
    spec = pod.get("spec") or {}
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    container = next((c for c in containers if c.get("name") == container_name), {})
    refs: list[tuple[str, str, str | None]] = []
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        for field_name, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = source.get(field_name)
            if ref and not ref.get("optional"):
                refs.append((kind, ref.get("name", ""), ref.get("key")))
    for env_from in container.get("envFrom") or []:
        for field_name, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = env_from.get(field_name)
            if ref and not ref.get("optional"):
                refs.append((kind, ref.get("name", ""), None))
    mounted = {m.get("name") for m in container.get("volumeMounts") or []}
    for volume in spec.get("volumes") or []:
        if volume.get("name") not in mounted:
            continue
        for field_name, kind, name_key in (
            ("configMap", "ConfigMap", "name"),
            ("secret", "Secret", "secretName"),
        ):
            source = volume.get(field_name)
            if source and not source.get("optional"):
                keys = [item.get("key") for item in source.get("items") or []] or [None]
                refs.extend((kind, source.get(name_key, ""), key) for key in keys)
    return refs


def _configuration_present(pod: dict[str, Any], container_name: str, view: NamespaceView) -> bool:
    """Whether everything the container's configuration refers to exists by now.

    The kubelet reports CreateContainerConfigError until its next try, so an error about a
    ConfigMap the learner has just created is not a failure: it is about to go away.
    """
    refs = _config_references(pod, container_name)
    if not refs:
        return False
    for kind, name, key in refs:
        try:
            obj = view.api.get(view.api.resource("v1", kind), name, view.namespace)
        except (AccessDenied, APIRequestError):
            return False
        if obj is None:
            return False
        if key is not None and key not in {
            **(obj.get("data") or {}),
            **(obj.get("binaryData") or {}),
        }:
            return False
    return True


def _probe_findings(pod: dict[str, Any], view: NamespaceView) -> list[Finding]:
    """Failing probes: a problem once they failed as often as the probe tolerates."""
    failures: dict[str, tuple[int, str]] = {}
    for event in view.events_for(pod):
        if event.get("reason") != "Unhealthy":
            continue
        message = event.get("message", "")
        kind = message.split(" ", 1)[0].lower() if message else "readiness"
        count, _ = failures.get(kind, (0, ""))
        failures[kind] = (count + int(event.get("count") or 1), message)
    findings = []
    for kind, (count, message) in failures.items():
        threshold = _failure_threshold(pod, kind)
        text = f"the {kind} probe of Pod {_name(pod)} is failing: {message}"
        if count >= threshold:
            findings.append(_problem("failing-probe", text))
        else:
            findings.append(_progress("probe-warming-up", text + f" ({count} failure(s) so far)"))
    return findings


def _failure_threshold(pod: dict[str, Any], kind: str) -> int:
    thresholds = [
        int((container.get(f"{kind}Probe") or {}).get("failureThreshold", 3))
        for container in (pod.get("spec") or {}).get("containers", [])
        if container.get(f"{kind}Probe")
    ]
    return min(thresholds) if thresholds else 3


def _latest_message(events: list[dict[str, Any]], reason: str) -> str:
    matching = [e for e in events if e.get("reason") == reason]
    matching.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return matching[-1].get("message", "") if matching else "no reason was reported"


# --- workloads, services, claims --------------------------------------------------------------


def _pods_of(selector: Any, view: NamespaceView) -> list[dict[str, Any]]:
    return [
        pod
        for pod in view.pods()
        if selector_matches(selector, pod.get("metadata", {}).get("labels"))
    ]


def workload_findings(obj: dict[str, Any], view: NamespaceView) -> list[Finding]:
    """Rollout progress of a controller, plus whatever is wrong with its pods."""
    view.note(obj)
    kind, name = obj.get("kind", ""), _name(obj)
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = _conditions(obj)
    findings: list[Finding] = []
    label = f"{kind} {name}"
    if kind == "Job":
        if conditions.get("Complete", {}).get("status") == "True":
            return []
        failed = conditions.get("Failed", {})
        if failed.get("status") == "True":
            findings.append(
                _problem(
                    "job-failed",
                    f"{label} has failed: {failed.get('message') or failed.get('reason', '')}",
                )
            )
        else:
            findings.append(
                _progress(
                    "job-running",
                    f"{label} is still running ({status.get('active', 0)} active, "
                    f"{status.get('succeeded', 0)} succeeded)",
                )
            )
    else:
        findings.extend(_rollout_findings(obj, label, spec, status, conditions))
    rolling = kind == "Deployment" and any(f.converging for f in findings)
    current = _current_template_hash(obj, view) if rolling else None
    for pod in _pods_of(spec.get("selector"), view):
        if current is not None and _template_hash(pod) != current:
            continue  # an old revision's pod, which the rollout in progress replaces
        findings.extend(f for f in pod_findings(pod, view) if not f.converging)
    return findings


def _template_hash(obj: dict[str, Any]) -> str | None:
    return (obj.get("metadata", {}).get("labels") or {}).get("pod-template-hash")


def _current_template_hash(deployment: dict[str, Any], view: NamespaceView) -> str | None:
    """The pod-template-hash of a Deployment's newest ReplicaSet (its highest revision)."""
    uid = deployment.get("metadata", {}).get("uid")
    owned = [
        w
        for w in view.workloads()
        if w.get("kind") == "ReplicaSet" and (controller_owner(w) or {}).get("uid") == uid
    ]
    if not owned:
        return None

    def revision(replica_set: dict[str, Any]) -> int:
        annotations = replica_set.get("metadata", {}).get("annotations") or {}
        value = str(annotations.get("deployment.kubernetes.io/revision", "0"))
        return int(value) if value.isdigit() else 0

    return _template_hash(max(owned, key=revision))


def _rollout_findings(
    obj: dict[str, Any],
    label: str,
    spec: dict[str, Any],
    status: dict[str, Any],
    conditions: dict[str, dict[str, Any]],
) -> list[Finding]:
    kind = obj.get("kind")
    generation = obj.get("metadata", {}).get("generation", 0)
    if generation > status.get("observedGeneration", 0):
        return [
            _progress("rollout", f"{label}: its controller has not acted on the latest change yet")
        ]
    progressing = conditions.get("Progressing", {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return [
            _problem(
                "rollout-stuck", f"{label}'s rollout is stuck: {progressing.get('message', '')}"
            )
        ]
    failure = conditions.get("ReplicaFailure", {})
    if failure.get("status") == "True":
        return [
            _problem("replica-failure", f"{label} cannot create pods: {failure.get('message', '')}")
        ]
    if kind == "DaemonSet":
        desired = status.get("desiredNumberScheduled", 0)
        ready = status.get("numberReady", 0)
        updated = status.get("updatedNumberScheduled", 0)
    else:
        desired = spec.get("replicas", 1)
        ready = status.get("readyReplicas", 0)
        updated = (
            status.get("updatedReplicas", ready) if kind in ("Deployment", "StatefulSet") else ready
        )
    total = status.get("currentNumberScheduled" if kind == "DaemonSet" else "replicas", 0)
    if updated >= desired and ready >= desired and total <= desired:
        return []
    if kind == "Deployment" and spec.get("paused"):
        return [_problem("paused", f"{label} is paused, so its rollout will not continue")]
    return [
        _progress(
            "rollout",
            f"{label} is rolling out: {updated} of {desired} pods updated, {ready} ready",
        )
    ]


def service_findings(service: dict[str, Any], view: NamespaceView) -> list[Finding]:
    view.note(service)
    spec = service.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return []
    name = _name(service)
    selector = spec.get("selector")
    if not selector:
        return [
            _problem(
                "no-selector", f"Service {name} has no selector, so it sends traffic to no pod"
            )
        ]
    pods = _pods_of(selector, view)
    if not pods:
        return [
            _problem(
                "selector-mismatch",
                f"Service {name} selects pods with labels {format_labels(selector)}, but no pod "
                f"in {view.namespace} has them. {_describe_labels('Pod', view.pods())}",
            )
        ]
    if any(is_pod_ready(pod) and not is_terminating(pod) for pod in pods):
        return []
    findings = [f for pod in pods for f in pod_findings(pod, view)]
    return findings or [_progress("starting", f"Service {name}'s pods are not Ready yet")]


def _endpoint_findings(obj: dict[str, Any], view: NamespaceView) -> list[Finding]:
    """Endpoints are what a Service's selector found: explain them through the Service."""
    view.note(obj)
    labels = obj.get("metadata", {}).get("labels") or {}
    name = labels.get(SERVICE_NAME_LABEL) if obj.get("kind") == "EndpointSlice" else _name(obj)
    if not name:
        return []
    service = view.api.get(view.api.resource("v1", "Service"), name, view.namespace)
    return service_findings(service, view) if service is not None else []


def claim_findings(claim: dict[str, Any], view: NamespaceView) -> list[Finding]:
    view.note(claim)
    if (claim.get("status") or {}).get("phase") != "Pending":
        return []
    name = _name(claim)
    # Events of an earlier claim of the same name (deleted and created again) are not this
    # claim's story; the name-matched ones only count when none carry its uid.
    events = view.events_for(claim)
    uid = claim.get("metadata", {}).get("uid")
    own = [e for e in events if (e.get("involvedObject") or {}).get("uid") == uid]
    failed = _latest_message(own or events, "ProvisioningFailed")
    if failed != "no reason was reported":
        return [
            _problem("provisioning", f"PersistentVolumeClaim {name} cannot get a volume: {failed}")
        ]
    return [_progress("binding", f"PersistentVolumeClaim {name} is waiting for a volume")]


def owner_findings(obj: dict[str, Any], view: NamespaceView) -> list[Finding]:
    """The rollout state of the controllers above an object (Pod -> ReplicaSet -> Deployment).

    An old pod with the old image is not wrong while its Deployment is still replacing it.
    """
    findings: list[Finding] = []
    current = obj
    for _ in range(3):
        owner = controller_owner(current)
        if owner is None:
            break
        parent = next(
            (w for w in view.workloads() if w.get("metadata", {}).get("uid") == owner.get("uid")),
            None,
        )
        if parent is None:
            break
        findings.extend(workload_findings(parent, view))
        current = parent
    return findings


def object_findings(obj: dict[str, Any], view: NamespaceView) -> list[Finding]:
    """What the cluster says about one selected object, its pods and its controllers."""
    return _unique(_own_findings(obj, view) + owner_findings(obj, view))


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _own_findings(obj: dict[str, Any], view: NamespaceView) -> list[Finding]:
    if is_terminating(obj):
        view.note(obj)
        return [_progress("terminating", f"{obj.get('kind')} {_name(obj)} is being deleted")]
    kind = obj.get("kind")
    if kind == "Pod":
        return pod_findings(obj, view)
    if (obj.get("apiVersion"), kind) in WORKLOAD_KINDS:
        return workload_findings(obj, view)
    if kind == "Service":
        return service_findings(obj, view)
    if kind in ("Endpoints", "EndpointSlice"):
        return _endpoint_findings(obj, view)
    if kind == "PersistentVolumeClaim":
        return claim_findings(obj, view)
    return []


# --- nothing selected -------------------------------------------------------------------------


def _describe_labels(kind: str, objects: list[dict[str, Any]]) -> str:
    if not objects:
        return f"There are no {plural(kind)} there at all."
    shown = []
    for obj in objects[:_SHOWN_OBJECTS]:
        labels = format_labels(obj.get("metadata", {}).get("labels"))
        shown.append(f"{_name(obj)} ({labels or 'no labels'})")
    more = f" and {len(objects) - _SHOWN_OBJECTS} more" if len(objects) > _SHOWN_OBJECTS else ""
    return f"The {plural(kind)} there have: {', '.join(shown)}{more}."


def absence_findings(
    selection: Selection, rtype: ResourceType, view: NamespaceView, hidden: bool
) -> list[Finding]:
    """Why nothing was selected: elsewhere, a typo, other labels, or still being created."""
    api, namespace, kind = view.api, view.namespace, selection.kind
    findings: list[Finding] = []
    what = f"the {kind} this check looks for" if hidden else selection.describe()
    if rtype.namespaced and (selection.name is not None or selection.labels is not None):
        elsewhere = sorted(
            {
                obj.get("metadata", {}).get("namespace", "")
                for obj in _search_all_namespaces(api, rtype, selection)
            }
            - {namespace}
        )
        if elsewhere:
            findings.append(
                _problem(
                    "wrong-namespace",
                    f"{what[0].upper()}{what[1:]} exists in namespace {', '.join(elsewhere)}, "
                    f"not in {namespace}. Create it in {namespace} "
                    f"(kubectl ... -n {namespace}, or metadata.namespace: {namespace}).",
                )
            )
    if not rtype.namespaced and selection.name is None and selection.labels is None:
        return findings
    present = api.list(rtype, namespace if rtype.namespaced else None)
    where = f" in {namespace}" if rtype.namespaced else ""
    if selection.name is not None:
        names = [_name(obj) for obj in present]
        close = difflib.get_close_matches(selection.name, names, n=1, cutoff=0.6)
        if close and not findings:
            asked = "the name the task asks for" if hidden else f"the name {selection.name}"
            findings.append(
                _problem(
                    "name-mismatch",
                    f"There is no {kind} with {asked}{where}, but there is {kind} {close[0]}: "
                    "is the name mistyped?",
                )
            )
    elif selection.labels is not None and present and not findings:
        asked = "the labels the task asks for" if hidden else f"labels {selection.label_query}"
        findings.append(
            _problem(
                "label-mismatch",
                f"No {kind}{where} has {asked}. {_describe_labels(kind, present)}",
            )
        )
    if not findings and kind in ("Pod", "ReplicaSet"):
        findings.extend(
            f
            for workload in view.workloads()
            for f in workload_findings(workload, view)
            if f.converging
        )
    return findings


def _search_all_namespaces(
    api: KubeAPI, rtype: ResourceType, selection: Selection
) -> list[dict[str, Any]]:
    """The same selection in every namespace; empty when this account may not look there."""
    try:
        if selection.name is not None:
            try:
                return api.list(rtype, None, field_selector=f"metadata.name={selection.name}")
            except APIRequestError:
                return [o for o in api.list(rtype, None) if _name(o) == selection.name]
        return api.list(rtype, None, selection.label_query)
    except (AccessDenied, APIRequestError):
        return []
