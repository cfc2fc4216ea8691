"""The pod lessons' scenarios, as a learner runs them, checked on what kubectl shows."""

from __future__ import annotations

import json

from tests.polling import eventually


def _pod(k, ns, name):
    return k.json("get", "pod", name, "-n", ns)


def _container_state(k, ns, name):
    statuses = _pod(k, ns, name)["status"].get("containerStatuses") or [{}]
    return statuses[0]


def _apply(k, ns, manifest):
    k("apply", "-n", ns, "-f", "-", input=json.dumps(manifest))


def test_hello_world_pod_completes(k, ns):
    k("run", "hello-world", "--image=hello-world", "--restart=Never", "-n", ns)
    eventually(lambda: _pod(k, ns, "hello-world")["status"].get("phase") == "Succeeded")
    row = k("get", "pod", "hello-world", "-n", ns, "--no-headers").split()
    assert row[:3] == ["hello-world", "0/1", "Completed"]
    terminated = _container_state(k, ns, "hello-world")["state"]["terminated"]
    assert terminated["exitCode"] == 0 and terminated["reason"] == "Completed"


def test_hello_world_deployment_crash_loops_with_growing_restarts(k, ns):
    k("create", "deployment", "hello-world", "--image=hello-world", "-n", ns)

    def crash_looping():
        rows = k("get", "pods", "-n", ns, "--no-headers").splitlines()
        return rows and rows[0].split()[2] == "CrashLoopBackOff" and rows[0]

    row = eventually(crash_looping, timeout=40)
    assert int(row.split()[3]) >= 1
    pod_name = row.split()[0]
    first = _container_state(k, ns, pod_name)["restartCount"]
    eventually(lambda: _container_state(k, ns, pod_name)["restartCount"] > first, timeout=40)
    state = _container_state(k, ns, pod_name)
    assert state["lastState"]["terminated"]["reason"] == "Completed"
    events = k("get", "events", "-n", ns, "--field-selector", f"involvedObject.name={pod_name}")
    assert "Back-off restarting failed container hello-world in pod" in events


def test_false_with_on_failure_restarts_in_place(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "fails"},
            "spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "ubuntu", "image": "ubuntu", "command": ["false"]}],
            },
        },
    )
    eventually(lambda: _container_state(k, ns, "fails").get("restartCount", 0) >= 2, timeout=40)
    state = _container_state(k, ns, "fails")
    assert state["lastState"]["terminated"]["exitCode"] == 1
    assert state["lastState"]["terminated"]["reason"] == "Error"
    assert _pod(k, ns, "fails")["status"]["phase"] == "Running"


def test_liveness_probe_failure_restarts_the_container(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "live"},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "kubelab/demo-app:1.0",
                        "livenessProbe": {
                            "httpGet": {"path": "/health?code=404", "port": 8080},
                            "periodSeconds": 2,
                            "failureThreshold": 2,
                        },
                    }
                ]
            },
        },
    )
    eventually(lambda: _container_state(k, ns, "live").get("restartCount", 0) >= 1, timeout=40)
    events = k("get", "events", "-n", ns, "--field-selector", "involvedObject.name=live")
    assert "Liveness probe failed: HTTP probe failed with statuscode: 404" in events
    assert "Container app failed liveness probe, will be restarted" in events


def test_startup_probe_gates_liveness(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "slow"},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "kubelab/demo-app:1.0",
                        "env": [{"name": "STARTUP_SECONDS", "value": "20"}],
                        "startupProbe": {
                            "httpGet": {"path": "/health", "port": 8080},
                            "periodSeconds": 2,
                            "failureThreshold": 30,
                        },
                        "livenessProbe": {
                            "httpGet": {"path": "/health", "port": 8080},
                            "periodSeconds": 2,
                            "failureThreshold": 1,
                        },
                    }
                ]
            },
        },
    )
    eventually(lambda: _container_state(k, ns, "slow").get("started") is True, timeout=40)
    state = _container_state(k, ns, "slow")
    assert state["restartCount"] == 0
    assert state["ready"] is True


def test_exec_probe_on_a_file(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "filecheck"},
            "spec": {
                "containers": [
                    {
                        "name": "box",
                        "image": "busybox",
                        "command": [
                            "sh",
                            "-c",
                            "touch /tmp/healthy; sleep 20; rm -f /tmp/healthy; sleep 600",
                        ],
                        "livenessProbe": {
                            "exec": {"command": ["test", "-f", "/tmp/healthy"]},
                            "periodSeconds": 5,
                            "failureThreshold": 1,
                        },
                    }
                ]
            },
        },
    )
    eventually(lambda: _container_state(k, ns, "filecheck").get("restartCount", 0) >= 1, timeout=40)
    events = k("get", "events", "-n", ns, "--field-selector", "involvedObject.name=filecheck")
    assert "Liveness probe failed" in events


def test_three_qos_classes(k, ns):
    def pod(name, resources):
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "resources": resources}]},
        }

    _apply(k, ns, pod("best", {}))
    _apply(k, ns, pod("burst", {"requests": {"cpu": "100m"}}))
    _apply(k, ns, pod("guaranteed", {"limits": {"cpu": "200m", "memory": "64Mi"}}))
    assert _pod(k, ns, "best")["status"]["qosClass"] == "BestEffort"
    assert _pod(k, ns, "burst")["status"]["qosClass"] == "Burstable"
    guaranteed = _pod(k, ns, "guaranteed")
    assert guaranteed["status"]["qosClass"] == "Guaranteed"
    assert guaranteed["spec"]["containers"][0]["resources"]["requests"] == {
        "cpu": "200m",
        "memory": "64Mi",
    }


def test_missing_configmap_key_is_a_config_error(k, ns):
    k("create", "configmap", "settings", "--from-literal=color=blue", "-n", ns)
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "cfg"},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.25",
                        "env": [
                            {
                                "name": "SIZE",
                                "valueFrom": {
                                    "configMapKeyRef": {"name": "settings", "key": "size"}
                                },
                            }
                        ],
                    }
                ]
            },
        },
    )

    def waiting():
        state = _container_state(k, ns, "cfg").get("state", {}).get("waiting", {})
        return state.get("reason") == "CreateContainerConfigError" and state

    state = eventually(waiting)
    assert state["message"] == f"couldn't find key size in ConfigMap {ns}/settings"
    row = k("get", "pod", "cfg", "-n", ns, "--no-headers").split()
    assert row[2] == "CreateContainerConfigError"


def test_typo_image_backs_off(k, ns):
    k("run", "typo", "--image=ngnix", "-n", ns)
    eventually(
        lambda: k("get", "pod", "typo", "-n", ns, "--no-headers").split()[2] == "ImagePullBackOff",
        timeout=40,
    )
    described = k("describe", "pod", "typo", "-n", ns)
    assert 'Failed to pull image "ngnix"' in described
    assert "pull access denied" in described


def test_pod_too_big_stays_pending(k, ns):
    _apply(
        k,
        ns,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "huge"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "nginx:1.25",
                        "resources": {"requests": {"cpu": "64", "memory": "1Ti"}},
                    }
                ]
            },
        },
    )

    def unschedulable():
        conditions = _pod(k, ns, "huge")["status"].get("conditions") or []
        return next((c for c in conditions if c.get("reason") == "Unschedulable"), None)

    condition = eventually(unschedulable)
    assert condition["message"].startswith("0/1 nodes are available: 1 Insufficient cpu")
    events = k("get", "events", "-n", ns, "--field-selector", "reason=FailedScheduling")
    assert "0/1 nodes are available" in events
    assert k("get", "pod", "huge", "-n", ns, "--no-headers").split()[2] == "Pending"
