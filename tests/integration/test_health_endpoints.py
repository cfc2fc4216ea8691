"""``/livez``, ``/readyz`` and ``/healthz`` list their checks as kube-apiserver does."""

from __future__ import annotations

import pytest

from kubelab.cluster.api.health import BOOT_SEQUENCE

LIVEZ = ["ping", "log", "etcd", *BOOT_SEQUENCE]
READYZ = ["ping", "log", "etcd", "etcd-readiness", "informer-sync", *BOOT_SEQUENCE, "shutdown"]


def test_readyz_verbose_lists_every_check(kubectl):
    out = kubectl("get", "--raw", "/readyz?verbose")
    assert out.splitlines() == [f"[+]{name} ok" for name in READYZ] + ["readyz check passed"]
    assert out.startswith("[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n")
    assert "[+]poststarthook/rbac/bootstrap-roles ok\n" in out


@pytest.mark.parametrize("endpoint", ["livez", "healthz"])
def test_livez_and_healthz_verbose(kubectl, endpoint):
    out = kubectl("get", "--raw", f"/{endpoint}?verbose")
    expected = [f"[+]{name} ok" for name in LIVEZ] + [f"{endpoint} check passed"]
    assert out.splitlines() == expected


@pytest.mark.parametrize("endpoint", ["livez", "readyz", "healthz"])
def test_plain_answer_is_ok(kubectl, endpoint):
    assert kubectl("get", "--raw", f"/{endpoint}") == "ok"


def test_exclude_skips_a_check_and_warns_about_unknown_names(kubectl):
    out = kubectl("get", "--raw", "/readyz?verbose&exclude=etcd&exclude=nonsense&exclude=shutdown")
    lines = out.splitlines()
    assert "[+]etcd excluded: ok" in lines
    assert "[+]shutdown excluded: ok" in lines
    assert "[+]etcd ok" not in lines
    assert lines[-2:] == [
        'warn: some health checks cannot be excluded: no matches for "nonsense"',
        "readyz check passed",
    ]


@pytest.mark.parametrize(
    "path", ["/readyz/ping", "/readyz/etcd", "/livez/poststarthook/rbac/bootstrap-roles"]
)
def test_single_checks(kubectl, path):
    assert kubectl("get", "--raw", path) == "ok"


def test_an_unknown_check_is_not_found(kubectl):
    result = kubectl.run("get", "--raw", "/readyz/nonsense", check=False)
    assert result.returncode == 1
    assert "Error from server (NotFound): the server could not find the requested resource" in (
        result.stderr
    )


def test_a_readiness_only_check_is_not_served_under_livez(kubectl):
    assert kubectl.run("get", "--raw", "/livez/shutdown", check=False).returncode == 1
