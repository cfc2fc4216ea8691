"""Name resolution inside a container, the way its C library does it.

``/etc/hosts`` is consulted first. Otherwise ``/etc/resolv.conf`` (which the kubelet writes)
gives the name server and the search domains: with ``ndots:5``, a short name like ``web`` is
tried as ``web.<namespace>.svc.cluster.local`` and so on before being tried as it is. That is
why a pod can call a Service by its bare name. The cluster's DNS answers come from the
kubelet's network hook.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from kubelab.cluster.runtime.filesystem import ContainerFilesystem
from kubelab.cluster.runtime.network import NetworkHook


@dataclass
class ResolverConfig:
    nameserver: str = ""
    search: list[str] = field(default_factory=list)
    ndots: int = 1


@dataclass(frozen=True)
class Resolution:
    name: str
    addresses: list[str]


def read_resolv_conf(fs: ContainerFilesystem) -> ResolverConfig:
    config = ResolverConfig()
    try:
        text = fs.read_text("/etc/resolv.conf")
    except OSError:
        return config
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "nameserver" and len(words) > 1 and not config.nameserver:
            config.nameserver = words[1]
        elif words[0] == "search":
            config.search = words[1:]
        elif words[0] == "options":
            for option in words[1:]:
                if option.startswith("ndots:") and option[6:].isdigit():
                    config.ndots = int(option[6:])
    return config


def hosts_lookup(fs: ContainerFilesystem, name: str) -> str | None:
    if name == "localhost":
        return "127.0.0.1"
    try:
        text = fs.read_text("/etc/hosts")
    except OSError:
        return None
    for line in text.splitlines():
        words = line.split("#")[0].split()
        if len(words) > 1 and name in words[1:]:
            return words[0]
    return None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def candidate_names(name: str, config: ResolverConfig) -> list[str]:
    """The names the resolver asks for, in order (the search list and ``ndots`` rule)."""
    if name.endswith("."):
        return [name.rstrip(".")]
    searched = [f"{name}.{domain}" for domain in config.search]
    return [name, *searched] if name.count(".") >= config.ndots else [*searched, name]


async def resolve(
    name: str, fs: ContainerFilesystem, hook: NetworkHook | None
) -> Resolution | None:
    """The addresses ``name`` stands for in this container, or None if it does not resolve."""
    if is_ip(name):
        return Resolution(name, [name])
    if (address := hosts_lookup(fs, name)) is not None:
        return Resolution(name, [address])
    if hook is None:
        return None
    for candidate in candidate_names(name, read_resolv_conf(fs)):
        if addresses := await hook.lookup(candidate):
            return Resolution(candidate, addresses)
    return None
