"""The ``kubelab`` command."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from kubelab.cluster import process


def _cluster_up(args: argparse.Namespace) -> int:
    home = process.kubelab_home()
    started = time.monotonic()
    try:
        state, fresh = process.start(home, args.nodes, args.time_scale, args.port)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
