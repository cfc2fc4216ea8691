"""The controller, Service, volume and scheduling lessons' scenarios."""

from __future__ import annotations

import json

from tests.polling import eventually


def _apply(k, ns, manifest):
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))


def _running_pods(k, ns, selector):
    pods = k.json("get", "pods", "-n", ns, "-l", selector)["items"]
    return [
        p
        for p in pods
        if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
    ]


def test_deployment_heals_after_a_pod_is_deleted(k, ns):
    k("create", "deployment", "web", "--image=nginx:1.25", "--replicas=5", "-n", ns)
    pods = eventually(
        lambda: len(_running_pods(k, ns, "app=web")) == 5 and _running_pods(k, ns, "app=web"),
        timeout=40,
    )
    victim = pods[0]["metadata"]["name"]
    k("delete", "pod", victim, "-n", ns, "--wait=false")
    eventually(
        lambda: (
            len(_running_pods(k, ns, "app=web")) == 5
            and victim not in {p["metadata"]["name"] for p in _running_pods(k, ns, "app=web")}
        ),
        timeout=40,
    )


def test_replication_controller_adopts_a_matching_bare_pod(k, ns):
    k("run", "myweb-bare", "--image=nginx:1.25", "--labels=app=myweb", "-n", ns)
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {"name": "myweb"},
            "spec": {
                "replicas": 2,
                "selector": {"app": "myweb"},
                "template": {
                    "metadata": {"labels": {"app": "myweb"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
                },
            },
        },
    )

    def adopted():
        pod = k.json("get", "pod", "myweb-bare", "-n", ns)
        owners = pod["metadata"].get("ownerReferences") or []
        return owners and owners[0]["kind"] == "ReplicationController" and owners[0]

    owner = eventually(adopted)
    assert owner["name"] == "myweb" and owner["controller"] is True
    eventually(lambda: len(k.json("get", "pods", "-n", ns, "-l", "app=myweb")["items"]) == 2)


def test_rolling_update_and_undo(k, ns):
    k("create", "deployment", "web", "--image=nginx:1.25", "--replicas=4", "-n", ns)
    k("rollout", "status", "deploy/web", "-n", ns, "--timeout=60s")
    k("set", "image", "deploy/web", "nginx=nginx:1.26", "-n", ns)
    out = k("rollout", "status", "deploy/web", "-n", ns, "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in out
    sets = k.json("get", "rs", "-n", ns)["items"]
    assert sorted(rs["spec"]["replicas"] for rs in sets) == [0, 4]
    images = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]
        for rs in sets
        if rs["spec"]["replicas"]
    }
    assert images == {"nginx:1.26"}
    history = k("rollout", "history", "deploy/web", "-n", ns)
    assert history.split()[:2] == ["deployment.apps/web", "REVISION"]
    k("rollout", "undo", "deploy/web", "-n", ns)
    k("rollout", "status", "deploy/web", "-n", ns, "--timeout=60s")
    image = k.json("get", "deploy", "web", "-n", ns)["spec"]["template"]["spec"]["containers"][0][
        "image"
    ]
    assert image == "nginx:1.25"


def test_service_endpoints_follow_readiness(k, ns):
    k("create", "deployment", "app", "--image=kubelab/demo-app:1.0", "--replicas=2", "-n", ns)
    k("expose", "deployment", "app", "--port=80", "--target-port=8080", "-n", ns)
    k(
        "patch",
        "deployment",
        "app",
        "-n",
        ns,
        "--type=json",
        "-p",
        json.dumps(
            [
                {
                    "op": "add",
                    "path": "/spec/template/spec/containers/0/readinessProbe",
                    "value": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 1},
                }
            ]
        ),
    )
    k("rollout", "status", "deploy/app", "-n", ns, "--timeout=60s")

    def ready_addresses():
        endpoints = k.json("get", "endpoints", "app", "-n", ns)
        return [a["ip"] for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []]

    eventually(lambda: len(ready_addresses()) == 2)
    pod = _running_pods(k, ns, "app=app")[0]
    # The app answers the switch itself with 503 (it is no longer ready), so wget exits 1.
    k.run(
        "exec",
        pod["metadata"]["name"],
        "-n",
        ns,
        "--",
        "wget",
        "-qO-",
        "http://localhost:8080/ready?set=false",
        check=False,
    )
    eventually(
        lambda: (
            ready_addresses()
            == [
                p["status"]["podIP"]
                for p in _running_pods(k, ns, "app=app")
                if p["metadata"]["name"] != pod["metadata"]["name"]
            ]
        )
    )
    slices = k.json("get", "endpointslices", "-n", ns, "-l", "kubernetes.io/service-name=app")[
        "items"
    ]
    conditions = {
        e["targetRef"]["name"]: e["conditions"]["ready"] for s in slices for e in s["endpoints"]
    }
    assert conditions[pod["metadata"]["name"]] is False


def test_empty_dir_is_shared_between_containers(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "shared"},
            "spec": {
                "volumes": [{"name": "html", "emptyDir": {}}],
                "containers": [
                    {
                        "name": "writer",
                        "image": "busybox",
                        "command": [
                            "sh",
                            "-c",
                            "echo hello from the writer > /data/index.html; sleep 3600",
                        ],
                        "volumeMounts": [{"name": "html", "mountPath": "/data"}],
                    },
                    {
                        "name": "web",
                        "image": "nginx:1.25",
                        "volumeMounts": [{"name": "html", "mountPath": "/usr/share/nginx/html"}],
                    },
                ],
            },
        },
    )
    eventually(lambda: k.json("get", "pod", "shared", "-n", ns)["status"].get("phase") == "Running")
    page = eventually(
        lambda: (
            k.run(
                "exec",
                "shared",
                "-c",
                "web",
                "-n",
                ns,
                "--",
                "cat",
                "/usr/share/nginx/html/index.html",
                check=False,
            ).stdout
        )
    )
    assert page == "hello from the writer\n"


def test_data_on_a_claim_survives_the_pod(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )

    def pod(name, command):
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "restartPolicy": "Never",
                "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "command": ["sh", "-c", command],
                        "volumeMounts": [{"name": "d", "mountPath": "/data"}],
                    }
                ],
            },
        }

    _apply(k, ns, pod("writer", "echo kept > /data/note.txt"))
    eventually(
        lambda: k.json("get", "pod", "writer", "-n", ns)["status"].get("phase") == "Succeeded",
        timeout=40,
    )
    k("delete", "pod", "writer", "-n", ns)
    _apply(k, ns, pod("reader", "cat /data/note.txt"))
    eventually(
        lambda: k.json("get", "pod", "reader", "-n", ns)["status"].get("phase") == "Succeeded",
        timeout=40,
    )
    assert k("logs", "reader", "-n", ns) == "kept\n"
    assert k.json("get", "pvc", "data", "-n", ns)["status"]["phase"] == "Bound"


def test_cronjob_creates_jobs_on_schedule(k, ns):
    k(
        "create",
        "cronjob",
        "tick",
        "--image=busybox",
        "--schedule=*/1 * * * *",
        "-n",
        ns,
        "--",
        "echo",
        "tick",
    )
    jobs = eventually(lambda: k.json("get", "jobs", "-n", ns)["items"], timeout=15)
    assert jobs[0]["metadata"]["name"].startswith("tick-")
    assert jobs[0]["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    eventually(lambda: k.json("get", "cronjob", "tick", "-n", ns)["status"].get("lastScheduleTime"))


def test_job_runs_to_completion(k, ns):
    k("create", "job", "hello", "--image=hello-world", "-n", ns)
    k("wait", "--for=condition=Complete", "job/hello", "-n", ns, "--timeout=60s")
    assert k("get", "job", "hello", "-n", ns, "--no-headers").split()[1:3] == ["Complete", "1/1"]


def test_statefulset_creates_pods_in_order_with_their_claims(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "nginx"},
            "spec": {"clusterIP": "None", "selector": {"app": "nginx"}, "ports": [{"port": 80}]},
        },
    )
    _apply(
        k,
        ns,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web"},
            "spec": {
                "serviceName": "nginx",
                "replicas": 3,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "nginx",
                                "image": "nginx:1.25",
                                "volumeMounts": [
                                    {"name": "www", "mountPath": "/usr/share/nginx/html"}
                                ],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "www"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        },
    )
    k("rollout", "status", "statefulset/web", "-n", ns, "--timeout=90s")
    pods = k.json("get", "pods", "-n", ns, "-l", "app=nginx")["items"]
    by_name = {p["metadata"]["name"]: p for p in pods}
    assert sorted(by_name) == ["web-0", "web-1", "web-2"]
    started = [by_name[f"web-{i}"]["metadata"]["creationTimestamp"] for i in range(3)]
    assert started == sorted(started)
    claims = sorted(c["metadata"]["name"] for c in k.json("get", "pvc", "-n", ns)["items"])
    assert claims == ["www-web-0", "www-web-1", "www-web-2"]
