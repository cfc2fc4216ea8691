"""The API server's health endpoints: ``/livez``, ``/readyz`` and the older ``/healthz``.

Load balancers and ``kubectl get --raw='/readyz?verbose'`` read them. Each is a list of named
checks, answered as kube-apiserver's healthz handler answers: ``ok`` when every check passes
(with ``?verbose``, one ``[+]name ok`` line per check and ``readyz check passed``), 500 with the
list and ``readyz check failed`` when one fails (reasons are withheld on this public path),
``?exclude=name`` to skip a check, and ``/readyz/<name>`` to run just one (which does say
why it failed).

The checks have kube-apiserver's names. Those with something to check here check it: ``etcd``
asks the object store to answer a query, and ``shutdown`` fails once the server has begun to
stop. The post-start hooks name start-up work that, here, is finished before the server
listens, so they pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from kubelab.cluster.store.objects import ObjectStore

#: A check returns None when it passes, or why it failed.
Check = Callable[[], str | None]

#: kube-apiserver 1.37's post-start hooks and boot-sequence checks, in the order it lists them.
BOOT_SEQUENCE = (
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/priority-and-fairness-config-consumer",
    "poststarthook/priority-and-fairness-filter",
    "poststarthook/storage-object-count-tracker-hook",
    "poststarthook/start-apiextensions-informers",
    "poststarthook/start-apiextensions-controllers",
    "poststarthook/crd-informer-synced",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/start-cluster-authentication-info-controller",
    "poststarthook/start-kube-apiserver-identity-lease-controller",
    "poststarthook/start-kube-apiserver-identity-lease-garbage-collector",
    "poststarthook/start-legacy-token-tracking-controller",
    "poststarthook/start-service-ip-repair-controllers",
    "poststarthook/rbac/bootstrap-roles",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "poststarthook/priority-and-fairness-config-producer",
    "poststarthook/bootstrap-controller",
    "poststarthook/start-kubernetes-service-cidr-controller",
    "poststarthook/aggregator-reload-proxy-client-cert",
    "poststarthook/start-kube-aggregator-informers",
    "poststarthook/apiservice-status-local-available-controller",
    "poststarthook/apiservice-status-remote-available-controller",
    "poststarthook/apiservice-registration-controller",
    "poststarthook/apiservice-discovery-controller",
    "poststarthook/kube-apiserver-autoregistration",
    "autoregister-completion",
    "poststarthook/apiservice-openapi-controller",
    "poststarthook/apiservice-openapiv3-controller",
)


def store_error(store: ObjectStore) -> str | None:
    """Why the object store cannot answer a query, or None when it can."""
    try:
        store.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means the store is unhealthy
        return str(exc) or type(exc).__name__
    return None


def _passes() -> str | None:
    return None


@dataclass
class HealthChecks:
    """The three endpoints' check lists, each an ordered name → check mapping."""

    store: ObjectStore
    shutting_down: bool = False
    endpoints: dict[str, dict[str, Check]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        base = {"ping": _passes, "log": _passes, "etcd": self._etcd}
        boot = dict.fromkeys(BOOT_SEQUENCE, _passes)
        self.endpoints = {
            "healthz": {**base, **boot},
            "livez": {**base, **boot},
            "readyz": {
                **base,
                "etcd-readiness": self._etcd,
                "informer-sync": _passes,
                **boot,
                "shutdown": self._shutdown,
            },
        }

    def _etcd(self) -> str | None:
        return store_error(self.store)

    def _shutdown(self) -> str | None:
        return "process is shutting down" if self.shutting_down else None


HEALTH_KEY = web.AppKey("health_checks", HealthChecks)

_TEXT_HEADERS = {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}


def _text(body: str, status: int = 200) -> web.Response:
    return web.Response(body=body.encode(), status=status, headers=_TEXT_HEADERS)


def _quoted(names: list[str]) -> str:
    return ",".join(f'"{name}"' for name in names)


async def _all_checks(request: web.Request) -> web.Response:
    endpoint = request.path.strip("/").split("/")[0]
    checks = request.app[HEALTH_KEY].endpoints[endpoint]
    excluded = dict.fromkeys(request.query.getall("exclude", []))
    lines, failed = [], False
    for name, check in checks.items():
        if name in excluded:
            del excluded[name]
            lines.append(f"[+]{name} excluded: ok\n")
        elif check() is None:
            lines.append(f"[+]{name} ok\n")
        else:
            failed = True
            lines.append(f"[-]{name} failed: reason withheld\n")
    if excluded:
        lines.append(
            "warn: some health checks cannot be excluded: no matches for "
            f"{_quoted(sorted(excluded))}\n"
        )
    if failed:
        return _text(f"{''.join(lines)}{endpoint} check failed\n", 500)
    if "verbose" not in request.query:
        return _text("ok")
    return _text(f"{''.join(lines)}{endpoint} check passed\n")


async def _one_check(request: web.Request) -> web.Response:
    endpoint = request.path.strip("/").split("/")[0]
    check = request.app[HEALTH_KEY].endpoints[endpoint].get(request.match_info["check"])
    if check is None:
        raise web.HTTPNotFound()
    error = check()
    if error is not None:
        return _text(f"internal server error: {error}\n", 500)
    return _text("ok")


def install(app: web.Application, store: ObjectStore) -> None:
    """Serve the health endpoints of ``app``, whose data lives in ``store``."""
    checks = HealthChecks(store)
    app[HEALTH_KEY] = checks

    async def begin_shutdown(_: web.Application) -> None:
        checks.shutting_down = True

    app.on_shutdown.append(begin_shutdown)
    for endpoint in ("healthz", "livez", "readyz"):
        app.router.add_get(f"/{endpoint}", _all_checks)
        app.router.add_get(f"/{endpoint}/{{check:.+}}", _one_check)
