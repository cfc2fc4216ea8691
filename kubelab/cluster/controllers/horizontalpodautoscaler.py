"""The HorizontalPodAutoscaler controller: resize a workload to keep its pods' load on target.

Every 15 seconds (cluster time) per autoscaler, as kube-controller-manager does, it reads the
target's scale (the ``scale`` subresource view of a Deployment, ReplicaSet, StatefulSet or
ReplicationController), measures the target's pods through the resource metrics, and computes

    desiredReplicas = ceil(currentReplicas * currentUtilization / targetUtilization)

where utilization is usage as a percentage of the pods' requests. A ratio within the tolerance
(10 %) changes nothing; pods not yet ready, or without metrics, are left out or counted
conservatively so that a starting pod does not cause a second scale-up. The result is then
*normalized*: a scale-down only goes as low as the highest recommendation of the last five
minutes (the stabilization window, so a short lull does not remove pods that are needed again
a minute later), a scale-up at most doubles the replicas (or follows ``spec.behavior``'s
policies), and ``minReplicas``/``maxReplicas`` bound it. The conditions ``AbleToScale``,
``ScalingActive`` and ``ScalingLimited`` say what happened and why, and every resize is a
``SuccessfulRescale`` event, which is what ``kubectl describe hpa`` shows.

Only resource metrics (``Resource`` and ``ContainerResource``: cpu and memory) can be measured;
the teaching cluster serves no custom or external metrics API, and says so in the conditions as
a cluster without those adapters does.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from kubelab.cluster.api.handlers import scale_of
from kubelab.cluster.api.selectors import Selector, parse_label_selector
from kubelab.cluster.client import PODS, LocalClient, Resource
from kubelab.cluster.controllers.base import Controller, Key
from kubelab.cluster.events import EventRecorder
from kubelab.cluster.metrics.usage import WINDOW_SECONDS, usage_for
from kubelab.cluster.quantity import DECIMAL_SI, Quantity, QuantityError
from kubelab.cluster.resources.printing import parse_time

AUTOSCALERS: Resource = ("autoscaling", "v2", "horizontalpodautoscalers")

#: kube-controller-manager's ``--horizontal-pod-autoscaler-*`` defaults.
SYNC_PERIOD_SECONDS = 15
TOLERANCE = 0.1
DOWNSCALE_STABILIZATION_SECONDS = 300
CPU_INITIALIZATION_PERIOD_SECONDS = 300
INITIAL_READINESS_DELAY_SECONDS = 30
#: Without ``spec.behavior`` a scale-up may at most double the replicas (and reach four).
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4


class ScalingError(Exception):
    """The target or its selector cannot be worked with; the message says why."""


class MetricError(Exception):
    """A metric could not be computed. ``reason`` is the condition and event reason, ``detail``
    what went wrong and ``message`` the error upstream passes on (``failed to get cpu
    utilization: <detail>``)."""

    def __init__(self, reason: str, detail: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail


class CalculationError(Exception):
    """The replica calculator could not decide; the message is upstream's."""


@dataclass(frozen=True)
class PodMetric:
    value: int  # milli-units, as ``Quantity.MilliValue()``
    timestamp: datetime


@dataclass
class Proposal:
    """What one metric asks for."""

    replicas: int
    metric: str  # "cpu resource utilization (percentage of request)"
    status: dict[str, Any]


@dataclass
class ScaleEvent:
    change: int
    at: datetime
    outdated: bool = False


@dataclass
class History:
    """What the controller remembers about one autoscaler between syncs."""

    recommendations: list[tuple[int, datetime]] = field(default_factory=list)
    scale_ups: list[ScaleEvent] = field(default_factory=list)
    scale_downs: list[ScaleEvent] = field(default_factory=list)
    next_sync: datetime | None = None


# --- conditions -------------------------------------------------------------------------------


def set_condition(
    hpa: dict[str, Any], kind: str, status: str, reason: str, message: str, now: str
) -> None:
    """``setCondition``: add or change a condition; its time moves only when status does."""
    conditions = hpa.setdefault("status", {}).setdefault("conditions", [])
    for condition in conditions:
        if condition.get("type") == kind:
            break
    else:
        condition = {"type": kind}
        conditions.append(condition)
    if condition.get("status") != status:
        condition["lastTransitionTime"] = now
    condition.update(status=status, reason=reason, message=message)


# --- the replica calculator ---------------------------------------------------------------------


def _ready_condition(pod: dict[str, Any]) -> dict[str, Any] | None:
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def group_pods(
    pods: list[dict[str, Any]], metrics: dict[str, PodMetric], resource: str, now: datetime
) -> tuple[int, set[str], set[str], set[str]]:
    """``groupPods``: (ready count, unready, missing metrics, ignored) pod names."""
    ready, unready, missing, ignored = 0, set(), set(), set()
    for pod in pods:
        name = pod["metadata"]["name"]
        phase = pod.get("status", {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase == "Failed":
            ignored.add(name)
            continue
        if phase == "Pending":
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if resource == "cpu" and _cpu_sample_unready(pod, metric, now):
            unready.add(name)
            continue
        ready += 1
    return ready, unready, missing, ignored


def _cpu_sample_unready(pod: dict[str, Any], metric: PodMetric, now: datetime) -> bool:
    """A CPU sample of a starting pod is not trusted: the pod is unready, or became ready less
    than one metrics window before the sample."""
    condition = _ready_condition(pod)
    started = parse_time(pod.get("status", {}).get("startTime"))
    if condition is None or started is None:
        return True
    changed = parse_time(condition.get("lastTransitionTime")) or started
    if started + timedelta(seconds=CPU_INITIALIZATION_PERIOD_SECONDS) > now:
        return condition.get("status") == "False" or metric.timestamp < changed + timedelta(
            seconds=WINDOW_SECONDS
        )
    return (
        condition.get("status") == "False"
        and started + timedelta(seconds=INITIAL_READINESS_DELAY_SECONDS) > changed
    )


def pod_requests(pods: list[dict[str, Any]], resource: str, container: str) -> dict[str, int]:
    """``calculatePodRequests``: each pod's request of ``resource`` in milli-units."""
    requests = {}
    for pod in pods:
        spec = pod.get("spec", {})
        containers = list(spec.get("containers") or [])
        containers += [
            c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"
        ]
        total = 0
        for entry in containers:
            if container and entry.get("name") != container:
                continue
            request = ((entry.get("resources") or {}).get("requests") or {}).get(resource)
            if request is None:
                raise CalculationError(
                    f"missing request for {resource} in container {entry.get('name')} of Pod "
                    f"{pod['metadata']['name']}"
                )
            total += Quantity.parse(request).milli_value()
        requests[pod["metadata"]["name"]] = total
    return requests


@dataclass(frozen=True)
class Tolerances:
    scale_down: float = TOLERANCE
    scale_up: float = TOLERANCE

    def within(self, ratio: float) -> bool:
        return 1.0 - self.scale_down <= ratio <= 1.0 + self.scale_up


def calculate_replicas(
    current: int,
    pods: list[dict[str, Any]],
    metrics: dict[str, PodMetric],
    resource: str,
    ratio_of: Callable[[dict[str, int]], float],
    assumed_for_missing: Callable[[str], int],
    tolerances: Tolerances,
    now: datetime,
) -> tuple[int, dict[str, int]]:
    """The replica count one metric proposes, and the usage it was computed from.

    This is the shared core of ``GetResourceReplicas`` and ``calcPlainMetricReplicas``, which
    differ in ``ratio_of`` (usage over target) and in what a pod without metrics is assumed to
    use on a scale-down (``assumed_for_missing``: its request, or the target value)."""
    ready, unready, missing, ignored = group_pods(pods, metrics, resource, now)
    measured = {n: m.value for n, m in metrics.items() if n not in ignored and n not in unready}
    if not measured:
        raise CalculationError("did not receive metrics for targeted pods (pods might be unready)")
    ratio = ratio_of(measured)
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        replicas = current if tolerances.within(ratio) else math.ceil(ratio * ready)
        return replicas, measured
    values = dict(measured)
    for name in missing:
        values[name] = assumed_for_missing(name) if ratio < 1.0 else 0
    if scale_up_with_unready:
        for name in unready:
            values[name] = 0
    new_ratio = ratio_of(values)
    if tolerances.within(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, measured
    proposed = math.ceil(new_ratio * len(values))
    if (new_ratio < 1.0 and proposed > current) or (new_ratio > 1.0 and proposed < current):
        return current, measured
    return proposed, measured


def _milli_quantity(milli: int) -> str:
    return Quantity(Fraction(milli, 1000), DECIMAL_SI).canonical()


# --- normalization ------------------------------------------------------------------------------


def _replicas_changed_within(events: list[ScaleEvent], seconds: int, now: datetime) -> int:
    cutoff = now - timedelta(seconds=seconds)
    return sum(e.change for e in events if e.at > cutoff)


def scale_up_limit(
    current: int, events: list[ScaleEvent], rules: dict[str, Any], now: datetime
) -> int:
    """``calculateScaleUpLimitWithScalingRules``: the most replicas the policies allow now."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    pick = min if select == "Min" else max
    result: int | None = None
    for policy in rules.get("policies") or []:
        start = current - _replicas_changed_within(events, policy["periodSeconds"], now)
        if policy["type"] == "Pods":
            proposed = start + policy["value"]
        else:
            proposed = math.ceil(start * (1 + policy["value"] / 100))
        result = proposed if result is None else pick(result, proposed)
    return result if result is not None else current


def scale_down_limit(
    current: int, events: list[ScaleEvent], rules: dict[str, Any], now: datetime
) -> int:
    """``calculateScaleDownLimitWithBehaviors``: the fewest replicas the policies allow now."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    pick = max if select == "Min" else min
    result: int | None = None
    for policy in rules.get("policies") or []:
        start = current + _replicas_changed_within(events, policy["periodSeconds"], now)
        if policy["type"] == "Pods":
            proposed = start - policy["value"]
        else:
            proposed = int(start * (1 - policy["value"] / 100))
        result = proposed if result is None else pick(result, proposed)
    return result if result is not None else current


# --- the controller -------------------------------------------------------------------------------

_NO_CUSTOM_METRICS = (
    "unable to fetch metrics from custom metrics API: no custom metrics API "
    "(custom.metrics.k8s.io) registered"
)
_NO_EXTERNAL_METRICS = (
    "unable to fetch metrics from external metrics API: no external metrics API "
    "(external.metrics.k8s.io) registered"
)


class HorizontalPodAutoscalerController(Controller):
    name = "horizontal-pod-autoscaler"
    watches = (AUTOSCALERS,)

    def __init__(self, client: LocalClient) -> None:
        super().__init__(client)
        self.events = EventRecorder(client, self.name)
        self.history: dict[Key, History] = {}

    def _now(self) -> datetime:
        return self.client.clock.now()

    async def reconcile(self, namespace: str, name: str) -> float | None:
        key = (namespace, name)
        hpa = self.client.get(AUTOSCALERS, namespace, name)
        if hpa is None:
            self.history.pop(key, None)
            return None
        history = self.history.setdefault(key, History())
        now = self._now()
        # Upstream's work queue hands each autoscaler out once per sync period, however often
        # it changes, and not before one period has passed since it was first seen.
        if history.next_sync is None:
            history.next_sync = now + timedelta(seconds=SYNC_PERIOD_SECONDS)
        if now < history.next_sync:
            return (history.next_sync - now).total_seconds()
        history.next_sync = now + timedelta(seconds=SYNC_PERIOD_SECONDS)
        self._sync(hpa, history)
        return SYNC_PERIOD_SECONDS

    # --- one sync ---------------------------------------------------------------------------------

    def _condition(
        self, hpa: dict[str, Any], kind: str, status: str, reason: str, message: str
    ) -> None:
        set_condition(hpa, kind, status, reason, message, self.client.clock.timestamp())

    def _event(self, hpa: dict[str, Any], kind: str, reason: str, message: str) -> None:
        self.events.record(hpa, kind, reason, message)

    def _sync(self, hpa: dict[str, Any], history: History) -> None:
        """``reconcileAutoscaler``."""
        original = copy.deepcopy(hpa.get("status") or {})
        status = hpa.setdefault("status", {})
        spec = hpa.get("spec") or {}
        try:
            resource, target = self._target(hpa)
        except ScalingError as failure:
            self._event(hpa, "Warning", "FailedGetScale", str(failure))
            self._condition(
                hpa,
                "AbleToScale",
                "False",
                "FailedGetScale",
                f"the HPA controller was unable to get the target's current scale: {failure}",
            )
            self._write_status(hpa, original)
            return
        scale = scale_of(self.client.strategy(resource), target)
        self._condition(
            hpa,
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        )
        current = scale["spec"]["replicas"]
        if not history.recommendations:
            history.recommendations.append((current, self._now()))
        minimum = 1 if spec.get("minReplicas") is None else spec["minReplicas"]
        maximum = spec.get("maxReplicas", 0)
        desired, reason, statuses, rescale = 0, "", None, True
        if current == 0 and minimum != 0:
            rescale = False
            self._condition(
                hpa,
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            )
        elif current > maximum:
            reason, desired = "Current number of replicas above Spec.MaxReplicas", maximum
        elif current < minimum:
            reason, desired = "Current number of replicas below Spec.MinReplicas", minimum
        else:
            try:
                desired, metric, statuses = self._replicas_for_metrics(hpa, scale)
            except ScalingError as failure:
                status["currentReplicas"] = current
                status.setdefault("desiredReplicas", 0)
                self._write_status(hpa, original)
                self._event(hpa, "Warning", "FailedComputeMetricsReplicas", str(failure))
                return
            if desired > current:
                reason = f"{metric} above target"
            elif desired < current:
                reason = "All metrics below target"
            if spec.get("behavior") is None:
                desired = self._normalize(hpa, history, current, desired, minimum)
            else:
                desired = self._normalize_with_behavior(hpa, history, current, desired, minimum)
            rescale = desired != current
        if rescale:
            namespace, name = target["metadata"]["namespace"], target["metadata"]["name"]
            self.client.patch(resource, namespace, name, {"spec": {"replicas": desired}})
            self._condition(
                hpa,
                "AbleToScale",
                "True",
                "SucceededRescale",
                f"the HPA controller was able to update the target scale to {desired}",
            )
            self._event(
                hpa, "Normal", "SuccessfulRescale", f"New size: {desired}; reason: {reason}"
            )
            self._record_scale(spec.get("behavior"), history, current, desired)
            status["lastScaleTime"] = self.client.clock.timestamp()
        else:
            desired = current
        status["currentReplicas"] = current
        status["desiredReplicas"] = desired
        if statuses:
            status["currentMetrics"] = statuses
        else:
            status.pop("currentMetrics", None)
        self._write_status(hpa, original)

    def _write_status(self, hpa: dict[str, Any], original: dict[str, Any]) -> None:
        hpa["status"]["observedGeneration"] = hpa["metadata"].get("generation", 1)
        if hpa["status"] != original:
            self.client.update_status(AUTOSCALERS, hpa)

    def _target(self, hpa: dict[str, Any]) -> tuple[Resource, dict[str, Any]]:
        """The scale target's resource and object."""
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        api_version, kind = ref.get("apiVersion", ""), ref.get("kind", "")
        strategy = self.client.api.registry.by_api_version(api_version, kind)
        if strategy is None:
            group = api_version.rpartition("/")[0]
            raise ScalingError(f'no matches for kind "{kind}" in group "{group}"')
        if "scale" not in strategy.subresources:
            raise ScalingError("the server could not find the requested resource")
        resource = (strategy.group, strategy.version, strategy.plural)
        target = self.client.get(resource, hpa["metadata"]["namespace"], ref.get("name", ""))
        if target is None:
            qualified = f"{strategy.plural}.{strategy.group}" if strategy.group else strategy.plural
            raise ScalingError(f'{qualified} "{ref.get("name", "")}" not found')
        return resource, target

    # --- metrics --------------------------------------------------------------------------------

    def _replicas_for_metrics(
        self, hpa: dict[str, Any], scale: dict[str, Any]
    ) -> tuple[int, str, list[dict[str, Any]]]:
        """``computeReplicasForMetrics``: the largest proposal of all metrics, and the status
        of each."""
        selector_text = scale["status"].get("selector", "")
        if not selector_text:
            self._event(hpa, "Warning", "SelectorRequired", "selector is required")
            self._condition(
                hpa,
                "ScalingActive",
                "False",
                "InvalidSelector",
                "the HPA target's scale is missing a selector",
            )
            raise ScalingError("selector is required")
        selector = parse_label_selector(selector_text)
        specs = (hpa.get("spec") or {}).get("metrics") or []
        statuses: list[dict[str, Any]] = [{"type": ""} for _ in specs]
        best: Proposal | None = None
        failures: list[MetricError] = []
        for index, metric in enumerate(specs):
            try:
                proposal = self._replicas_for_metric(hpa, scale, metric, selector)
            except MetricError as failure:
                self._event(hpa, "Warning", failure.reason, failure.detail)
                failures.append(failure)
                continue
            statuses[index] = proposal.status
            if best is None or proposal.replicas > best.replicas:
                best = proposal
        if best is None:
            first = failures[0]
            self._condition(
                hpa,
                "ScalingActive",
                "False",
                first.reason,
                f"the HPA was unable to compute the replica count: {first.detail}",
            )
            raise ScalingError(
                f"invalid metrics ({len(failures)} invalid out of {len(specs)}), first error is: "
                f"{first}"
            )
        self._condition(
            hpa,
            "ScalingActive",
            "True",
            "ValidMetricFound",
            f"the HPA was able to successfully calculate a replica count from {best.metric}",
        )
        return best.replicas, best.metric, statuses

    def _replicas_for_metric(
        self, hpa: dict[str, Any], scale: dict[str, Any], metric: dict[str, Any], selector: Selector
    ) -> Proposal:
        kind = metric.get("type", "")
        if kind in ("Resource", "ContainerResource"):
            return self._resource_proposal(hpa, scale, metric, selector)
        if kind == "Pods":
            name = (metric.get("pods") or {}).get("metric", {}).get("name", "")
            detail = f"unable to get metric {name}: {_NO_CUSTOM_METRICS}"
            raise MetricError(
                "FailedGetPodsMetric", detail, f"failed to get pods metric value: {detail}"
            )
        if kind == "Object":
            name = (metric.get("object") or {}).get("metric", {}).get("name", "")
            detail = f"unable to get metric {name}: {_NO_CUSTOM_METRICS}"
            raise MetricError(
                "FailedGetObjectMetric", detail, f"failed to get object metric value: {detail}"
            )
        if kind == "External":
            name = (metric.get("external") or {}).get("metric", {}).get("name", "")
            detail = f"unable to get external metric {name}: {_NO_EXTERNAL_METRICS}"
            raise MetricError(
                "FailedGetExternalMetric", detail, f"failed to get {name} external metric: {detail}"
            )
        detail = f'unknown metric source type "{kind}"'
        raise MetricError("InvalidMetricSourceType", detail, detail)

    def _pod_metrics(
        self, namespace: str, selector: Selector, resource: str, container: str
    ) -> dict[str, PodMetric]:
        """``GetResourceMetric``: each selected pod's usage, in milli-units."""
        source = usage_for(self.client.api)
        found: dict[str, PodMetric] = {}
        for pod in source.pods(namespace) if source is not None else []:
            if not selector.matches(dict(pod.labels)):
                continue
            total = 0
            measured = False
            for entry in pod.containers:
                if container and entry.name != container:
                    continue
                measured = True
                if resource == "cpu":
                    total += math.ceil(entry.cpu_nanocores / 1_000_000)
                else:
                    total += entry.memory_bytes * 1000
            if measured:
                found[pod.name] = PodMetric(total, pod.timestamp)
        if not found:
            raise CalculationError("no metrics returned from resource metrics API")
        return found

    def _resource_proposal(
        self, hpa: dict[str, Any], scale: dict[str, Any], metric: dict[str, Any], selector: Selector
    ) -> Proposal:
        """``computeStatusForResourceMetric`` (and its per-container variant)."""
        kind = metric["type"]
        source = metric.get("resource" if kind == "Resource" else "containerResource") or {}
        resource, container = source.get("name", ""), source.get("container", "")
        target = source.get("target") or {}
        reason = (
            "FailedGetResourceMetric" if kind == "Resource" else "FailedGetContainerResourceMetric"
        )
        described = (
            f"{resource} resource" if kind == "Resource" else f"{resource} container resource"
        )
        failing = f"failed to get {resource} utilization"
        if kind == "ContainerResource":
            failing = f"failed to get {resource} container metric value"
        namespace = hpa["metadata"]["namespace"]
        current = scale["spec"]["replicas"]
        tolerances = self._tolerances(hpa)
        now = self._now()
        try:
            metrics = self._pod_metrics(namespace, selector, resource, container)
        except CalculationError as failure:
            detail = f"unable to get metrics for resource {resource}: {failure}"
            raise MetricError(reason, detail, f"{failing}: {detail}") from None
        pods = self.client.list(PODS, namespace, selector)
        try:
            if not pods:
                raise CalculationError(
                    "no pods returned by selector while calculating replica count"
                )
            if target.get("averageValue") is not None:
                goal = Quantity.parse(target["averageValue"]).milli_value()
                replicas, usage = self._average_value_replicas(
                    current, pods, metrics, resource, goal, tolerances, now
                )
                status = {"averageValue": _milli_quantity(usage)}
                name = described
            elif target.get("averageUtilization") is not None:
                replicas, percent, usage = self._utilization_replicas(
                    current,
                    pods,
                    metrics,
                    resource,
                    container,
                    target["averageUtilization"],
                    tolerances,
                    now,
                )
                status = {"averageUtilization": percent, "averageValue": _milli_quantity(usage)}
                name = f"{described} utilization (percentage of request)"
            else:
                raise CalculationError(
                    "invalid resource metric source: neither a utilization target nor a value "
                    "target was set"
                )
        except (CalculationError, QuantityError) as failure:
            raise MetricError(reason, str(failure), f"{failing}: {failure}") from None
        key = "resource" if kind == "Resource" else "containerResource"
        body: dict[str, Any] = {"name": resource, "current": status}
        if container:
            body["container"] = container
        return Proposal(replicas, name, {"type": kind, key: body})

    def _utilization_replicas(
        self,
        current: int,
        pods: list[dict[str, Any]],
        metrics: dict[str, PodMetric],
        resource: str,
        container: str,
        goal: int,
        tolerances: Tolerances,
        now: datetime,
    ) -> tuple[int, int, int]:
        """``GetResourceReplicas``: (replicas, utilization %, average usage in milli-units)."""
        requests = pod_requests(pods, resource, container)

        def utilization(values: dict[str, int]) -> tuple[int, int]:
            """(usage as a whole percentage of requests, average usage) of the pods that have
            requests, as ``GetResourceUtilizationRatio`` computes them."""
            used = [(values[n], requests[n]) for n in values if n in requests]
            requested = sum(r for _, r in used)
            if requested == 0:
                raise CalculationError("no metrics returned matched known pods")
            total = sum(v for v, _ in used)
            return total * 100 // requested, total // len(used)

        replicas, measured = calculate_replicas(
            current,
            pods,
            metrics,
            resource,
            lambda values: utilization(values)[0] / goal,
            lambda name: requests[name],
            tolerances,
            now,
        )
        percent, average = utilization(measured)
        return replicas, percent, average

    def _average_value_replicas(
        self,
        current: int,
        pods: list[dict[str, Any]],
        metrics: dict[str, PodMetric],
        resource: str,
        goal: int,
        tolerances: Tolerances,
        now: datetime,
    ) -> tuple[int, int]:
        """``GetRawResourceReplicas``: (replicas, average usage in milli-units)."""

        def average(values: dict[str, int]) -> int:
            return sum(values.values()) // len(values)

        replicas, measured = calculate_replicas(
            current,
            pods,
            metrics,
            resource,
            lambda values: average(values) / goal,
            lambda _name: goal,
            tolerances,
            now,
        )
        return replicas, average(measured)

    @staticmethod
    def _tolerances(hpa: dict[str, Any]) -> Tolerances:
        behavior = (hpa.get("spec") or {}).get("behavior") or {}
        down = (behavior.get("scaleDown") or {}).get("tolerance")
        up = (behavior.get("scaleUp") or {}).get("tolerance")
        return Tolerances(
            TOLERANCE if down is None else float(Quantity.parse(down).amount),
            TOLERANCE if up is None else float(Quantity.parse(up).amount),
        )

    # --- normalization ---------------------------------------------------------------------------

    def _normalize(
        self, hpa: dict[str, Any], history: History, current: int, proposed: int, minimum: int
    ) -> int:
        """``normalizeDesiredReplicas``: the five-minute scale-down window, then the bounds."""
        now = self._now()
        cutoff = now - timedelta(seconds=DOWNSCALE_STABILIZATION_SECONDS)
        stabilized = proposed
        replaced = False
        for index, (replicas, at) in enumerate(history.recommendations):
            if at < cutoff:
                if not replaced:
                    history.recommendations[index] = (proposed, now)
                    replaced = True
            elif replicas > stabilized:
                stabilized = replicas
        if not replaced:
            history.recommendations.append((proposed, now))
        if stabilized != proposed:
            self._condition(
                hpa,
                "AbleToScale",
                "True",
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent "
                "recommendation",
            )
        else:
            self._condition(
                hpa,
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
            )
        maximum = hpa["spec"].get("maxReplicas", 0)
        up_limit = int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))
        if maximum > up_limit:
            ceiling, reason = up_limit, "ScaleUpLimit"
            message = "the desired replica count is increasing faster than the maximum scale rate"
        else:
            ceiling, reason = maximum, "TooManyReplicas"
            message = "the desired replica count is more than the maximum replica count"
        desired = stabilized
        if stabilized < minimum:
            desired, reason = minimum, "TooFewReplicas"
            message = "the desired replica count is less than the minimum replica count"
        elif stabilized > ceiling:
            desired = ceiling
        else:
            reason, message = (
                "DesiredWithinRange",
                "the desired count is within the acceptable range",
            )
        limited = "False" if desired == stabilized else "True"
        self._condition(hpa, "ScalingLimited", limited, reason, message)
        return desired

    def _normalize_with_behavior(
        self, hpa: dict[str, Any], history: History, current: int, proposed: int, minimum: int
    ) -> int:
        """``normalizeDesiredReplicasWithBehaviors``: stabilization windows, then rate policies
        and bounds."""
        behavior = hpa["spec"]["behavior"]
        up_rules = behavior.get("scaleUp") or {}
        down_rules = behavior.get("scaleDown") or {}
        up_window = up_rules.get("stabilizationWindowSeconds") or 0
        down_window = down_rules.get("stabilizationWindowSeconds")
        if down_window is None:
            down_window = DOWNSCALE_STABILIZATION_SECONDS
        now = self._now()
        if proposed >= current:
            window, pick, reason = up_window, min, "ScaleUpStabilized"
            message = (
                "recent recommendations were lower than current one, applying the lowest recent "
                "recommendation"
            )
        else:
            window, pick, reason = down_window, max, "ScaleDownStabilized"
            message = (
                "recent recommendations were higher than current one, applying the highest recent "
                "recommendation"
            )
        cutoff = now - timedelta(seconds=window)
        obsolete = now - timedelta(seconds=max(up_window, down_window))
        stabilized = proposed
        replace_at: int | None = None
        for index, (replicas, at) in enumerate(history.recommendations):
            if at > cutoff:
                stabilized = pick(replicas, stabilized)
            if at < obsolete:
                replace_at = index
        if replace_at is not None:
            history.recommendations[replace_at] = (proposed, now)
        else:
            history.recommendations.append((proposed, now))
        if stabilized != proposed:
            self._condition(hpa, "AbleToScale", "True", reason, message)
        else:
            self._condition(
                hpa,
                "AbleToScale",
                "True",
                "ReadyForNewScale",
                "recommended size matches current size",
            )
        maximum = hpa["spec"].get("maxReplicas", 0)
        desired, limit_reason, limit_message = (
            stabilized,
            "DesiredWithinRange",
            ("the desired count is within the acceptable range"),
        )
        if stabilized > current:
            allowed = max(scale_up_limit(current, history.scale_ups, up_rules, now), current)
            if maximum > allowed:
                ceiling, limit_reason = allowed, "ScaleUpLimit"
                limit_message = (
                    "the desired replica count is increasing faster than the maximum scale rate"
                )
            else:
                ceiling, limit_reason = maximum, "TooManyReplicas"
                limit_message = "the desired replica count is more than the maximum replica count"
            if stabilized > ceiling:
                desired = ceiling
            else:
                limit_reason = "DesiredWithinRange"
                limit_message = "the desired count is within the acceptable range"
        elif stabilized < current:
            allowed = min(scale_down_limit(current, history.scale_downs, down_rules, now), current)
            if minimum < allowed:
                floor, limit_reason = allowed, "ScaleDownLimit"
                limit_message = (
                    "the desired replica count is decreasing faster than the maximum scale rate"
                )
            else:
                floor, limit_reason = minimum, "TooFewReplicas"
                limit_message = "the desired replica count is less than the minimum replica count"
            if stabilized < floor:
                desired = floor
            else:
                limit_reason = "DesiredWithinRange"
                limit_message = "the desired count is within the acceptable range"
        limited = "False" if desired == stabilized else "True"
        self._condition(hpa, "ScalingLimited", limited, limit_reason, limit_message)
        return desired

    def _record_scale(
        self, behavior: dict[str, Any] | None, history: History, before: int, after: int
    ) -> None:
        """``storeScaleEvent``: remember a resize for the rate policies of ``behavior``."""
        if behavior is None:
            return
        rules = behavior.get("scaleUp" if after > before else "scaleDown") or {}
        events = history.scale_ups if after > before else history.scale_downs
        longest = max((p["periodSeconds"] for p in rules.get("policies") or []), default=0)
        now = self._now()
        cutoff = now - timedelta(seconds=longest)
        for event in events:
            if event.at < cutoff:
                event.outdated = True
        fresh = ScaleEvent(abs(after - before), now)
        for index, event in enumerate(events):
            if event.outdated:
                events[index] = fresh
                return
        events.append(fresh)
