"""The cluster is chosen in the documented order, from kubeconfigs and environment variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubelab.connect import (
    ClusterKind,
    ConnectError,
    Kubeconfig,
    NoClusterError,
    UnknownContextError,
    connect,
    current,
    select,
)


def test_current_context_of_the_default_kubeconfig(home, write_kubeconfig, closed_port):
    write_kubeconfig(
        home / ".kube" / "config",
        {"dev": f"https://127.0.0.1:{closed_port}", "prod": "https://10.0.0.1"},
        current="prod",
    )
    connection = select()
    assert connection.context == "prod"
    assert connection.server == "https://10.0.0.1"
    assert connection.kind is ClusterKind.OTHER
    assert connection.chosen_by == "the current context"
    assert connection.kubeconfig == str(home / ".kube" / "config")
    assert connection.describe() == "Using kubeconfig context 'prod'"


def test_kubeconfig_variable_with_several_files_merges_them_first_one_winning(
    home, write_kubeconfig, monkeypatch
):
    first = write_kubeconfig(home / "a.yaml", {"shared": "https://first"}, current="shared")
    second = write_kubeconfig(
        home / "b.yaml", {"shared": "https://second", "extra": "https://extra"}, current="extra"
    )
    monkeypatch.setenv("KUBECONFIG", f"{first}{os.pathsep}{second}")
    connection = select()
    assert (connection.context, connection.server) == ("shared", "https://first")
    assert connection.kubeconfig == f"{first}{os.pathsep}{second}"
    assert connection.environment()["KUBECONFIG"] == connection.kubeconfig
    assert set(Kubeconfig.load(connection.kubeconfig).contexts) == {"shared", "extra"}


def test_kubelab_context_overrides_the_current_context(home, write_kubeconfig, monkeypatch):
    write_kubeconfig(
        home / ".kube" / "config",
        {"minikube": "https://192.168.49.2:8443", "prod": "https://10.0.0.1"},
        current="prod",
        minikube=("minikube",),
    )
    monkeypatch.setenv("KUBELAB_CONTEXT", "minikube")
    connection = connect()
    assert connection.context == "minikube"
    assert connection.kind is ClusterKind.MINIKUBE
    assert connection.describe() == "Using kubeconfig context 'minikube' (from KUBELAB_CONTEXT)"
    assert current() is connection


def test_context_argument_overrides_kubelab_context(home, write_kubeconfig, monkeypatch):
    write_kubeconfig(home / ".kube" / "config", {"a": "https://a", "b": "https://b"}, current="a")
    monkeypatch.setenv("KUBELAB_CONTEXT", "a")
    assert select(context="b").context == "b"
    assert select(context="b").chosen_by == "the context argument"


def test_unknown_kubelab_context_lists_the_contexts_there_are(home, write_kubeconfig, monkeypatch):
    write_kubeconfig(home / ".kube" / "config", {"a": "https://a", "b": "https://b"}, current="a")
    monkeypatch.setenv("KUBELAB_CONTEXT", "minikbue")
    with pytest.raises(UnknownContextError) as raised:
        select()
    assert raised.value.context == "minikbue"
    assert raised.value.source == "KUBELAB_CONTEXT"
    assert raised.value.available == ["a", "b"]
    assert "KUBELAB_CONTEXT names the context 'minikbue'" in str(raised.value)


def test_named_teaching_context_is_found_in_the_teaching_kubeconfig(
    home, write_kubeconfig, closed_port
):
    write_kubeconfig(home / ".kube" / "config", {"prod": "https://10.0.0.1"}, current="prod")
    teaching = write_kubeconfig(
        home / ".kubelab" / "kubeconfig", {"kubelab": f"https://127.0.0.1:{closed_port}"}
    )
    connection = select(context="kubelab")
    assert connection.kubeconfig == str(teaching)
    assert connection.kind is ClusterKind.TEACHING
    assert connection.describe() == f"Using the teaching cluster at https://127.0.0.1:{closed_port}"


def test_stopped_teaching_cluster_is_passed_over_for_the_current_context(
    home, write_kubeconfig, closed_port
):
    write_kubeconfig(
        home / ".kubelab" / "kubeconfig", {"kubelab": f"https://127.0.0.1:{closed_port}"}
    )
    write_kubeconfig(
        home / ".kube" / "config", {"minikube": "https://192.168.49.2:8443"}, current="minikube"
    )
    connection = select()
    assert connection.context == "minikube"
    assert connection.kind is ClusterKind.MINIKUBE


def test_copy_of_the_teaching_context_elsewhere_is_still_the_teaching_cluster(
    home, write_kubeconfig, closed_port
):
    server = f"https://127.0.0.1:{closed_port}"
    write_kubeconfig(home / ".kubelab" / "kubeconfig", {"kubelab": server})
    write_kubeconfig(home / ".kube" / "config", {"course": server}, current="course")
    assert select().kind is ClusterKind.TEACHING


def test_explicit_kubeconfig_uses_its_current_context_and_namespace(home, write_kubeconfig):
    path = write_kubeconfig(
        home / "class.yaml",
        {"class": "https://class.example:6443"},
        current="class",
        namespaces={"class": "student-7"},
    )
    connection = select(kubeconfig=path)
    assert connection.context == "class"
    assert connection.namespace == "student-7"
    assert connection.chosen_by == "the kubeconfig argument"
    assert connection.in_namespace("lesson-03").namespace == "lesson-03"
    assert connection.in_namespace("lesson-03").api_client is connection.api_client


def test_explicit_kubeconfig_without_current_context_asks_for_one(home, write_kubeconfig):
    path = write_kubeconfig(home / "class.yaml", {"class": "https://class.example:6443"})
    with pytest.raises(NoClusterError, match="has no current context"):
        select(kubeconfig=path)


def test_nothing_to_connect_to_says_how_to_start_a_cluster(home):
    with pytest.raises(NoClusterError, match="kubelab cluster up"):
        select()


def test_a_kubeconfig_that_is_not_yaml_is_reported(home, monkeypatch):
    broken = home / "broken"
    broken.write_text("clusters: [unclosed\n")
    monkeypatch.setenv("KUBECONFIG", str(broken))
    with pytest.raises(ConnectError, match="not valid YAML"):
        select()


def test_kubectl_and_helm_commands_carry_the_context(home, write_kubeconfig):
    write_kubeconfig(home / ".kube" / "config", {"prod": "https://10.0.0.1"}, current="prod")
    connection = select()
    kubectl = connection.kubectl_command("get", "pods")
    assert Path(kubectl[0]).name == "kubectl"
    assert kubectl[1:] == ["--context", "prod", "get", "pods"]
    assert connection.helm_command("list")[1:] == ["--kube-context", "prod", "list"]
    assert connection.environment()["PATH"].split(os.pathsep)[0] == str(Path(kubectl[0]).parent)


def test_programs_started_with_the_environment_take_the_chosen_context(
    home, write_kubeconfig, monkeypatch
):
    """kopf and scripts using the official client have no --context: the environment makes
    the chosen context the current one for them, and leaves the learner's file alone."""
    config = write_kubeconfig(
        home / ".kube" / "config",
        {"minikube": "https://192.168.49.2:8443", "prod": "https://10.0.0.1"},
        current="prod",
        minikube=("minikube",),
    )
    before = Path(config).read_text()
    monkeypatch.setenv("KUBELAB_CONTEXT", "minikube")
    environment = select().environment()
    kubectl = select().kubectl_command()[0]
    shown = subprocess.run(
        [kubectl, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout == "https://192.168.49.2:8443"
    script = (
        "from kubernetes import config\n"
        "contexts, active = config.list_kube_config_contexts()\n"
        "print(active['name'], active['context']['cluster'])\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == ["minikube", "minikube"]
    assert Path(config).read_text() == before


def test_the_current_context_needs_no_pinning(home, write_kubeconfig):
    write_kubeconfig(home / ".kube" / "config", {"prod": "https://10.0.0.1"}, current="prod")
    connection = select()
    assert connection.environment()["KUBECONFIG"] == connection.kubeconfig
