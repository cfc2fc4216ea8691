"""Reading and writing any kind of object through the Kubernetes API, as plain JSON.

Checks are written in the API's own field names (``spec.containers[].image``), so the engine
reads objects exactly as the API serves them rather than through the Python client's generated
models, which rename fields and know no custom resources. Kinds are resolved to their REST paths
by discovery, the same way kubectl does, so checks work on any cluster: the teaching cluster,
minikube or a classroom's shared cluster.

Transport failures become :class:`ClusterUnreachable` and 401/403 become :class:`AccessDenied`:
both mean the check could not look at the learner's work (verdict ERROR), which is a different
thing from the work being wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import urllib3
from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

#: (connect, read) seconds for ordinary requests.
REQUEST_TIMEOUT = (5.0, 15.0)
_AUTH = ["BearerToken"]


class ClusterError(Exception):
    """The cluster could not be asked (verdict ERROR, not FAIL)."""


class ClusterUnreachable(ClusterError):
    """No answer: wrong address, cluster stopped, network down."""


class AccessDenied(ClusterError):
    """The cluster answered 401 or 403: these credentials may not look at this."""


class APIRequestError(Exception):
    """The API refused a request (404, 409, 422...): a fact about the cluster's state."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message or reason or f"HTTP {status}")
        self.status = status
        self.reason = reason
        self.message = message or reason


class UnknownResource(APIRequestError):
    """No resource type with this apiVersion and kind (a missing CRD, a typo in a kind)."""


@dataclass(frozen=True)
class ResourceType:
    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str = ""
    ) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
        if subresource:
            base += f"/{subresource}"
        return base


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    exit_code: int | None


class KubeAPI:
    """A thin JSON view of one cluster, built on an official-client :class:`ApiClient`."""

    def __init__(self, api_client: ApiClient) -> None:
        self.api_client = api_client
        self._resources: dict[str, dict[str, ResourceType]] = {}

    @property
    def server(self) -> str:
        return str(self.api_client.configuration.host)

    # --- raw requests ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] = REQUEST_TIMEOUT,
        stream_response: bool = False,
    ) -> tuple[int, Any]:
        """Send one request; returns (status, body bytes) or (status, raw response) if streaming."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        elif body is not None:
            headers["Content-Type"] = "application/json"
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        serialized = self.api_client.param_serialize(
            method, path, query_params=params, header_params=headers, body=body, auth_settings=_AUTH
        )
        try:
            response = self.api_client.call_api(*serialized, _request_timeout=timeout)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterUnreachable(self._unreachable(exc)) from exc
        except ApiException as exc:
            raise ClusterUnreachable(self._unreachable(exc)) from exc
        if response.status in (401, 403):
            raise AccessDenied(self._denied(response.status, _status_message(response.read())))
        if stream_response and 200 <= response.status < 300:
            return response.status, response.response
        try:
            data = response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ClusterUnreachable(self._unreachable(exc)) from exc
        return response.status, data

    def json(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        status, data = self.request(method, path, query, body, content_type)
        if not 200 <= status < 300:
            raise _api_error(status, data)
        return json.loads(data) if data else {}

    def _unreachable(self, exc: Exception) -> str:
        reason = getattr(exc, "reason", None) or exc
        return f"cannot reach the cluster at {self.server}: {reason}"

    def _denied(self, status: int, message: str) -> str:
        if status == 401:
            return f"the cluster at {self.server} did not accept these credentials ({message})"
        return f"this account may not look at that on the cluster at {self.server}: {message}"

    # --- discovery ------------------------------------------------------------------------

    def resource(self, api_version: str, kind: str) -> ResourceType:
        """The REST resource serving ``kind`` in ``api_version`` (discovery, cached)."""
        if api_version not in self._resources:
            path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            status, data = self.request("GET", path)
            kinds: dict[str, ResourceType] = {}
            if 200 <= status < 300:
                for entry in json.loads(data).get("resources", []):
                    if "/" not in entry["name"]:
                        kinds[entry["kind"]] = ResourceType(
                            api_version, entry["kind"], entry["name"], entry["namespaced"]
                        )
            elif status != 404:
                raise _api_error(status, data)
            self._resources[api_version] = kinds
        found = self._resources[api_version].get(kind)
        if found is None:
            # A CRD installed a moment ago: look again next time instead of remembering "none".
            self._resources.pop(api_version, None)
            raise UnknownResource(
                404,
                "NotFound",
                f"the cluster has no resource type {kind} in {api_version}"
                " (is its CustomResourceDefinition installed, and are kind and apiVersion"
                " spelled right?)",
            )
        return found

    # --- objects --------------------------------------------------------------------------

    def get(self, rtype: ResourceType, name: str, namespace: str | None) -> dict[str, Any] | None:
        status, data = self.request("GET", rtype.path(namespace, name))
        if status == 404:
            return None
        if not 200 <= status < 300:
            raise _api_error(status, data)
        return _with_type(json.loads(data), rtype)

    def list_with_version(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        query = {"labelSelector": label_selector or None, "fieldSelector": field_selector or None}
        status, data = self.request("GET", rtype.path(namespace), query)
        if status == 404 and namespace is not None:
            return [], ""
        if not 200 <= status < 300:
            raise _api_error(status, data)
        document = json.loads(data)
        items = [_with_type(item, rtype) for item in document.get("items") or []]
        return items, (document.get("metadata") or {}).get("resourceVersion", "")

    def list(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        return self.list_with_version(rtype, namespace, label_selector, field_selector)[0]

    def watch(
        self,
        rtype: ResourceType,
        namespace: str | None,
        resource_version: str,
        timeout_seconds: int,
        label_selector: str | None = None,
    ) -> WatchStream:
        query = {
            "watch": "true",
            "resourceVersion": resource_version or None,
            "timeoutSeconds": max(1, timeout_seconds),
            "labelSelector": label_selector or None,
        }
        status, raw = self.request(
            "GET",
            rtype.path(namespace),
            query,
            timeout=(REQUEST_TIMEOUT[0], timeout_seconds + 10),
            stream_response=True,
        )
        if not 200 <= status < 300:
            raise _api_error(status, raw)
        return WatchStream(raw, rtype)

    def create(self, rtype: ResourceType, body: dict[str, Any], namespace: str | None) -> dict:
        return self.json("POST", rtype.path(namespace), body=body)

    def replace(self, rtype: ResourceType, body: dict[str, Any], namespace: str | None) -> dict:
        name = body["metadata"]["name"]
        return self.json("PUT", rtype.path(namespace, name), body=body)

    def delete(
        self,
        rtype: ResourceType,
        name: str,
        namespace: str | None,
        grace_seconds: int | None = None,
        propagation: str = "Background",
    ) -> bool:
        """Delete (dependents in the background, like kubectl); False when already gone."""
        body: dict[str, Any] = {"propagationPolicy": propagation}
        if grace_seconds is not None:
            body["gracePeriodSeconds"] = grace_seconds
        status, data = self.request("DELETE", rtype.path(namespace, name), body=body)
        if status == 404:
            return False
        if not 200 <= status < 300:
            raise _api_error(status, data)
        return True

    # --- what diagnosis and probes read ---------------------------------------------------

    def events(self, namespace: str) -> list[dict[str, Any]]:
        return self.list(self.resource("v1", "Event"), namespace)

    def pod_log(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        previous: bool = False,
        tail_lines: int | None = None,
    ) -> str:
        query = {
            "container": container,
            "previous": "true" if previous else None,
            "tailLines": tail_lines,
        }
        path = self.resource("v1", "Pod").path(namespace, pod, "log")
        status, data = self.request("GET", path, query)
        if not 200 <= status < 300:
            raise _api_error(status, data)
        return data.decode(errors="replace")

    def service_proxy(
        self, namespace: str, service: str, port: str | int, path: str, timeout: float
    ) -> tuple[int, str]:
        """GET through the API server's proxy to a Service, as ``kubectl proxy`` users do."""
        target = f"{quote(service, safe='')}:{port}"
        url = f"/api/v1/namespaces/{quote(namespace, safe='')}/services/{target}/proxy/"
        url += path.lstrip("/")
        status, data = self.request("GET", url, timeout=(REQUEST_TIMEOUT[0], timeout))
        return status, data.decode(errors="replace")

    def exec(
        self, namespace: str, pod: str, container: str | None, command: list[str], timeout: float
    ) -> ExecResult:
        """Run a command in a container over the exec subresource (a WebSocket stream).

        The stream helper swaps the client's transport while it runs, so it gets a client of
        its own and never disturbs requests other threads make meanwhile.
        """
        private = ApiClient(self.api_client.configuration)
        try:
            kwargs: dict[str, Any] = {
                "command": command,
                "stderr": True,
                "stdin": False,
                "stdout": True,
                "tty": False,
                "_preload_content": False,
            }
            if container:
                kwargs["container"] = container
            try:
                session = stream(
                    CoreV1Api(private).connect_get_namespaced_pod_exec, pod, namespace, **kwargs
                )
            except ApiException as exc:
                if exc.status in (401, 403):
                    raise AccessDenied(self._denied(exc.status, str(exc.reason))) from exc
                if not exc.status:
                    raise APIRequestError(0, "ExecFailed", str(exc.reason)) from exc
                raise _api_error(exc.status, exc.body) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise ClusterUnreachable(self._unreachable(exc)) from exc
            try:
                session.run_forever(timeout=timeout)
                return ExecResult(session.read_stdout(), session.read_stderr(), _exit_code(session))
            finally:
                session.close()
        finally:
            private.close()


class WatchStream:
    """The events of one watch request, as (type, object) pairs; ``close()`` ends it early."""

    def __init__(self, raw: Any, rtype: ResourceType) -> None:
        self._raw = raw
        self._rtype = rtype

    def __iter__(self) -> Iterator[tuple[str, dict[str, Any]]]:
        buffer = b""
        try:
            for chunk in self._raw.stream(4096, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        event = json.loads(line)
                        yield (
                            event.get("type", ""),
                            _with_type(event.get("object") or {}, self._rtype),
                        )
        except (urllib3.exceptions.HTTPError, OSError, ValueError):
            return

    def close(self) -> None:
        try:
            self._raw.release_conn()
            self._raw.close()
        except (urllib3.exceptions.HTTPError, OSError):
            pass


def _exit_code(session: Any) -> int | None:
    """The command's exit code; None while it still runs or when the server sent no status."""
    try:
        return session.returncode
    except (TypeError, KeyError, IndexError, ValueError):
        return None


def _with_type(obj: dict[str, Any], rtype: ResourceType) -> dict[str, Any]:
    """List items come without ``kind``/``apiVersion``; put them back for messages and evidence."""
    if "kind" not in obj or obj.get("kind", "").endswith("List"):
        obj = {"apiVersion": rtype.api_version, "kind": rtype.kind, **obj}
    return obj


def _status_message(data: Any) -> str:
    if isinstance(data, bytes | str):
        try:
            document = json.loads(data)
        except ValueError:
            text = data.decode(errors="replace") if isinstance(data, bytes) else data
            return text.strip()[:200]
        if isinstance(document, dict):
            return str(document.get("message") or document.get("reason") or "")
    return ""


def _api_error(status: int, data: Any) -> APIRequestError:
    reason = ""
    if isinstance(data, bytes | str):
        try:
            document = json.loads(data)
            reason = str(document.get("reason", "")) if isinstance(document, dict) else ""
        except ValueError:
            pass
    return APIRequestError(status, reason, _status_message(data) or f"HTTP {status}")
