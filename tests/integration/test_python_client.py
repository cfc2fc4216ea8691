"""The official Python client against the teaching cluster: typed CRUD, watch and errors."""

from __future__ import annotations

import threading

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


def test_configmap_crud_with_typed_models(api_client, namespace):
    core = client.CoreV1Api(api_client)
    created = core.create_namespaced_config_map(
        namespace,
        client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="settings", labels={"app": "demo"}),
            data={"color": "blue"},
        ),
    )
    assert created.metadata.uid and created.metadata.resource_version
    fetched = core.read_namespaced_config_map("settings", namespace)
    assert fetched.data == {"color": "blue"}
    fetched.data["color"] = "green"
    replaced = core.replace_namespaced_config_map("settings", namespace, fetched)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    listed = core.list_namespaced_config_map(namespace, label_selector="app=demo")
    assert [c.metadata.name for c in listed.items] == ["settings"]
    core.delete_namespaced_config_map("settings", namespace)
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("settings", namespace)
    assert missing.value.status == 404


def test_deployment_and_service_round_trip(api_client, namespace):
    apps = client.AppsV1Api(api_client)
    core = client.CoreV1Api(api_client)
    labels = {"app": "shop"}
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="shop"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[
                        client.V1Container(
                            name="web",
                            image="nginx:1.25",
                            ports=[client.V1ContainerPort(container_port=80)],
                        )
                    ]
                ),
            ),
        ),
    )
    created = apps.create_namespaced_deployment(namespace, deployment)
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment_scale("shop", namespace, {"spec": {"replicas": 4}})
    assert scaled.spec.replicas == 4
    assert apps.read_namespaced_deployment("shop", namespace).metadata.generation == 2
    service = core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="shop"),
            spec=client.V1ServiceSpec(selector=labels, ports=[client.V1ServicePort(port=80)]),
        ),
    )
    assert service.spec.type == "ClusterIP"
    assert service.spec.ports[0].target_port == 80
    assert service.spec.ports[0].protocol == "TCP"
    pods = core.list_namespaced_pod(namespace)
    assert isinstance(pods.items, list)


def test_stale_update_is_a_409_conflict(api_client, namespace):
    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="race"), data={"n": "0"})
    )
    first = core.read_namespaced_config_map("race", namespace)
    second = core.read_namespaced_config_map("race", namespace)
    first.data["n"] = "1"
    core.replace_namespaced_config_map("race", namespace, first)
    second.data["n"] = "2"
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("race", namespace, second)
    assert conflict.value.status == 409
    assert "the object has been modified" in conflict.value.body
    assert core.read_namespaced_config_map("race", namespace).data == {"n": "1"}


def test_invalid_object_is_a_422_with_field_causes(api_client, namespace):
    import json

    core = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as invalid:
        core.create_namespaced_config_map(
            namespace,
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Not_Valid"), data={"k": "v"}),
        )
    assert invalid.value.status == 422
    status = json.loads(invalid.value.body)
    assert status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "metadata.name"
    assert status["message"].startswith(
        'ConfigMap "Not_Valid" is invalid: metadata.name: '
        'Invalid value: "Not_Valid": a lowercase RFC 1123'
    )


def test_watch_streams_changes_in_order(api_client, namespace):
    core = client.CoreV1Api(api_client)
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def follow() -> None:
        stream = watch.Watch()
        for event in stream.stream(
            core.list_namespaced_config_map, namespace, resource_version=start, timeout_seconds=10
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 3:
                stream.stop()
        done.set()

    thread = threading.Thread(target=follow)
    thread.start()
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w1"), data={"a": "1"})
    )
    core.patch_namespaced_config_map("w1", namespace, {"data": {"a": "2"}})
    core.delete_namespaced_config_map("w1", namespace)
    assert done.wait(15)
    assert seen == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]


def test_watch_from_a_compacted_version_is_410(api_client, namespace, cluster):
    core = client.CoreV1Api(api_client)
    old = core.list_namespaced_config_map(namespace).metadata.resource_version
    core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="later"), data={"a": "1"})
    )
    cluster.run_sync(cluster.cluster.store.compact)
    stream = watch.Watch()
    with pytest.raises(ApiException) as expired:
        for _ in stream.stream(
            core.list_namespaced_config_map, namespace, resource_version=old, timeout_seconds=5
        ):
            pass
    assert expired.value.status == 410
