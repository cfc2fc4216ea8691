"""A learner's first kubectl session against a fresh teaching cluster, checked line by line."""

from __future__ import annotations

import json
import re
import time

import yaml

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
"""


def test_cluster_info_names_the_control_plane(kubectl, cluster):
    out = kubectl("cluster-info")
    assert f"Kubernetes control plane is running at {cluster.url}" in out


def test_get_nodes_shows_a_ready_node(kubectl):
    out = kubectl("get", "nodes")
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert row.split()[:3] == ["kubelab", "Ready", "control-plane"]
    assert row.split()[-1] == "v1.37.0"


def test_api_resources_and_versions(kubectl):
    resources = kubectl("api-resources")
    assert re.search(r"^deployments\s+deploy\s+apps/v1\s+true\s+Deployment$", resources, re.M)
    assert re.search(r"^pods\s+po\s+v1\s+true\s+Pod$", resources, re.M)
    assert re.search(r"^namespaces\s+ns\s+v1\s+false\s+Namespace$", resources, re.M)
    versions = kubectl("api-versions").split()
    assert {"v1", "apps/v1", "batch/v1", "networking.k8s.io/v1"} <= set(versions)


def test_explain_reads_the_served_schema(kubectl):
    out = kubectl("explain", "deployment.spec.strategy")
    assert "KIND:       Deployment" in out
    assert "FIELD: strategy <DeploymentStrategy>" in out
    assert "rollingUpdate" in out and "type" in out


def test_run_creates_a_labelled_pod(kubectl, namespace):
    assert kubectl("run", "web", "--image=nginx", "-n", namespace) == "pod/web created\n"
    pod = kubectl.json("get", "pod", "web", "-n", namespace)
    assert pod["metadata"]["labels"] == {"run": "web"}
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["containers"][0]["imagePullPolicy"] == "Always"
    assert spec["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    assert spec["schedulerName"] == "default-scheduler"
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["qosClass"] == "BestEffort"


def test_create_deployment_generator_uses_protobuf(kubectl, namespace):
    out = kubectl(
        "create", "deployment", "hello", "--image=nginx:1.25", "--replicas=3", "-n", namespace
    )
    assert out == "deployment.apps/hello created\n"
    deployment = kubectl.json("get", "deployment", "hello", "-n", namespace)
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "hello"}}
    strategy = deployment["spec"]["strategy"]
    assert strategy == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert deployment["spec"]["revisionHistoryLimit"] == 10
    assert deployment["spec"]["progressDeadlineSeconds"] == 600


def test_create_apply_unchanged_configured(kubectl, namespace, tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    assert kubectl("apply", "-f", str(manifest), "-n", namespace) == (
        "deployment.apps/web created\n"
    )
    assert kubectl("apply", "-f", str(manifest), "-n", namespace) == (
        "deployment.apps/web unchanged\n"
    )
    manifest.write_text(DEPLOYMENT.replace("replicas: 2", "replicas: 4"))
    assert kubectl("apply", "-f", str(manifest), "-n", namespace) == (
        "deployment.apps/web configured\n"
    )
    deployment = kubectl.json("get", "deploy", "web", "-n", namespace)
    assert deployment["spec"]["replicas"] == 4
    assert deployment["metadata"]["generation"] == 2
    last = deployment["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert json.loads(last)["spec"]["replicas"] == 4
    again = kubectl.run("create", "-f", str(manifest), "-n", namespace, check=False)
    assert again.returncode == 1
    assert "Error from server (AlreadyExists): error when creating" in again.stderr
    assert 'deployments.apps "web" already exists' in again.stderr


def test_diff_shows_pending_changes(kubectl, namespace, tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    kubectl("apply", "-f", str(manifest), "-n", namespace)
    manifest.write_text(DEPLOYMENT.replace("nginx:1.25", "nginx:1.26"))
    result = kubectl.run("diff", "-f", str(manifest), "-n", namespace, check=False)
    assert result.returncode == 1, result.stderr
    assert re.search(r"^-\s+- image: nginx:1\.25$", result.stdout, re.M)
    assert re.search(r"^\+\s+- image: nginx:1\.26$", result.stdout, re.M)
    assert (
        kubectl.json("get", "deploy", "web", "-n", namespace)["spec"]["template"]["spec"][
            "containers"
        ][0]["image"]
        == "nginx:1.25"
    )


def test_patch_in_all_three_formats(kubectl, namespace):
    kubectl("create", "configmap", "settings", "--from-literal=color=blue", "-n", namespace)
    kubectl("patch", "configmap", "settings", "-n", namespace, "-p", '{"data":{"size":"large"}}')
    kubectl(
        "patch",
        "configmap",
        "settings",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"data":{"color":null}}',
    )
    kubectl(
        "patch",
        "configmap",
        "settings",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"add","path":"/data/shape","value":"round"}]',
    )
    assert kubectl.json("get", "cm", "settings", "-n", namespace)["data"] == {
        "size": "large",
        "shape": "round",
    }
    failed = kubectl.run(
        "patch",
        "configmap",
        "settings",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"test","path":"/data/size","value":"small"}]',
        check=False,
    )
    assert failed.returncode == 1
    assert failed.stderr == (
        "The request is invalid: the server rejected our request due to an error in our request\n"
    )


def test_label_annotate_scale(kubectl, namespace, tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    kubectl("apply", "-f", str(manifest), "-n", namespace)
    assert kubectl("label", "deploy", "web", "tier=frontend", "-n", namespace) == (
        "deployment.apps/web labeled\n"
    )
    assert kubectl("annotate", "deploy", "web", "owner=team-a", "-n", namespace) == (
        "deployment.apps/web annotated\n"
    )
    assert kubectl("scale", "deploy", "web", "--replicas=5", "-n", namespace) == (
        "deployment.apps/web scaled\n"
    )
    deployment = kubectl.json("get", "deploy", "web", "-n", namespace)
    assert deployment["metadata"]["labels"]["tier"] == "frontend"
    assert deployment["metadata"]["annotations"]["owner"] == "team-a"
    assert deployment["spec"]["replicas"] == 5
    kubectl("label", "deploy", "web", "tier-", "-n", namespace)
    assert "tier" not in kubectl.json("get", "deploy", "web", "-n", namespace)["metadata"]["labels"]


def test_get_output_formats_and_selectors(kubectl, namespace):
    kubectl("create", "configmap", "a", "--from-literal=k=v", "-n", namespace)
    kubectl("create", "configmap", "b", "--from-literal=k=v", "--from-literal=j=w", "-n", namespace)
    kubectl("label", "configmap", "a", "team=red", "-n", namespace)
    table = kubectl("get", "configmaps", "-n", namespace).splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"]
    rows = {line.split()[0]: line.split()[1] for line in table[1:]}
    assert rows["a"] == "1" and rows["b"] == "2"
    assert kubectl("get", "cm", "-l", "team=red", "-n", namespace, "-o", "name") == (
        "configmap/a\n"
    )
    others = kubectl("get", "cm", "-l", "team!=red", "-n", namespace, "-o", "name").split()
    assert "configmap/b" in others and "configmap/a" not in others
    assert (
        kubectl("get", "cm", "--field-selector", "metadata.name=b", "-n", namespace, "-o", "name")
        == "configmap/b\n"
    )
    assert kubectl("get", "cm", "a", "-n", namespace, "-o", "jsonpath={.data.k}") == "v"
    custom = kubectl(
        "get",
        "cm",
        "a",
        "-n",
        namespace,
        "-o",
        "custom-columns=NAME:.metadata.name,TEAM:.metadata.labels.team",
    )
    assert custom.split() == ["NAME", "TEAM", "a", "red"]
    as_yaml = yaml.safe_load(kubectl("get", "cm", "a", "-n", namespace, "-o", "yaml"))
    assert as_yaml["kind"] == "ConfigMap" and as_yaml["data"] == {"k": "v"}
    everywhere = kubectl("get", "cm", "-A")
    assert everywhere.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert re.search(rf"^{namespace}\s+a\s+1\s", everywhere, re.M)


def test_get_wide_shows_priority_columns(kubectl, namespace):
    kubectl("run", "wide", "--image=nginx", "-n", namespace)
    header = kubectl("get", "pod", "wide", "-o", "wide", "-n", namespace).splitlines()[0]
    assert header.split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]


def test_get_watch_sees_a_change(kubectl, namespace):
    kubectl("create", "configmap", "watched", "--from-literal=k=1", "-n", namespace)
    watcher = kubectl.popen("get", "cm", "watched", "-w", "-n", namespace, "--output-watch-events")
    try:
        first = watcher.stdout.readline()
        assert first.split()[:2] == ["EVENT", "NAME"]
        assert watcher.stdout.readline().split()[:2] == ["ADDED", "watched"]
        kubectl("patch", "cm", "watched", "-n", namespace, "-p", '{"data":{"k":"2"}}')
        assert watcher.stdout.readline().split()[:2] == ["MODIFIED", "watched"]
    finally:
        watcher.kill()
        watcher.wait()


def test_describe_lists_fields_and_events(kubectl, namespace, tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    kubectl("apply", "-f", str(manifest), "-n", namespace)
    out = kubectl("describe", "deployment", "web", "-n", namespace)
    assert re.search(r"^Name:\s+web$", out, re.M)
    assert re.search(rf"^Namespace:\s+{namespace}$", out, re.M)
    assert re.search(r"^Selector:\s+app=web$", out, re.M)
    assert re.search(r"^StrategyType:\s+RollingUpdate$", out, re.M)
    assert "nginx:1.25" in out


def test_namespaces_and_dash_n(kubectl):
    assert kubectl("create", "namespace", "lesson-x") == "namespace/lesson-x created\n"
    kubectl("create", "configmap", "here", "--from-literal=a=b", "-n", "lesson-x")
    assert kubectl("get", "cm", "here", "-n", "lesson-x", "-o", "name") == "configmap/here\n"
    missing = kubectl.run("get", "cm", "here", "-n", "default", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == ('Error from server (NotFound): configmaps "here" not found')
    assert kubectl("delete", "namespace", "lesson-x") == 'namespace "lesson-x" deleted\n'
    gone = kubectl.run("get", "namespace", "lesson-x", check=False)
    assert 'namespaces "lesson-x" not found' in gone.stderr


def test_wait_for_condition_and_delete(kubectl, namespace):
    kubectl("run", "waiter", "--image=nginx", "-n", namespace)
    kubectl(
        "patch",
        "pod",
        "waiter",
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
    )
    out = kubectl("wait", "--for=condition=Ready", "pod/waiter", "-n", namespace, "--timeout=20s")
    assert out == "pod/waiter condition met\n"
    kubectl("delete", "pod", "waiter", "-n", namespace, "--wait=false")
    out = kubectl("wait", "--for=delete", "pod/waiter", "-n", namespace, "--timeout=20s")
    assert "pod/waiter condition met" in out or out == ""


def test_server_dry_run_changes_nothing(kubectl, namespace):
    out = kubectl(
        "create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server", "-n", namespace
    )
    assert out == "configmap/dry created (server dry run)\n"
    assert kubectl.run("get", "cm", "dry", "-n", namespace, check=False).returncode == 1


def test_invalid_manifest_gets_the_real_error(kubectl, namespace, tmp_path):
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        DEPLOYMENT.replace("        app: web\n    spec:", "        app: api\n    spec:")
    )
    result = kubectl.run("apply", "-f", str(manifest), "-n", namespace, check=False)
    assert result.returncode == 1
    assert (
        'The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: '
        '{"app":"api"}: `selector` does not match template `labels`' in result.stderr
    )
    assert kubectl.run("get", "deploy", "web", "-n", namespace, check=False).returncode == 1


def test_unknown_field_is_rejected_strictly(kubectl, namespace, tmp_path):
    manifest = tmp_path / "typo.yaml"
    manifest.write_text(
        DEPLOYMENT.replace("image: nginx:1.25", "image: nginx:1.25\n        imagee: typo")
    )
    result = kubectl.run("apply", "-f", str(manifest), "-n", namespace, check=False)
    assert result.returncode == 1
    assert (
        'strict decoding error: unknown field "spec.template.spec.containers[0].imagee"'
        in result.stderr
    )


def _owned_configmap(kubectl, namespace, name, owner):
    owner_obj = kubectl.json("get", "cm", owner, "-n", namespace)
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "ownerReferences": [
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "name": owner,
                    "uid": owner_obj["metadata"]["uid"],
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "data": {"k": "v"},
    }
    kubectl("create", "-n", namespace, "-f", "-", input=json.dumps(manifest))


def _gone(kubectl, namespace, name, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kubectl.run("get", "cm", name, "-n", namespace, check=False).returncode == 1:
            return True
        time.sleep(0.1)
    return False


def test_delete_cascade_background_foreground_orphan(kubectl, namespace):
    for mode in ("background", "foreground", "orphan"):
        kubectl("create", "configmap", f"owner-{mode}", "--from-literal=a=b", "-n", namespace)
        _owned_configmap(kubectl, namespace, f"child-{mode}", f"owner-{mode}")
        out = kubectl("delete", "cm", f"owner-{mode}", f"--cascade={mode}", "-n", namespace)
        assert out == f'configmap "owner-{mode}" deleted from {namespace} namespace\n'
        assert _gone(kubectl, namespace, f"owner-{mode}")
    assert _gone(kubectl, namespace, "child-background")
    assert _gone(kubectl, namespace, "child-foreground")
    orphan = kubectl.json("get", "cm", "child-orphan", "-n", namespace)
    assert "ownerReferences" not in orphan["metadata"]
