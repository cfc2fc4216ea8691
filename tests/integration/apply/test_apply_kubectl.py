"""Server-side apply and field ownership with the real kubectl.

Each test applies manifests the way a learner would (``kubectl apply --server-side``, plain
``kubectl apply``, ``--force-conflicts``, ``--dry-run=server``) and reads the result back with
``kubectl get --show-managed-fields``, so what is checked is what a learner sees.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{app: web{extra_label}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env:
        - {{name: MODE, value: prod}}{extra_env}
"""


def deployment(replicas: int = 2, tier: bool = False, debug: bool = False) -> str:
    return DEPLOYMENT.format(
        replicas=replicas,
        extra_label=", tier: front" if tier else "",
        extra_env="\n        - {name: DEBUG, value: '1'}" if debug else "",
    )


def configmap(**data: str) -> str:
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": data}
    )


def live(kubectl: Any, namespace: str, kind: str = "deployment", name: str = "web") -> dict:
    return kubectl.json("get", kind, name, "-n", namespace, "--show-managed-fields")


def managers(obj: dict) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields", [])]


def fields_of(obj: dict, manager: str, operation: str = "Apply") -> dict:
    (entry,) = [
        e
        for e in obj["metadata"]["managedFields"]
        if (e["manager"], e["operation"]) == (manager, operation)
    ]
    return entry["fieldsV1"]


def test_apply_server_side_creates_then_updates(kubectl: Any, namespace: str) -> None:
    out = kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=deployment(2))
    assert out.strip() == "deployment.apps/web serverside-applied"
    created = live(kubectl, namespace)
    (entry,) = [e for e in created["metadata"]["managedFields"] if e["manager"] == "kubectl"]
    assert entry["operation"] == "Apply"
    assert entry["apiVersion"] == "apps/v1"
    assert entry["fieldsType"] == "FieldsV1"
    assert entry["fieldsV1"]["f:spec"]["f:replicas"] == {}
    container = entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert container == {
        'k:{"name":"web"}': {
            ".": {},
            "f:env": {'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}},
            "f:image": {},
            "f:name": {},
        }
    }

    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=deployment(3))
    updated = live(kubectl, namespace)
    assert updated["spec"]["replicas"] == 3
    assert updated["metadata"]["generation"] == 2


def test_managed_fields_print_as_on_a_real_cluster(kubectl: Any, namespace: str) -> None:
    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=deployment(2))
    text = kubectl(
        "get", "deployment", "web", "-n", namespace, "-o", "yaml", "--show-managed-fields"
    )
    assert "  managedFields:\n  - apiVersion: apps/v1\n    fieldsType: FieldsV1\n" in text
    assert "          f:spec:\n            f:containers:\n" in text
    assert '              k:{"name":"web"}:\n                .: {}\n' in text
    assert "    manager: kubectl\n    operation: Apply\n" in text
    hidden = kubectl("get", "deployment", "web", "-n", namespace, "-o", "yaml")
    assert "managedFields" not in hidden


def test_a_conflict_and_forcing_it(kubectl: Any, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", input=deployment(2))
    result = kubectl.run(
        "apply",
        "--server-side",
        "--field-manager=release-bot",
        "-n",
        namespace,
        "-f",
        "-",
        input=deployment(5),
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: Apply failed with 1 conflict: conflict with "
        '"kubectl-client-side-apply" using apps/v1: .spec.replicas\n'
        "Please review the fields above--they currently have other managers."
    )
    assert live(kubectl, namespace)["spec"]["replicas"] == 2

    kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=release-bot",
        "-n",
        namespace,
        "-f",
        "-",
        input=deployment(5),
    )
    forced = live(kubectl, namespace)
    assert forced["spec"]["replicas"] == 5
    owners = [
        e["manager"]
        for e in forced["metadata"]["managedFields"]
        if "f:replicas" in e["fieldsV1"].get("f:spec", {})
    ]
    assert owners == ["release-bot"]
    # kubectl then moved what client-side apply owned into the new manager's entry.
    assert ("kubectl-client-side-apply", "Update") not in managers(forced)


def test_a_field_the_manager_stopped_applying_is_removed(kubectl: Any, namespace: str) -> None:
    full = deployment(2, tier=True, debug=True)
    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=full)
    assert live(kubectl, namespace)["metadata"]["labels"] == {"app": "web", "tier": "front"}
    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=deployment(2))
    trimmed = live(kubectl, namespace)
    assert trimmed["metadata"]["labels"] == {"app": "web"}
    env = trimmed["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "MODE", "value": "prod"}]


def test_two_managers_share_an_object(kubectl: Any, namespace: str) -> None:
    def apply_as(manager: str, manifest: str) -> None:
        kubectl(
            "apply", "--server-side", f"--field-manager={manager}", "-n", namespace,
            "-f", "-", input=manifest,
        )  # fmt: skip

    apply_as("team-a", configmap(colour="blue", size="L"))
    apply_as("team-b", configmap(size="L", shape="round"))
    both = live(kubectl, namespace, "configmap", "shared")
    assert both["data"] == {"colour": "blue", "size": "L", "shape": "round"}
    assert fields_of(both, "team-a") == {"f:data": {"f:colour": {}, "f:size": {}}}
    assert fields_of(both, "team-b") == {"f:data": {"f:shape": {}, "f:size": {}}}

    # team-a drops size, but team-b still applies it, so it stays.
    apply_as("team-a", configmap(colour="blue"))
    assert live(kubectl, namespace, "configmap", "shared")["data"] == {
        "colour": "blue",
        "size": "L",
        "shape": "round",
    }
    # team-b may not change colour, which team-a owns.
    result = kubectl.run(
        "apply", "--server-side", "--field-manager=team-b", "-n", namespace, "-f", "-",
        input=configmap(colour="red", size="L", shape="round"), check=False,
    )  # fmt: skip
    assert 'conflict with "team-a": .data.colour' in result.stderr


def test_client_side_then_server_side_apply(kubectl: Any, namespace: str) -> None:
    """``kubectl apply --server-side`` takes over from ``kubectl apply`` without conflicts:
    it inherits what the last-applied annotation lists and migrates the entries."""
    kubectl("apply", "-n", namespace, "-f", "-", input=deployment(2))
    before = live(kubectl, namespace)
    assert ("kubectl-client-side-apply", "Update") in managers(before)

    out = kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=deployment(3))
    assert out.strip() == "deployment.apps/web serverside-applied"
    after = live(kubectl, namespace)
    assert after["spec"]["replicas"] == 3
    assert ("kubectl", "Apply") in managers(after)
    assert ("kubectl-client-side-apply", "Update") not in managers(after)
    assert fields_of(after, "kubectl-last-applied") == {
        "f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}}
    }
    last_applied = after["metadata"]["annotations"][
        "kubectl.kubernetes.io/last-applied-configuration"
    ]
    assert json.loads(last_applied)["spec"]["replicas"] == 3


def test_server_side_then_client_side_apply(kubectl: Any, namespace: str) -> None:
    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=deployment(2))
    result = kubectl.run("apply", "-n", namespace, "-f", "-", input=deployment(4))
    assert "deployment.apps/web configured" in result.stdout
    assert "missing the kubectl.kubernetes.io/last-applied-configuration annotation" in (
        result.stderr
    )
    after = live(kubectl, namespace)
    assert after["spec"]["replicas"] == 4
    # A plain update never conflicts: it takes the fields it changed.
    assert "f:replicas" in fields_of(after, "kubectl-client-side-apply", "Update")["f:spec"]
    assert "f:replicas" not in fields_of(after, "kubectl")["f:spec"]


def test_server_side_apply_dry_run(kubectl: Any, namespace: str) -> None:
    out = kubectl(
        "apply", "--server-side", "--dry-run=server", "-n", namespace, "-f", "-",
        input=deployment(2),
    )  # fmt: skip
    assert out.strip() == "deployment.apps/web serverside-applied (server dry run)"
    missing = kubectl.run("get", "deployment", "web", "-n", namespace, check=False)
    assert 'deployments.apps "web" not found' in missing.stderr

    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=deployment(2))
    shown = kubectl(
        "apply", "--server-side", "--dry-run=server", "-n", namespace, "-f", "-",
        "-o", "jsonpath={.spec.replicas}", input=deployment(7),
    )  # fmt: skip
    assert shown == "7"
    assert live(kubectl, namespace)["spec"]["replicas"] == 2


def test_apply_without_a_field_manager_is_refused(kubectl: Any, namespace: str) -> None:
    result = kubectl.run(
        "apply", "--server-side", "--field-manager=", "-n", namespace, "-f", "-",
        input=configmap(a="1"), check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr == (
        'The PatchOptions "" is invalid: fieldManager: Required value: is required for apply '
        "patch\n"
    )


WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.ssa.kubelab.test}
spec:
  group: ssa.kubelab.test
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              parts:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [id]
                items:
                  type: object
                  required: [id]
                  properties:
                    id: {type: string}
                    count: {type: integer}
"""

WIDGET = """\
apiVersion: ssa.kubelab.test/v1
kind: Widget
metadata: {{name: w1}}
spec:
  size: 3
  parts:
  - {{id: a, count: 1}}
  - {{id: b, count: {b_count}}}
"""


#: The Widget resource by its full name: other tests' CRDs also have a kind Widget.
WIDGETS = "widgets.ssa.kubelab.test"


def test_custom_resources_merge_by_their_schemas_list_keys(kubectl: Any, namespace: str) -> None:
    kubectl("apply", "--server-side", "-f", "-", input=WIDGET_CRD)
    kubectl("wait", "--for=condition=Established", "crd/widgets.ssa.kubelab.test")
    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=WIDGET.format(b_count=2))
    widget = live(kubectl, namespace, WIDGETS, "w1")
    # Items are keyed by the list-map key the CRD's schema declares.
    assert fields_of(widget, "kubectl") == {
        "f:spec": {
            "f:parts": {
                'k:{"id":"a"}': {".": {}, "f:count": {}, "f:id": {}},
                'k:{"id":"b"}': {".": {}, "f:count": {}, "f:id": {}},
            },
            "f:size": {},
        }
    }
    result = kubectl.run(
        "apply", "--server-side", "--field-manager=other", "-n", namespace, "-f", "-",
        input=WIDGET.format(b_count=5), check=False,
    )  # fmt: skip
    assert 'conflict with "kubectl": .spec.parts[id="b"].count' in result.stderr
    without_b = WIDGET.format(b_count=2).replace("  - {id: b, count: 2}\n", "")
    kubectl("apply", "--server-side", "-n", namespace, "-f", "-", input=without_b)
    assert live(kubectl, namespace, WIDGETS, "w1")["spec"]["parts"] == [{"id": "a", "count": 1}]
    # Created by a plain write, a custom resource's spec is a new node: it has no Go type, so
    # nothing exists before the create.
    created = WIDGET.format(b_count=2).replace("name: w1", "name: w2")
    kubectl("create", "-n", namespace, "-f", "-", input=created)
    update_entry = fields_of(live(kubectl, namespace, WIDGETS, "w2"), "kubectl-create", "Update")
    assert update_entry["f:spec"]["."] == {} and update_entry["f:spec"]["f:parts"]["."] == {}
