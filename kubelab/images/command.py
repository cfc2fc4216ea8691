"""The ``kubelab image`` command: build, list, look inside, and push images."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from kubelab.images.dockerfile import BuildError

if TYPE_CHECKING:
    from kubelab.images.store import ImageStore


def _store() -> ImageStore:
    from kubelab.images.builder import default_store
    from kubelab.images.store import ImageStore

    return ImageStore(default_store())


def _build_args(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        values[name] = value
    return values


def _build(args: argparse.Namespace) -> int:
    from kubelab.images.builder import build
    from kubelab.images.external import choose_builder, external_command, run_external

    builder = choose_builder(args.builder)
    if builder != "kubelab":
        command = external_command(
            builder, args.context, args.tag, args.file, _build_args(args.build_arg)
        )
        return run_external(command)
    build(args.context, args.tag, dockerfile=args.file, build_args=_build_args(args.build_arg))
    return 0


def _ls(args: argparse.Namespace) -> int:
    from kubelab.images import views

    print(views.list_table(_store()))
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from kubelab.images import views

    print(views.inspect_text(_store().find(args.image)))
    return 0


def _history(args: argparse.Namespace) -> int:
    from kubelab.images import views

    store = _store()
    print(views.history_table(store, store.find(args.image)))
    return 0


def _layers(args: argparse.Namespace) -> int:
    from kubelab.images import views

    store = _store()
    print(views.layers_table(store, store.find(args.image)))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from kubelab.images import views

    store = _store()
    image = store.find(args.image)
    if args.merged:
        print(views.merged_text(store, image, args.path))
    else:
        print(views.diff_text(store, image, include_base=args.all))
    return 0


def _tag(args: argparse.Namespace) -> int:
    store = _store()
    image = store.find(args.source)
    size = len(store.read_blob(image.digest))
    store.tag(
        args.target,
        {"mediaType": image.manifest["mediaType"], "digest": image.digest, "size": size},
    )
    return 0


def _push(args: argparse.Namespace) -> int:
    from kubelab.images.pushing import push

    push(args.image, registry=args.registry)
    return 0


def _guarded(handler: Any) -> Any:
    """Print a ``BuildError`` as one clear message and exit 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return int(handler(args) or 0)
        except BuildError as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 1

    return run


def register(commands: Any) -> None:
    """Add ``kubelab image ...`` to the ``kubelab`` command's subcommands."""
    image = commands.add_parser("image", help="build and look inside container images (no Docker)")
    actions = image.add_subparsers(dest="action", required=True)
    builder = actions.add_parser("build", help="build an OCI image from a Dockerfile")
    builder.add_argument("-t", "--tag", action="append", default=[], help="NAME:TAG (repeatable)")
    builder.add_argument("-f", "--file", help="the Dockerfile (default: DIR/Dockerfile)")
    builder.add_argument("--build-arg", action="append", default=[], help="NAME=VALUE")
    builder.add_argument(
        "--builder",
        choices=("auto", "kubelab", "minikube", "docker"),
        default="auto",
        help="who builds: auto uses minikube's builder when the cluster is minikube",
    )
    builder.add_argument("context", type=str, help="the build context directory")
    builder.set_defaults(func=_guarded(_build))
    actions.add_parser("ls", help="list built images").set_defaults(func=_guarded(_ls))
    for name, handler, text in (
        ("inspect", _inspect, "an image's configuration (entrypoint, env, ports) as JSON"),
        ("history", _history, "the step that made each layer"),
        ("layers", _layers, "the layers: digest, size, number of paths"),
    ):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("image")
        sub.set_defaults(func=_guarded(handler))
    diff = actions.add_parser("diff", help="what each layer adds, changes and deletes")
    diff.add_argument("image")
    diff.add_argument("--all", action="store_true", help="list the base layer's files too")
    diff.add_argument("--merged", action="store_true", help="show the union filesystem instead")
    diff.add_argument("--path", default="/", help="with --merged: only paths under this one")
    diff.set_defaults(func=_guarded(_diff))
    tag = actions.add_parser("tag", help="give an image another name")
    tag.add_argument("source")
    tag.add_argument("target")
    tag.set_defaults(func=_guarded(_tag))
    pusher = actions.add_parser("push", help="push to the teaching cluster's registry")
    pusher.add_argument("image")
    pusher.add_argument("--registry", help="HOST:PORT (default: the teaching cluster's)")
    pusher.set_defaults(func=_guarded(_push))
