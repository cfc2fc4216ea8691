"""The live pictures follow the cluster through their watches: kubectl changes something, and
the picture's next drawing shows it, read back from the SVG's elements."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET

import yaml

from kubelab import show
from kubelab.connect import select
from tests.polling import eventually

NS = "{http://www.w3.org/2000/svg}"


def _elements(svg_text: str, kind: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg_text).iter(f"{NS}g") if g.get("class") == kind]


def _apply(k, ns, manifest):
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))


def _ready_pods(picture) -> list[str]:
    return sorted(
        g.get("data-name") for g in _elements(picture.svg(), "pod") if g.get("data-ready") == "true"
    )


def test_cluster_map_follows_a_deployment_as_kubectl_scales_it(k, ns, connection):
    k("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", ns)
    k("expose", "deployment", "web", "--port=80", "-n", ns)
    with show.cluster_map(ns, connection=connection) as picture:
        assert picture.wait_until_complete(timeout=10)
        assert len(_elements(picture.svg(), "deployment")) == 1
        two = eventually(lambda: len(_ready_pods(picture)) == 2 and _ready_pods(picture))
        svg_text = picture.svg()
        [deployment] = _elements(svg_text, "deployment")
        assert deployment.get("data-name") == "web"
        [replicaset] = _elements(svg_text, "replicaset")
        assert replicaset.get("data-name").startswith("web-")
        assert all(name.startswith(replicaset.get("data-name")) for name in two)
        nodes = k("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").split()
        assert [n.get("data-name") for n in _elements(svg_text, "node")] == nodes

        def service_sends_to_both():
            [service] = _elements(picture.svg(), "service")
            return sorted(service.get("data-endpoints").split()) == two

        eventually(service_sends_to_both)

        k("scale", "deployment", "web", "--replicas=4", "-n", ns)
        four = eventually(lambda: len(_ready_pods(picture)) == 4 and _ready_pods(picture))
        assert set(two) <= set(four)
        [replicaset] = _elements(picture.svg(), "replicaset")
        assert replicaset.get("data-replicas") == "4"
        assert "4 pods, 4 ready" in repr(picture)
        # Outside a notebook the picture is a still SVG image (what a saved notebook keeps).
        bundle = picture._repr_mimebundle_()
        assert set(bundle) == {"text/plain", "image/svg+xml"}
        assert len(_elements(bundle["image/svg+xml"], "pod")) == 4
        still = picture.snapshot()
        assert len(_elements(still._repr_svg_(), "pod")) == 4

        k("scale", "deployment", "web", "--replicas=1", "-n", ns)
        eventually(lambda: len(_elements(picture.svg(), "pod")) == 1)
    assert not picture.watching


def test_rollout_shows_the_new_replicaset_taking_over(k, ns, connection):
    k("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3", "-n", ns)
    eventually(
        lambda: k.json("get", "deployment", "web", "-n", ns)["status"].get("readyReplicas") == 3
    )
    with show.rollout("web", ns, connection=connection) as picture:
        eventually(lambda: _elements(picture.svg(), "replicaset"))
        k("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", ns)

        def handed_over():
            sets = _elements(picture.svg(), "replicaset")
            by_revision = {g.get("data-revision"): g for g in sets}
            return (
                set(by_revision) == {"1", "2"}
                and by_revision["2"].get("data-ready") == "3"
                and by_revision["1"].get("data-replicas") == "0"
                and sets
            )

        sets = eventually(handed_over, timeout=60)
        assert [g.get("data-revision") for g in sets] == ["2", "1"]
        lines = {g.get("data-name") for g in ET.fromstring(picture.svg()).iter(f"{NS}polyline")}
        assert lines == {g.get("data-name") for g in sets}
        # Every sample the picture kept came from the watch; some show both sets with pods.
        samples = picture.picture.samples
        assert any(
            all(s.desired for s in sample.sets) for sample in samples if len(sample.sets) == 2
        )


def test_pod_timeline_shows_a_crash_loop_with_restarts(k, ns, connection):
    with show.pod_timeline("crash", ns, connection=connection) as picture:
        eventually(lambda: "No such Pod" in picture.svg())
        _apply(
            k,
            ns,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "crash"},
                "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["false"]}]},
            },
        )

        def restarted_twice():
            marks = _elements(picture.svg(), "restart")
            return len(marks) >= 2 and marks

        marks = eventually(restarted_twice, timeout=60)
        assert [m.get("data-count") for m in marks][:2] == ["1", "2"]
        states = {g.get("data-label") for g in _elements(picture.svg(), "container-state")}
        assert "CrashLoopBackOff" in states
        assert any(label.startswith("Error (exit 1)") for label in states), states
        reasons = {g.get("data-reason") for g in _elements(picture.svg(), "event")}
        assert {"Scheduled", "BackOff"} <= reasons


def test_resources_shows_qos_classes_against_node_allocatable(k, ns, connection):
    resources = {
        "requests": {"cpu": "250m", "memory": "64Mi"},
        "limits": {"cpu": "250m", "memory": "64Mi"},
    }
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "steady"},
            "spec": {"containers": [{"name": "app", "image": "nginx", "resources": resources}]},
        },
    )
    k("run", "loose", "--image=nginx", "-n", ns)
    with show.resources(ns, connection=connection) as picture:

        def classes():
            found = {g.get("data-name"): g.get("data-qos") for g in _elements(picture.svg(), "pod")}
            return found == {"steady": "Guaranteed", "loose": "BestEffort"} and found

        eventually(lambda: classes())
        [node] = k.json("get", "nodes")["items"]
        [cpu] = [g for g in _elements(picture.svg(), "bar") if g.get("data-resource") == "cpu"]
        assert cpu.get("data-allocatable") in (
            node["status"]["allocatable"]["cpu"],
            f"{node['status']['allocatable']['cpu']}",
        )
        requests = [g.get("data-pod") for g in cpu.iter(f"{NS}g") if g.get("class") == "request"]
        assert "steady" in requests and "loose" not in requests


def test_a_picture_of_an_unreachable_cluster_says_so(fast_cluster, tmp_path):
    config = yaml.safe_load(fast_cluster.kubeconfig.read_text())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    for entry in config["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{closed}"
    elsewhere = tmp_path / "kubeconfig"
    elsewhere.write_text(yaml.safe_dump(config))
    with show.cluster_map("lesson", connection=select(kubeconfig=elsewhere)) as picture:
        problem = eventually(lambda: picture.problem)
        assert f"cannot reach the cluster at https://127.0.0.1:{closed}" in problem
        assert "cannot watch the cluster" in repr(picture)
        assert picture.watching


def test_a_student_who_may_not_list_nodes_still_sees_the_namespace(k, ns, fast_cluster, tmp_path):
    k("create", "serviceaccount", "student", "-n", ns)
    k(
        "create",
        "rolebinding",
        "student-view",
        "--clusterrole=view",
        f"--serviceaccount={ns}:student",
        "-n",
        ns,
    )
    k("run", "web", "--image=nginx", "-n", ns)
    token = k("create", "token", "student", "-n", ns).strip()
    config = yaml.safe_load(fast_cluster.kubeconfig.read_text())
    for entry in config["users"]:
        entry["user"] = {"token": token}
    student = tmp_path / "student"
    student.write_text(yaml.safe_dump(config))
    with show.cluster_map(ns, connection=select(kubeconfig=student)) as picture:
        assert picture.wait_until_complete(timeout=10)
        eventually(lambda: [g.get("data-name") for g in _elements(picture.svg(), "pod")] == ["web"])
        # The pod's node is known from the pod, but not whether it is Ready.
        node_name = k.json("get", "pod", "web", "-n", ns)["spec"]["nodeName"]
        [frame] = _elements(picture.svg(), "node")
        assert (frame.get("data-name"), frame.get("data-ready")) == (node_name, "unknown")
        assert picture.problem.startswith("Node: ")
        assert "forbidden" in picture.problem.lower() or "may not" in picture.problem
