"""Pod specs wherever they appear: in Pods, in every workload's template and in PodTemplates.

kube-apiserver defaults and validates a ``PodSpec`` with the same functions whether it sits in a
Pod or in a Deployment's ``spec.template`` (``SetDefaults_PodSpec``, ``ValidatePodSpec``), so the
teaching cluster keeps that logic here, once. The helpers every controller kind shares live here
too: label selectors (validation, matching and their printed form), int-or-percent values, the
pod QoS class and the ``CONTAINERS``/``IMAGES`` wide columns.

Field paths, message texts and the order of errors follow ``pkg/apis/core/validation``; the
values in ``Invalid value: ...`` are rendered as kube-apiserver renders them (quoted strings,
bare numbers, JSON for anything else).
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from kubelab.cluster import schemas
from kubelab.cluster.api.errors import (
    INVALID,
    NOT_FOUND,
    NOT_SUPPORTED,
    FieldError,
    duplicate,
    forbidden_field,
    invalid,
    not_supported,
    required,
)
from kubelab.cluster.api.selectors import LABEL_SELECTOR_OPERATORS, Requirement, Selector
from kubelab.cluster.quantity import Quantity, QuantityError
from kubelab.cluster.resources.base import Column
from kubelab.cluster.resources.resourcenames import (
    container_resource_name_errors,
    is_hugepages,
    overcommit_allowed,
    quantity_errors,
)
from kubelab.cluster.resources.validation import (
    dns1123_label_errors,
    dns1123_subdomain_errors,
    label_value_errors,
    qualified_name_errors,
    validate_annotations,
)

# --- field paths ------------------------------------------------------------------------------


def at(path: str, *parts: str | int) -> str:
    """Extend a field path: names become ``.name``, integers become ``[i]``."""
    for part in parts:
        if isinstance(part, int):
            path = f"{path}[{part}]"
        elif path:
            path = f"{path}.{part}"
        else:
            path = part
    return path


def keyed(path: str, key: str) -> str:
    """A map entry's path, ``limits[cpu]``."""
    return f"{path}[{key}]"


def invalid_rendered(path: str, rendered: str, detail: str) -> FieldError:
    """An ``Invalid value`` error whose value is already rendered as upstream prints it.

    Used where upstream marshals a Go struct whose field order differs from sorted JSON (a
    label selector with both ``matchLabels`` and ``matchExpressions``), so the text matches.
    """
    return FieldError(INVALID, path, detail=f"{rendered}: {detail}" if detail else rendered)


def not_supported_rendered(path: str, rendered: str, supported: list[str]) -> FieldError:
    """``field.NotSupported`` whose value is already rendered (an internal Go struct)."""
    listed = ", ".join(json.dumps(value) for value in supported)
    return FieldError(NOT_SUPPORTED, path, detail=f"{rendered}: supported values: {listed}")


def field_not_found(path: str, value: Any) -> FieldError:
    return FieldError(NOT_FOUND, path, value)


NON_NEGATIVE = "must be greater than or equal to 0"
FIELD_IMMUTABLE = "field is immutable"
INT32_MAX = 2**31 - 1


def non_negative(value: Any, path: str) -> list[FieldError]:
    """``ValidateNonnegativeField``."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, NON_NEGATIVE)]
    return []


def inclusive_range(low: int, high: int) -> str:
    return f"must be between {low} and {high}, inclusive"


# --- defaulting ----------------------------------------------------------------------------

DEFAULT_TERMINATION_GRACE_PERIOD = 30
DEFAULT_SCHEDULER = "default-scheduler"
DEFAULT_FILE_MODE = 0o644
TERMINATION_MESSAGE_PATH = "/dev/termination-log"

_RESOURCE_LIST_FIELDS = ("limits", "requests")


def default_pod_template(template: dict[str, Any] | None) -> None:
    """Defaults inside a workload's ``spec.template`` (the pod spec part only)."""
    if not isinstance(template, dict):
        return
    spec = template.get("spec")
    if isinstance(spec, dict):
        default_pod_spec(spec)


def default_pod_spec(spec: dict[str, Any]) -> None:
    """``SetDefaults_PodSpec`` and the defaults of everything nested in a pod spec.

    These apply in Pods and templates alike; what only Pods get is in :func:`default_pod_only`.
    """
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = DEFAULT_TERMINATION_GRACE_PERIOD
    if not spec.get("schedulerName"):
        spec["schedulerName"] = DEFAULT_SCHEDULER
    for volume in _dicts(spec.get("volumes")):
        _default_volume(volume)
    for kind in ("containers", "initContainers", "ephemeralContainers"):
        for container in _dicts(spec.get(kind)):
            _default_container(container)
    for key in ("overhead",):
        if isinstance(spec.get(key), dict):
            spec[key] = _canonical_resource_list(spec[key])
    if isinstance(spec.get("resources"), dict):
        _default_resource_requirements(spec["resources"])


def default_pod_only(spec: dict[str, Any]) -> None:
    """``SetDefaults_Pod``: what Pods get and templates do not.

    Requests default to limits (so a container with only limits is Guaranteed), service links
    are on, and with host networking every container port is also a host port.
    """
    for kind in ("containers", "initContainers"):
        for container in _dicts(spec.get(kind)):
            resources = container.get("resources")
            if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
                continue
            requests = resources.setdefault("requests", {})
            if isinstance(requests, dict):
                for name, value in resources["limits"].items():
                    requests.setdefault(name, value)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork"):
        for kind in ("containers", "initContainers"):
            for container in _dicts(spec.get(kind)):
                for port in _dicts(container.get("ports")):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort", 0)


def default_image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged image, ``IfNotPresent`` otherwise."""
    return "Always" if image_tag(image) == "latest" else "IfNotPresent"


def image_tag(image: str) -> str:
    """The tag ``ParseImageName`` reports: explicit, ``latest`` when neither tag nor digest is
    given, and empty for a digest-only or unparseable reference (empty, spaces, upper case)."""
    if not image or any(ch.isspace() for ch in image):
        return ""
    name, _, digest = image.partition("@")
    repository, colon, tag = name.rpartition(":")
    if not colon or "/" in tag:
        repository, tag = name, ""
    if repository != repository.lower() or not repository:
        return ""
    if tag:
        return tag
    return "" if digest else "latest"


def _default_container(container: dict[str, Any]) -> None:
    if not container.get("imagePullPolicy"):
        container["imagePullPolicy"] = default_image_pull_policy(str(container.get("image") or ""))
    if not container.get("terminationMessagePath"):
        container["terminationMessagePath"] = TERMINATION_MESSAGE_PATH
    if not container.get("terminationMessagePolicy"):
        container["terminationMessagePolicy"] = "File"
    for port in _dicts(container.get("ports")):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
    for env in _dicts(container.get("env")):
        value_from = env.get("valueFrom")
        if isinstance(value_from, dict):
            _default_field_ref(value_from.get("fieldRef"))
    if isinstance(container.get("resources"), dict):
        _default_resource_requirements(container["resources"])
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(probe_name)
        if isinstance(probe, dict):
            _default_probe(probe)
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            if isinstance(lifecycle.get(hook), dict):
                _default_handler(lifecycle[hook])


def _default_probe(probe: dict[str, Any]) -> None:
    """``SetDefaults_Probe``: timeout 1s, period 10s, success 1, failure 3."""
    for key, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if not probe.get(key):
            probe[key] = value
    _default_handler(probe)
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_handler(handler: dict[str, Any]) -> None:
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        if not http_get.get("path"):
            http_get["path"] = "/"
        if not http_get.get("scheme"):
            http_get["scheme"] = "HTTP"


def _default_field_ref(field_ref: Any) -> None:
    if isinstance(field_ref, dict) and not field_ref.get("apiVersion"):
        field_ref["apiVersion"] = "v1"


_VOLUME_SOURCES = (
    ("emptyDir", "emptyDir", "emptyDir"),
    ("hostPath", "hostPath", "hostPath"),
    ("gitRepo", "gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk", "persistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret", "secret"),
    ("nfs", "nfs", "nfs"),
    ("iscsi", "iscsi", "iscsi"),
    ("glusterfs", "glusterfs", "glusterfs"),
    ("flocker", "flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd", "rbd"),
    ("cinder", "cinder", "cinder"),
    ("cephfs", "cephFS", "cephfs"),
    ("quobyte", "quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI", "downwardAPI"),
    ("fc", "fc", "fc"),
    ("flexVolume", "flexVolume", "flexVolume"),
    ("configMap", "configMap", "configMap"),
    ("azureFile", "azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk", "azureDisk"),
    ("storageos", "storageos", "storageos"),
    ("projected", "projected", "projected"),
    ("scaleIO", "scaleIO", "scaleIO"),
    ("csi", "csi", "csi"),
    ("ephemeral", "ephemeral", "ephemeral"),
    ("image", "image", "image"),
)
"""Volume sources in upstream's checking order: JSON key, the path its "more than 1 volume
type" error names, and the path its own checks use (upstream spells a few differently)."""


def _default_volume(volume: dict[str, Any]) -> None:
    if not any(volume.get(key) is not None for key, _, _ in _VOLUME_SOURCES):
        volume["emptyDir"] = {}
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        source = volume.get(key)
        if isinstance(source, dict) and source.get("defaultMode") is None:
            source["defaultMode"] = DEFAULT_FILE_MODE
    host_path = volume.get("hostPath")
    if isinstance(host_path, dict) and host_path.get("type") is None:
        host_path["type"] = ""
    empty_dir = volume.get("emptyDir")
    if isinstance(empty_dir, dict) and empty_dir.get("sizeLimit") is not None:
        empty_dir["sizeLimit"] = _canonical_quantity(empty_dir["sizeLimit"])
    for item in _dicts((volume.get("downwardAPI") or {}).get("items")):
        _default_field_ref(item.get("fieldRef"))
    projected = volume.get("projected")
    if isinstance(projected, dict):
        for source in _dicts(projected.get("sources")):
            token = source.get("serviceAccountToken")
            if isinstance(token, dict) and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = 3600
            for item in _dicts((source.get("downwardAPI") or {}).get("items")):
                _default_field_ref(item.get("fieldRef"))
    ephemeral = volume.get("ephemeral")
    if isinstance(ephemeral, dict):
        claim_spec = (ephemeral.get("volumeClaimTemplate") or {}).get("spec")
        if isinstance(claim_spec, dict):
            claim_spec.setdefault("volumeMode", "Filesystem")


def _default_resource_requirements(resources: dict[str, Any]) -> None:
    for key in _RESOURCE_LIST_FIELDS:
        if isinstance(resources.get(key), dict):
            resources[key] = _canonical_resource_list(resources[key])


def _canonical_resource_list(values: dict[str, Any]) -> dict[str, Any]:
    """``SetDefaults_ResourceList`` plus the canonical re-serialisation of each quantity."""
    return {name: _canonical_quantity(value, round_milli=True) for name, value in values.items()}


def _canonical_quantity(value: Any, round_milli: bool = False) -> Any:
    """The stored form of a quantity; unparseable values are left for validation to report."""
    try:
        quantity = Quantity.parse(value)
    except QuantityError:
        return value
    return str(quantity.round_up_milli() if round_milli else quantity)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


# --- validation: names, labels and small values ------------------------------------------------

_ENV_NAME_ERROR = (
    "a valid environment variable name must consist only of printable ASCII characters "
    "other than '='"
)
_CONFIG_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
_CONFIG_KEY_ERROR = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
    "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')"
)
_PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
_PERCENT_RE = re.compile(r"^[0-9]+%$")
PERCENT_ERROR = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)
_HTTP_HEADER_RE = re.compile(r"^[-A-Za-z0-9]+$")
_HTTP_HEADER_ERROR = (
    "a valid HTTP header must consist of alphanumeric characters or '-' "
    "(e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"
)


def label_map_errors(labels: Any, path: str) -> list[FieldError]:
    """``ValidateLabels``: key and value errors, both reported at the map's own path."""
    errors: list[FieldError] = []
    if not isinstance(labels, dict):
        return errors
    for key, value in labels.items():
        errors += [invalid(path, key, msg) for msg in qualified_name_errors(str(key))]
        errors += [invalid(path, value, msg) for msg in label_value_errors(str(value))]
    return errors


def label_name_errors(name: str, path: str) -> list[FieldError]:
    """``ValidateLabelName``."""
    return [invalid(path, name, msg) for msg in qualified_name_errors(name)]


def dns_label(value: str, path: str) -> list[FieldError]:
    return [invalid(path, value, msg) for msg in dns1123_label_errors(value)]


def dns_subdomain(value: str, path: str, prefix: bool = False) -> list[FieldError]:
    """``NameIsDNSSubdomain``; with ``prefix`` a trailing dash is allowed (generate names)."""
    checked = value[:-1] + "a" if prefix and value.endswith("-") else value
    return [invalid(path, value, msg) for msg in dns1123_subdomain_errors(checked)]


def port_name_errors(name: str) -> list[str]:
    """``IsValidPortName``."""
    errors = []
    if len(name) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.match(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def _port_num_errors(value: Any) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return []
    return [inclusive_range(1, 65535)]


def _port_num_or_name(value: Any, path: str) -> list[FieldError]:
    """``ValidatePortNumOrName`` for an int-or-string port."""
    if isinstance(value, str):
        return [invalid(path, value, msg) for msg in port_name_errors(value)]
    return [invalid(path, value, msg) for msg in _port_num_errors(value)]


def _env_name_errors(name: str) -> list[str]:
    """``IsRelaxedEnvVarName`` (the relaxed rule is the only one in this version)."""
    if any(ord(ch) > 126 or ord(ch) < 32 or ch == "=" for ch in name):
        return [_ENV_NAME_ERROR]
    return []


def _config_key_errors(key: str) -> list[str]:
    errors = []
    if len(key) > 253:
        errors.append("must be no more than 253 characters")
    if not _CONFIG_KEY_RE.match(key):
        errors.append(_CONFIG_KEY_ERROR)
    if key == ".":
        errors.append("must not be '.'")
    elif key == "..":
        errors.append("must not be '..'")
    elif key.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def _local_descending_path(target: str, path: str) -> list[FieldError]:
    errors = []
    if posixpath.isabs(target):
        errors.append(invalid(path, target, "must be a relative path"))
    if ".." in target.split("/"):
        errors.append(invalid(path, target, "must not contain '..'"))
    return errors


def _local_non_reserved_path(target: str, path: str) -> list[FieldError]:
    errors = _local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        errors.append(invalid(path, target, "must not start with '..'"))
    return errors


# --- validation: int-or-percent values (rolling updates, disruption budgets) ----------------


def int_or_percent_value(value: Any) -> tuple[int, bool]:
    """The number in ``25%`` or ``3`` and whether it was a percentage (``getIntOrPercentValue``)."""
    if isinstance(value, str):
        if _PERCENT_RE.match(value):
            return int(value[:-1]), True
        return _go_int_value(value), False
    if isinstance(value, int) and not isinstance(value, bool):
        return value, False
    return 0, False


def _go_int_value(text: str) -> int:
    """``IntOrString.IntValue`` of a string: ``strconv.Atoi``, or 0 when it is no number."""
    try:
        return int(text)
    except ValueError:
        return 0


def positive_int_or_percent(value: Any, path: str) -> list[FieldError]:
    """``ValidatePositiveIntOrPercent``."""
    if isinstance(value, str):
        if not _PERCENT_RE.match(value):
            return [invalid(path, value, PERCENT_ERROR)]
        return []
    return non_negative(value, path)


def not_more_than_100_percent(value: Any, path: str) -> list[FieldError]:
    number, is_percent = int_or_percent_value(value)
    if is_percent and number > 100:
        return [invalid(path, value, "must not be greater than 100%")]
    return []


# --- validation: label selectors ---------------------------------------------------------------


class SelectorError(ValueError):
    """A label selector that cannot be turned into requirements (``LabelSelectorAsSelector``)."""


def selector_requirements(selector: dict[str, Any] | None) -> list[Requirement] | None:
    """The requirements of a ``LabelSelector``, sorted by key, or None for a nil selector.

    ``None`` selects nothing; an empty list selects everything. Raises :class:`SelectorError`
    where upstream's conversion fails.
    """
    if selector is None:
        return None
    requirements: list[Requirement] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        if qualified_name_errors(str(key)) or label_value_errors(str(value)):
            raise SelectorError(f"invalid label {key}={value}")
        requirements.append(Requirement(str(key), "=", (str(value),)))
    for expr in selector.get("matchExpressions") or []:
        operator = LABEL_SELECTOR_OPERATORS.get(str(expr.get("operator", "")))
        if operator is None:
            raise SelectorError(f"{expr.get('operator')!r} is not a valid label selector operator")
        key = str(expr.get("key", ""))
        values = [str(v) for v in expr.get("values") or []]
        if qualified_name_errors(key):
            raise SelectorError(f"invalid label key {key!r}")
        if operator in ("in", "notin") and not values:
            raise SelectorError("for 'in', 'notin' operators, values set can't be empty")
        if operator in ("exists", "!") and values:
            raise SelectorError("values set must be empty for exists and does not exist")
        if any(label_value_errors(v) for v in values):
            raise SelectorError("invalid label value")
        requirements.append(Requirement(key, operator, tuple(values)))
    requirements.sort(key=lambda requirement: requirement.key)
    return requirements


def requirements_match(
    requirements: list[Requirement] | None, labels: dict[str, Any] | None
) -> bool:
    """Whether ``labels`` satisfy every requirement; a nil selector matches nothing."""
    return requirements is not None and Selector(tuple(requirements)).matches(labels)


def selector_string(selector: dict[str, Any] | None) -> str:
    """``LabelSelectorAsSelector(...).String()``: ``app=web,tier in (a,b)``; "" when empty."""
    requirements = selector_requirements(selector)
    parts = []
    for requirement in requirements or []:
        key, operator, values = requirement.key, requirement.operator, requirement.values
        if operator == "=":
            parts.append(f"{key}={values[0]}")
        elif operator in ("in", "notin"):
            parts.append(f"{key} {operator} ({','.join(sorted(values))})")
        elif operator == "exists":
            parts.append(key)
        else:
            parts.append(f"!{key}")
    return ",".join(parts)


def format_label_selector(selector: dict[str, Any] | None) -> str:
    """``metav1.FormatLabelSelector``: the selector string, ``<none>`` or ``<error>``."""
    try:
        text = selector_string(selector)
    except SelectorError:
        return "<error>"
    return text or "<none>"


def format_labels(labels: dict[str, Any] | None) -> str:
    """``labels.FormatLabels``: ``a=b,c=d`` sorted by key, or ``<none>``."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def selector_json(selector: dict[str, Any]) -> str:
    """A ``LabelSelector`` marshalled in Go's field order (``matchLabels`` first)."""
    ordered: dict[str, Any] = {}
    if selector.get("matchLabels"):
        ordered["matchLabels"] = dict(sorted(selector["matchLabels"].items()))
    if selector.get("matchExpressions"):
        ordered["matchExpressions"] = [
            {k: expr[k] for k in ("key", "operator", "values") if expr.get(k) is not None}
            for expr in selector["matchExpressions"]
        ]
    return json.dumps(ordered, separators=(",", ":"))


def invalid_selector(path: str, selector: dict[str, Any] | None, detail: str) -> FieldError:
    """``field.Invalid(path, selector, detail)`` with the selector printed as upstream does."""
    rendered = "null" if selector is None else selector_json(selector)
    return invalid_rendered(path, rendered, detail)


def _requirement_errors(
    requirement: dict[str, Any], path: str, numeric_operators: bool, strict_values: bool
) -> list[FieldError]:
    """One ``matchExpressions`` entry. Label selectors take In, NotIn, Exists and DoesNotExist;
    node selectors also Gt and Lt (``numeric_operators``), and check that values are valid
    label values only where upstream does (``strict_values``)."""
    errors: list[FieldError] = []
    operator = requirement.get("operator", "")
    values = requirement.get("values") or []
    values_path = at(path, "values")
    if operator in ("In", "NotIn"):
        if not values:
            errors.append(
                required(values_path, "must be specified when `operator` is 'In' or 'NotIn'")
            )
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            errors.append(
                forbidden_field(
                    values_path,
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    elif numeric_operators and operator in ("Gt", "Lt"):
        if len(values) != 1:
            errors.append(
                required(
                    values_path, "must be specified single value when `operator` is 'Lt' or 'Gt'"
                )
            )
    else:
        errors.append(invalid(at(path, "operator"), operator, "not a valid selector operator"))
    errors += label_name_errors(str(requirement.get("key", "")), at(path, "key"))
    if strict_values:
        for index, value in enumerate(values):
            errors += [
                invalid(at(values_path, index), value, msg)
                for msg in label_value_errors(str(value))
            ]
    return errors


def validate_label_selector(selector: Any, path: str) -> list[FieldError]:
    """``ValidateLabelSelector`` (strict: label values in expressions must be valid)."""
    errors: list[FieldError] = []
    if not isinstance(selector, dict):
        return errors
    errors += label_map_errors(selector.get("matchLabels"), at(path, "matchLabels"))
    for i, expr in enumerate(_dicts(selector.get("matchExpressions"))):
        errors += _requirement_errors(expr, at(path, "matchExpressions", i), False, True)
    return errors


SELECTOR_MISMATCH = "`selector` does not match template `labels`"


def template_selector_mismatch(
    requirements: list[Requirement] | None,
    template: dict[str, Any],
    path: str,
) -> list[FieldError]:
    """The "`selector` does not match template `labels`" check, skipped for empty selectors."""
    if requirements == []:
        return []
    labels = (template.get("metadata") or {}).get("labels")
    if requirements_match(requirements, labels):
        return []
    return [invalid(at(path, "metadata", "labels"), labels, SELECTOR_MISMATCH)]


def workload_selector_errors(
    selector: Any, template: dict[str, Any], kind: str, conversion_detail: str
) -> tuple[list[FieldError], bool]:
    """Selector checks shared by Deployment, ReplicaSet and StatefulSet.

    ``kind`` is the word upstream puts in "empty selector is invalid for ...". A selector that
    cannot be converted is reported with ``conversion_detail``; the second value says whether
    it converted, because upstream then skips the template checks altogether.
    """
    errors: list[FieldError] = []
    selector_path = "spec.selector"
    if selector is None:
        errors.append(required(selector_path))
    else:
        errors += validate_label_selector(selector, selector_path)
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errors.append(
                invalid_selector(selector_path, selector, f"empty selector is invalid for {kind}")
            )
    try:
        requirements = selector_requirements(selector)
    except SelectorError:
        return errors + [invalid_selector(selector_path, selector, conversion_detail)], False
    return errors + template_selector_mismatch(requirements, template, "spec.template"), True


# --- validation: resources -------------------------------------------------------------------


def parse_quantities(values: Any, path: str) -> tuple[dict[str, Quantity], list[FieldError]]:
    """Parse a resource list, reporting unparseable values with upstream's decode message.

    kube-apiserver rejects those while decoding (400 BadRequest); should one reach validation
    it is reported here rather than crashing.
    """
    parsed: dict[str, Quantity] = {}
    errors: list[FieldError] = []
    if not isinstance(values, dict):
        return parsed, errors
    for name, value in values.items():
        try:
            parsed[str(name)] = Quantity.parse(value)
        except QuantityError as error:
            errors.append(invalid(keyed(path, str(name)), value, str(error)))
    return parsed, errors


def validate_resource_requirements(resources: Any, path: str) -> list[FieldError]:
    """``ValidateContainerResourceRequirements``: names, values, and requests within limits."""
    errors: list[FieldError] = []
    if not isinstance(resources, dict):
        return errors
    limit_path, request_path = at(path, "limits"), at(path, "requests")
    limits, parse_errors = parse_quantities(resources.get("limits"), limit_path)
    requests, request_parse_errors = parse_quantities(resources.get("requests"), request_path)
    errors += parse_errors + request_parse_errors
    has_compute = has_hugepages = False
    for name, quantity in limits.items():
        entry = keyed(limit_path, name)
        errors += container_resource_name_errors(name, entry)
        errors += quantity_errors(name, quantity, entry)
        has_compute |= name in ("cpu", "memory")
        has_hugepages |= is_hugepages(name)
    for name, quantity in requests.items():
        entry = keyed(request_path, name)
        errors += container_resource_name_errors(name, entry)
        errors += quantity_errors(name, quantity, entry)
        limit = limits.get(name)
        if limit is not None:
            if quantity != limit and not overcommit_allowed(name):
                errors.append(
                    invalid(
                        request_path, str(quantity), f"must be equal to {name} limit of {limit}"
                    )
                )
            elif quantity > limit:
                errors.append(
                    invalid(
                        request_path,
                        str(quantity),
                        f"must be less than or equal to {name} limit of {limit}",
                    )
                )
        elif not overcommit_allowed(name):
            errors.append(
                required(limit_path, "Limit must be set for non overcommitable resources")
            )
        has_compute |= name in ("cpu", "memory")
        has_hugepages |= is_hugepages(name)
    if has_hugepages and not has_compute:
        errors.append(forbidden_field(path, "HugePages require cpu or memory"))
    return errors


# --- validation: volumes ---------------------------------------------------------------------

_HOST_PATH_TYPES = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
]
_FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"


def _file_mode(mode: Any, path: str) -> list[FieldError]:
    if isinstance(mode, int) and not 0 <= mode <= 0o777:
        return [invalid(path, mode, _FILE_MODE_ERROR)]
    return []


def _key_to_paths(items: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, item in enumerate(_dicts(items)):
        item_path = at(path, i)
        if not item.get("key"):
            errors.append(required(at(item_path, "key")))
        target = str(item.get("path") or "")
        if not target:
            errors.append(required(at(item_path, "path")))
        errors += _local_non_reserved_path(target, at(item_path, "path"))
        errors += _file_mode(item.get("mode"), at(item_path, "mode"))
    return errors


def _volume_source_errors(key: str, source: Any, path: str) -> list[FieldError]:
    """Checks of the volume sources learners use; others are accepted as declared."""
    if not isinstance(source, dict):
        return []
    errors: list[FieldError] = []
    if key == "emptyDir":
        size = source.get("sizeLimit")
        if size is not None:
            try:
                if Quantity.parse(size).sign() < 0:
                    errors.append(
                        forbidden_field(
                            at(path, "sizeLimit"),
                            "SizeLimit field must be a valid resource quantity",
                        )
                    )
            except QuantityError as error:
                errors.append(invalid(at(path, "sizeLimit"), size, str(error)))
    elif key == "hostPath":
        target = str(source.get("path") or "")
        if not target:
            return [required(at(path, "path"))]
        if ".." in target.split("/"):
            errors.append(invalid(at(path, "path"), target, "must not contain '..'"))
        host_type = source.get("type")
        if host_type is not None and host_type not in _HOST_PATH_TYPES:
            errors.append(not_supported(at(path, "type"), host_type, _HOST_PATH_TYPES))
    elif key == "secret":
        if not source.get("secretName"):
            errors.append(required(at(path, "secretName")))
        errors += _file_mode(source.get("defaultMode"), at(path, "defaultMode"))
        errors += _key_to_paths(source.get("items"), at(path, "items"))
    elif key == "configMap":
        if not source.get("name"):
            errors.append(required(at(path, "name")))
        errors += _file_mode(source.get("defaultMode"), at(path, "defaultMode"))
        errors += _key_to_paths(source.get("items"), at(path, "items"))
    elif key == "persistentVolumeClaim":
        if not source.get("claimName"):
            errors.append(required(at(path, "claimName")))
    elif key == "nfs":
        if not source.get("server"):
            errors.append(required(at(path, "server")))
        target = str(source.get("path") or "")
        if not target:
            errors.append(required(at(path, "path")))
        if not posixpath.isabs(target):
            errors.append(invalid(at(path, "path"), target, "must be an absolute path"))
    elif key in ("downwardAPI", "projected"):
        errors += _file_mode(source.get("defaultMode"), at(path, "defaultMode"))
    return errors


def validate_volumes(volumes: Any, path: str) -> tuple[dict[str, dict[str, Any]], list[FieldError]]:
    """``ValidateVolumes``: the volumes that are valid (by name) and the errors of the rest."""
    valid: dict[str, dict[str, Any]] = {}
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, volume in enumerate(_dicts(volumes)):
        volume_path = at(path, i)
        name = str(volume.get("name") or "")
        own: list[FieldError] = []
        count = 0
        for key, conflict_path, check_path in _VOLUME_SOURCES:
            if volume.get(key) is None:
                continue
            if count:
                own.append(
                    forbidden_field(
                        at(volume_path, conflict_path), "may not specify more than 1 volume type"
                    )
                )
                continue
            count += 1
            own += _volume_source_errors(key, volume[key], at(volume_path, check_path))
        if count == 0:
            own.append(required(volume_path, "must specify a volume type"))
        if not name:
            own.append(required(at(volume_path, "name")))
        else:
            own += dns_label(name, at(volume_path, "name"))
        if name in names:
            own.append(duplicate(at(volume_path, "name"), name))
        if own:
            errors += own
        else:
            names.add(name)
            valid[name] = volume
    return valid, errors


def _volume_mount_errors(
    container: dict[str, Any], volumes: dict[str, dict[str, Any]], path: str
) -> list[FieldError]:
    """``ValidateVolumeMounts``: each mount names a valid volume and a unique path."""
    errors: list[FieldError] = []
    mount_points: set[str] = set()
    privileged = bool((container.get("securityContext") or {}).get("privileged"))
    for i, mount in enumerate(_dicts(container.get("volumeMounts"))):
        mount_path = at(path, i)
        name = str(mount.get("name") or "")
        if not name:
            errors.append(required(at(mount_path, "name")))
        if name not in volumes:
            errors.append(field_not_found(at(mount_path, "name"), name))
        target = str(mount.get("mountPath") or "")
        if not target:
            errors.append(required(at(mount_path, "mountPath")))
        if target in mount_points:
            errors.append(invalid(at(mount_path, "mountPath"), target, "must be unique"))
        mount_points.add(target)
        sub_path = str(mount.get("subPath") or "")
        sub_path_expr = str(mount.get("subPathExpr") or "")
        if sub_path:
            errors += _local_descending_path(sub_path, at(path, "subPath"))
        if sub_path_expr:
            if sub_path:
                errors.append(
                    invalid(
                        at(mount_path, "subPathExpr"),
                        sub_path_expr,
                        "subPathExpr and subPath are mutually exclusive",
                    )
                )
            errors += _local_descending_path(sub_path_expr, at(path, "subPathExpr"))
        propagation = mount.get("mountPropagation")
        if propagation is not None:
            supported = ["Bidirectional", "HostToContainer", "None"]
            if propagation not in supported:
                errors.append(not_supported(at(path, "mountPropagation"), propagation, supported))
            if propagation == "Bidirectional" and not privileged:
                errors.append(
                    forbidden_field(
                        at(path, "mountPropagation"),
                        "Bidirectional mount propagation is available only to privileged "
                        "containers",
                    )
                )
    return errors


# --- validation: containers ------------------------------------------------------------------

_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
_PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
_PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
_DOWNWARD_ENV_FIELDS = [
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
]
_DOWNWARD_RESOURCE_FIELDS = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
]
_VALUE_FROM_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
_SUBSCRIPTED = re.compile(r"^(metadata\.(?:labels|annotations))\['(.*)'\]$")
_MAX_USER_ID = INT32_MAX


def _ports_errors(ports: Any, path: str) -> list[FieldError]:
    """``validateContainerPorts``."""
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(_dicts(ports)):
        port_path = at(path, i)
        name = port.get("name")
        if name:
            messages = port_name_errors(str(name))
            if messages:
                errors += [invalid(at(port_path, "name"), name, msg) for msg in messages]
            elif name in names:
                errors.append(duplicate(at(port_path, "name"), name))
            else:
                names.add(name)
        container_port = port.get("containerPort", 0)
        if not container_port:
            errors.append(required(at(port_path, "containerPort")))
        else:
            errors += [
                invalid(at(port_path, "containerPort"), container_port, msg)
                for msg in _port_num_errors(container_port)
            ]
        host_port = port.get("hostPort", 0)
        if host_port:
            errors += [
                invalid(at(port_path, "hostPort"), host_port, msg)
                for msg in _port_num_errors(host_port)
            ]
        protocol = port.get("protocol", "")
        if not protocol:
            errors.append(required(at(port_path, "protocol")))
        elif protocol not in _PORT_PROTOCOLS:
            errors.append(not_supported(at(port_path, "protocol"), protocol, _PORT_PROTOCOLS))
    return errors


def _env_errors(env: Any, path: str) -> list[FieldError]:
    """``ValidateEnv``: names, and exactly one ``valueFrom`` source without a ``value``."""
    errors: list[FieldError] = []
    for i, var in enumerate(_dicts(env)):
        var_path = at(path, i)
        name = str(var.get("name") or "")
        if not name:
            errors.append(required(at(var_path, "name")))
        else:
            errors += [invalid(at(var_path, "name"), name, msg) for msg in _env_name_errors(name)]
        errors += _value_from_errors(var, at(var_path, "valueFrom"))
    return errors


def _value_from_errors(var: dict[str, Any], path: str) -> list[FieldError]:
    value_from = var.get("valueFrom")
    if not isinstance(value_from, dict):
        return []
    errors: list[FieldError] = []
    present = [key for key in _VALUE_FROM_SOURCES if value_from.get(key) is not None]
    for key in present:
        source = value_from[key]
        source_path = at(path, key)
        if key == "fieldRef":
            errors += _field_ref_errors(source, source_path)
        elif key == "resourceFieldRef":
            errors += _resource_field_ref_errors(source, source_path)
        else:
            errors += _key_selector_errors(source, source_path)
    if not present:
        errors.append(
            invalid(
                path,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
                "`secretKeyRef`",
            )
        )
    elif var.get("value"):
        errors.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif len(present) > 1:
        errors.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errors


def _field_ref_errors(ref: Any, path: str) -> list[FieldError]:
    if not isinstance(ref, dict):
        return []
    if not ref.get("apiVersion"):
        return [required(at(path, "apiVersion"))]
    field_path = str(ref.get("fieldPath") or "")
    if not field_path:
        return [required(at(path, "fieldPath"))]
    subscripted = _SUBSCRIPTED.match(field_path)
    if subscripted:
        name = subscripted.group(2)
        if subscripted.group(1) == "metadata.annotations":
            name = name.lower()
        return label_name_errors(name, path)
    if field_path not in _DOWNWARD_ENV_FIELDS:
        return [not_supported(at(path, "fieldPath"), field_path, _DOWNWARD_ENV_FIELDS)]
    return []


def _resource_field_ref_errors(ref: Any, path: str) -> list[FieldError]:
    if not isinstance(ref, dict):
        return []
    resource = str(ref.get("resource") or "")
    if not resource:
        return [required(at(path, "resource"))]
    prefixes = ("requests.hugepages-", "limits.hugepages-")
    if resource not in _DOWNWARD_RESOURCE_FIELDS and not resource.startswith(prefixes):
        return [not_supported(at(path, "resource"), resource, _DOWNWARD_RESOURCE_FIELDS)]
    return []


def _key_selector_errors(ref: Any, path: str) -> list[FieldError]:
    """A ``configMapKeyRef``/``secretKeyRef``: a valid object name and a valid key."""
    if not isinstance(ref, dict):
        return []
    name = str(ref.get("name") or "")
    errors = dns_subdomain(name, at(path, "name"))
    key = str(ref.get("key") or "")
    if not key:
        errors.append(required(at(path, "key")))
    else:
        errors += [invalid(at(path, "key"), key, msg) for msg in _config_key_errors(key)]
    return errors


def _env_from_errors(env_from: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for i, source in enumerate(_dicts(env_from)):
        source_path = at(path, i)
        prefix = source.get("prefix")
        if prefix:
            errors += [
                invalid(at(source_path, "prefix"), prefix, msg)
                for msg in _env_name_errors(str(prefix))
            ]
        count = 0
        for key in ("configMapRef", "secretRef"):
            ref = source.get(key)
            if ref is None:
                continue
            count += 1
            name = str((ref or {}).get("name") or "")
            if not name:
                errors.append(required(at(source_path, key, "name")))
            else:
                errors += dns_subdomain(name, at(source_path, key, "name"), prefix=True)
        if count == 0:
            errors.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif count > 1:
            errors.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errors


def _handler_errors(
    handler: dict[str, Any], handlers: tuple[str, ...], grace: Any, path: str
) -> list[FieldError]:
    """``validateHandler``: exactly one action, each checked on its own."""
    errors: list[FieldError] = []
    count = 0
    for key in handlers:
        action = handler.get(key)
        if action is None:
            continue
        if count:
            errors.append(
                forbidden_field(at(path, key), "may not specify more than 1 handler type")
            )
            continue
        count += 1
        action_path = at(path, key)
        action = action if isinstance(action, dict) else {}
        if key == "exec":
            if not action.get("command"):
                errors.append(required(at(action_path, "command")))
        elif key == "httpGet":
            if not action.get("path"):
                errors.append(required(at(action_path, "path")))
            errors += _port_num_or_name(action.get("port"), at(action_path, "port"))
            scheme = action.get("scheme", "")
            if scheme not in ("HTTP", "HTTPS"):
                errors.append(not_supported(at(action_path, "scheme"), scheme, ["HTTP", "HTTPS"]))
            for header in _dicts(action.get("httpHeaders")):
                header_name = str(header.get("name") or "")
                if not _HTTP_HEADER_RE.match(header_name):
                    errors.append(
                        invalid(at(action_path, "httpHeaders"), header_name, _HTTP_HEADER_ERROR)
                    )
        elif key == "tcpSocket":
            errors += _port_num_or_name(action.get("port"), at(action_path, "port"))
        elif key == "grpc":
            port = action.get("port")
            errors += [invalid(at(action_path, "port"), port, m) for m in _port_num_errors(port)]
        elif key == "sleep" and isinstance(grace, int):
            seconds = action.get("seconds", 0)
            if not isinstance(seconds, int) or seconds < 0 or seconds > grace:
                errors.append(
                    invalid(
                        action_path,
                        seconds,
                        "must be non-negative and less than terminationGracePeriodSeconds "
                        f"({grace})",
                    )
                )
    if count == 0:
        errors.append(required(path, "must specify a handler type"))
    return errors


def _probe_errors(probe: Any, kind: str, grace: Any, path: str) -> list[FieldError]:
    """``validateLivenessProbe``/``validateReadinessProbe``/``validateStartupProbe``."""
    if not isinstance(probe, dict):
        return []
    errors = _handler_errors(probe, _PROBE_HANDLERS, grace, path)
    for key in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        errors += non_negative(probe.get(key, 0), at(path, key))
    probe_grace = probe.get("terminationGracePeriodSeconds")
    if isinstance(probe_grace, int) and probe_grace <= 0:
        errors.append(
            invalid(
                at(path, "terminationGracePeriodSeconds"), probe_grace, "must be greater than 0"
            )
        )
    if kind in ("livenessProbe", "startupProbe"):
        threshold = probe.get("successThreshold", 0)
        if threshold != 1:
            errors.append(invalid(at(path, "successThreshold"), threshold, "must be 1"))
    elif probe_grace is not None:
        errors.append(
            invalid(
                at(path, "terminationGracePeriodSeconds"),
                probe_grace,
                "must not be set for readinessProbes",
            )
        )
    return errors


def _lifecycle_errors(lifecycle: Any, grace: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(lifecycle, dict):
        return errors
    for hook in ("postStart", "preStop"):
        if isinstance(lifecycle.get(hook), dict):
            errors += _handler_errors(lifecycle[hook], _LIFECYCLE_HANDLERS, grace, at(path, hook))
    return errors


def _security_context_errors(context: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(context, dict):
        return errors
    for key in ("runAsUser", "runAsGroup"):
        value = context.get(key)
        if isinstance(value, int) and not 0 <= value <= _MAX_USER_ID:
            errors.append(invalid(at(path, key), value, inclusive_range(0, _MAX_USER_ID)))
    return errors


def _container_common_errors(
    container: dict[str, Any], volumes: dict[str, dict[str, Any]], path: str
) -> list[FieldError]:
    """``validateContainerCommon``: what every container kind must get right."""
    errors: list[FieldError] = []
    name = str(container.get("name") or "")
    if not name:
        errors.append(required(at(path, "name")))
    else:
        errors += dns_label(name, at(path, "name"))
    if not container.get("image"):
        errors.append(required(at(path, "image")))
    policy = container.get("terminationMessagePolicy", "")
    if not policy:
        errors.append(required(at(path, "terminationMessagePolicy")))
    elif policy not in _TERMINATION_MESSAGE_POLICIES:
        errors.append(
            not_supported(
                at(path, "terminationMessagePolicy"), policy, _TERMINATION_MESSAGE_POLICIES
            )
        )
    errors += _ports_errors(container.get("ports"), at(path, "ports"))
    errors += _env_errors(container.get("env"), at(path, "env"))
    errors += _env_from_errors(container.get("envFrom"), at(path, "envFrom"))
    errors += _volume_mount_errors(container, volumes, at(path, "volumeMounts"))
    pull_policy = container.get("imagePullPolicy", "")
    if not pull_policy:
        errors.append(required(at(path, "imagePullPolicy")))
    elif pull_policy not in _PULL_POLICIES:
        errors.append(not_supported(at(path, "imagePullPolicy"), pull_policy, _PULL_POLICIES))
    errors += validate_resource_requirements(container.get("resources"), at(path, "resources"))
    errors += _security_context_errors(
        container.get("securityContext"), at(path, "securityContext")
    )
    return errors


def _host_port_conflicts(containers: list[dict[str, Any]], path: str) -> list[FieldError]:
    """``AccumulateUniqueHostPorts``: one (protocol, host IP, host port) per pod."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, container in enumerate(containers):
        for j, port in enumerate(_dicts(container.get("ports"))):
            host_port = port.get("hostPort", 0)
            if not host_port:
                continue
            key = f"{port.get('protocol', '')}/{port.get('hostIP', '')}/{host_port}"
            if key in seen:
                errors.append(duplicate(at(path, i, "ports", j, "hostPort"), key))
            else:
                seen.add(key)
    return errors


def _containers_errors(
    containers: list[dict[str, Any]], volumes: dict[str, dict[str, Any]], grace: Any, path: str
) -> list[FieldError]:
    """``validateContainers``."""
    if not containers:
        return [required(path)]
    errors: list[FieldError] = []
    names: set[str] = set()
    for i, container in enumerate(containers):
        container_path = at(path, i)
        errors += _container_common_errors(container, volumes, container_path)
        name = container.get("name", "")
        if name in names:
            errors.append(duplicate(at(container_path, "name"), name))
        else:
            names.add(name)
        errors += _lifecycle_errors(
            container.get("lifecycle"), grace, at(container_path, "lifecycle")
        )
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            errors += _probe_errors(container.get(probe), probe, grace, at(container_path, probe))
        if container.get("restartPolicy") is not None:
            errors.append(
                forbidden_field(
                    at(container_path, "restartPolicy"), "may not be set for non-init containers"
                )
            )
    return errors + _host_port_conflicts(containers, path)


def _init_containers_errors(
    init_containers: list[dict[str, Any]],
    containers: list[dict[str, Any]],
    volumes: dict[str, dict[str, Any]],
    grace: Any,
    path: str,
) -> list[FieldError]:
    """``validateInitContainers``: sidecars (restartPolicy Always) may have probes."""
    errors: list[FieldError] = []
    names = {c.get("name", "") for c in containers}
    for i, container in enumerate(init_containers):
        container_path = at(path, i)
        errors += _container_common_errors(container, volumes, container_path)
        restart = container.get("restartPolicy")
        if restart is not None and restart != "Always":
            errors.append(not_supported(at(container_path, "restartPolicy"), restart, ["Always"]))
        name = container.get("name", "")
        if name in names:
            errors.append(duplicate(at(container_path, "name"), name))
        elif name:
            names.add(name)
        errors += _host_port_conflicts([container], path)
        if restart == "Always":
            errors += _lifecycle_errors(
                container.get("lifecycle"), grace, at(container_path, "lifecycle")
            )
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                errors += _probe_errors(
                    container.get(probe), probe, grace, at(container_path, probe)
                )
        else:
            for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if container.get(key) is not None:
                    errors.append(
                        forbidden_field(
                            at(container_path, key),
                            "may not be set for init containers without restartPolicy=Always",
                        )
                    )
    return errors


# --- validation: scheduling --------------------------------------------------------------------

_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]


def validate_tolerations(tolerations: Any, path: str) -> list[FieldError]:
    """``ValidateTolerations``."""
    errors: list[FieldError] = []
    for i, toleration in enumerate(_dicts(tolerations)):
        item = at(path, i)
        key = str(toleration.get("key") or "")
        operator = toleration.get("operator") or ""
        value = str(toleration.get("value") or "")
        effect = toleration.get("effect") or ""
        if key:
            errors += label_name_errors(key, at(item, "key"))
        if not key and operator != "Exists":
            errors.append(
                invalid(
                    at(item, "operator"),
                    operator,
                    'operator must be Exists when `key` is empty, which means "match all '
                    'values and all keys"',
                )
            )
        if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
            errors.append(
                invalid(
                    at(item, "effect"),
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if operator in ("Equal", ""):
            messages = label_value_errors(value)
            if messages:
                errors.append(invalid(at(item, "operator"), value, ";".join(messages)))
        elif operator == "Exists":
            if value:
                errors.append(
                    invalid(
                        at(item, "operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            errors.append(not_supported(at(item, "operator"), operator, ["Equal", "Exists"]))
        if effect and effect not in _TAINT_EFFECTS:
            errors.append(not_supported(at(item, "effect"), effect, _TAINT_EFFECTS))
    return errors


def _node_selector_term_errors(term: Any, path: str, strict_values: bool) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(term, dict):
        return errors
    for j, req in enumerate(_dicts(term.get("matchExpressions"))):
        errors += _requirement_errors(req, at(path, "matchExpressions", j), True, strict_values)
    return errors


def _pod_affinity_term_errors(term: Any, path: str) -> list[FieldError]:
    if not isinstance(term, dict):
        return []
    errors = validate_label_selector(term.get("labelSelector"), at(path, "labelSelector"))
    errors += validate_label_selector(term.get("namespaceSelector"), at(path, "namespaceSelector"))
    topology_key = str(term.get("topologyKey") or "")
    if not topology_key:
        errors.append(required(at(path, "topologyKey"), "can not be empty"))
    return errors + label_name_errors(topology_key, at(path, "topologyKey"))


def _affinity_errors(affinity: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(affinity, dict):
        return errors
    node = affinity.get("nodeAffinity")
    if isinstance(node, dict):
        node_path = at(path, "nodeAffinity")
        required_terms = node.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(required_terms, dict):
            terms_path = at(node_path, "requiredDuringSchedulingIgnoredDuringExecution")
            terms = required_terms.get("nodeSelectorTerms") or []
            if not terms:
                errors.append(
                    required(
                        at(terms_path, "nodeSelectorTerms"),
                        "must have at least one node selector term",
                    )
                )
            for i, term in enumerate(terms):
                errors += _node_selector_term_errors(
                    term, at(terms_path, "nodeSelectorTerms", i), strict_values=True
                )
        preferred_path = at(node_path, "preferredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(
            _dicts(node.get("preferredDuringSchedulingIgnoredDuringExecution"))
        ):
            weight = term.get("weight", 0)
            if not 1 <= weight <= 100:
                errors.append(
                    invalid(at(preferred_path, i, "weight"), weight, "must be in the range 1-100")
                )
            errors += _node_selector_term_errors(
                term.get("preference"), at(preferred_path, i, "preference"), strict_values=False
            )
    for kind in ("podAffinity", "podAntiAffinity"):
        pod = affinity.get(kind)
        if not isinstance(pod, dict):
            continue
        kind_path = at(path, kind)
        hard_path = at(kind_path, "requiredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(_dicts(pod.get("requiredDuringSchedulingIgnoredDuringExecution"))):
            errors += _pod_affinity_term_errors(term, at(hard_path, i))
        soft_path = at(kind_path, "preferredDuringSchedulingIgnoredDuringExecution")
        for i, term in enumerate(
            _dicts(pod.get("preferredDuringSchedulingIgnoredDuringExecution"))
        ):
            weight = term.get("weight", 0)
            if not 1 <= weight <= 100:
                errors.append(
                    invalid(at(soft_path, i, "weight"), weight, "must be in the range 1-100")
                )
            errors += _pod_affinity_term_errors(
                term.get("podAffinityTerm"), at(soft_path, i, "podAffinityTerm")
            )
    return errors


# --- validation: the pod spec ------------------------------------------------------------------

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
_DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
_PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"]


def validate_pod_spec(
    spec: dict[str, Any], path: str = "spec", *, is_pod: bool = False
) -> list[FieldError]:
    """``ValidatePodSpec``, in upstream's order, for a Pod or a template (``is_pod``)."""
    errors: list[FieldError] = []
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        errors.append(required(at(path, "terminationGracePeriodSeconds")))
    volumes, volume_errors = validate_volumes(spec.get("volumes"), at(path, "volumes"))
    errors += volume_errors
    containers = _dicts(spec.get("containers"))
    errors += _containers_errors(containers, volumes, grace, at(path, "containers"))
    errors += _init_containers_errors(
        _dicts(spec.get("initContainers")), containers, volumes, grace, at(path, "initContainers")
    )
    if isinstance(spec.get("resources"), dict):
        errors += validate_resource_requirements(spec["resources"], at(path, "resources"))
    if spec.get("hostNetwork"):
        for i, container in enumerate(containers):
            for j, port in enumerate(_dicts(container.get("ports"))):
                host_port, container_port = port.get("hostPort", 0), port.get("containerPort", 0)
                if (is_pod or host_port) and host_port != container_port:
                    errors.append(
                        invalid(
                            at(path, "containers", i, "ports", j, "hostPort"),
                            host_port,
                            "must match `containerPort` when `hostNetwork` is true",
                        )
                    )
    restart = spec.get("restartPolicy", "")
    if not restart:
        errors.append(required(at(path, "restartPolicy")))
    elif restart not in RESTART_POLICIES:
        errors.append(not_supported(at(path, "restartPolicy"), restart, RESTART_POLICIES))
    dns_policy = spec.get("dnsPolicy", "")
    if not dns_policy:
        errors.append(required(at(path, "dnsPolicy")))
    elif dns_policy not in _DNS_POLICIES:
        errors.append(not_supported(at(path, "dnsPolicy"), dns_policy, _DNS_POLICIES))
    errors += label_map_errors(spec.get("nodeSelector"), at(path, "nodeSelector"))
    context = spec.get("securityContext")
    if isinstance(context, dict):
        context_path = at(path, "securityContext")
        for key in ("fsGroup", "runAsUser", "runAsGroup"):
            value = context.get(key)
            if isinstance(value, int) and not 0 <= value <= _MAX_USER_ID:
                errors.append(
                    invalid(at(context_path, key), value, inclusive_range(0, _MAX_USER_ID))
                )
    errors += _affinity_errors(spec.get("affinity"), at(path, "affinity"))
    if dns_policy == "None" and not (spec.get("dnsConfig") or {}).get("nameservers"):
        if spec.get("dnsConfig") is None:
            errors.append(
                required(at(path, "dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None")
            )
        else:
            errors.append(
                required(
                    at(path, "dnsConfig", "nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                )
            )
    for i, gate in enumerate(_dicts(spec.get("readinessGates"))):
        condition = str(gate.get("conditionType") or "")
        errors += label_name_errors(condition, at(path, "readinessGates", i, "conditionType"))
    account = spec.get("serviceAccountName")
    if account:
        errors += dns_subdomain(str(account), at(path, "serviceAccountName"))
    node_name = spec.get("nodeName")
    if node_name:
        errors += dns_subdomain(str(node_name), at(path, "nodeName"))
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not 1 <= deadline <= INT32_MAX:
        errors.append(
            invalid(at(path, "activeDeadlineSeconds"), deadline, inclusive_range(1, INT32_MAX))
        )
    for key in ("hostname", "subdomain"):
        if spec.get(key):
            errors += dns_label(str(spec[key]), at(path, key))
    errors += validate_tolerations(spec.get("tolerations"), at(path, "tolerations"))
    priority_class = spec.get("priorityClassName")
    if priority_class:
        errors += dns_subdomain(str(priority_class), at(path, "priorityClassName"))
    preemption = spec.get("preemptionPolicy")
    if preemption is not None:
        if not preemption:
            errors.append(required(at(path, "preemptionPolicy")))
        elif preemption not in _PREEMPTION_POLICIES:
            errors.append(
                not_supported(at(path, "preemptionPolicy"), preemption, _PREEMPTION_POLICIES)
            )
    return errors


def validate_pod_template(template: Any, path: str) -> list[FieldError]:
    """``ValidatePodTemplateSpec``: template labels and annotations, then the pod spec."""
    if not isinstance(template, dict):
        return [required(path)]
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    errors = label_map_errors(meta.get("labels"), at(path, "labels"))
    errors += validate_annotations(meta.get("annotations"), at(path, "annotations"))
    errors += validate_pod_spec(spec, at(path, "spec"))
    if spec.get("ephemeralContainers"):
        errors.append(
            forbidden_field(
                at(path, "spec", "ephemeralContainers"),
                "ephemeral containers not allowed in pod template",
            )
        )
    return errors


def template_restart_policy_errors(
    template: dict[str, Any], path: str, kind: str
) -> list[FieldError]:
    """Controllers that keep pods running: restartPolicy Always, no activeDeadlineSeconds."""
    spec = template.get("spec") or {}
    errors = []
    restart = spec.get("restartPolicy", "")
    if restart != "Always":
        errors.append(not_supported(at(path, "spec", "restartPolicy"), restart, ["Always"]))
    if spec.get("activeDeadlineSeconds") is not None:
        errors.append(
            forbidden_field(
                at(path, "spec", "activeDeadlineSeconds"),
                f"activeDeadlineSeconds in {kind} is not Supported",
            )
        )
    return errors


# --- quality of service ----------------------------------------------------------------------


def qos_class(pod_spec: dict[str, Any]) -> str:
    """``ComputePodQOS``: Guaranteed, Burstable or BestEffort from cpu and memory settings.

    Pod-level ``resources`` win when set; otherwise every container (init containers included)
    counts. Guaranteed needs cpu and memory limits on every container and requests equal to
    limits. Unparseable quantities are ignored (validation reports them).
    """
    requests: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    guaranteed = True
    pod_resources = pod_spec.get("resources")
    if isinstance(pod_resources, dict) and (
        pod_resources.get("requests") or pod_resources.get("limits")
    ):
        _add_positive(requests, pod_resources.get("requests"))
        if pod_resources.get("limits"):
            found = _add_positive(limits, pod_resources.get("limits"))
            guaranteed = {"cpu", "memory"} <= found
    else:
        for container in _dicts(pod_spec.get("containers")) + _dicts(
            pod_spec.get("initContainers")
        ):
            resources = container.get("resources") or {}
            _add_positive(requests, resources.get("requests"))
            found = _add_positive(limits, resources.get("limits"))
            if not {"cpu", "memory"} <= found:
                guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed:
        guaranteed = all(limits.get(name) == value for name, value in requests.items())
    if guaranteed and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def _add_positive(totals: dict[str, Quantity], values: Any) -> set[str]:
    found: set[str] = set()
    if not isinstance(values, dict):
        return found
    for name, value in values.items():
        if name not in ("cpu", "memory"):
            continue
        try:
            quantity = Quantity.parse(value)
        except QuantityError:
            continue
        if quantity.sign() > 0:
            found.add(name)
            totals[name] = totals[name] + quantity if name in totals else quantity
    return found


# --- warnings --------------------------------------------------------------------------------


def pod_spec_warnings(spec: dict[str, Any], meta: dict[str, Any], prefix: str = "") -> list[str]:
    """The ``GetWarningsForPod``/``GetWarningsForPodTemplate`` warnings learners meet.

    ``prefix`` is the template path (``spec.template``) or empty for a Pod.
    """
    warnings: list[str] = []
    spec_path = at(prefix, "spec")
    annotations = meta.get("annotations") or {}
    for key, message in _DEPRECATED_ANNOTATIONS.items():
        if key in annotations:
            warnings.append(f"{keyed(at(prefix, 'metadata', 'annotations'), key)}: {message}")
    for kind in ("initContainers", "containers"):
        for i, container in enumerate(_dicts(spec.get(kind))):
            warnings += _container_warnings(container, at(spec_path, kind, i))
    warnings += _port_warnings(spec, spec_path)
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0:
        warnings.append(
            f"{at(spec_path, 'terminationGracePeriodSeconds')}: must be >= 0; negative values "
            "are invalid and will be treated as 1"
        )
    return warnings


_DEPRECATED_ANNOTATIONS = {
    "scheduler.alpha.kubernetes.io/critical-pod": (
        'non-functional in v1.16+; use the "priorityClassName" field instead'
    ),
    "security.alpha.kubernetes.io/sysctls": (
        'non-functional in v1.11+; use the "sysctls" field instead'
    ),
    "security.alpha.kubernetes.io/unsafe-sysctls": (
        'non-functional in v1.11+; use the "sysctls" field instead'
    ),
}


def _container_warnings(container: dict[str, Any], path: str) -> list[str]:
    warnings = []
    resources = container.get("resources") or {}
    for kind in ("limits", "requests"):
        for name in ("memory", "ephemeral-storage"):
            value = (resources.get(kind) or {}).get(name)
            if value is None:
                continue
            try:
                quantity = Quantity.parse(value)
            except QuantityError:
                continue
            if quantity.milli_value() % 1000:
                warnings.append(
                    f"{keyed(at(path, 'resources', kind), name)}: fractional byte value "
                    f'"{quantity}" is invalid, must be an integer'
                )
    seen: set[str] = set()
    for i, var in enumerate(_dicts(container.get("env"))):
        name = str(var.get("name") or "")
        if name not in seen:
            seen.add(name)
            continue
        reference = f"$({name})"
        value = str(var.get("value") or "")
        if var.get("valueFrom") is not None or value == reference or reference not in value:
            warnings.append(
                f'{at(path, "env", i)}: hides previous definition of "{name}", which may be '
                "dropped when using apply"
            )
    return warnings


def _port_warnings(spec: dict[str, Any], spec_path: str) -> list[str]:
    warnings = []
    seen: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for kind in ("initContainers", "containers"):
        for i, container in enumerate(_dicts(spec.get(kind))):
            for j, port in enumerate(_dicts(container.get("ports"))):
                port_path = at(spec_path, kind, i, "ports", j)
                key = f"{port.get('containerPort', 0)}/{port.get('protocol', '')}"
                for other_path, other in seen.get(key, []):
                    same_ip = port.get("hostIP", "") == other.get("hostIP", "")
                    host, other_host = port.get("hostPort", 0), other.get("hostPort", 0)
                    if same_ip and host == other_host:
                        warnings.append(f"{port_path}: duplicate port definition with {other_path}")
                    elif not host or not other_host:
                        warnings.append(
                            f"{port_path}: overlapping port definition with {other_path}"
                        )
                seen.setdefault(key, []).append((port_path, port))
    return warnings


# --- printing helpers shared by the workload kinds --------------------------------------------


def schema_doc(definition: str, field: str) -> str:
    """The OpenAPI description of a field: the text upstream's column definitions reuse."""
    schema = schemas.definitions().get(definition, {})
    prop = (schema.get("properties") or {}).get(field) or {}
    return str(prop.get("description", ""))


CONTAINERS_COLUMN = Column(
    "Containers", description="Names of each container in the template.", priority=1
)
IMAGES_COLUMN = Column(
    "Images", description="Images referenced by each container in the template.", priority=1
)


def container_cells(pod_spec: dict[str, Any] | None) -> list[str]:
    """``layoutContainerCells``: names and images joined by commas."""
    containers = _dicts((pod_spec or {}).get("containers"))
    return [
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    ]


def template_pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod spec inside ``spec.template`` (empty when absent)."""
    template = (obj.get("spec") or {}).get("template") or {}
    return template.get("spec") or {}


def semantic(value: Any) -> Any:
    """A value as upstream's semantic equality sees it: empty lists, maps and nulls are unset."""
    if isinstance(value, dict):
        cleaned = {k: semantic(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [semantic(v) for v in value]
    return value


def go_json(value: Any) -> str:
    """Compact JSON in the key order given, as Go marshals a struct built in field order."""
    return json.dumps(value, separators=(",", ":"))


def immutable_selector(selector: Any, old_selector: Any) -> list[FieldError]:
    """``ValidateImmutableField`` on ``spec.selector`` (apps/v1 and batch/v1 kinds)."""
    if _same_selector(selector, old_selector):
        return []
    return [invalid_selector("spec.selector", selector, FIELD_IMMUTABLE)]


def _same_selector(a: Any, b: Any) -> bool:
    """Semantic equality of two selectors: empty lists and maps count as unset."""
    if a is None or b is None:
        return a is b

    def norm(sel: dict[str, Any]) -> tuple[Any, Any]:
        return (sel.get("matchLabels") or {}, sel.get("matchExpressions") or [])

    return norm(a) == norm(b)


def workload_warnings(obj: dict[str, Any]) -> list[str]:
    """The pod template warnings of a workload (``spec.template``)."""
    template = (obj.get("spec") or {}).get("template") or {}
    return pod_spec_warnings(
        template.get("spec") or {}, template.get("metadata") or {}, "spec.template"
    )
