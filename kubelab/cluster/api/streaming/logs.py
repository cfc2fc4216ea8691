"""``GET /api/v1/namespaces/N/pods/NAME/log``: a container's log, as ``kubectl logs`` reads it.

Three parties answer a log request in Kubernetes, and each has its own errors:

* kube-apiserver parses and validates ``PodLogOptions`` (422 ``PodLogOptions "web" is
  invalid``) and picks the container (400 ``a container name must be specified ...``);
* the kubelet decides *which* instance of the container is meant from the container's status
  (``validateContainerLogStatus``: the running one, the terminated one, or with ``previous``
  the one before the last restart) and explains what is missing in a 400;
* the container runtime reads the log and applies ``tailLines``, ``sinceTime``,
  ``timestamps`` and ``limitBytes``, and with ``follow`` keeps the response open until the
  container exits.

The body is ``text/plain`` and chunked, so ``kubectl logs -f`` shows each line as it is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from kubelab.cluster.api import errors
from kubelab.cluster.api.handlers import Target
from kubelab.cluster.api.rest import ObjectAPI
from kubelab.cluster.api.streaming import pods
from kubelab.cluster.api.streaming.params import parse_bool, parse_int, parse_time
from kubelab.cluster.runtime.container import Container
from kubelab.cluster.runtime.logs import ContainerLog, LogEntry

NEGATIVE = "must be greater than or equal to 0"
NOT_POSITIVE = "must be greater than 0"


@dataclass(frozen=True)
class LogOptions:
    """The query of a log request (``PodLogOptions``)."""

    container: str = ""
    follow: bool = False
    previous: bool = False
    timestamps: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: datetime | None = None
    limit_bytes: int | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str], pod_name: str) -> LogOptions:
        """Decode the query like the parameter codec, then validate like the registry does."""
        options = cls(
            container=query.get("container", ""),
            follow=parse_bool(query.get("follow")),
            previous=parse_bool(query.get("previous")),
            timestamps=parse_bool(query.get("timestamps")),
            tail_lines=parse_int(query.get("tailLines")),
            since_seconds=parse_int(query.get("sinceSeconds")),
            since_time=parse_time(query.get("sinceTime")),
            limit_bytes=parse_int(query.get("limitBytes")),
        )
        problems = options.problems()
        if problems:
            raise errors.invalid_object("", "PodLogOptions", pod_name, problems)
        return options

    def problems(self) -> list[errors.FieldError]:
        found = []
        if self.tail_lines is not None and self.tail_lines < 0:
            found.append(errors.invalid("tailLines", self.tail_lines, NEGATIVE))
        if self.limit_bytes is not None and self.limit_bytes < 1:
            found.append(errors.invalid("limitBytes", self.limit_bytes, NOT_POSITIVE))
        if self.since_seconds is not None and self.since_time is not None:
            found.append(
                errors.forbidden_field(
                    "", "at most one of `sinceTime` or `sinceSeconds` may be specified"
                )
            )
        elif self.since_seconds is not None and self.since_seconds < 1:
            found.append(errors.invalid("sinceSeconds", self.since_seconds, NOT_POSITIVE))
        return found

    def since(self, now: datetime) -> datetime | None:
        """The oldest time wanted; the kubelet turns ``sinceSeconds`` into a time too."""
        if self.since_seconds is not None:
            return now - timedelta(seconds=self.since_seconds)
        return self.since_time


# --- which container instance: the kubelet's rules ---------------------------------------------


def _status_of(located: pods.PodOnNode, container: str) -> dict[str, Any] | None:
    """The container's status as the kubelet knows it now (its own record, else the API's)."""
    worker = located.worker
    if worker is not None:
        record = worker.record.record(container)
        if record is not None:
            return record.to_status()
    status = located.pod.get("status", {})
    for kind in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in status.get(kind) or []:
            if entry.get("name") == container:
                return entry
    return None


def _log_error(container: str, pod: str, what: str) -> errors.APIError:
    return errors.bad_request(f'container "{container}" in pod "{pod}" {what}')


def _waiting_explanation(reason: str) -> str:
    if reason == "ErrImagePull":
        return "image can't be pulled"
    if reason == "ImagePullBackOff":
        return "trying and failing to pull image"
    return reason


def choose_instance(located: pods.PodOnNode, container: str, previous: bool) -> Container | None:
    """The container instance whose log is meant, or the kubelet's 400 saying why there is none.

    Returns None when the status names an instance that the node no longer holds (the cluster
    was restarted since): its log is gone, and the answer is empty.
    """
    pod_name = located.pod["metadata"]["name"]
    status = _status_of(located, container)
    if status is None:
        raise _log_error(container, pod_name, "is not available")
    state = status.get("state") or {}
    last = (status.get("lastState") or {}).get("terminated")
    worker = located.worker
    current = worker.containers.get(container) if worker is not None else None
    before = worker.previous.get(container) if worker is not None else None
    if previous:
        if not last or not last.get("containerID"):
            raise errors.bad_request(
                f'previous terminated container "{container}" in pod "{pod_name}" not found'
            )
        # Until a new instance starts (back-off, image pull), the last one is still current.
        return current if "waiting" in state else before
    if "running" in state:
        return current
    if "terminated" in state:
        if state["terminated"].get("containerID"):
            return current
        if last and last.get("containerID"):
            return before
        raise _log_error(container, pod_name, "is terminated")
    if last:
        if not last.get("containerID"):
            raise _log_error(container, pod_name, "is terminated")
        return current
    if "waiting" in state:
        reason = _waiting_explanation(state["waiting"].get("reason", ""))
        raise _log_error(container, pod_name, f"is waiting to start: {reason}")
    raise _log_error(container, pod_name, "is waiting to start - no logs yet")


# --- reading the log: the runtime's part --------------------------------------------------------


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 with the fraction's trailing zeros dropped, as Go's ``RFC3339Nano`` prints."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


def render(entry: LogEntry, timestamps: bool) -> bytes:
    line = entry.line + "\n"
    if timestamps:
        line = f"{format_timestamp(entry.timestamp)} {line}"
    return line.encode()


def select(entries: list[LogEntry], tail: int | None, since: datetime | None) -> list[LogEntry]:
    """The last ``tail`` lines, then only those written at or after ``since``."""
    if tail is not None:
        entries = entries[max(len(entries) - tail, 0) :] if tail else []
    if since is not None:
        entries = [e for e in entries if e.timestamp >= since]
    return entries


async def _entries(
    log: ContainerLog, options: LogOptions, since: datetime | None
) -> AsyncIterator[LogEntry]:
    """The entries to send; when following, also every new one until the container exits."""
    entries = log.entries
    if not options.follow:
        for entry in select(entries, options.tail_lines, since):
            yield entry
        return
    skip = len(entries) - len(select(entries, options.tail_lines, None))
    async for entry in log.follow():
        if skip:
            skip -= 1
        elif since is None or entry.timestamp >= since:
            yield entry


async def handle_log(request: web.Request, api: ObjectAPI, target: Target) -> web.StreamResponse:
    if request.method != "GET":
        raise web.HTTPMethodNotAllowed(request.method, ["GET"])
    pod = pods.get_pod(api, target)
    options = LogOptions.from_query(request.query, pod["metadata"]["name"])
    container = pods.validate_container(pod, options.container)
    located = pods.on_node(request, api, pod)
    instance = choose_instance(located, container, options.previous) if located else None
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    if instance is not None:
        await _stream(response, instance.logs, options, api.clock.now())
    await response.write_eof()
    return response


async def _stream(
    response: web.StreamResponse, log: ContainerLog, options: LogOptions, now: datetime
) -> None:
    left = options.limit_bytes
    async for entry in _entries(log, options, options.since(now)):
        data = render(entry, options.timestamps)
        if left is not None:
            data = data[:left]
            left -= len(data)
        await response.write(data)
        if left is not None and left <= 0:
            return
