"""Subresources that stream or proxy instead of storing: logs, exec, attach, port-forward, proxies.

:data:`SUBRESOURCE_HANDLERS` maps ``(plural, subresource)`` to the handler the API server's
router calls for it.
"""

from __future__ import annotations

from kubelab.cluster.api.handlers import SubresourceHandler
from kubelab.cluster.api.streaming import logs, portforward, proxy, remotecommand

SUBRESOURCE_HANDLERS: dict[tuple[str, str], SubresourceHandler] = {
    ("pods", "log"): logs.handle_log,
    ("pods", "exec"): remotecommand.handle_exec,
    ("pods", "attach"): remotecommand.handle_attach,
    ("pods", "portforward"): portforward.handle_portforward,
    ("pods", "proxy"): proxy.handle_pod_proxy,
    ("services", "proxy"): proxy.handle_service_proxy,
    ("nodes", "proxy"): proxy.handle_node_proxy,
}
