"""The ``kubelab`` command."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from kubelab.cluster import process
from kubelab.course import commands as course_commands
from kubelab.grading import command as grade_command
from kubelab.images import command as image_command
from kubelab.widgets import START_PAGE


def _cluster_up(args: argparse.Namespace) -> int:
    home = process.kubelab_home()
    started = time.monotonic()
    try:
        state, fresh = process.start(
            home, args.nodes, args.time_scale, args.port, max_pods=args.max_pods
        )
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not fresh:
        print(f"The teaching cluster is already running at {state.url} (pid {state.pid}).")
    else:
        print(
            f"The teaching cluster is up at {state.url} "
            f"(ready in {time.monotonic() - started:.1f}s)."
        )
    print(f"kubeconfig: {home / 'kubeconfig'}  (context: kubelab)")
    print(f"Use it with:  export KUBECONFIG={home / 'kubeconfig'}")
    return 0


def _cluster_down(args: argparse.Namespace) -> int:
    if process.stop(process.kubelab_home()):
        print("The teaching cluster has stopped. Its objects are kept for the next 'up'.")
    else:
        print("The teaching cluster is not running.")
    return 0


def _cluster_status(args: argparse.Namespace) -> int:
    home = process.kubelab_home()
    state = process.read_state(home)
    if state is None:
        print("The teaching cluster is not running. Start it with: kubelab cluster up")
        return 3
    ready = process.api_ready(home, state.url)
    print(
        f"The teaching cluster is running at {state.url} (pid {state.pid}); "
        f"API {'ready' if ready else 'not answering'}."
    )
    return 0 if ready else 1


def _cluster_reset(args: argparse.Namespace) -> int:
    home = process.kubelab_home()
    was_running = process.read_state(home) is not None
    process.reset(home)
    print("The teaching cluster's objects are gone.")
    if was_running or args.up:
        return _cluster_up(args)
    return 0


def _cluster_add_user(args: argparse.Namespace) -> int:
    from kubelab.cluster.users import UserSetupError, add_user

    try:
        added = add_user(process.kubelab_home(), args.name, args.namespace, args.role)
    except UserSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f'User "{added.name}" has ClusterRole "{added.role}" in namespace "{added.namespace}". '
        "Their kubeconfig:"
    )
    print(added.kubeconfig)
    return 0


def _cluster_node(args: argparse.Namespace) -> int:
    """Switch one node of the running teaching cluster off or on."""
    from kubelab.cluster.kubelet.control import NodeControlError, set_node_running

    running = args.power == "start"
    try:
        set_node_running(process.kubelab_home(), args.name, running)
    except NodeControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if running:
        print(f"Node {args.name} is starting: its kubelet will report it Ready again.")
    else:
        print(
            f"Node {args.name} is switched off: its kubelet and containers have stopped. "
            "The node controller marks it NotReady after 50s; its pods are evicted 5 minutes "
            "later. Watch with: kubectl get nodes,pods -o wide -w"
        )
    return 0


def _cluster_charts(args: argparse.Namespace) -> int:
    """Show the running cluster's chart repository and the helm command that adds it.

    The repository's URL carries the cluster's port, which may change between starts, so the
    command is printed from the running cluster's state rather than written down anywhere.
    """
    import shlex
    import subprocess

    from kubelab import tools
    from kubelab.cluster import charts

    home = process.kubelab_home()
    state = process.read_state(home)
    if state is None:
        print("The teaching cluster is not running. Start it with: kubelab cluster up")
        return 3
    command = charts.helm_repo_add_command(state.url, home / "pki" / "ca.crt", args.name)
    index = charts.ChartRepository(charts.charts_directory(home)).index()
    print(f"The teaching cluster serves a chart repository at {charts.repository_url(state.url)}:")
    for name, versions in index["entries"].items():
        print(f"  {name} {versions[0]['version']}  {versions[0].get('description', '')}")
    if not args.add:
        print(f"Add it to helm with:\n  {shlex.join(command)}")
        return 0
    helm = tools.helm_path()
    if helm is None:
        print("error: helm is not installed here; run: python -m kubelab.tools", file=sys.stderr)
        return 1
    added = subprocess.run([str(helm), *command[1:]], env=tools.tool_environment(), check=False)
    if added.returncode == 0:
        print(f"Now try:  helm search repo {args.name}")
    return added.returncode


def _cluster_logs(args: argparse.Namespace) -> int:
    path = process.kubelab_home() / "cluster.log"
    if not path.exists():
        print("No log yet: the teaching cluster has not run here.")
        return 0
    lines = path.read_text(errors="replace").splitlines()
    for line in lines[-args.tail :] if args.tail else lines:
        print(line)
    if args.follow:
        with path.open(errors="replace") as handle:
            handle.seek(0, 2)
            try:
                while True:
                    line = handle.readline()
                    if line:
                        print(line, end="")
                    else:
                        time.sleep(0.2)
            except KeyboardInterrupt:
                return 0
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from kubelab.doctor import doctor

    report = doctor(context=args.context, kubeconfig=args.kubeconfig)
    print(report.text())
    return 0 if report.ok else 1


def _break(args: argparse.Namespace) -> int:
    """Break the troubleshooting namespace on purpose, list the ways, or check a fix."""
    from kubelab.course import breakage
    from kubelab.course.commands import EXIT_CODES, make_lab, reported_failures
    from kubelab.course.loader import load_catalog

    try:
        if args.name is None:
            print("Break scenarios (kubelab break NAME):")
            for name, scenario in breakage.scenarios(load_catalog(args.course)).items():
                print(f"  {name:<20} {scenario.exercise.title}")
            return 0
        lab = make_lab(args, args.namespace)
        if not args.check:
            print(breakage.break_in(lab, args.name)[1])
            return 0
        scenario, report = breakage.check_in(lab, args.name, args.timeout)
    except reported_failures() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES["ERROR"]
    print(report.text())
    note = breakage.verdict_note(scenario, report)
    if note:
        print(f"\n{note}")
    return EXIT_CODES[report.outcome.value]


def _course_notebooks(chosen: str | None) -> Path | None:
    """The notebooks to open: as given, else ``./notebooks``, else the source checkout's."""
    if chosen:
        return Path(chosen).expanduser().resolve()
    for candidate in (Path.cwd() / "notebooks", Path(__file__).resolve().parents[1] / "notebooks"):
        if candidate.is_dir():
            return candidate
    return None


def _course_root(notebooks: Path) -> Path:
    """Where JupyterLab's file browser starts: the course directory that holds notebooks/ beside
    exercises/ and solutions/, so a learner can open all three; else the notebooks themselves."""
    parent = notebooks.parent
    if any((parent / sibling).is_dir() for sibling in ("exercises", "solutions")):
        return parent
    return notebooks


def _lab(args: argparse.Namespace) -> int:
    """Open the course in JupyterLab, on the teaching cluster unless another one is chosen.

    JupyterLab replaces this process, so Ctrl-C stops it directly; the teaching cluster keeps
    running in the background for the next session.
    """
    from kubelab import tools
    from kubelab.connect import CONTEXT_VARIABLE, TEACHING_CONTEXT

    notebooks = _course_notebooks(args.notebooks)
    if notebooks is None or not notebooks.is_dir():
        print(
            "error: no course notebooks found; run this where notebooks/ is, or pass "
            "--notebooks DIR",
            file=sys.stderr,
        )
        return 2
    jupyter = tools.environment_bin_dir() / "jupyter"
    if not jupyter.is_file():
        print(
            "error: JupyterLab is not installed here; install it with: pip install 'kubelab[lab]'",
            file=sys.stderr,
        )
        return 2
    environment = tools.tool_environment()
    context = args.context or environment.get(CONTEXT_VARIABLE)
    if context and context != TEACHING_CONTEXT:
        from kubelab.connect import ConnectError, select

        try:
            connection = select(context=context)
        except ConnectError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        environment[CONTEXT_VARIABLE] = context
        environment["KUBECONFIG"] = connection.kubeconfig
        print(f"{connection.describe()}; the teaching cluster is not started.")
    else:
        home = process.kubelab_home()
        code = _cluster_up(argparse.Namespace(nodes=1, time_scale=1.0, port=0, max_pods=None))
        if code:
            return code
        environment["KUBELAB_HOME"] = str(home)
        environment["KUBECONFIG"] = str(home / "kubeconfig")
        print("The teaching cluster keeps running after JupyterLab stops: kubelab cluster down")
    jupyter_args = list(args.jupyter_args)
    if jupyter_args[:1] == ["--"]:
        jupyter_args = jupyter_args[1:]
    if args.no_browser:
        jupyter_args.append("--no-browser")
    if args.port:
        jupyter_args.append(f"--port={args.port}")
    if os.geteuid() == 0 and "--allow-root" not in jupyter_args:
        jupyter_args.append("--allow-root")
    root = _course_root(notebooks)
    start_page = (notebooks / START_PAGE).relative_to(root).as_posix()
    if (notebooks / START_PAGE).is_file() and not any("default_url" in a for a in jupyter_args):
        # The address JupyterLab prints and opens leads to the course's table of contents.
        jupyter_args.append(f"--LabApp.default_url=/lab/tree/{start_page}")
    command = [str(jupyter), "lab", *jupyter_args]
    print(f"Opening the course in {root}: jupyter lab {' '.join(jupyter_args)}".rstrip())
    sys.stdout.flush()
    os.chdir(root)
    os.execve(command[0], command, environment)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubelab", description="A hands-on Kubernetes course.")
    commands = parser.add_subparsers(dest="command", required=True)
    cluster = commands.add_parser("cluster", help="run the teaching cluster")
    actions = cluster.add_subparsers(dest="action", required=True)

    def start_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--nodes", type=int, default=1, help="number of nodes (default 1)")
        sub.add_argument(
            "--time-scale",
            type=float,
            default=1.0,
            help="run cluster time faster than real time (tests use 10 or more)",
        )
        sub.add_argument("--port", type=int, default=0, help="API port (default: any free)")
        sub.add_argument(
            "--max-pods",
            type=int,
            default=None,
            help="pods each node can run, set when its nodes are first registered (default 110)",
        )

    up = actions.add_parser("up", help="start the teaching cluster in the background")
    start_options(up)
    up.set_defaults(func=_cluster_up)
    actions.add_parser("down", help="stop the teaching cluster").set_defaults(func=_cluster_down)
    actions.add_parser("status", help="is it running?").set_defaults(func=_cluster_status)
    reset = actions.add_parser("reset", help="delete every object and start fresh")
    start_options(reset)
    reset.add_argument("--up", action="store_true", help="start it afterwards")
    reset.set_defaults(func=_cluster_reset)
    logs = actions.add_parser("logs", help="show the teaching cluster's log")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("--tail", type=int, default=0)
    logs.set_defaults(func=_cluster_logs)
    add_user = actions.add_parser(
        "add-user", help="give a student a token, a namespace and a kubeconfig of their own"
    )
    add_user.add_argument("name", help="the user name (also the kubeconfig's file name)")
    add_user.add_argument("--namespace", "-n", required=True, help="the user's namespace")
    add_user.add_argument(
        "--role", default="edit", help="the ClusterRole granted in that namespace (default: edit)"
    )
    add_user.set_defaults(func=_cluster_add_user)
    node = actions.add_parser("node", help="switch a node off or on, to see what Kubernetes does")
    node.add_argument("power", choices=("stop", "start"), help="stop: switch off; start: on")
    node.add_argument("name", help="the node's name, e.g. kubelab-m02")
    node.set_defaults(func=_cluster_node)
    chart_repo = actions.add_parser(
        "charts", help="show the course's chart repository and how to add it to helm"
    )
    chart_repo.add_argument("--add", action="store_true", help="run helm repo add now")
    chart_repo.add_argument("--name", default="kubelab", help="the repository's name in helm")
    chart_repo.set_defaults(func=_cluster_charts)

    doctor = commands.add_parser("doctor", help="find set-up problems and say how to fix them")
    doctor.add_argument("--context", help="check this kubeconfig context instead")
    doctor.add_argument("--kubeconfig", help="use this kubeconfig file")
    doctor.set_defaults(func=_doctor)

    lab = commands.add_parser(
        "lab",
        help="open the course in JupyterLab (starts the teaching cluster unless a context is "
        "chosen with --context or KUBELAB_CONTEXT)",
    )
    lab.add_argument("--context", help="use this kubeconfig context instead of the teaching one")
    lab.add_argument("--notebooks", help="the notebook directory (default: ./notebooks)")
    lab.add_argument("--port", type=int, default=0, help="JupyterLab's port")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser")
    lab.add_argument(
        "jupyter_args", nargs=argparse.REMAINDER, help="more JupyterLab options, after --"
    )
    lab.set_defaults(func=_lab)

    breaking = commands.add_parser(
        "break", help="break the troubleshooting lab's namespace on purpose, to diagnose and fix"
    )
    breaking.add_argument("name", nargs="?", help="the scenario (none: list them)")
    breaking.add_argument("--check", action="store_true", help="check the fix instead")
    breaking.add_argument("--timeout", type=float, help="seconds --check waits to converge")
    breaking.add_argument("--namespace", help="use this namespace instead of the lesson's")
    course_commands.cluster_options(breaking)
    breaking.set_defaults(func=_break)

    course_commands.register(commands)
    grade_command.register(commands)
    image_command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
