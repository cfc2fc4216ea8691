"""Pod spec defaulting, validation, QoS, warnings and label selectors, shared by all workloads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubelab.cluster.resources.podspec import (
    SelectorError,
    default_image_pull_policy,
    default_pod_only,
    default_pod_spec,
    format_label_selector,
    pod_spec_warnings,
    qos_class,
    requirements_match,
    selector_requirements,
    selector_string,
    validate_pod_spec,
    validate_pod_template,
)


def spec(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"containers": [{"name": "web", "image": "nginx:1.27"}]}
    base.update(changes)
    default_pod_spec(base)
    return base


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "web", "image": "nginx:1.27", **fields}


def messages(pod_spec: dict[str, Any], is_pod: bool = True) -> list[str]:
    return [str(e) for e in validate_pod_spec(pod_spec, "spec", is_pod=is_pod)]


# --- defaults ------------------------------------------------------------------------------------


def test_pod_spec_defaults() -> None:
    result = spec(
        containers=[
            container(
                ports=[{"containerPort": 80}],
                readinessProbe={"httpGet": {"port": 80}},
                env=[{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            )
        ],
        volumes=[{"name": "data"}, {"name": "cfg", "configMap": {"name": "cfg"}}],
    )
    assert result["restartPolicy"] == "Always"
    assert result["dnsPolicy"] == "ClusterFirst"
    assert result["terminationGracePeriodSeconds"] == 30
    assert result["schedulerName"] == "default-scheduler"
    assert result["securityContext"] == {}
    web = result["containers"][0]
    assert web["imagePullPolicy"] == "IfNotPresent"
    assert web["terminationMessagePath"] == "/dev/termination-log"
    assert web["terminationMessagePolicy"] == "File"
    assert web["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert web["readinessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert web["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
    assert result["volumes"][0] == {"name": "data", "emptyDir": {}}
    assert result["volumes"][1]["configMap"]["defaultMode"] == 420


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("localhost:5000/nginx", "Always"),
        ("localhost:5000/nginx:1.0", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("NGINX", "IfNotPresent"),
        ("", "IfNotPresent"),
    ],
)
def test_image_pull_policy_follows_the_tag(image: str, policy: str) -> None:
    assert default_image_pull_policy(image) == policy


def test_resources_are_stored_canonically() -> None:
    result = spec(containers=[container(resources={"limits": {"cpu": 0.5, "memory": "1024Mi"}})])
    assert result["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}


def test_pods_but_not_templates_default_requests_to_limits() -> None:
    template_spec = spec(containers=[container(resources={"limits": {"cpu": "1"}})])
    assert "requests" not in template_spec["containers"][0]["resources"]
    pod_spec = copy.deepcopy(template_spec)
    default_pod_only(pod_spec)
    assert pod_spec["containers"][0]["resources"]["requests"] == {"cpu": "1"}
    assert pod_spec["enableServiceLinks"] is True


def test_host_network_pods_use_container_ports_as_host_ports() -> None:
    pod_spec = spec(hostNetwork=True, containers=[container(ports=[{"containerPort": 8080}])])
    default_pod_only(pod_spec)
    assert pod_spec["containers"][0]["ports"][0]["hostPort"] == 8080


# --- validation -----------------------------------------------------------------------------------


def test_a_valid_spec_has_no_errors() -> None:
    assert messages(spec()) == []


def test_containers_are_required() -> None:
    assert messages(spec(containers=[])) == ["spec.containers: Required value"]


def test_container_name_and_image() -> None:
    result = messages(spec(containers=[{"name": ""}, {"name": "Web_1", "image": "nginx"}]))
    assert result[0] == "spec.containers[0].name: Required value"
    assert result[1] == "spec.containers[0].image: Required value"
    assert result[2].startswith(
        'spec.containers[1].name: Invalid value: "Web_1": a lowercase RFC 1123 label must '
        "consist of lower case alphanumeric characters or '-'"
    )


def test_duplicate_container_names() -> None:
    result = messages(spec(containers=[container(), container()]))
    assert result == ['spec.containers[1].name: Duplicate value: "web"']


def test_ports() -> None:
    result = messages(
        spec(
            containers=[
                container(
                    ports=[
                        {"containerPort": 70000},
                        {"containerPort": 80, "protocol": "HTTP"},
                        {"containerPort": 81, "name": "http_port"},
                        {"containerPort": 82, "name": "web"},
                        {"containerPort": 83, "name": "web"},
                    ]
                )
            ]
        )
    )
    assert result == [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 "
        "and 65535, inclusive",
        'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: '
        '"SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[2].name: Invalid value: "http_port": must contain only '
        "alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        'spec.containers[0].ports[4].name: Duplicate value: "web"',
    ]


def test_host_ports_must_not_collide() -> None:
    result = messages(
        spec(
            containers=[
                container(ports=[{"containerPort": 80, "hostPort": 8080}]),
                {"name": "b", "image": "b", "ports": [{"containerPort": 81, "hostPort": 8080}]},
            ]
        )
    )
    assert result == ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"']


def test_env_names_and_value_from() -> None:
    env = [
        {"name": ""},
        {"name": "A=B", "value": "x"},
        {"name": "NONE", "valueFrom": {}},
        {
            "name": "BOTH",
            "valueFrom": {
                "configMapKeyRef": {"name": "cfg", "key": "k"},
                "secretKeyRef": {"name": "s", "key": "k"},
            },
        },
        {"name": "MIXED", "value": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        {"name": "BADKEY", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a b"}}},
        {"name": "FIELD", "valueFrom": {"fieldRef": {"fieldPath": "spec.bogus"}}},
    ]
    result = messages(spec(containers=[container(env=env)]))
    assert result[:5] == [
        "spec.containers[0].env[0].name: Required value",
        'spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable '
        "name must consist only of printable ASCII characters other than '='",
        'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: '
        "`fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        'spec.containers[0].env[3].valueFrom: Invalid value: "": may not have more than one '
        "field specified at a time",
        'spec.containers[0].env[4].valueFrom: Invalid value: "": may not be specified when '
        "`value` is not empty",
    ]
    assert result[5].startswith(
        'spec.containers[0].env[5].valueFrom.configMapKeyRef.key: Invalid value: "a b": '
        "a valid config key must consist of alphanumeric characters"
    )
    assert result[6].startswith(
        "spec.containers[0].env[6].valueFrom.fieldRef.fieldPath: Unsupported value: "
        '"spec.bogus": supported values: "metadata.name"'
    )


def test_env_from_needs_exactly_one_source() -> None:
    result = messages(spec(containers=[container(envFrom=[{"prefix": "X_"}])]))
    assert result == [
        'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` '
        "or `secretRef`"
    ]


def test_volume_names_and_mounts() -> None:
    result = messages(
        spec(
            volumes=[
                {"name": "data", "emptyDir": {}},
                {"name": "data", "emptyDir": {}},
                {"name": "cfg", "configMap": {}},
                {"name": "two", "emptyDir": {}, "secret": {"secretName": "s"}},
            ],
            containers=[
                container(
                    volumeMounts=[
                        {"name": "data", "mountPath": "/data"},
                        {"name": "missing", "mountPath": "/data"},
                        {"name": "cfg", "mountPath": "/etc/cfg", "subPath": "../x"},
                    ]
                )
            ],
        )
    )
    assert result == [
        'spec.volumes[1].name: Duplicate value: "data"',
        "spec.volumes[2].configMap.name: Required value",
        "spec.volumes[3].secret: Forbidden: may not specify more than 1 volume type",
        'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
        'spec.containers[0].volumeMounts[2].name: Not found: "cfg"',
        "spec.containers[0].volumeMounts.subPath: Invalid value: \"../x\": must not contain '..'",
    ]


def test_requests_must_not_exceed_limits() -> None:
    result = messages(
        spec(
            containers=[
                container(
                    resources={
                        "requests": {"cpu": "1", "memory": "256Mi"},
                        "limits": {"cpu": "500m", "memory": "1Gi"},
                    }
                )
            ]
        )
    )
    assert result == [
        'spec.containers[0].resources.requests: Invalid value: "1": must be less than or '
        "equal to cpu limit of 500m"
    ]


def test_resource_names_and_values() -> None:
    result = messages(
        spec(
            containers=[
                container(
                    resources={
                        "limits": {"cpus": "1", "memory": "-1Gi", "nvidia.com/gpu": "500m"},
                        "requests": {"nvidia.com/gpu": "1"},
                    }
                )
            ]
        )
    )
    assert result == [
        'spec.containers[0].resources.limits[cpus]: Invalid value: "cpus": must be a standard '
        "resource type or fully qualified",
        'spec.containers[0].resources.limits[cpus]: Invalid value: "cpus": must be a standard '
        "resource for containers",
        'spec.containers[0].resources.limits[memory]: Invalid value: "-1Gi": must be greater '
        "than or equal to 0",
        'spec.containers[0].resources.limits[nvidia.com/gpu]: Invalid value: "500m": must be '
        "an integer",
        'spec.containers[0].resources.requests: Invalid value: "1": must be equal to '
        "nvidia.com/gpu limit of 500m",
    ]


def test_a_malformed_resource_name_is_also_judged_as_a_container_resource() -> None:
    result = messages(spec(containers=[container(resources={"limits": {"cpu_": "1"}})]))
    assert [message.split(": ", 3)[3] for message in result] == [
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
        "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
        "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        "must be a standard resource for containers",
    ]


def test_unparseable_quantities_are_reported() -> None:
    pod_spec = spec(containers=[container(resources={"limits": {"memory": "1Gb"}})])
    assert messages(pod_spec) == [
        'spec.containers[0].resources.limits[memory]: Invalid value: "1Gb": quantities must '
        "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    ]


def test_probes() -> None:
    result = messages(
        spec(
            containers=[
                container(
                    livenessProbe={"httpGet": {"port": 80}, "successThreshold": 3},
                    readinessProbe={"periodSeconds": 5},
                    startupProbe={"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}},
                )
            ]
        )
    )
    assert result == [
        "spec.containers[0].livenessProbe.successThreshold: Invalid value: 3: must be 1",
        "spec.containers[0].readinessProbe: Required value: must specify a handler type",
        "spec.containers[0].startupProbe.tcpSocket: Forbidden: may not specify more than 1 "
        "handler type",
    ]


def test_probe_ports_and_schemes() -> None:
    result = messages(
        spec(
            containers=[
                container(
                    livenessProbe={"httpGet": {"port": 0, "scheme": "FTP"}},
                    readinessProbe={"tcpSocket": {"port": "Http"}},
                )
            ]
        )
    )
    assert result[0] == (
        "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 "
        "and 65535, inclusive"
    )
    assert result[1] == (
        'spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": '
        'supported values: "HTTP", "HTTPS"'
    )
    assert result[2].startswith("spec.containers[0].readinessProbe.tcpSocket.port: Invalid value")


def test_restart_policy_and_dns_policy() -> None:
    result = messages(spec(restartPolicy="Sometimes", dnsPolicy="Google"))
    assert result == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", '
        '"OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Google": supported values: '
        '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]


def test_init_containers() -> None:
    result = messages(
        spec(
            initContainers=[
                {"name": "web", "image": "busybox"},
                {
                    "name": "setup",
                    "image": "busybox",
                    "readinessProbe": {"exec": {"command": ["x"]}},
                },
                {"name": "side", "image": "envoy", "restartPolicy": "OnFailure"},
            ]
        )
    )
    assert result == [
        'spec.initContainers[0].name: Duplicate value: "web"',
        "spec.initContainers[1].readinessProbe: Forbidden: may not be set for init containers "
        "without restartPolicy=Always",
        'spec.initContainers[2].restartPolicy: Unsupported value: "OnFailure": supported '
        'values: "Always"',
    ]


def test_tolerations_node_selector_and_affinity() -> None:
    result = messages(
        spec(
            tolerations=[
                {"operator": "Equal", "value": "x"},
                {"key": "k", "operator": "Exists", "value": "v"},
            ],
            nodeSelector={"disk": "ssd/fast"},
            affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}},
        )
    )
    assert result[0].startswith('spec.nodeSelector: Invalid value: "ssd/fast": a valid label')
    assert result[1] == (
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
        "nodeSelectorTerms: Required value: must have at least one node selector term"
    )
    assert result[2] == (
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when '
        '`key` is empty, which means "match all values and all keys"'
    )
    assert result[3] == (
        'spec.tolerations[1].operator: Invalid value: "v": value must be empty when '
        "`operator` is 'Exists'"
    )


def test_pod_only_host_network_port_rule() -> None:
    pod_spec = spec(
        hostNetwork=True, containers=[container(ports=[{"containerPort": 80, "hostPort": 81}])]
    )
    assert messages(pod_spec, is_pod=True) == [
        "spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` "
        "when `hostNetwork` is true"
    ]


def test_template_checks_labels_and_forbids_ephemeral_containers() -> None:
    template = {
        "metadata": {"labels": {"app": "bad value"}},
        "spec": spec(ephemeralContainers=[{"name": "debug", "image": "busybox"}]),
    }
    result = [str(e) for e in validate_pod_template(template, "spec.template")]
    assert result[0].startswith('spec.template.labels: Invalid value: "bad value": a valid label')
    assert result[-1] == (
        "spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed "
        "in pod template"
    )


# --- QoS ---------------------------------------------------------------------------------


def test_qos_classes() -> None:
    assert qos_class({"containers": [{"name": "a"}]}) == "BestEffort"
    guaranteed = {
        "limits": {"cpu": "500m", "memory": "128Mi"},
        "requests": {"cpu": "0.5", "memory": "128Mi"},
    }
    assert qos_class({"containers": [{"resources": guaranteed}]}) == "Guaranteed"
    burstable = {"requests": {"cpu": "100m"}}
    assert qos_class({"containers": [{"resources": burstable}]}) == "Burstable"
    only_cpu_limits = {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
    assert qos_class({"containers": [{"resources": only_cpu_limits}]}) == "Burstable"
    mixed = {
        "containers": [{"resources": guaranteed}],
        "initContainers": [{"resources": {}}],
    }
    assert qos_class(mixed) == "Burstable"
    pod_level = {
        "resources": {
            "limits": {"cpu": "1", "memory": "1Gi"},
            "requests": {"cpu": "1", "memory": "1Gi"},
        }
    }
    assert qos_class({**pod_level, "containers": [{}]}) == "Guaranteed"


# --- warnings ----------------------------------------------------------------------------


def test_warnings_learners_meet() -> None:
    pod_spec = {
        "terminationGracePeriodSeconds": -1,
        "containers": [
            {
                "name": "web",
                "resources": {"limits": {"memory": "1.5"}},
                "env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}],
                "ports": [
                    {"containerPort": 80, "protocol": "TCP"},
                    {"containerPort": 80, "protocol": "TCP"},
                ],
            }
        ],
    }
    assert pod_spec_warnings(pod_spec, {}, "spec.template") == [
        "spec.template.spec.containers[0].resources.limits[memory]: fractional byte value "
        '"1500m" is invalid, must be an integer',
        'spec.template.spec.containers[0].env[1]: hides previous definition of "A", which may '
        "be dropped when using apply",
        "spec.template.spec.containers[0].ports[1]: duplicate port definition with "
        "spec.template.spec.containers[0].ports[0]",
        "spec.template.spec.terminationGracePeriodSeconds: must be >= 0; negative values are "
        "invalid and will be treated as 1",
    ]


# --- label selectors -----------------------------------------------------------------------------


def test_selector_strings_sort_keys_and_values() -> None:
    selector = {
        "matchLabels": {"tier": "web", "app": "shop"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "Exists"},
        ],
    }
    assert selector_string(selector) == "app=shop,!canary,env in (dev,prod),tier=web,zone"
    assert format_label_selector({}) == "<none>"
    assert (
        format_label_selector({"matchExpressions": [{"key": "a", "operator": "Bad"}]}) == "<error>"
    )


def test_selector_matching() -> None:
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}],
    }
    requirements = selector_requirements(selector)
    assert requirements_match(requirements, {"app": "web"})
    assert requirements_match(requirements, {"app": "web", "env": "prod"})
    assert not requirements_match(requirements, {"app": "web", "env": "dev"})
    assert not requirements_match(selector_requirements(None), {"app": "web"})
    assert requirements_match(selector_requirements({}), {})


def test_selector_conversion_errors() -> None:
    with pytest.raises(SelectorError):
        selector_string({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})


def test_selector_requirements_are_checked_per_operator():
    """Label selectors know In, NotIn, Exists and DoesNotExist; node affinity adds Gt and Lt,
    and checks values as label values only in its required terms."""
    expressions = [
        {"key": "tier", "operator": "In"},
        {"key": "tier", "operator": "Exists", "values": ["x"]},
        {"key": "cores", "operator": "Gt", "values": ["1", "2"]},
        {"key": "bad key!", "operator": "NotIn", "values": ["not a value!"]},
    ]
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 1, "preference": {"matchExpressions": expressions[3:]}}
            ],
        },
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"topologyKey": "zone", "labelSelector": {"matchExpressions": expressions[2:3]}}
            ]
        },
    }
    found = messages(spec(affinity=affinity))
    node = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
    term = f"{node}nodeSelectorTerms[0].matchExpressions"
    preferred = "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
    pod = "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
    expected = [
        f"{term}[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        f"{term}[1].values: Forbidden: may not be specified when `operator` is 'Exists' or "
        "'DoesNotExist'",
        f"{term}[2].values: Required value: must be specified single value when `operator` is "
        "'Lt' or 'Gt'",
        f'{pod}.labelSelector.matchExpressions[0].operator: Invalid value: "Gt": not a valid '
        "selector operator",
    ]
    for message in expected:
        assert message in found
    assert any(m.startswith(f'{term}[3].key: Invalid value: "bad key!"') for m in found)
    assert any(m.startswith(f'{term}[3].values[0]: Invalid value: "not a value!"') for m in found)
    preference = f"{preferred}.preference.matchExpressions[0]"
    assert any(m.startswith(f"{preference}.key:") for m in found)
    assert not any(m.startswith(f"{preference}.values[0]") for m in found)
