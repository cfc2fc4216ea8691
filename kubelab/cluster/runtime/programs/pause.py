"""``/pause``: the sandbox container of every pod, which only waits.

It holds the pod's namespaces open while application containers come and go. It is one of the
few programs written to be PID 1: it handles SIGTERM and SIGINT and exits at once.
"""

from __future__ import annotations

from kubelab.cluster.runtime.process import SIGINT, SIGNAL_NAMES, SIGTERM, Process
from kubelab.cluster.runtime.programs.serving import wait_for_signal

SIGNAL_DESCRIPTIONS = {SIGTERM: "Terminated", SIGINT: "Interrupt"}


async def main(process: Process) -> int:
    process.memory_bytes = 300 * 1024
    signal = await wait_for_signal(process, *SIGNAL_DESCRIPTIONS)
    description = SIGNAL_DESCRIPTIONS.get(signal, SIGNAL_NAMES[signal])
    await process.write_out(f"Shutting down, got signal: {description}\n")
    return 0
