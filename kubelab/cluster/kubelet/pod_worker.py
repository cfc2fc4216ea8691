"""One pod's life on a node: set up, pull, start, probe, restart, stop.

The kubelet gives every pod bound to its node a :class:`PodWorker`. The worker

1. creates the pod's sandbox (its network namespace and IP) and volumes,
2. runs the init containers one after another, each to completion,
3. runs the app containers, restarting them per ``restartPolicy`` with the crash-loop back-off,
4. runs their startup, liveness and readiness probes,
5. and, once the pod is deleted, stops the containers within the grace period and tells the API
   server the pod is gone.

After every change it writes the pod's status, which is all ``kubectl get pods`` ever sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING, Any

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.client import PODS
from kubelab.cluster.flag import Flag
from kubelab.cluster.kubelet.environment import (
    ConfigError,
    expand_command_and_args,
    resolve_environment,
)
from kubelab.cluster.kubelet.images import go_duration, pull_seconds
from kubelab.cluster.kubelet.probes import PROBE_NAMES, ProbeState, run_probe
from kubelab.cluster.kubelet.status import ContainerRecord, PodRecord, pod_phase, pod_status
from kubelab.cluster.kubelet.volumes import MountError, PodVolumes
from kubelab.cluster.resources.podspec import qos_class
from kubelab.cluster.runtime.container import Container, ExitStatus, StartError
from kubelab.cluster.runtime.filesystem import Mount
from kubelab.cluster.runtime.images import Image
from kubelab.cluster.runtime.network import NetworkNamespace
from kubelab.cluster.runtime.volumes import MemoryVolume

if TYPE_CHECKING:
    from kubelab.cluster.kubelet.agent import Kubelet

log = logging.getLogger("kubelab.cluster.kubelet")

#: How often the kubelet re-reads ConfigMaps and Secrets for mounted files (cluster seconds).
VOLUME_REFRESH_SECONDS = 10.0
#: How long a pod whose volumes or configuration are missing waits before trying again.
RETRY_SECONDS = 2.0
#: How long one sync of a pod waits for its volumes to mount (the kubelet's 2m3s).
MOUNT_WAIT_SECONDS = 123.0
DNS_SERVICE_IP = "10.96.0.10"
#: How long (real seconds) to watch a new container before reporting it as running.
QUICK_EXIT_SECONDS = 0.05
#: How long the kubelet's pod worker waits before syncing a pod whose last sync failed
#: (``InvalidImageName``, ``ErrImageNeverPull``) again, unless the pod is updated first.
SYNC_RETRY_SECONDS = 10.0


def _memory_limit(spec: dict[str, Any]) -> int | None:
    from kubelab.cluster.quantity import Quantity

    limit = ((spec.get("resources") or {}).get("limits") or {}).get("memory")
    return Quantity.parse(limit).value() if limit else None


class PodWorker:
    """Drives one pod on one node until it is deleted."""

    def __init__(self, kubelet: Kubelet, pod: dict[str, Any]) -> None:
        self.kubelet = kubelet
        self.client = kubelet.client
        self.clock = kubelet.client.clock
        self.events = kubelet.events
        self.pod = pod
        meta = pod["metadata"]
        self.namespace, self.name, self.uid = meta["namespace"], meta["name"], meta["uid"]
        spec = pod.get("spec", {})
        self.record = PodRecord(
            init_containers=[
                self._new_record(c, init=True) for c in spec.get("initContainers") or []
            ],
            containers=[self._new_record(c) for c in spec.get("containers") or []],
        )
        self.containers: dict[str, Container] = {}
        self.previous: dict[str, Container] = {}
        self.netns: NetworkNamespace | None = None
        self.volumes: PodVolumes | None = None
        self.deleting = Flag()
        #: Set (and replaced) whenever the pod changes: what waits on it looks at the pod again.
        self._updated = Flag()
        #: Containers being stopped because their definition changed, to be started again.
        self._redefined: set[str] = set()
        self._tasks: list[asyncio.Task[Any]] = []
        self._probe_tasks: dict[str, list[asyncio.Task[Any]]] = {}

    @staticmethod
    def _new_record(spec: dict[str, Any], init: bool = False) -> ContainerRecord:
        sidecar = init and spec.get("restartPolicy") == "Always"
        return ContainerRecord(
            name=spec["name"], image=spec.get("image", ""), init=init, sidecar=sidecar
        )

    # --- helpers --------------------------------------------------------------------------------

    @property
    def spec(self) -> dict[str, Any]:
        return self.pod.get("spec", {})

    def _container_spec(self, name: str) -> dict[str, Any]:
        for kind in ("initContainers", "containers", "ephemeralContainers"):
            for spec in self.spec.get(kind) or []:
                if spec["name"] == name:
                    return spec
        raise KeyError(name)

    def _field_path(self, record: ContainerRecord) -> str:
        kind = (
            "ephemeralContainers"
            if record.ephemeral
            else "initContainers"
            if record.init
            else "containers"
        )
        return f"spec.{kind}{{{record.name}}}"

    def _event(self, record: ContainerRecord | None, kind: str, reason: str, message: str) -> None:
        field_path = self._field_path(record) if record else ""
        self.events.record(self.pod, kind, reason, message, field_path)

    def _pod_ref(self) -> str:
        return f"{self.name}_{self.namespace}({self.uid})"

    def _image(self, name: str) -> str:
        return self._container_spec(name).get("image", "")

    def update(self, pod: dict[str, Any]) -> None:
        """A newer version of the pod arrived from the API: the kubelet syncs it at once."""
        self.pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            self.deleting.set()
        elif not self.record.pod_reason:
            self._restart_redefined()
            self._start_ephemeral()
        self._wake()

    def _wake(self) -> None:
        updated, self._updated = self._updated, Flag()
        updated.set()

    async def _wait_for_update(self, seconds: float | None) -> bool:
        """Wait ``seconds`` of cluster time (None: for ever) or until the pod changes; return
        False if the pod started terminating."""
        if self.deleting.is_set():
            return False
        timeout = None if seconds is None else max(seconds, 0) / self.clock.time_scale
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._updated.wait(), timeout)
        return not self.deleting.is_set()

    async def _wait_for_new_image(self, name: str, image: str, seconds: float) -> str:
        """Wait between syncs of a container whose image cannot be used: "elapsed", "gone"
        (the pod is terminating) or "changed" (its spec names another image now, which the
        kubelet tries at once: that is how ``kubectl set image`` fixes a mistyped image)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(seconds, 0) / self.clock.time_scale
        while True:
            if self.deleting.is_set():
                return "gone"
            if self._image(name) != image:
                return "changed"
            remaining = deadline - loop.time()
            if remaining <= 0:
                return "elapsed"
            await self._wait_for_update(remaining * self.clock.time_scale)

    def _start_ephemeral(self) -> None:
        """Run each ephemeral container added since the last sync, once (``kubectl debug``);
        they join the pod's network as soon as it has one."""
        if self.netns is None:
            return
        known = {record.name for record in self.record.ephemeral_containers}
        added = [s for s in self.spec.get("ephemeralContainers") or [] if s["name"] not in known]
        for spec in added:
            record = ContainerRecord(name=spec["name"], image=spec.get("image", ""), ephemeral=True)
            self.record.ephemeral_containers.append(record)
            self._tasks.append(asyncio.create_task(self._run_once(record)))
        if added:
            self.publish()

    def _restart_redefined(self) -> None:
        """Restart each running container whose spec changed, as the kubelet does when a
        container's hash (over its name and image) no longer matches: ``spec.containers[*].image``
        is the one field of a running container that may change."""
        for record in self.record.containers + self.record.init_containers:
            container = self.containers.get(record.name)
            if record.init and not record.sidecar:
                continue
            if container is None or not container.running or record.name in self._redefined:
                continue
            if container.spec.get("image", "") == self._image(record.name):
                continue
            self._redefined.add(record.name)
            self._tasks.append(asyncio.create_task(self._stop_redefined(record, container)))

    async def _stop_redefined(self, record: ContainerRecord, container: Container) -> None:
        self._event(
            record,
            "Normal",
            "Killing",
            f"Container {record.name} definition changed, will be restarted",
        )
        grace = int(self.spec.get("terminationGracePeriodSeconds", 30))
        await self._pre_stop(record.name, container, grace)
        await container.stop(float(grace))

    async def _sleep(self, seconds: float) -> bool:
        """Sleep in cluster time; return False if the pod started terminating meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.deleting.wait(), max(seconds, 0) / self.clock.time_scale)
        return not self.deleting.is_set()

    def publish(self) -> None:
        """Write the pod's status as the containers' records now say."""
        current = self.client.get(PODS, self.namespace, self.name)
        if current is None or current["metadata"].get("uid") != self.uid:
            return
        status = pod_status(
            current, self.record, self.clock.timestamp(), qos_class(current.get("spec", {}))
        )
        if status == current.get("status"):
            return
        current["status"] = status
        try:
            self.pod = self.client.update_status(PODS, current)
        except APIError as error:
            if error.code not in (404, 409):
                log.warning("status of %s/%s: %s", self.namespace, self.name, error.message)

    # --- the pod's life --------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            if await self._start_sandbox():
                self._start_ephemeral()
                self._tasks.append(asyncio.create_task(self._enforce_deadline()))
                self._tasks.append(asyncio.create_task(self._start_containers()))
            await self.deleting.wait()
            await self._terminate()
        finally:
            helpers = self._tasks + [t for ts in self._probe_tasks.values() for t in ts]
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            if self.netns is not None:
                self.kubelet.network.detach(self.netns)
                self.kubelet.release_ip(self.netns.ip)

    async def _start_sandbox(self) -> bool:
        """Give the pod its network namespace and IP; while the node's pod range has no free
        address, report ``FailedCreatePodSandBox`` and retry on the next sync, as the kubelet
        does. False if the pod was deleted before it got one."""
        self.record.host_ip = self.kubelet.node_ip
        self.record.start_time = self.clock.timestamp()
        while (ip := self.kubelet.allocate_ip()) is None:
            self._event(
                None,
                "Warning",
                "FailedCreatePodSandBox",
                "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup "
                f'network for sandbox "{secrets.token_hex(32)}": plugin type="bridge" '
                'name="kubelab" failed (add): failed to allocate for range 0: no IP addresses '
                f"available in range set: {self.kubelet.ip_range_set}",
            )
            self.publish()
            if not await self._sleep(SYNC_RETRY_SECONDS):
                return False
        self.netns = NetworkNamespace(ip)
        self.kubelet.network.attach(self.netns)
        self.record.pod_ip = ip
        for record in self.record.containers:
            if self.record.init_containers:
                record.reason = "PodInitializing"
        self.publish()
        return True

    async def _start_containers(self) -> None:
        if await self._set_up_volumes() and await self._run_init_containers():
            for record in self.record.containers:
                self._tasks.append(asyncio.create_task(self._supervise(record)))
            self._tasks.append(asyncio.create_task(self._refresh_volumes()))

    async def _set_up_volumes(self) -> bool:
        self.volumes = PodVolumes(
            self.client,
            self.pod,
            self.kubelet.host_root,
            self.kubelet.storage_root,
            self.kubelet.allocatable,
        )
        waiting_since = self.clock.now()
        while True:
            try:
                self.volumes.build(self.clock.now())
            except MountError as error:
                for message in error.failures.values() or [str(error)]:
                    self._event(None, "Warning", "FailedMount", message)
                if (self.clock.now() - waiting_since).total_seconds() >= MOUNT_WAIT_SECONDS:
                    # The pod's sync gives up waiting for its volumes, says so, and syncs again.
                    unmounted = list(error.failures)
                    message = self.volumes.wait_timed_out_message(unmounted)
                    self._event(None, "Warning", "FailedMount", message)
                    waiting_since = self.clock.now()
                if not await self._sleep(RETRY_SECONDS * 5):
                    return False
                continue
            self.record.sandbox_ready = True
            self.publish()
            return True

    async def _refresh_volumes(self) -> None:
        while await self._sleep(VOLUME_REFRESH_SECONDS):
            if self.volumes is not None:
                self.volumes.refresh(self.clock.now())

    async def _run_init_containers(self) -> bool:
        for record in self.record.init_containers:
            if record.sidecar:
                self._tasks.append(asyncio.create_task(self._supervise(record)))
                while record.state != "running" or record.started is False:
                    if not await self._sleep(0.2):
                        return False
                continue
            while True:
                status = await self._run_once(record)
                if status is None:
                    return False
                if status.exit_code == 0:
                    break
                if self.spec.get("restartPolicy") == "Never":
                    self.publish()
                    return False
                if not await self._back_off(record):
                    return False
        for record in self.record.containers:
            record.reason = "ContainerCreating"
        self.publish()
        return True

    async def _enforce_deadline(self) -> None:
        """Fail the pod once it has been active longer than ``activeDeadlineSeconds``, counted
        from its start time; the field may be set or lowered while the pod runs."""
        started = self.clock.now()
        while True:
            if pod_phase(self.pod, self.record) in ("Succeeded", "Failed"):
                return
            seconds = self.spec.get("activeDeadlineSeconds")
            remaining = None
            if seconds is not None:
                remaining = float(seconds) - (self.clock.now() - started).total_seconds()
                if remaining <= 0:
                    break
            if not await self._wait_for_update(remaining):
                return
        message = "Pod was active on the node longer than the specified deadline"
        self._event(None, "Normal", "DeadlineExceeded", message)
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        await self._stop_all(int(self.spec.get("terminationGracePeriodSeconds", 30)))
        # The kubelet reports a terminal phase only once no container can be running any more.
        self._record_stopped()
        self.record.pod_reason, self.record.pod_message = "DeadlineExceeded", message
        self.publish()

    # --- one container ---------------------------------------------------------------------

    async def _supervise(self, record: ContainerRecord) -> None:
        """Run an app container (or sidecar) and restart it as ``restartPolicy`` says."""
        policy = "Always" if record.sidecar else self.spec.get("restartPolicy", "Always")
        while True:
            status = await self._run_once(record)
            if status is None or self.deleting.is_set():
                return
            if record.name in self._redefined:
                # A container stopped because its definition changed starts again whatever the
                # restart policy, and without waiting: its new hash has no back-off yet.
                self._redefined.discard(record.name)
                continue
            if policy == "Never" or (policy == "OnFailure" and status.exit_code == 0):
                self.publish()
                return
            if not await self._back_off(record):
                return

    async def _back_off(self, record: ContainerRecord) -> bool:
        """Wait out the crash-loop back-off before a restart; False if the pod is going.

        The back-off belongs to the container's definition (its name and image), so a container
        whose image is changed while it waits starts again at once.
        """
        image = record.image
        key = f"{self.uid}/{record.name}/{image}"
        delay = self.kubelet.restart_backoff.next_delay(key, self.clock.now().timestamp())
        if delay > 0:
            message = (
                f"back-off {int(delay)}s restarting failed container="
                f"{record.name} pod={self._pod_ref()}"
            )
            self._waiting(record, "CrashLoopBackOff", message)
            self._event(
                record,
                "Warning",
                "BackOff",
                f"Back-off restarting failed container {record.name} in pod {self._pod_ref()}",
            )
            self.publish()
            if await self._wait_for_new_image(record.name, image, delay) == "gone":
                return False
        return True

    def _waiting(self, record: ContainerRecord, reason: str, message: str) -> None:
        """The container waits to be (re)started; the instance that ended last, if any,
        becomes its ``lastState`` and still names the image the status shows."""
        if record.state == "terminated":
            record.last_terminated = record.terminated_state()
        record.state, record.reason, record.message = "waiting", reason, message
        if not record.ever_ran:
            record.image = self._image(record.name)
        record.ready = False

    async def _run_once(self, record: ContainerRecord) -> ExitStatus | None:
        """Pull, configure, start and wait for one instance of a container."""
        pulled = await self._pull(record)
        if pulled is None:
            return None
        image, spec = pulled
        container = await self._create(record, spec, image)
        if container is None:
            return None
        if record.ever_ran:
            if record.state == "terminated":
                record.restart()
            else:
                record.restart_count += 1
        if record.name in self.containers:
            self.previous[record.name] = self.containers[record.name]
        self.containers[record.name] = container
        record.image = spec.get("image", "")
        try:
            container.start()
        except StartError as error:
            return self._terminated(record, error.status, str(error))
        record.state, record.reason, record.message = "running", "", ""
        record.started_at = self.clock.timestamp()
        record.ever_ran = True
        record.container_id = f"containerd://{secrets.token_hex(32)}"
        self._event(record, "Normal", "Started", "Container started")
        # A container that is over at once (``echo hi``) is reported as terminated only, as a
        # real kubelet's next status update would: a fleeting "Running" makes ``kubectl run -i``
        # try to attach to a container that is already gone.
        with contextlib.suppress(TimeoutError):
            status = await asyncio.wait_for(asyncio.shield(container.wait()), QUICK_EXIT_SECONDS)
            return self._terminated(record, status)
        self._start_probes(record, spec, container)
        self.publish()
        status = await container.wait()
        self._stop_probes(record)
        return self._terminated(record, status)

    def _terminated(
        self, record: ContainerRecord, status: ExitStatus, message: str | None = None
    ) -> ExitStatus:
        self._record_end(record, status, message)
        if record.name not in self._redefined:
            # A container replaced for a changed definition is stopped and started again within
            # one sync of the pod, so its end is never reported on its own.
            self.publish()
        return status

    def _record_stopped(self) -> None:
        """Record the end of the containers the kubelet itself stopped (their supervisors are
        gone by then), without writing the status yet."""
        records = self.record.init_containers + self.record.containers
        for record in records + self.record.ephemeral_containers:
            container = self.containers.get(record.name)
            if record.state == "running" and container is not None and container.status:
                self._record_end(record, container.status)

    def _record_end(
        self, record: ContainerRecord, status: ExitStatus, message: str | None = None
    ) -> None:
        record.state = "terminated"
        record.exit_code = status.exit_code
        record.reason = status.reason
        record.message = message or status.message or ""
        record.signal = status.signal
        record.finished_at = self.clock.timestamp()
        if status.started_at is not None:
            record.started_at = status.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        record.ready = False
        if record.started is not None:
            record.started = False

    async def _pull(self, record: ContainerRecord) -> tuple[Image, dict[str, Any]] | None:
        """The image for the container's spec as it is now, and that spec; None if the pod is
        terminating first. A spec changed while the kubelet pulls or waits is synced anew."""
        while True:
            spec = self._container_spec(record.name)
            outcome = await self._try_image(record, spec)
            if outcome == "gone":
                return None
            if isinstance(outcome, Image) and self._image(record.name) == spec.get("image", ""):
                return outcome, spec

    async def _retry_later(self, record: ContainerRecord, reference: str, seconds: float) -> str:
        """Wait for the next sync: "gone" if the pod is terminating, else "retry"."""
        waited = await self._wait_for_new_image(record.name, reference, seconds)
        return "gone" if waited == "gone" else "retry"

    async def _try_image(self, record: ContainerRecord, spec: dict[str, Any]) -> Image | str:
        """One sync's worth of the kubelet's image manager: the image, or "retry" (after the
        wait a failed sync earns), or "gone" when the pod is terminating."""
        images = self.kubelet.images
        reference = spec.get("image", "")
        problem = images.check_name(reference)
        if problem:
            # The pod worker syncs the pod again after a failed sync, and at once when the pod
            # changes: correcting the image lets the container start.
            self._waiting(record, "InvalidImageName", problem)
            self._event(record, "Warning", "InspectFailed", problem)
            self._event(record, "Warning", "Failed", "Error: InvalidImageName")
            self.publish()
            return await self._retry_later(record, reference, SYNC_RETRY_SECONDS)
        policy = spec.get("imagePullPolicy", "IfNotPresent")
        cached = images.cached(reference)
        if cached is not None and policy != "Always":
            self._event(
                record,
                "Normal",
                "Pulled",
                f'Container image "{reference}" already present on machine and can '
                "be accessed by the pod",
            )
            return cached
        if policy == "Never":
            message = f'Container image "{reference}" is not present with pull policy of Never'
            self._waiting(record, "ErrImageNeverPull", message)
            self._event(record, "Warning", "ErrImageNeverPull", message)
            self._event(record, "Warning", "Failed", "Error: ErrImageNeverPull")
            self.publish()
            return await self._retry_later(record, reference, SYNC_RETRY_SECONDS)
        key = f"pull/{self.uid}/{reference}"
        self._event(record, "Normal", "Pulling", f'Pulling image "{reference}"')
        started = self.clock.now()
        result = images.fetch(reference)
        wait = pull_seconds(result) if isinstance(result, Image) else 0.5
        if not await self._sleep(wait):
            return "gone"
        if isinstance(result, Image):
            took = go_duration((self.clock.now() - started).total_seconds())
            self.kubelet.pull_backoff.forget(key)
            self._event(
                record,
                "Normal",
                "Pulled",
                f'Successfully pulled image "{reference}" in {took} ({took} including waiting).'
                f" Image size: {result.size} bytes.",
            )
            return result
        self._waiting(record, "ErrImagePull", result.rpc_message)
        self._event(
            record, "Warning", "Failed", f'Failed to pull image "{reference}": {result.rpc_message}'
        )
        self._event(record, "Warning", "Failed", "Error: ErrImagePull")
        self.publish()
        delay = self.kubelet.pull_backoff.next_delay(key, self.clock.now().timestamp())
        waited = await self._wait_for_new_image(record.name, reference, max(delay, 1.0))
        if waited != "elapsed":
            return waited if waited == "gone" else "retry"
        message = f'Back-off pulling image "{reference}": ErrImagePull: {result.rpc_message}'
        self._waiting(record, "ImagePullBackOff", message)
        self._event(record, "Normal", "BackOff", f'Back-off pulling image "{reference}"')
        self._event(record, "Warning", "Failed", "Error: ImagePullBackOff")
        self.publish()
        backoff = self.kubelet.pull_backoff.current(key)
        return await self._retry_later(record, reference, backoff)

    async def _create(
        self, record: ContainerRecord, spec: dict[str, Any], image: Image
    ) -> Container | None:
        while True:
            try:
                env = resolve_environment(self.client, self.pod, spec, self.kubelet.allocatable)
                break
            except ConfigError as error:
                self._waiting(record, "CreateContainerConfigError", str(error))
                self._event(record, "Warning", "Failed", f"Error: {error}")
                self.publish()
                if not await self._sleep(RETRY_SECONDS * 5):
                    return None
        record.image_id = (
            f"{image.reference.rsplit(':', 1)[0]}@{image.digest}"
            if "@" not in image.reference
            else image.reference
        )
        hostname = self.spec.get("hostname") or self.name
        mounts = self._system_mounts(hostname) + (self.volumes.mounts(spec) if self.volumes else [])
        container = Container(
            image,
            expand_command_and_args(spec, env),
            clock=self.clock,
            env=env,
            mounts=mounts,
            hostname=hostname,
            memory_limit=_memory_limit(spec),
            network=self.kubelet.network,
            netns=self.netns,
        )
        self._event(record, "Normal", "Created", "Container created")
        return container

    def _system_mounts(self, hostname: str) -> list[Mount]:
        """``/etc/resolv.conf`` and ``/etc/hosts`` as the kubelet writes them for a pod."""
        now = self.clock.now()
        etc = MemoryVolume(now)
        search = f"{self.namespace}.svc.cluster.local svc.cluster.local cluster.local"
        etc.write(
            "resolv.conf",
            f"nameserver {DNS_SERVICE_IP}\nsearch {search}\noptions ndots:5\n".encode(),
            False,
            now,
        )
        ip = self.netns.ip if self.netns else ""
        etc.write(
            "hosts",
            (
                f"# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
                f"::1\tlocalhost ip6-localhost ip6-loopback\n{ip}\t{hostname}\n"
            ).encode(),
            False,
            now,
        )
        return [
            Mount("/etc/resolv.conf", etc, sub_path="resolv.conf"),
            Mount("/etc/hosts", etc, sub_path="hosts"),
        ]

    # --- probes ------------------------------------------------------------------------------

    def _start_probes(
        self, record: ContainerRecord, spec: dict[str, Any], container: Container
    ) -> None:
        startup = spec.get("startupProbe")
        record.started = not startup
        tasks = []
        if startup:
            tasks.append(
                asyncio.create_task(
                    self._probe_loop(record, spec, container, "startupProbe", startup)
                )
            )
        for kind in ("livenessProbe", "readinessProbe"):
            if spec.get(kind):
                tasks.append(
                    asyncio.create_task(self._probe_loop(record, spec, container, kind, spec[kind]))
                )
        if not spec.get("readinessProbe") and not startup:
            record.ready = True
        elif not spec.get("readinessProbe"):
            tasks.append(asyncio.create_task(self._ready_when_started(record)))
        self._probe_tasks[record.name] = tasks

    def _stop_probes(self, record: ContainerRecord) -> None:
        for task in self._probe_tasks.pop(record.name, []):
            task.cancel()

    async def _ready_when_started(self, record: ContainerRecord) -> None:
        while not record.started:
            if not await self._sleep(0.2):
                return
        record.ready = True
        self.publish()

    async def _probe_loop(
        self,
        record: ContainerRecord,
        spec: dict[str, Any],
        container: Container,
        kind: str,
        probe: dict[str, Any],
    ) -> None:
        label = PROBE_NAMES[kind]
        state = ProbeState(probe, initially_ok=(kind == "livenessProbe"))
        if not await self._sleep(float(probe.get("initialDelaySeconds", 0))):
            return
        while container.running:
            if kind != "startupProbe" and not record.started:
                await self._sleep(0.2)
                continue
            result = await run_probe(
                container, spec, probe, self.netns.ip if self.netns else "", self.clock.time_scale
            )
            if not result.ok:
                self._event(
                    record, "Warning", "Unhealthy", f"{label} probe failed: {result.message}"
                )
            changed = state.record(result)
            if kind == "startupProbe" and state.ok:
                record.started = True
                self.publish()
                return
            if kind == "readinessProbe" and record.ready != state.ok:
                record.ready = state.ok
                self.publish()
            if changed and not state.ok and kind != "readinessProbe":
                self._event(
                    record,
                    "Normal",
                    "Killing",
                    f"Container {record.name} failed {label.lower()} probe, will be restarted",
                )
                grace = probe.get(
                    "terminationGracePeriodSeconds",
                    self.spec.get("terminationGracePeriodSeconds", 30),
                )
                await container.stop(float(grace))
                return
            if not await self._sleep(float(probe.get("periodSeconds", 10))):
                return

    # --- termination ------------------------------------------------------------------------

    async def _stop_all(self, grace: int) -> None:
        async def stop(name: str, container: Container) -> None:
            record = self.record.record(name)
            if not container.running:
                return
            if record is not None:
                self._event(record, "Normal", "Killing", f"Stopping container {name}")
            await self._pre_stop(name, container, grace)
            await container.stop(float(grace))

        await asyncio.gather(
            *(stop(n, c) for n, c in list(self.containers.items())), return_exceptions=True
        )

    async def _pre_stop(self, name: str, container: Container, grace: int) -> None:
        hook = (self._container_spec(name).get("lifecycle") or {}).get("preStop") or {}
        timeout = grace / self.clock.time_scale
        with contextlib.suppress(Exception):
            if "exec" in hook:
                await asyncio.wait_for(container.exec(hook["exec"].get("command") or []), timeout)
            elif "sleep" in hook:
                await self.clock.sleep(float(hook["sleep"].get("seconds", 0)))
            elif "httpGet" in hook:
                handler = hook["httpGet"]
                await asyncio.wait_for(
                    container.http(int(handler.get("port", 80)), "GET", handler.get("path", "/")),
                    timeout,
                )

    async def _terminate(self) -> None:
        grace = self.pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.spec.get("terminationGracePeriodSeconds", 30)
        for task in self._tasks:
            task.cancel()
        await self._stop_all(int(grace))
        self._record_stopped()
        self.record.terminal = True
        self.publish()
        with contextlib.suppress(APIError):
            self.client.delete(
                PODS, self.namespace, self.name, grace_period_seconds=0, uid=self.uid
            )

    async def kill_and_reap(self) -> None:
        """The node is going away: kill every container and wait until all have ended."""
        containers = [*self.previous.values(), *self.containers.values()]
        await asyncio.gather(*(container.kill_and_reap() for container in containers))

    def kill(self) -> None:
        """The pod was removed without waiting (``--force``): kill everything now."""
        for container in self.containers.values():
            container.kill()
        self.deleting.set()
        self._wake()
