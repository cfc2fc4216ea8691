"""The one Kubernetes version the teaching cluster reports and whose schemas it serves."""

KUBERNETES_MAJOR = "1"
KUBERNETES_MINOR = "37"
KUBERNETES_VERSION = f"v{KUBERNETES_MAJOR}.{KUBERNETES_MINOR}.0"

#: The schema directory of the ``kubernetes-validate`` package for this version.
SCHEMA_VERSION_DIR = f"{KUBERNETES_VERSION}-local"


def version_info() -> dict[str, str]:
    """The body of ``GET /version``, shaped like kube-apiserver's ``version.Info``."""
    return {
        "major": KUBERNETES_MAJOR,
        "minor": KUBERNETES_MINOR,
        "emulationMajor": KUBERNETES_MAJOR,
        "emulationMinor": KUBERNETES_MINOR,
        "minCompatibilityMajor": KUBERNETES_MAJOR,
        "minCompatibilityMinor": str(int(KUBERNETES_MINOR) - 1),
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": "kubelab",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "kubelab-python",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
