"""A running teaching cluster is found through KUBELAB_HOME and preferred to the current
context; its health endpoint is what says it is running."""

from __future__ import annotations

from kubelab.connect import ClusterKind, connect, probe, running_teaching_cluster


def test_running_teaching_cluster_is_chosen(cluster, learner_env, capsys):
    connection = connect()
    assert connection.kind is ClusterKind.TEACHING
    assert connection.context == "kubelab"
    assert connection.server == cluster.url
    assert connection.kubeconfig == str(cluster.kubeconfig)
    assert connection.chosen_by == "the teaching cluster"
    assert capsys.readouterr().out == f"Using the teaching cluster at {cluster.url}\n"
    assert probe(connection.api_client) is None


def test_teaching_cluster_comes_before_the_current_context(cluster, learner_env):
    kube = learner_env / ".kube"
    kube.mkdir()
    (kube / "config").write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: elsewhere\n"
        "contexts: [{name: elsewhere, context: {cluster: elsewhere, user: u}}]\n"
        "clusters: [{name: elsewhere, cluster: {server: 'https://10.255.255.1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
    )
    assert connect(quiet=True).kind is ClusterKind.TEACHING
    assert connect(context="elsewhere", quiet=True).server == "https://10.255.255.1"


def test_the_teaching_cluster_answers_its_health_check(cluster, learner_env):
    found = running_teaching_cluster(cluster.kubeconfig)
    assert found is not None
    assert found.server == cluster.url
