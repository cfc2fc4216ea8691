"""The cluster map: who owns which pod, where each pod runs, and which Service sends it traffic.

Read left to right it tells the story of a workload: a Deployment owns ReplicaSets, each
ReplicaSet owns pods, the pods sit on nodes, and a Service sends traffic to the pods that are
its ready endpoints (solid arrows; dashed for endpoints that are not ready). The picture is
drawn only from API objects (Nodes, Pods, ReplicaSets, Deployments, Services, EndpointSlices),
linked the way Kubernetes links them: owner references, ``spec.nodeName`` and the
``kubernetes.io/service-name`` label of EndpointSlices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubelab.widgets import svg
from kubelab.widgets.podstate import PodState, legend, pod_state

WIDTH = 940
OWNER_X, OWNER_W = 12, 160
SET_X, SET_W = 196, 190
NODE_X, NODE_W = 412, 270
POD_X, POD_W, POD_H = NODE_X + 12, NODE_W - 24, 34
SERVICE_X, SERVICE_W = 736, 192
BOX_H = 40
TOP = 64
ROW = POD_H + 8
NODE_HEAD = 26
UNSCHEDULED = "not scheduled yet"

Objects = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass
class _Placed:
    """A box in a column: the vertical centre it wants, and the top it got."""

    key: str
    wanted: float
    y: float = 0.0


def _uid(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("uid") or metadata.get("name") or "")


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "?")


def _controller(obj: Mapping[str, Any]) -> str | None:
    """The uid of the object's controlling owner, as the garbage collector reads it."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def _place(
    keys: list[str], centres_of: Callable[[str], list[float]]
) -> tuple[list[_Placed], float]:
    """Boxes for ``keys`` in one column, each as near the mean of what it links to as it can go
    without overlapping the others (in key order where it links to nothing); returns them and
    the column's bottom."""
    placed = []
    for order, key in enumerate(keys):
        centres = centres_of(key)
        wanted = sum(centres) / len(centres) if centres else TOP + order * (BOX_H + 10) + BOX_H / 2
        placed.append(_Placed(key, wanted))
    bottom = TOP
    for item in sorted(placed, key=lambda entry: entry.wanted):
        item.y = max(bottom, item.wanted - BOX_H / 2)
        bottom = item.y + BOX_H + 10
    return placed, bottom


def _node_ready(node: Mapping[str, Any]) -> bool:
    return any(
        entry.get("type") == "Ready" and entry.get("status") == "True"
        for entry in (node.get("status") or {}).get("conditions") or []
    )


def _endpoint_targets(
    slices: Iterable[Mapping[str, Any]],
) -> dict[str, list[tuple[str, bool]]]:
    """Per Service name, the pods its EndpointSlices point at and whether each is ready."""
    targets: dict[str, list[tuple[str, bool]]] = {}
    for entry in slices:
        labels = (entry.get("metadata") or {}).get("labels") or {}
        service = labels.get("kubernetes.io/service-name")
        if not service:
            continue
        for endpoint in entry.get("endpoints") or []:
            ref = endpoint.get("targetRef") or {}
            if ref.get("kind") == "Pod" and ref.get("name"):
                ready = (endpoint.get("conditions") or {}).get("ready") is not False
                targets.setdefault(service, []).append((str(ref["name"]), ready))
    return targets


def _service_port_text(service: Mapping[str, Any]) -> str:
    spec = service.get("spec") or {}
    ports = ", ".join(
        str(port.get("port")) + (f"→{port['targetPort']}" if port.get("targetPort") else "")
        for port in spec.get("ports") or []
    )
    return f"{spec.get('type') or 'ClusterIP'} {ports}".strip()


def cluster_map_svg(objects: Objects, namespace: str | None = None) -> str:
    """The map of ``objects`` (lists keyed by kind) as SVG text."""
    nodes = sorted(objects.get("Node") or [], key=_name)
    pods = list(objects.get("Pod") or [])
    sets = {_uid(rs): rs for rs in objects.get("ReplicaSet") or []}
    deployments = {_uid(d): d for d in objects.get("Deployment") or []}
    services = sorted(objects.get("Service") or [], key=_name)
    endpoints = _endpoint_targets(objects.get("EndpointSlice") or [])

    owner_of_set = {uid: _controller(rs) for uid, rs in sets.items()}

    def pod_order(pod: Mapping[str, Any]) -> tuple[str, str, str]:
        rs = _controller(pod) or ""
        deployment = owner_of_set.get(rs) or ""
        return (
            _name(deployments[deployment]) if deployment in deployments else "~",
            rs,
            _name(pod),
        )

    node_names = [_name(node) for node in nodes]
    by_node: dict[str, list[Mapping[str, Any]]] = {name: [] for name in node_names}
    for pod in sorted(pods, key=pod_order):
        where = (pod.get("spec") or {}).get("nodeName") or UNSCHEDULED
        by_node.setdefault(str(where), []).append(pod)
    if not by_node.get(UNSCHEDULED):
        by_node.pop(UNSCHEDULED, None)

    # Nodes and their pods fix the middle column; the others line up against it.
    pod_centre: dict[str, float] = {}
    pod_uid_centre: dict[str, float] = {}
    states: dict[str, PodState] = {}
    frames: list[tuple[str, float, float]] = []
    y = TOP
    for node_name, members in by_node.items():
        height = NODE_HEAD + max(1, len(members)) * ROW + 4
        frames.append((node_name, y, height))
        for index, pod in enumerate(members):
            centre = y + NODE_HEAD + index * ROW + POD_H / 2
            pod_centre[_name(pod)] = centre
            pod_uid_centre[_uid(pod)] = centre
            states[_uid(pod)] = pod_state(pod)
        y += height + 12
    bottom = y

    set_children: dict[str, list[float]] = {}
    for pod in pods:
        owner = _controller(pod)
        if owner in sets:
            set_children.setdefault(owner, []).append(pod_uid_centre[_uid(pod)])
    shown_sets = [
        uid
        for uid, rs in sets.items()
        if uid in set_children or (rs.get("spec") or {}).get("replicas", 1) or not owner_of_set[uid]
    ]
    placed_sets, low = _place(
        sorted(shown_sets, key=lambda u: _name(sets[u])), lambda uid: set_children.get(uid, [])
    )
    set_centre = {item.key: item.y + BOX_H / 2 for item in placed_sets}
    placed_deployments, low_deployments = _place(
        sorted(deployments, key=lambda u: _name(deployments[u])),
        lambda uid: [c for s, c in set_centre.items() if owner_of_set.get(s) == uid],
    )
    placed_services, low_services = _place(
        [_name(service) for service in services],
        lambda name: [pod_centre[pod] for pod, _ in endpoints.get(name, []) if pod in pod_centre],
    )
    bottom = max(bottom, low, low_deployments, low_services)

    height = bottom + 34
    ready = sum(1 for state in states.values() if state.ready)
    title = f"Cluster map{f' of namespace {namespace}' if namespace else ''}"
    picture = svg.Svg(WIDTH, height, title)
    summary = (
        f"{len(nodes)} node{'s' if len(nodes) != 1 else ''} · {len(pods)} "
        f"pod{'s' if len(pods) != 1 else ''}, {ready} ready"
    )
    picture.text(12, 20, title, size=15, font_weight="600")
    picture.text(12, 36, summary, size=11, fill=svg.MUTED)
    for x, label in (
        (OWNER_X, "Deployments"),
        (SET_X, "ReplicaSets"),
        (NODE_X, "Nodes and pods"),
        (SERVICE_X, "Services"),
    ):
        picture.text(x, TOP - 8, label.upper(), size=9, fill=svg.MUTED, letter_spacing="0.08em")

    _draw_nodes(picture, frames, by_node, states, nodes)
    _draw_links(
        picture,
        placed_sets,
        placed_deployments,
        owner_of_set,
        set_centre,
        pods,
        sets,
        pod_uid_centre,
    )
    _draw_sets(picture, placed_sets, sets)
    _draw_deployments(picture, placed_deployments, deployments)
    _draw_services(picture, placed_services, {_name(s): s for s in services}, endpoints, pod_centre)
    legend(picture, 12, height - 12)
    return str(picture)


def _draw_nodes(
    picture: svg.Svg,
    frames: list[tuple[str, float, float]],
    by_node: Mapping[str, list[Mapping[str, Any]]],
    states: Mapping[str, PodState],
    nodes: Sequence[Mapping[str, Any]],
) -> None:
    ready_nodes = {_name(node): _node_ready(node) for node in nodes}
    for node_name, top, height in frames:
        known = node_name in ready_nodes
        node_ready = ready_nodes.get(node_name, False)
        readiness = ("true" if node_ready else "false") if known else "unknown"
        picture.open("g", class_="node", data_name=node_name, data_ready=readiness)
        picture.rect(
            NODE_X,
            top,
            NODE_W,
            height,
            rx=8,
            fill=svg.LIGHT_GREY,
            stroke=svg.BORDER,
            stroke_dasharray=None if known else "5 4",
        )
        heading = (
            node_name if not known else f"{node_name} · {'Ready' if node_ready else 'NotReady'}"
        )
        picture.text(
            NODE_X + 10,
            top + 17,
            svg.fit(heading, NODE_W - 20),
            size=12,
            font_weight="600",
            fill=svg.INK if node_ready or not known else svg.RED,
        )
        members = by_node.get(node_name) or []
        if not members:
            picture.text(NODE_X + 12, top + NODE_HEAD + 20, "no pods here", size=11, fill=svg.MUTED)
        for index, pod in enumerate(members):
            _draw_pod(picture, states[_uid(pod)], top + NODE_HEAD + index * ROW)
        picture.close("g")


def _draw_pod(picture: svg.Svg, state: PodState, top: float) -> None:
    picture.open(
        "g",
        class_="pod",
        data_name=state.name,
        data_phase=state.phase,
        data_status=state.status,
        data_ready="true" if state.ready else "false",
    )
    picture.tooltip(
        f"Pod {state.name}: {state.status}, {state.ready_containers}/{state.containers} "
        f"containers ready, {state.restarts} restarts"
    )
    picture.rect(
        POD_X,
        top,
        POD_W,
        POD_H,
        rx=6,
        fill=state.look.fill,
        stroke=state.look.stroke,
        stroke_width=1.5,
        stroke_dasharray="4 3" if state.terminating else None,
    )
    picture.text(POD_X + 8, top + 14, svg.fit(state.name, POD_W - 16, 12), size=12)
    detail = f"{state.status} · {state.ready_containers}/{state.containers} ready"
    if state.restarts:
        detail += f" · {state.restarts} restart{'s' if state.restarts != 1 else ''}"
    picture.text(
        POD_X + 8, top + 28, svg.fit(detail, POD_W - 16, 10), size=10, fill=state.look.stroke
    )
    picture.close("g")


def _draw_links(
    picture: svg.Svg,
    placed_sets: list[_Placed],
    placed_deployments: list[_Placed],
    owner_of_set: Mapping[str, str | None],
    set_centre: Mapping[str, float],
    pods: Sequence[Mapping[str, Any]],
    sets: Mapping[str, Mapping[str, Any]],
    pod_uid_centre: Mapping[str, float],
) -> None:
    """Ownership lines: Deployment to ReplicaSet, ReplicaSet to pod."""
    picture.open("g", class_="owner-links", fill="none", stroke=svg.GREY, stroke_width=1.2)
    deployment_centre = {item.key: item.y + BOX_H / 2 for item in placed_deployments}
    for uid, owner in owner_of_set.items():
        if owner in deployment_centre and uid in set_centre:
            _curve(picture, OWNER_X + OWNER_W, deployment_centre[owner], SET_X, set_centre[uid])
    for pod in pods:
        owner = _controller(pod)
        if owner in set_centre and owner in sets:
            _curve(picture, SET_X + SET_W, set_centre[owner], POD_X, pod_uid_centre[_uid(pod)])
    picture.close("g")


def _curve(picture: svg.Svg, x1: float, y1: float, x2: float, y2: float, **attributes: Any) -> None:
    middle = (x1 + x2) / 2
    picture.add(
        "path",
        d=f"M{x1:g},{y1:g} C{middle:g},{y1:g} {middle:g},{y2:g} {x2:g},{y2:g}",
        **attributes,
    )


def _box(
    picture: svg.Svg,
    x: float,
    y: float,
    width: float,
    name: str,
    detail: str,
    fill: str,
    stroke: str,
) -> None:
    picture.rect(x, y, width, BOX_H, rx=6, fill=fill, stroke=stroke, stroke_width=1.5)
    picture.text(x + 8, y + 16, svg.fit(name, width - 16, 12), size=12, font_weight="600")
    picture.text(x + 8, y + 31, svg.fit(detail, width - 16, 10), size=10, fill=svg.MUTED)


def _open_workload(
    picture: svg.Svg,
    kind: str,
    workload: Mapping[str, Any],
    desired: int,
    ready: int,
    **attributes: Any,
) -> None:
    """Open the group of a workload's box, naming it and its replica counts for readers."""
    picture.open(
        "g",
        class_=kind,
        data_name=_name(workload),
        data_replicas=str(desired),
        data_ready=str(ready),
        **attributes,
    )


def _draw_sets(
    picture: svg.Svg, placed: list[_Placed], sets: Mapping[str, Mapping[str, Any]]
) -> None:
    for item in placed:
        rs = sets[item.key]
        spec, status = rs.get("spec") or {}, rs.get("status") or {}
        desired = int(spec.get("replicas", 1) or 0)
        ready = int(status.get("readyReplicas") or 0)
        revision = ((rs.get("metadata") or {}).get("annotations") or {}).get(
            "deployment.kubernetes.io/revision"
        )
        active = desired > 0
        _open_workload(
            picture, "replicaset", rs, desired, ready, opacity=None if active else "0.55"
        )
        detail = f"{ready} of {desired} ready" + (f" · revision {revision}" if revision else "")
        _box(
            picture,
            SET_X,
            item.y,
            SET_W,
            _name(rs),
            detail,
            svg.LIGHT_PURPLE if active else "#ffffff",
            svg.PURPLE if active else svg.BORDER,
        )
        picture.close("g")


def _draw_deployments(
    picture: svg.Svg, placed: list[_Placed], deployments: Mapping[str, Mapping[str, Any]]
) -> None:
    for item in placed:
        deployment = deployments[item.key]
        desired = int((deployment.get("spec") or {}).get("replicas", 1) or 0)
        status = deployment.get("status") or {}
        ready = int(status.get("readyReplicas") or 0)
        updated = int(status.get("updatedReplicas") or 0)
        _open_workload(picture, "deployment", deployment, desired, ready)
        detail = f"{ready}/{desired} ready · {updated} up to date"
        _box(picture, OWNER_X, item.y, OWNER_W, _name(deployment), detail, svg.LIGHT_BLUE, svg.BLUE)
        picture.close("g")


def _draw_services(
    picture: svg.Svg,
    placed: list[_Placed],
    services: Mapping[str, Mapping[str, Any]],
    endpoints: Mapping[str, list[tuple[str, bool]]],
    pod_centre: Mapping[str, float],
) -> None:
    for item in placed:
        targets = [
            (name, ready) for name, ready in endpoints.get(item.key, []) if name in pod_centre
        ]
        centre = item.y + BOX_H / 2
        picture.open(
            "g",
            class_="service",
            data_name=item.key,
            data_endpoints=" ".join(name for name, ready in targets if ready),
        )
        for name, ready in targets:
            _curve(
                picture,
                SERVICE_X,
                centre,
                POD_X + POD_W + 2,
                pod_centre[name],
                class_="endpoint",
                data_pod=name,
                data_ready="true" if ready else "false",
                fill="none",
                stroke=svg.BLUE if ready else svg.GREY,
                stroke_width=1.5,
                stroke_dasharray=None if ready else "4 3",
                marker_end="url(#arrow)",
            )
        count = sum(1 for _, ready in targets if ready)
        detail = (
            _service_port_text(services[item.key])
            + f" · {count} endpoint{'s' if count != 1 else ''}"
        )
        _box(picture, SERVICE_X, item.y, SERVICE_W, item.key, detail, "#ffffff", svg.BLUE)
        picture.close("g")


#: What the cluster map watches: nodes across the cluster, the rest in one namespace.
WATCHED = (
    ("v1", "Node", False),
    ("v1", "Pod", True),
    ("apps/v1", "ReplicaSet", True),
    ("apps/v1", "Deployment", True),
    ("v1", "Service", True),
    ("discovery.k8s.io/v1", "EndpointSlice", True),
)


class ClusterMap:
    """The live picture's side of the map: it keeps only the latest objects."""

    tick = None

    def __init__(self, namespace: str | None) -> None:
        self.namespace = namespace
        self.title = f"Cluster map of namespace {namespace}" if namespace else "Cluster map"
        self._objects: dict[str, list[dict[str, Any]]] = {}

    def observe(self, objects: dict[str, list[dict[str, Any]]], now: float) -> None:
        self._objects = objects

    def svg(self, now: float) -> str:
        return cluster_map_svg(self._objects, self.namespace)

    def summary(self) -> str:
        pods = [pod_state(pod) for pod in self._objects.get("Pod") or []]
        ready = sum(1 for pod in pods if pod.ready)
        return f"{self.title}: {len(pods)} pods, {ready} ready"
