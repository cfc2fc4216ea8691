"""The API server's proxies to Services, pods and nodes, through kubectl and the Python client."""

from __future__ import annotations

import json

import pytest
import urllib3
from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.polling import eventually

NOT_READY = """\
apiVersion: v1
kind: Pod
metadata:
  name: unready
  labels: {app: unready}
spec:
  containers:
  - name: web
    image: nginx
    readinessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
"""


@pytest.fixture()
def web(kubectl, namespace, ready_pod) -> str:
    ready_pod("web", "--image=nginx", "--labels=app=web", "--port=80")
    kubectl("expose", "pod", "web", "--port=80", "-n", namespace)
    eventually(
        lambda: kubectl(
            "get",
            "endpoints",
            "web",
            "-n",
            namespace,
            "-o",
            "jsonpath={.subsets[0].addresses[0].ip}",
        ),  # fmt: skip
        what="the Service's endpoint",
    )
    return "web"


def raw(kubectl, path: str):
    return kubectl.run("get", "--raw", path, check=False)


def test_service_proxy_returns_the_page(kubectl, namespace, web):
    base = f"/api/v1/namespaces/{namespace}/services"
    for name in ("web:80", "web", "http:web:80", "http:web:"):
        page = raw(kubectl, f"{base}/{name}/proxy/")
        assert page.returncode == 0, page.stderr
        assert "<title>Welcome to nginx!</title>" in page.stdout


def test_service_without_endpoints_is_unavailable(kubectl, namespace):
    kubectl("create", "service", "clusterip", "nothing", "--tcp=80", "-n", namespace)
    eventually(
        lambda: (
            kubectl.run("get", "endpoints", "nothing", "-n", namespace, check=False).returncode == 0
        ),
        what="the Endpoints object",
    )
    answer = raw(kubectl, f"/api/v1/namespaces/{namespace}/services/nothing:80/proxy/")
    assert answer.stderr == (
        'Error from server (ServiceUnavailable): no endpoints available for service "nothing"\n'
    )


def test_service_without_ready_endpoints_is_unavailable(kubectl, namespace):
    kubectl("apply", "-n", namespace, "-f", "-", input=NOT_READY)
    kubectl("expose", "pod", "unready", "--port=80", "-n", namespace)
    eventually(
        lambda: kubectl(
            "get",
            "endpoints",
            "unready",
            "-n",
            namespace,
            "-o",
            "jsonpath={.subsets[0].notReadyAddresses[0].ip}",
        ),  # fmt: skip
        what="the not-ready address",
    )
    answer = raw(kubectl, f"/api/v1/namespaces/{namespace}/services/unready:80/proxy/")
    assert answer.returncode == 1
    assert answer.stderr == (
        'Error from server (ServiceUnavailable): no endpoints available for service "unready:80"\n'
    )


def test_unknown_service_port_and_bad_names(kubectl, namespace, web):
    base = f"/api/v1/namespaces/{namespace}/services"
    assert raw(kubectl, f"{base}/web:81/proxy/").stderr == (
        'Error from server (ServiceUnavailable): no service port 81 found for service "web"\n'
    )
    assert raw(kubectl, f"{base}/ftp:web:80/proxy/").stderr == (
        'Error from server (BadRequest): invalid service request "ftp:web:80"\n'
    )


def test_pod_proxy_and_an_unreachable_port(kubectl, namespace, web):
    base = f"/api/v1/namespaces/{namespace}/pods"
    assert "Welcome to nginx!" in raw(kubectl, f"{base}/web/proxy/").stdout
    ip = kubectl("get", "pod", "web", "-n", namespace, "-o", "jsonpath={.status.podIP}")
    assert raw(kubectl, f"{base}/web:81/proxy/").stderr == (
        "Error from server (ServiceUnavailable): error trying to reach service: "
        f"dial tcp {ip}:81: connect: connection refused\n"
    )


def test_node_proxy_healthz(kubectl):
    assert raw(kubectl, "/api/v1/nodes/kubelab/proxy/healthz").stdout == "ok"


def test_python_client_service_proxy(api_client, namespace, web):
    core = client.CoreV1Api(api_client)
    page = core.connect_get_namespaced_service_proxy_with_path("web:80", namespace, "index.html")
    assert "<title>Welcome to nginx!</title>" in page
    with pytest.raises(ApiException) as missing:
        core.connect_get_namespaced_service_proxy_with_path("web:80", namespace, "missing.html")
    assert missing.value.status == 404 and "404 Not Found" in missing.value.body
    with pytest.raises(ApiException) as posted:
        core.connect_post_namespaced_service_proxy_with_path("web", namespace, "index.html")
    assert posted.value.status == 405, "the method reaches nginx, which refuses it"


def _http(api_client) -> tuple[urllib3.PoolManager, dict[str, str], str]:
    configuration = api_client.configuration
    manager = urllib3.PoolManager(ca_certs=configuration.ssl_ca_cert)
    bearer = configuration.auth_settings()["BearerToken"]
    headers = {"Authorization": bearer["value"]}
    return manager, headers, configuration.host


def test_proxy_without_a_slash_redirects(api_client, namespace, web):
    manager, headers, host = _http(api_client)
    path = f"/api/v1/namespaces/{namespace}/services/web/proxy"
    answer = manager.request("GET", host + path + "?x=1", headers=headers, redirect=False)
    assert answer.status == 301
    assert answer.headers["Location"] == path + "/?x=1"


def test_links_in_proxied_pages_lead_back_through_the_proxy(api_client, kubectl, namespace, web):
    page = '<a href="/docs/">docs</a> <a href="https://kubernetes.io/">k8s</a> <img src=logo.png>'
    kubectl("exec", "web", "-n", namespace, "--",
            "sh", "-c", f"echo '{page}' > /usr/share/nginx/html/links.html")  # fmt: skip
    manager, headers, host = _http(api_client)
    prefix = f"/api/v1/namespaces/{namespace}/services/web:80/proxy"
    answer = manager.request("GET", f"{host}{prefix}/links.html", headers=headers)
    assert answer.status == 200
    assert answer.data.decode() == (
        f'<a href="{prefix}/docs/">docs</a> <a href="https://kubernetes.io/">k8s</a> '
        '<img src="logo.png">\n'
    )


def test_node_proxy_lists_the_nodes_pods(kubectl, namespace, web):
    listing = json.loads(raw(kubectl, "/api/v1/nodes/kubelab/proxy/pods").stdout)
    names = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in listing["items"]}
    assert (namespace, "web") in names
