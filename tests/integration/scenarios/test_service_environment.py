"""Service environment variables: what ``env`` shows inside a container, as on a real kubelet."""

from __future__ import annotations

import json
from typing import Any

from tests.polling import eventually


def _service(k, ns: str, name: str, ports: list[dict[str, Any]]) -> dict[str, Any]:
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": ports},
    }
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    return k.json("get", "service", name, "-n", ns)


def _pod(k, ns: str, name: str, **spec: Any) -> None:
    container = {"name": "main", "image": "busybox:1.36", "command": ["sleep", "3600"]}
    container.update(spec.pop("container", {}))
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container], **spec},
    }
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    k("wait", "--for=condition=Ready", f"pod/{name}", "-n", ns, "--timeout=60s")


def _environment(k, ns: str, pod: str) -> dict[str, str]:
    lines = k("exec", pod, "-n", ns, "--", "env").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _kubernetes_variables(k) -> dict[str, str]:
    master = k.json("get", "service", "kubernetes", "-n", "default")["spec"]
    ip, port = master["clusterIP"], str(master["ports"][0]["port"])
    return {
        "KUBERNETES_SERVICE_HOST": ip,
        "KUBERNETES_SERVICE_PORT": port,
        "KUBERNETES_SERVICE_PORT_HTTPS": port,
        "KUBERNETES_PORT": f"tcp://{ip}:{port}",
        f"KUBERNETES_PORT_{port}_TCP": f"tcp://{ip}:{port}",
        f"KUBERNETES_PORT_{port}_TCP_PROTO": "tcp",
        f"KUBERNETES_PORT_{port}_TCP_PORT": port,
        f"KUBERNETES_PORT_{port}_TCP_ADDR": ip,
    }


def _service_names(env: dict[str, str]) -> set[str]:
    return {name.removesuffix("_SERVICE_HOST") for name in env if name.endswith("_SERVICE_HOST")}


def test_the_kubernetes_service_is_where_the_api_server_listens(k):
    service = k.json("get", "service", "kubernetes", "-n", "default")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["clusterIP"] not in ("", "None")
    assert [(p["name"], p["port"], p["protocol"]) for p in service["spec"]["ports"]] == [
        ("https", 443, "TCP")
    ]
    slices = eventually(
        lambda: k.json(
            "get", "endpointslices", "-n", "default", "-l", "kubernetes.io/service-name=kubernetes"
        )["items"]
    )
    assert slices[0]["ports"][0]["name"] == "https"
    assert slices[0]["endpoints"][0]["addresses"]


def test_a_pod_sees_the_services_that_existed_when_it_started(k, ns):
    web = _service(
        k,
        ns,
        "my-web",
        [
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "metrics-port", "port": 9090, "protocol": "UDP"},
        ],
    )
    _pod(k, ns, "client")
    _service(k, ns, "late", [{"port": 5432}])

    env = _environment(k, ns, "client")
    ip = web["spec"]["clusterIP"]
    expected = {
        "MY_WEB_SERVICE_HOST": ip,
        "MY_WEB_SERVICE_PORT": "80",
        "MY_WEB_SERVICE_PORT_HTTP": "80",
        "MY_WEB_SERVICE_PORT_METRICS_PORT": "9090",
        "MY_WEB_PORT": f"tcp://{ip}:80",
        "MY_WEB_PORT_80_TCP": f"tcp://{ip}:80",
        "MY_WEB_PORT_80_TCP_PROTO": "tcp",
        "MY_WEB_PORT_80_TCP_PORT": "80",
        "MY_WEB_PORT_80_TCP_ADDR": ip,
        "MY_WEB_PORT_9090_UDP": f"udp://{ip}:9090",
        "MY_WEB_PORT_9090_UDP_PROTO": "udp",
        "MY_WEB_PORT_9090_UDP_PORT": "9090",
        "MY_WEB_PORT_9090_UDP_ADDR": ip,
        **_kubernetes_variables(k),
    }
    assert {name: env.get(name) for name in expected} == expected
    assert _service_names(env) == {"MY_WEB", "KUBERNETES"}
    assert "LATE_SERVICE_HOST" not in env
    assert k("exec", "client", "-n", ns, "--", "printenv", "MY_WEB_SERVICE_HOST").strip() == ip


def test_a_headless_service_gives_no_variables(k, ns):
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "headless"},
        "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]},
    }
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    _pod(k, ns, "client")
    env = _environment(k, ns, "client")
    assert _service_names(env) == {"KUBERNETES"}


def test_disabled_service_links_leave_only_the_kubernetes_service(k, ns):
    _service(k, ns, "db", [{"port": 5432}])
    _pod(k, ns, "isolated", enableServiceLinks=False)
    env = _environment(k, ns, "isolated")
    assert _service_names(env) == {"KUBERNETES"}
    expected = _kubernetes_variables(k)
    assert {name: env.get(name) for name in expected} == expected


def test_explicit_variables_win_and_can_refer_to_service_variables(k, ns):
    db = _service(k, ns, "db", [{"port": 5432}])
    _pod(
        k,
        ns,
        "app",
        container={
            "env": [
                {"name": "DB_SERVICE_PORT", "value": "6543"},
                {
                    "name": "DATABASE_URL",
                    "value": "postgres://$(DB_SERVICE_HOST):$(DB_PORT_5432_TCP_PORT)",
                },
            ]
        },
    )
    env = _environment(k, ns, "app")
    ip = db["spec"]["clusterIP"]
    assert env["DB_SERVICE_PORT"] == "6543"
    assert env["DB_SERVICE_HOST"] == ip
    assert env["DATABASE_URL"] == f"postgres://{ip}:5432"


def test_command_and_args_expand_variables_as_the_kubelet_does(k, ns: str) -> None:
    """``$(VAR)`` in command and args takes the container's environment; ``$$`` keeps a dollar
    and an unknown name stays as written, while the pod's spec keeps what the user wrote."""
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "greeter"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "main",
                    "image": "busybox:1.36",
                    "env": [{"name": "GREETING", "value": "hello"}],
                    "command": ["echo"],
                    "args": [
                        "$(GREETING) from $(KUBERNETES_SERVICE_HOST)",
                        "$$(GREETING)",
                        "$(NOPE)",
                    ],
                }
            ],
        },
    }
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))
    host = _kubernetes_variables(k)["KUBERNETES_SERVICE_HOST"]
    k("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/greeter", "-n", ns, "--timeout=60s")
    output = k("logs", "greeter", "-n", ns).strip()
    assert output == f"hello from {host} $(GREETING) $(NOPE)"
    stored = k.json("get", "pod", "greeter", "-n", ns)["spec"]["containers"][0]["args"]
    assert stored[0] == "$(GREETING) from $(KUBERNETES_SERVICE_HOST)"
