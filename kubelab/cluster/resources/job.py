"""Job (``jobs.batch``): pods that run to completion.

On create the API server generates the Job's selector from its uid and labels the template
with ``batch.kubernetes.io/controller-uid`` and ``batch.kubernetes.io/job-name`` (plus the
legacy unprefixed pair), unless ``manualSelector`` is true. Pod templates must restart
``OnFailure`` or ``Never``, and once created the template, selector and completions are fixed
(the template's scheduling directives may still change while a never-started Job is
suspended). Deleting a Job through batch/v1 without a propagation policy orphans its pods.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from kubelab.cluster.api.errors import (
    FieldError,
    invalid,
    not_supported,
    required,
)
from kubelab.cluster.resources.base import AGE_COLUMN, NAME_COLUMN, Column, ResourceStrategy
from kubelab.cluster.resources.podspec import (
    CONTAINERS_COLUMN,
    FIELD_IMMUTABLE,
    IMAGES_COLUMN,
    SELECTOR_MISMATCH,
    SelectorError,
    container_cells,
    default_pod_template,
    format_label_selector,
    immutable_selector,
    non_negative,
    pod_spec_warnings,
    requirements_match,
    schema_doc,
    selector_requirements,
    semantic,
    template_pod_spec,
    validate_label_selector,
    validate_pod_template,
)
from kubelab.cluster.resources.printing import age, human_duration, parse_time
from kubelab.cluster.resources.validation import dns1123_label_errors

JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
INT32_MAX = 2**31 - 1
MAX_PARALLELISM_INDEXED = 100_000
COMPLETION_MODES = ["NonIndexed", "Indexed"]
POD_REPLACEMENT_POLICIES = ["Failed", "TerminatingOrFailed"]
#: Template fields a suspended Job that never started may still change.
_SCHEDULING_DIRECTIVES = ("nodeSelector", "tolerations", "schedulingGates")


class JobStrategy(ResourceStrategy):
    group = "batch"
    kind = "Job"
    plural = "jobs"
    categories = ("all",)
    subresources = ("status",)
    selectable_fields = ("status.successful",)
    default_propagation_policy = "Orphan"
    columns = (
        NAME_COLUMN,
        Column("Status", description="Status of the job."),
        Column(
            "Completions",
            description=schema_doc("io.k8s.api.batch.v1.JobStatus", "succeeded"),
        ),
        Column("Duration", description="Time required to complete the job."),
        AGE_COLUMN,
        CONTAINERS_COLUMN,
        IMAGES_COLUMN,
        Column(
            "Selector",
            priority=1,
            description=schema_doc("io.k8s.api.batch.v1.JobSpec", "selector"),
        ),
    )

    def default(self, obj: dict[str, Any]) -> None:
        """``SetDefaults_Job``: one completion, backoffLimit 6, NonIndexed, not suspended."""
        spec = obj.setdefault("spec", {})
        if spec.get("completions") is None and spec.get("parallelism") is None:
            spec["completions"] = 1
            spec["parallelism"] = 1
        if spec.get("parallelism") is None:
            spec["parallelism"] = 1
        if spec.get("backoffLimit") is None:
            per_index = spec.get("backoffLimitPerIndex") is not None
            spec["backoffLimit"] = INT32_MAX if per_index else 6
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
        meta = obj.setdefault("metadata", {})
        if labels is not None and not meta.get("labels"):
            meta["labels"] = dict(labels)
        if spec.get("completionMode") is None:
            spec["completionMode"] = "NonIndexed"
        if spec.get("suspend") is None:
            spec["suspend"] = False
        if spec.get("podReplacementPolicy") is None:
            failure_policy = spec.get("podFailurePolicy") is not None
            spec["podReplacementPolicy"] = "Failed" if failure_policy else "TerminatingOrFailed"
        if spec.get("manualSelector") is None:
            spec["manualSelector"] = False
        default_pod_template(spec.get("template"))
        for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
            for pattern in (rule or {}).get("onPodConditions") or []:
                if isinstance(pattern, dict) and not pattern.get("status"):
                    pattern["status"] = "True"

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        """Generate the selector and template labels from the Job's name and uid.

        Upstream defaults a Job's own labels from its template's again whenever the object is
        decoded from storage, so the generated labels show up on the Job itself at once;
        copying them here gives the same result.
        """
        super().prepare_for_create(obj)
        if not (obj.get("spec") or {}).get("manualSelector"):
            generate_selector(obj)
        template = (obj.get("spec") or {}).get("template") or {}
        template_labels = (template.get("metadata") or {}).get("labels")
        meta = obj.setdefault("metadata", {})
        if template_labels and not meta.get("labels"):
            meta["labels"] = dict(template_labels)

    def validate(self, obj: dict[str, Any]) -> list[FieldError]:
        return job_errors(obj, require_prefixed_labels=True)

    def validate_update(self, obj: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
        old_spec = old.get("spec") or {}
        old_labels = ((old_spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        prefixed = JOB_NAME_LABEL in old_labels and CONTROLLER_UID_LABEL in old_labels
        errors = job_errors(obj, require_prefixed_labels=prefixed)
        return errors + job_update_errors(obj, old)

    def warnings(self, obj: dict[str, Any]) -> list[str]:
        name = str((obj.get("metadata") or {}).get("name") or "")
        return job_warnings(name, obj.get("spec") or {}, "spec")

    def field_values(self, obj: dict[str, Any]) -> dict[str, str]:
        values = super().field_values(obj)
        values["status.successful"] = str((obj.get("status") or {}).get("succeeded", 0))
        return values

    def row(self, obj: dict[str, Any], now: datetime) -> list[Any]:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return [
            obj["metadata"]["name"],
            job_status(obj),
            _completions(spec, status),
            _duration(status, now),
            age(obj, now),
            *container_cells(template_pod_spec(obj)),
            format_label_selector(spec.get("selector")),
        ]


def generate_selector(job: dict[str, Any]) -> None:
    """``generateSelector``: template labels for the name and uid, a selector on the uid.

    Labels the learner set already are left alone; validation then reports a conflict.
    """
    meta = job.get("metadata") or {}
    spec = job.setdefault("spec", {})
    template = spec.setdefault("template", {})
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    name, uid = str(meta.get("name", "")), str(meta.get("uid", ""))
    for key in (LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL):
        labels.setdefault(key, name)
    for key in (LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL):
        labels.setdefault(key, uid)
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match_labels = selector.get("matchLabels")
    if not isinstance(match_labels, dict):
        match_labels = selector["matchLabels"] = {}
    match_labels.setdefault(CONTROLLER_UID_LABEL, uid)


def job_errors(job: dict[str, Any], require_prefixed_labels: bool) -> list[FieldError]:
    """``ValidateJob``: the generated labels, the spec, and a name Indexed pods can use."""
    meta = job.get("metadata") or {}
    spec = job.get("spec") or {}
    errors = _generated_selector_errors(job, require_prefixed_labels)
    errors += job_spec_errors(spec, "spec")
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and isinstance(completions, int) and completions > 0:
        hostname = f"{meta.get('name', '')}-{completions - 1}"
        if dns1123_label_errors(hostname):
            errors.append(
                invalid(
                    "metadata.name",
                    meta.get("name", ""),
                    f"will not able to create pod with invalid DNS label: {hostname}",
                )
            )
    return errors


def _generated_selector_errors(job: dict[str, Any], require_prefixed: bool) -> list[FieldError]:
    """``validateGeneratedSelector``: the template carries the labels the selector expects."""
    meta = job.get("metadata") or {}
    spec = job.get("spec") or {}
    if spec.get("manualSelector") or spec.get("selector") is None:
        return []
    errors: list[FieldError] = []
    uid, name = str(meta.get("uid") or ""), str(meta.get("name") or "")
    if not uid:
        errors.append(required("metadata.uid"))
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    expected = {LEGACY_CONTROLLER_UID_LABEL: uid, LEGACY_JOB_NAME_LABEL: name}
    checks = [(LEGACY_CONTROLLER_UID_LABEL, uid), (LEGACY_JOB_NAME_LABEL, name)]
    if require_prefixed:
        checks += [(CONTROLLER_UID_LABEL, uid), (JOB_NAME_LABEL, name)]
        expected.update({CONTROLLER_UID_LABEL: uid, JOB_NAME_LABEL: name})
    for key, value in checks:
        path = f"spec.template.metadata.labels[{key}]"
        if key not in labels:
            errors.append(required(path, f"must be '{value}'"))
        elif labels[key] != value:
            errors.append(invalid(path, labels, f"must be '{value}'"))
    try:
        requirements = selector_requirements(spec.get("selector"))
    except SelectorError:
        return errors
    if not requirements_match(requirements, expected):
        errors.append(invalid("spec.selector", spec["selector"], "`selector` not auto-generated"))
    return errors


def job_spec_errors(spec: dict[str, Any], path: str) -> list[FieldError]:
    """``ValidateJobSpec``: the spec, a required selector, and the selector-template match."""
    errors = base_job_spec_errors(spec, path)
    selector = spec.get("selector")
    if selector is None:
        errors.append(required(f"{path}.selector"))
    else:
        errors += validate_label_selector(selector, f"{path}.selector")
    try:
        requirements = selector_requirements(selector)
    except SelectorError:
        return errors
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if not requirements_match(requirements, labels):
        errors.append(invalid(f"{path}.template.metadata.labels", labels, SELECTOR_MISMATCH))
    return errors


def base_job_spec_errors(spec: dict[str, Any], path: str) -> list[FieldError]:
    """``validateJobSpec``: counts, completion mode, template and its restart policy."""
    errors: list[FieldError] = []
    for key in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
    ):
        if spec.get(key) is not None:
            errors += non_negative(spec[key], f"{path}.{key}")
    if spec.get("maxFailedIndexes") is not None:
        errors += non_negative(spec["maxFailedIndexes"], f"{path}.maxFailedIndexes")
        if spec.get("backoffLimitPerIndex") is None:
            errors.append(
                required(f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified")
            )
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in COMPLETION_MODES:
            errors.append(not_supported(f"{path}.completionMode", mode, COMPLETION_MODES))
        if mode == "Indexed":
            if spec.get("completions") is None:
                errors.append(required(f"{path}.completions", "when completion mode is Indexed"))
            parallelism = spec.get("parallelism")
            if isinstance(parallelism, int) and parallelism > MAX_PARALLELISM_INDEXED:
                errors.append(
                    invalid(
                        f"{path}.parallelism",
                        parallelism,
                        f"must be less than or equal to {MAX_PARALLELISM_INDEXED} when "
                        "completion mode is Indexed",
                    )
                )
    if mode in (None, "NonIndexed"):
        for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(key) is not None:
                errors.append(
                    invalid(f"{path}.{key}", spec[key], "requires indexed completion mode")
                )
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        allowed = (
            ["Failed"] if spec.get("podFailurePolicy") is not None else POD_REPLACEMENT_POLICIES
        )
        if replacement not in allowed:
            errors.append(not_supported(f"{path}.podReplacementPolicy", replacement, allowed))
    errors += validate_pod_template(spec.get("template"), f"{path}.template")
    restart = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy", "")
    restart_path = f"{path}.template.spec.restartPolicy"
    if restart in ("Always", ""):
        errors.append(required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errors.append(not_supported(restart_path, restart, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errors.append(
            invalid(
                restart_path,
                restart,
                'only "Never" is supported when podFailurePolicy is specified',
            )
        )
    return errors


def job_update_errors(job: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """``ValidateJobSpecUpdate``: what stays fixed once a Job exists."""
    spec, old_spec = job.get("spec") or {}, old.get("spec") or {}
    errors: list[FieldError] = []
    errors += _completions_update_errors(spec, old_spec)
    errors += immutable_selector(spec.get("selector"), old_spec.get("selector"))
    errors += _template_update_errors(spec, old_spec, old.get("status") or {})
    for key in (
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    ):
        if semantic(spec.get(key)) != semantic(old_spec.get(key)):
            errors.append(invalid(f"spec.{key}", spec.get(key), FIELD_IMMUTABLE))
    return errors


def _completions_update_errors(spec: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """Completions are fixed, except that an Indexed Job may scale them with parallelism."""
    completions = spec.get("completions")
    if completions == old.get("completions"):
        return []
    if spec.get("completionMode") != "Indexed":
        return [invalid("spec.completions", completions, FIELD_IMMUTABLE)]
    if completions is not None and completions != spec.get("parallelism"):
        return [
            invalid(
                "spec.completions",
                completions,
                "can only be modified in tandem with spec.parallelism",
            )
        ]
    return []


def _template_update_errors(
    spec: dict[str, Any], old_spec: dict[str, Any], old_status: dict[str, Any]
) -> list[FieldError]:
    template = spec.get("template") or {}
    old_template = copy.deepcopy(old_spec.get("template") or {})
    if old_spec.get("suspend") and old_status.get("startTime") is None:
        new_pod, old_pod = template.get("spec") or {}, old_template.setdefault("spec", {})
        for key in _SCHEDULING_DIRECTIVES:
            old_pod[key] = new_pod.get(key)
        node_affinity = (new_pod.get("affinity") or {}).get("nodeAffinity")
        if old_pod.get("affinity") or node_affinity:
            old_pod["affinity"] = {**(old_pod.get("affinity") or {}), "nodeAffinity": node_affinity}
        old_meta = old_template.setdefault("metadata", {})
        old_meta["labels"] = (template.get("metadata") or {}).get("labels")
        old_meta["annotations"] = (template.get("metadata") or {}).get("annotations")
    if semantic(template) != semantic(old_template):
        return [invalid("spec.template", template, FIELD_IMMUTABLE)]
    return []


def job_warnings(name: str, job_spec: dict[str, Any], spec_path: str) -> list[str]:
    """A name that is no DNS label, and the pod template's warnings (Jobs and CronJobs)."""
    warnings = []
    messages = dns1123_label_errors(name) if name else []
    if messages:
        warnings.append(
            "metadata.name: this is used in Pod names and hostnames, which can result in "
            f"surprising behavior; a DNS label is recommended: [{' '.join(messages)}]"
        )
    template = job_spec.get("template") or {}
    return warnings + pod_spec_warnings(
        template.get("spec") or {}, template.get("metadata") or {}, f"{spec_path}.template"
    )


def job_status(job: dict[str, Any]) -> str:
    """The STATUS cell: Complete, Failed, Terminating, Suspended, ... or Running."""
    conditions = (job.get("status") or {}).get("conditions") or []

    def holds(kind: str) -> bool:
        for condition in conditions:
            if condition.get("type") == kind:
                return condition.get("status") == "True"
        return False

    if holds("Complete"):
        return "Complete"
    if holds("Failed"):
        return "Failed"
    if (job.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if holds(kind):
            return kind
    return "Running"


def _completions(spec: dict[str, Any], status: dict[str, Any]) -> str:
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism") or 0
    if parallelism > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def _duration(status: dict[str, Any], now: datetime) -> str:
    start = parse_time(status.get("startTime"))
    if start is None:
        return ""
    end = parse_time(status.get("completionTime")) or now
    return human_duration(end - start)


STRATEGIES = [JobStrategy()]
