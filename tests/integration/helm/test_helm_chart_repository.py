"""The chart repository the teaching cluster serves at /charts: its index, its archives, and
helm's repo add / search / pull / show against it with no internet."""

from __future__ import annotations

import hashlib
import os
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import yaml

from kubelab.cluster import charts
from kubelab.cluster.embedded import EmbeddedCluster
from tests.integration.helm.conftest import HELM, Helm

WEBAPP_SOURCE = charts.COURSE_CHARTS / "webapp"
WEBAPP = yaml.safe_load((WEBAPP_SOURCE / "Chart.yaml").read_text())
WEBAPP_VALUES = yaml.safe_load((WEBAPP_SOURCE / "values.yaml").read_text())
KUBELAB = Path(sys.executable).parent / "kubelab"


def _get(cluster: EmbeddedCluster, path: str, method: str = "GET") -> tuple[int, bytes]:
    """A request with no credentials at all, trusting only the cluster's CA."""
    context = ssl.create_default_context(cafile=str(cluster.cluster.home / "pki" / "ca.crt"))
    request = urllib.request.Request(f"{cluster.url}{path}", method=method)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _set_version(chart_dir: Path, version: str) -> None:
    chart_yaml = chart_dir / "Chart.yaml"
    metadata = yaml.safe_load(chart_yaml.read_text())
    chart_yaml.write_text(yaml.safe_dump({**metadata, "version": version}))


def test_index_is_public_and_describes_every_course_chart(fast_cluster: EmbeddedCluster) -> None:
    status, body = _get(fast_cluster, "/charts/index.yaml")
    assert status == 200
    index = yaml.safe_load(body)
    assert index["apiVersion"] == "v1"
    datetime.fromisoformat(index["generated"])
    (entry,) = index["entries"]["webapp"]
    assert entry["name"] == "webapp"
    assert entry["version"] == WEBAPP["version"]
    assert entry["appVersion"] == WEBAPP["appVersion"]
    assert entry["description"] == WEBAPP["description"]
    assert entry["apiVersion"] == "v2"
    assert entry["urls"] == [f"webapp-{WEBAPP['version']}.tgz"]
    datetime.fromisoformat(entry["created"])
    status, archive = _get(fast_cluster, f"/charts/{entry['urls'][0]}")
    assert status == 200
    assert entry["digest"] == hashlib.sha256(archive).hexdigest()


def test_only_the_repository_is_public(fast_cluster: EmbeddedCluster) -> None:
    assert _get(fast_cluster, "/charts/no-such-chart-1.0.0.tgz")[0] == 404
    assert _get(fast_cluster, "/charts/%2E%2E%2Fkubeconfig")[0] == 404
    assert _get(fast_cluster, "/charts/index.yaml", method="POST")[0] == 405
    status, body = _get(fast_cluster, "/api/v1/secrets")
    assert status == 401
    assert b'"reason":"Unauthorized"' in body


def test_served_archives_are_reproducible_packages_of_the_sources(
    fast_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    file_name, first = charts.package_chart(WEBAPP_SOURCE)
    again = charts.package_chart(WEBAPP_SOURCE)[1]
    assert first == again
    assert _get(fast_cluster, f"/charts/{file_name}") == (200, first)
    archive = tmp_path / file_name
    archive.write_bytes(first)
    helm = Helm(fast_cluster, tmp_path)
    assert yaml.safe_load(helm("show", "chart", str(archive))) == WEBAPP
    assert yaml.safe_load(helm("show", "values", str(archive))) == WEBAPP_VALUES
    assert "0 chart(s) failed" in helm("lint", str(archive))


def test_helm_adds_searches_and_pulls_from_the_repository(repo_helm: Helm, tmp_path: Path) -> None:
    listed = repo_helm.json("repo", "list")
    assert listed == [{"name": "kubelab", "url": repo_helm.repository_url}]
    found = repo_helm.json("search", "repo", "kubelab/webapp")
    assert found == [
        {
            "name": "kubelab/webapp",
            "version": WEBAPP["version"],
            "app_version": WEBAPP["appVersion"],
            "description": WEBAPP["description"],
        }
    ]
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    repo_helm("pull", "kubelab/webapp", "--destination", str(pulled))
    file_name, expected = charts.package_chart(WEBAPP_SOURCE)
    assert (pulled / file_name).read_bytes() == expected
    assert yaml.safe_load(repo_helm("show", "values", "kubelab/webapp")) == WEBAPP_VALUES


def test_charts_dropped_into_the_directory_are_listed_newest_first(
    repo_helm: Helm, fast_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    newer = tmp_path / "webapp"
    shutil.copytree(WEBAPP_SOURCE, newer)
    _set_version(newer, "0.2.0-rc.1")
    served = charts.charts_directory(fast_cluster.cluster.home)
    repo_helm("package", str(newer), "--destination", str(served))
    try:
        repo_helm("repo", "update", "kubelab")
        found = repo_helm.json("search", "repo", "kubelab/webapp", "--versions", "--devel")
        assert [chart["version"] for chart in found] == ["0.2.0-rc.1", WEBAPP["version"]]
        stable = repo_helm.json("search", "repo", "kubelab/webapp")
        assert [chart["version"] for chart in stable] == [WEBAPP["version"]]
    finally:
        (served / "webapp-0.2.0-rc.1.tgz").unlink()


def test_kubelab_cluster_charts_adds_the_repository_to_helm(tmp_path: Path) -> None:
    """The learner's path: start the cluster, ask kubelab for the command, let it run it."""
    home = tmp_path / "kubelab-home"
    scratch = tmp_path / "scratch"
    env = {
        **os.environ,
        "KUBELAB_HOME": str(home),
        "HOME": str(scratch),
        "HELM_CACHE_HOME": str(scratch / "helm-cache"),
        "HELM_CONFIG_HOME": str(scratch / "helm-config"),
        "HELM_DATA_HOME": str(scratch / "helm-data"),
    }

    def kubelab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KUBELAB), *args], capture_output=True, text=True, env=env, timeout=120
        )

    assert kubelab("cluster", "charts").returncode == 3
    assert kubelab("cluster", "up", "--time-scale", "20").returncode == 0
    try:
        shown = kubelab("cluster", "charts")
        assert shown.returncode == 0, shown.stderr
        ca_file = home / "pki" / "ca.crt"
        assert f"webapp {WEBAPP['version']}" in shown.stdout
        assert "helm repo add kubelab https://127.0.0.1:" in shown.stdout
        assert f"/charts --ca-file {ca_file} --force-update" in shown.stdout
        added = kubelab("cluster", "charts", "--add")
        assert added.returncode == 0, added.stderr
        search = subprocess.run(
            [str(HELM), "search", "repo", "kubelab/webapp"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert search.returncode == 0, search.stderr
        assert "kubelab/webapp" in search.stdout
    finally:
        kubelab("cluster", "down")


def test_index_orders_versions_and_skips_what_is_not_a_chart(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    for version in ("1.9.0", "1.10.0", "1.10.0-beta.2", "1.10.0-beta.10", "0.1.0"):
        source = tmp_path / version / "webapp"
        shutil.copytree(WEBAPP_SOURCE, source)
        _set_version(source, version)
        file_name, content = charts.package_chart(source)
        (served / file_name).write_bytes(content)
    (served / "broken-1.0.0.tgz").write_bytes(b"not a gzip stream")
    (served / "README.txt").write_text("not listed")
    index = charts.ChartRepository(served).index()
    assert list(index["entries"]) == ["webapp"]
    versions = [entry["version"] for entry in index["entries"]["webapp"]]
    assert versions == ["1.10.0", "1.10.0-beta.10", "1.10.0-beta.2", "1.9.0", "0.1.0"]
