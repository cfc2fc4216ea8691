"""The resources view: what pods ask for and may use, against what each node can give.

The scheduler places a pod only where the node's allocatable CPU and memory still cover the
pod's requests (the sum over all pods on the node, whatever their namespace); limits are what
a container may use at most, and their sum may exceed the node, which is overcommitment. Each
pod's QoS class (Guaranteed, Burstable, BestEffort) follows from its requests and limits and
decides which pods are evicted first when a node runs short. The view draws, per node, a bar
for CPU and one for memory: requests stacked in QoS colours, a line at the sum of limits, and
below, the pods of the namespace with their class and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from kubelab.checks.values import quantity_amount
from kubelab.widgets import svg
from kubelab.widgets.podstate import Look, legend

WIDTH = 820
BAR_X, BAR_W, BAR_H = 120, 420, 18
QOS_COLOURS = {
    "Guaranteed": (svg.LIGHT_GREEN, svg.GREEN),
    "Burstable": (svg.LIGHT_AMBER, svg.AMBER),
    "BestEffort": (svg.LIGHT_GREY, svg.GREY),
}
RESOURCES = ("cpu", "memory")
QOS_LOOKS = tuple(Look(name, *colours) for name, colours in QOS_COLOURS.items())


@dataclass(frozen=True)
class PodResources:
    """A pod's requests and limits summed over its containers (None: no limit on some)."""

    name: str
    namespace: str
    node: str | None
    qos: str
    requests: Mapping[str, Fraction]
    limits: Mapping[str, Fraction | None]
    #: Resources no container asks for at all (they count as zero to the scheduler).
    unset: frozenset[str] = frozenset()


def _amount(value: Any) -> Fraction:
    return quantity_amount(value) or Fraction(0)


def qos_class(containers: Sequence[Mapping[str, Any]]) -> str:
    """The QoS class the kubelet gives a pod with these containers.

    Guaranteed: every container has CPU and memory limits equal to its requests (requests
    default to limits). BestEffort: no container sets any request or limit. Otherwise Burstable.
    """
    any_set = False
    guaranteed = True
    for container in containers:
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        requests = {**limits, **(resources.get("requests") or {})}
        if any(name in limits or name in requests for name in RESOURCES):
            any_set = True
        for name in RESOURCES:
            if name not in limits or _amount(requests.get(name)) != _amount(limits[name]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def pod_resources(pod: Mapping[str, Any]) -> PodResources:
    metadata, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    containers = spec.get("containers") or []
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction | None] = {}
    unset: set[str] = set()
    for name in RESOURCES:
        total_request = Fraction(0)
        asked = False
        total_limit: Fraction | None = Fraction(0)
        for container in containers:
            resources = container.get("resources") or {}
            limit = (resources.get("limits") or {}).get(name)
            request = (resources.get("requests") or {}).get(name, limit)
            asked = asked or request is not None
            total_request += _amount(request)
            total_limit = (
                None if limit is None or total_limit is None else total_limit + _amount(limit)
            )
        requests[name] = total_request
        limits[name] = total_limit
        if not asked:
            unset.add(name)
    return PodResources(
        name=str(metadata.get("name") or "?"),
        namespace=str(metadata.get("namespace") or ""),
        node=spec.get("nodeName") or None,
        qos=str((pod.get("status") or {}).get("qosClass") or qos_class(containers)),
        requests=requests,
        limits=limits,
        unset=frozenset(unset),
    )


def format_amount(resource: str, amount: Fraction | None) -> str:
    """``250m`` or ``1.5`` CPUs, ``64Mi`` or ``1.5Gi`` of memory, ``-`` for no limit."""
    if amount is None:
        return "no limit"
    if not amount:
        return "0"
    if resource == "cpu":
        millis = float(amount * 1000)
        return f"{millis:.0f}m" if millis < 1000 else f"{float(amount):g}"
    mebi = float(amount) / 2**20
    return f"{mebi / 1024:.3g}Gi" if mebi >= 1024 else f"{mebi:.4g}Mi"


def _request_text(pod: PodResources, resource: str) -> str:
    return "not set" if resource in pod.unset else format_amount(resource, pod.requests[resource])


def _counts(pod: Mapping[str, Any]) -> bool:
    """Pods that hold node resources: not finished (the scheduler ignores Succeeded/Failed)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def resources_svg(
    nodes: Sequence[Mapping[str, Any]], pods: Sequence[Mapping[str, Any]], namespace: str | None
) -> str:
    """Requests and limits against allocatable, per node, as SVG."""
    placed = [pod_resources(pod) for pod in pods if _counts(pod)]
    mine = [p for p in placed if namespace is None or p.namespace == namespace]
    node_list = sorted(nodes, key=lambda n: str((n.get("metadata") or {}).get("name")))
    node_h = 30 + len(RESOURCES) * 30
    table_top = 60 + len(node_list) * (node_h + 10) + 20
    height = table_top + 24 + max(1, len(mine)) * 20 + 44
    title = "Resources" + (f" of namespace {namespace}" if namespace else "")
    picture = svg.Svg(WIDTH, height, title)
    picture.text(12, 22, title, size=15, font_weight="600")
    picture.text(
        12,
        40,
        "Requests (stacked, by QoS class) and the sum of limits (red line) against each node's "
        "allocatable",
        size=11,
        fill=svg.MUTED,
    )
    y = 60
    for node in node_list:
        name = str((node.get("metadata") or {}).get("name"))
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        on_node = [p for p in placed if p.node == name]
        picture.open("g", class_="node", data_name=name)
        picture.rect(8, y, WIDTH - 16, node_h, rx=8, fill=svg.LIGHT_GREY, stroke=svg.BORDER)
        picture.text(20, y + 18, f"{name} · {len(on_node)} pods", size=12, font_weight="600")
        for row, resource in enumerate(RESOURCES):
            _bar(
                picture,
                resource,
                _amount(allocatable.get(resource)),
                on_node,
                namespace,
                y + 28 + row * 30,
            )
        picture.close("g")
        y += node_h + 10

    picture.text(12, table_top, "PODS", size=9, fill=svg.MUTED, letter_spacing="0.08em")
    columns = (12, 260, 370, 470, 570, 670)
    for x, label in zip(
        columns,
        ("pod", "QoS class", "cpu request", "cpu limit", "memory request", "memory limit"),
        strict=True,
    ):
        picture.text(x, table_top + 18, label, size=10, fill=svg.MUTED, font_weight="600")
    row_y = table_top + 38
    if not mine:
        picture.text(12, row_y, "No running pods here.", size=11, fill=svg.MUTED)
    for pod in sorted(mine, key=lambda p: p.name):
        fill, stroke = QOS_COLOURS.get(pod.qos, (svg.LIGHT_GREY, svg.GREY))
        picture.open("g", class_="pod", data_name=pod.name, data_qos=pod.qos)
        picture.text(columns[0], row_y, svg.fit(pod.name, 240, 11), size=11)
        picture.rect(columns[1], row_y - 11, 84, 15, rx=7, fill=fill, stroke=stroke)
        picture.text(columns[1] + 42, row_y, pod.qos, size=10, fill=stroke, text_anchor="middle")
        values = (
            _request_text(pod, "cpu"),
            format_amount("cpu", pod.limits["cpu"]),
            _request_text(pod, "memory"),
            format_amount("memory", pod.limits["memory"]),
        )
        for x, value in zip(columns[2:], values, strict=True):
            picture.text(x, row_y, value, size=11)
        picture.close("g")
        row_y += 20
    legend(picture, 12, height - 12, QOS_LOOKS)
    picture.line(330, height - 22, 330, height - 6, stroke=svg.RED, stroke_width=2)
    picture.text(338, height - 12, "sum of limits", size=11, fill=svg.MUTED)
    return str(picture)


def _bar(
    picture: svg.Svg,
    resource: str,
    allocatable: Fraction,
    pods: Sequence[PodResources],
    namespace: str | None,
    y: float,
) -> None:
    requested = sum((p.requests[resource] for p in pods), Fraction(0))
    limits = [p.limits[resource] for p in pods]
    unlimited = any(limit is None for limit in limits)
    limited = sum((limit for limit in limits if limit is not None), Fraction(0))
    scale_to = max(allocatable, requested, limited, Fraction(1, 10**6))
    width_of = lambda amount: float(amount / scale_to) * BAR_W  # noqa: E731
    picture.open(
        "g",
        class_="bar",
        data_resource=resource,
        data_allocatable=format_amount(resource, allocatable),
        data_requested=format_amount(resource, requested),
    )
    picture.text(20, y + 13, resource, size=11, fill=svg.INK)
    picture.rect(BAR_X, y, width_of(allocatable), BAR_H, fill="#ffffff", stroke=svg.MUTED)
    x = float(BAR_X)
    for pod in sorted(
        pods,
        key=lambda p: (
            ("BestEffort", "Burstable", "Guaranteed").index(p.qos) if p.qos in QOS_COLOURS else 3
        ),
        reverse=True,
    ):
        width = width_of(pod.requests[resource])
        if width <= 0:
            continue
        fill, stroke = QOS_COLOURS.get(pod.qos, (svg.LIGHT_GREY, svg.GREY))
        outside = namespace is not None and pod.namespace != namespace
        picture.open("g", class_="request", data_pod=pod.name)
        amount = format_amount(resource, pod.requests[resource])
        picture.tooltip(f"{pod.namespace}/{pod.name}: requests {amount}")
        picture.rect(
            x,
            y + 1,
            width,
            BAR_H - 2,
            fill=fill,
            stroke=stroke,
            stroke_width=0.8,
            opacity="0.45" if outside else None,
        )
        picture.close("g")
        x += width
    if limited:
        lx = BAR_X + width_of(limited)
        picture.line(lx, y - 3, lx, y + BAR_H + 3, stroke=svg.RED, stroke_width=2)
    used = (
        f"{format_amount(resource, requested)} of {format_amount(resource, allocatable)} requested"
    )
    if limited > allocatable:
        used += " · limits overcommit"
    elif unlimited:
        used += " · some without limit"
    picture.text(
        BAR_X + BAR_W + 8,
        y + 13,
        svg.fit(used, WIDTH - BAR_X - BAR_W - 16, 10),
        size=10,
        fill=svg.MUTED,
    )
    picture.close("g")


class Resources:
    """The live picture's side of the resources view: the latest nodes and pods."""

    tick = None

    def __init__(self, namespace: str | None) -> None:
        self.namespace = namespace
        self.title = "Resources" + (f" of namespace {namespace}" if namespace else "")
        self._objects: dict[str, list[dict[str, Any]]] = {}

    def observe(self, objects: dict[str, list[dict[str, Any]]], now: float) -> None:
        self._objects = objects

    def svg(self, now: float) -> str:
        return resources_svg(
            self._objects.get("Node") or [], self._objects.get("Pod") or [], self.namespace
        )

    def summary(self) -> str:
        pods = [pod_resources(p) for p in self._objects.get("Pod") or [] if _counts(p)]
        mine = [p for p in pods if self.namespace is None or p.namespace == self.namespace]
        return f"{self.title}: {len(mine)} pods on {len(self._objects.get('Node') or [])} nodes"
