"""Generate ``kubelab/cluster/api/protobuf_messages.json`` from upstream Kubernetes sources.

kubectl 1.32 and newer send protobuf request bodies. Turning them into the JSON the same
client would have sent needs two kinds of facts:

* the wire layout of every message (field numbers, proto types, repeated or map), stated by
  the ``generated.proto`` files of ``k8s.io/api`` and ``k8s.io/apimachinery``, and
* how Go's ``encoding/json`` writes the same struct (JSON name, pointer or value,
  ``omitempty``/``omitzero``, embedded inline structs, ``json:"-"``), stated only by the struct
  tags in the Go sources next to them.

This script reads both from git repositories (bare mirrors work: files are read with
``git show REF:path``), joins each proto field to its Go field through the ``protobuf:"..."``
struct tag, takes the kinds from each package's ``register.go``, and writes one compact JSON
file. Run it again after bumping the served Kubernetes version::

    python tools/generate_protobuf_messages.py --api PATH/TO/kubernetes/api \\
        --apimachinery PATH/TO/kubernetes/apimachinery [--ref HEAD]

Output layout (message names never carry protobuf's leading dot)::

    {"source": {"k8s.io/api": COMMIT, "k8s.io/apimachinery": COMMIT},
     "unversionedKinds": [full names of kinds a scheme finds under any apiVersion],
     "groupVersionKinds": [full names of kinds registered in every served apiVersion],
     "packages": {"k8s.io.api.apps.v1": {
         "apiVersion": "apps/v1",          # served packages only
         "kinds": ["Deployment", ...],     # served packages only
         "lists": ["ExtraValue"],          # messages standing for a Go named slice type
         "messages": {"DeploymentSpec": [[number, jsonName, type, flags], ...]}}}}

``type`` is a scalar proto type (``string``, ``int32``, ``int64``, ``bool``, ``bytes``), a
message name (bare when in the same package, else fully qualified), or ``[keyType, valueType]``
for a map. ``flags`` (left out when empty) holds ``r`` repeated, ``p`` Go pointer, ``o``
omitempty, ``z`` omitzero, ``i`` embedded struct inlined into its parent, ``x`` left out of
JSON (``json:"-"``). Fields are listed in Go struct order, the order ``encoding/json`` writes.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: API packages (directories of ``k8s.io/api``) whose kinds the teaching cluster decodes.
#: Packages they import are added for their referenced messages only.
SERVED_API_PACKAGES = [
    "core/v1",
    "apps/v1",
    "batch/v1",
    "networking/v1",
    "rbac/v1",
    "policy/v1",
    "scheduling/v1",
    "authorization/v1",
    "authentication/v1",
    "storage/v1",
    "coordination/v1",
    "discovery/v1",
    "autoscaling/v1",
    "autoscaling/v2",
]

#: apimachinery packages (directories of ``k8s.io/apimachinery``), included in full.
APIMACHINERY_PACKAGES = [
    "pkg/apis/meta/v1",
    "pkg/runtime",
    "pkg/runtime/schema",
    "pkg/util/intstr",
    "pkg/api/resource",
]

META_PACKAGE = "k8s.io.apimachinery.pkg.apis.meta.v1"

#: ``metav1.AddToGroupVersion`` (``pkg/apis/meta/v1/register.go``) registers these kinds in
#: every group version of the API server ...
GROUP_VERSION_META_KINDS = [
    "WatchEvent",
    "ListOptions",
    "GetOptions",
    "DeleteOptions",
    "CreateOptions",
    "UpdateOptions",
    "PatchOptions",
]
#: ... and these as unversioned kinds, which a scheme finds under any apiVersion.
UNVERSIONED_META_KINDS = ["Status", "APIVersions", "APIGroupList", "APIGroup", "APIResourceList"]
#: ``meta.k8s.io/v1`` holds the options kinds and what ``AddMetaToScheme`` adds. Kinds without
#: a protobuf message (``Table``, ``TableOptions``) are dropped from all three lists.
META_GROUP_KINDS = [
    *GROUP_VERSION_META_KINDS[1:],
    "Table",
    "TableOptions",
    "PartialObjectMetadata",
    "PartialObjectMetadataList",
]

SCALAR_TYPES = {"string", "int32", "int64", "bool", "bytes"}

_MESSAGE_RE = re.compile(r"^message (\w+) \{$")
_FIELD_RE = re.compile(r"^\s+(optional|repeated) (\S+) (\w+) = (\d+);$")
_MAP_RE = re.compile(r"^\s+map<(\S+), (\S+)> (\w+) = (\d+);$")
_PACKAGE_RE = re.compile(r"^package ([\w.]+);$")
_IMPORT_RE = re.compile(r'^import "([^"]+)/generated\.proto";$')

_GO_IMPORT_RE = re.compile(r'^\s*(?:import\s+)?(\w+\s+)?"([^"]+)"$')
_STRUCT_START_RE = re.compile(r"^(?:type )?(\w+) struct \{$")
_NAMED_SLICE_RE = re.compile(r"^type (\w+) \[\]\S+$")
_DEFINED_TYPE_RE = re.compile(r"^type (\w+) (\w+)\.(\w+)$")
_GO_FIELD_RE = re.compile(r"^(?:(\w+)\s+)?([^\s`]+)\s+`([^`]*)`$")
_TAG_RE = re.compile(r'(\w+):"([^"]*)"')
_REGISTERED_RE = re.compile(r"&(\w+)\{\}")
_GROUP_MARKER_RE = re.compile(r"^// \+groupName=(\S*)\s*$", re.MULTILINE)
_GROUP_CONST_RE = re.compile(r'^const GroupName = "([^"]*)"', re.MULTILINE)


class Sources:
    """Files of one git repository at one revision, read without a work tree."""

    def __init__(self, path: Path, ref: str, import_prefix: str) -> None:
        self.path = path
        self.ref = ref
        self.import_prefix = import_prefix

    def read(self, file: str) -> str:
        return self._git("show", f"{self.ref}:{file}")

    def list(self, directory: str) -> list[str]:
        return self._git("ls-tree", "--name-only", f"{self.ref}:{directory}").split()

    def commit(self) -> str:
        return self._git("rev-parse", f"{self.ref}^{{commit}}").strip()

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True
        ).stdout


@dataclass
class ProtoField:
    number: int
    name: str
    type: str | tuple[str, str]
    repeated: bool


@dataclass
class GoField:
    name: str
    go_type: str
    embedded: bool
    json: str | None
    number: int | None


@dataclass
class Package:
    """One API package: its proto messages and the Go declarations beside them."""

    proto_name: str
    import_path: str
    directory: str
    included: bool
    imports: list[str]
    messages: dict[str, list[ProtoField]]
    structs: dict[str, list[GoField]] = field(default_factory=dict)
    named_slices: set[str] = field(default_factory=set)
    defined_types: dict[str, tuple[str, str]] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)
    api_version: str | None = None


def parse_proto(text: str) -> tuple[str, list[str], dict[str, list[ProtoField]]]:
    """Package name, imported directories and messages of one go-to-protobuf file."""
    package = ""
    imports: list[str] = []
    messages: dict[str, list[ProtoField]] = {}
    current: list[ProtoField] | None = None
    for line in text.splitlines():
        if line.lstrip().startswith("//") or not line.strip():
            continue
        if match := _PACKAGE_RE.match(line):
            package = match.group(1)
        elif match := _IMPORT_RE.match(line):
            imports.append(match.group(1))
        elif match := _MESSAGE_RE.match(line):
            current = messages.setdefault(match.group(1), [])
        elif line == "}":
            current = None
        elif current is not None and (match := _FIELD_RE.match(line)):
            label, type_name, name, number = match.groups()
            current.append(ProtoField(int(number), name, type_name, label == "repeated"))
        elif current is not None and (match := _MAP_RE.match(line)):
            key, value, name, number = match.groups()
            current.append(ProtoField(int(number), name, (key, value), False))
        elif current is not None:
            raise ValueError(f"unrecognised line in message: {line!r}")
    return package, imports, messages


def _strip_comment(line: str) -> str:
    """A Go source line without its ``//`` comment (struct tags never contain one)."""
    if line.lstrip().startswith("//"):
        return ""
    tag_end = line.rfind("`")
    comment = line.find("//", tag_end + 1 if tag_end >= 0 else 0)
    return (line[:comment] if comment >= 0 else line).rstrip()


def _go_field(name: str | None, go_type: str, tag_text: str) -> GoField:
    tags = dict(_TAG_RE.findall(tag_text))
    number = None
    if tags.get("protobuf", "-") != "-":
        number = int(tags["protobuf"].split(",")[1])
    embedded = name is None
    field_name = name or go_type.lstrip("*").rsplit(".", 1)[-1]
    return GoField(field_name, go_type, embedded, tags.get("json"), number)


def read_go_file(package: Package, text: str) -> None:
    """Add one Go file's structs, named slice types and cross-package defined types."""
    aliases: dict[str, str] = {}
    fields: list[GoField] | None = None
    depth = 0
    for raw in text.splitlines():
        line = _strip_comment(raw)
        if match := _GO_IMPORT_RE.match(line):
            path = match.group(2)
            aliases[(match.group(1) or path.rsplit("/", 1)[-1]).strip()] = path
        if match := _NAMED_SLICE_RE.match(line):
            package.named_slices.add(match.group(1))
        if match := _DEFINED_TYPE_RE.match(line):
            name, alias, type_name = match.groups()
            if alias in aliases:
                package.defined_types[name] = (aliases[alias], type_name)
        if fields is None:
            if match := _STRUCT_START_RE.match(line.strip()):
                fields = package.structs.setdefault(match.group(1), [])
                depth = 1
            continue
        depth += line.count("{") - line.count("}")
        if depth <= 0:
            fields = None
        elif depth == 1 and (match := _GO_FIELD_RE.match(line.strip())):
            fields.append(_go_field(*match.groups()))


def group_name(sources: Sources, directory: str) -> str:
    for file in ("doc.go", "register.go"):
        text = sources.read(f"{directory}/{file}")
        if match := _GROUP_MARKER_RE.search(text) or _GROUP_CONST_RE.search(text):
            return match.group(1)
    raise ValueError(f"no group name found in {directory}")


def load_package(sources: Sources, directory: str, included: bool) -> Package:
    """One package's proto messages and Go declarations."""
    proto_name, imports, messages = parse_proto(sources.read(f"{directory}/generated.proto"))
    package = Package(
        proto_name, f"{sources.import_prefix}/{directory}", directory, included, imports, messages
    )
    for file in sources.list(directory):
        generated = file.startswith(("generated.", "zz_generated", "types_swagger"))
        if file.endswith(".go") and not file.endswith("_test.go") and not generated:
            read_go_file(package, sources.read(f"{directory}/{file}"))
    return package


def serve(package: Package, sources: Sources) -> None:
    """Give a served package its apiVersion and the kinds its ``register.go`` adds."""
    group = group_name(sources, package.directory)
    version = package.directory.rsplit("/", 1)[1]
    package.api_version = f"{group}/{version}" if group else version
    registered = _REGISTERED_RE.findall(sources.read(f"{package.directory}/register.go"))
    package.kinds = [kind for kind in registered if kind in package.messages]


def collect(api: Sources, apimachinery: Sources) -> dict[str, Package]:
    """Load the served and apimachinery packages, then every package they import."""
    repos = {"k8s.io/api": api, "k8s.io/apimachinery": apimachinery}
    pending = [(api, d, True) for d in SERVED_API_PACKAGES]
    pending += [(apimachinery, d, True) for d in APIMACHINERY_PACKAGES]
    packages: dict[str, Package] = {}
    loaded: set[str] = set()
    while pending:
        sources, directory, included = pending.pop(0)
        if f"{sources.import_prefix}/{directory}" in loaded:
            continue
        package = load_package(sources, directory, included)
        loaded.add(package.import_path)
        packages[package.proto_name] = package
        for imported in package.imports:
            prefix = next((p for p in repos if imported.startswith(p + "/")), None)
            if prefix is None:
                raise ValueError(f"unexpected import {imported}")
            pending.append((repos[prefix], imported.removeprefix(prefix + "/"), False))
    for package in packages.values():
        if package.included and package.import_path.startswith("k8s.io/api/"):
            serve(package, api)
    meta = packages[META_PACKAGE]
    meta.api_version = "meta.k8s.io/v1"
    meta.kinds = [kind for kind in META_GROUP_KINDS if kind in meta.messages]
    return packages


def qualify(package: str, type_name: str) -> str:
    if type_name in SCALAR_TYPES:
        return type_name
    if type_name.startswith("."):
        return type_name[1:]
    return f"{package}.{type_name}"


def referenced_messages(package: Package, name: str) -> list[str]:
    found: list[str] = []
    for proto in package.messages[name]:
        for type_name in proto.type if isinstance(proto.type, tuple) else (proto.type,):
            if type_name not in SCALAR_TYPES:
                found.append(qualify(package.proto_name, type_name))
    return found


def reachable(packages: dict[str, Package]) -> set[str]:
    """Full names of all messages of included packages plus every message they reference."""
    pending = [f"{p.proto_name}.{n}" for p in packages.values() if p.included for n in p.messages]
    found: set[str] = set()
    while pending:
        full = pending.pop()
        if full not in found:
            found.add(full)
            package_name, name = full.rsplit(".", 1)
            pending.extend(referenced_messages(packages[package_name], name))
    return found


def go_struct(packages: dict[str, Package], package: Package, name: str) -> list[GoField]:
    """The tagged Go fields behind a message, following ``type List metav1.List``."""
    if name in package.structs:
        return package.structs[name]
    if name in package.defined_types:
        import_path, type_name = package.defined_types[name]
        owner = next(p for p in packages.values() if p.import_path == import_path)
        return owner.structs.get(type_name, [])
    return []


def field_record(package: Package, proto: ProtoField, go: GoField | None) -> list[object]:
    """One ``[number, jsonName, type, flags]`` entry, with message names made relative."""

    def relative(type_name: str) -> str:
        return qualify(package.proto_name, type_name).removeprefix(package.proto_name + ".")

    type_value: object
    if isinstance(proto.type, tuple):
        if proto.type[0] != "string":
            raise ValueError(f"map key type {proto.type[0]} in {package.proto_name}")
        type_value = [proto.type[0], relative(proto.type[1])]
    else:
        type_value = relative(proto.type)
    local = type_value if isinstance(type_value, str) and "." not in type_value else None
    if local is not None and local not in SCALAR_TYPES and local not in package.messages:
        raise ValueError(f"unknown type {local} in {package.proto_name}")
    flags = "r" if proto.repeated else ""
    json_name = proto.name
    if go is not None:
        name, *options = (go.json or "").split(",")
        flags += "p" if go.go_type.startswith("*") else ""
        flags += "o" if "omitempty" in options else ""
        flags += "z" if "omitzero" in options else ""
        if go.json == "-":
            flags += "x"
        elif name:
            json_name = name
        elif go.embedded and isinstance(type_value, str) and type_value not in SCALAR_TYPES:
            flags += "i"  # encoding/json promotes the fields of an untagged embedded struct
        else:
            json_name = go.name  # an untagged field is written under its Go name
    return (
        [proto.number, json_name, type_value, flags]
        if flags
        else [
            proto.number,
            json_name,
            type_value,
        ]
    )


def message_records(packages: dict[str, Package], package: Package, name: str) -> list[object]:
    """A message's fields in Go struct order; proto order and names when no Go tags exist."""
    proto_fields = {f.number: f for f in package.messages[name]}
    go_fields = [f for f in go_struct(packages, package, name) if f.number is not None]
    if not go_fields:
        ordered = sorted(proto_fields.values(), key=lambda f: f.number)
        return [field_record(package, f, None) for f in ordered]
    records = []
    for go in go_fields:
        proto = proto_fields.pop(go.number, None)  # type: ignore[arg-type]
        if proto is None:
            raise ValueError(f"{package.proto_name}.{name}.{go.name}: no field {go.number}")
        records.append(field_record(package, proto, go))
    if proto_fields:
        raise ValueError(f"{package.proto_name}.{name}: fields {sorted(proto_fields)} lack Go")
    return records


def is_list_wrapper(package: Package, name: str) -> bool:
    """True for messages like ``ExtraValue`` that carry a Go ``[]string`` named type."""
    fields = package.messages[name]
    return (
        name in package.named_slices
        and len(fields) == 1
        and fields[0].name == "items"
        and fields[0].repeated
    )


def meta_kinds(packages: dict[str, Package], kinds: list[str]) -> list[str]:
    """Full names of the meta kinds that have a protobuf form (``Table`` has none)."""
    meta = packages[META_PACKAGE]
    return [f"{META_PACKAGE}.{kind}" for kind in kinds if kind in meta.messages]


def build(api: Sources, apimachinery: Sources) -> dict[str, object]:
    packages = collect(api, apimachinery)
    keep = reachable(packages)
    output: dict[str, object] = {}
    for proto_name in sorted(packages):
        package = packages[proto_name]
        names = [n for n in package.messages if f"{proto_name}.{n}" in keep]
        if not names:
            continue
        entry: dict[str, object] = {}
        if package.api_version is not None:
            entry["apiVersion"] = package.api_version
            entry["kinds"] = package.kinds
        if lists := [n for n in names if is_list_wrapper(package, n)]:
            entry["lists"] = lists
        entry["messages"] = {n: message_records(packages, package, n) for n in names}
        output[proto_name] = entry
    return {
        "source": {"k8s.io/api": api.commit(), "k8s.io/apimachinery": apimachinery.commit()},
        "unversionedKinds": meta_kinds(packages, UNVERSIONED_META_KINDS),
        "groupVersionKinds": meta_kinds(packages, GROUP_VERSION_META_KINDS),
        "packages": output,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", type=Path, required=True, help="git repo of kubernetes/api")
    parser.add_argument(
        "--apimachinery", type=Path, required=True, help="git repo of kubernetes/apimachinery"
    )
    parser.add_argument("--ref", default="HEAD", help="revision to read in both repositories")
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "kubelab/cluster/api/protobuf_messages.json",
    )
    args = parser.parse_args(argv)
    data = build(
        Sources(args.api, args.ref, "k8s.io/api"),
        Sources(args.apimachinery, args.ref, "k8s.io/apimachinery"),
    )
    args.output.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    packages: dict[str, dict[str, object]] = data["packages"]  # type: ignore[assignment]
    count = sum(len(p["messages"]) for p in packages.values())  # type: ignore[arg-type]
    print(f"wrote {count} messages to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
