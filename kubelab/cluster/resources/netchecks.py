"""IP address and CIDR checks with apimachinery's rules and message texts.

Services, Endpoints, EndpointSlices and NetworkPolicies all validate addresses. Go's parser is
"sloppy" (it reads ``010.1.1.1`` as ``10.1.1.1``) while the strict checks reject such values
with their own messages, and Python's :mod:`ipaddress` agrees with neither, so the parsing is
spelled out here once.
"""

from __future__ import annotations

import ipaddress
import re

from kubelab.cluster.api.errors import FieldError, invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

INVALID_IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
INVALID_CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

_DOTTED_QUAD = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


def _parse_sloppy(value: str) -> tuple[IPAddress | None, bool]:
    """Parse as Go's ``ParseIPSloppy``; also report whether the strict parser would agree."""
    if "%" in value:
        return None, False
    try:
        return ipaddress.ip_address(value), True
    except ValueError:
        pass
    match = _DOTTED_QUAD.match(value)
    if match and all(int(part) <= 255 for part in match.groups()):
        return ipaddress.IPv4Address(".".join(str(int(part)) for part in match.groups())), False
    return None, False


def go_string(ip: IPAddress) -> str:
    """``net.IP.String()``: IPv4-mapped IPv6 addresses print as IPv4."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def parse_ip(value: str) -> IPAddress | None:
    """The address Go would read from ``value``, or None; IPv4-mapped IPv6 becomes IPv4."""
    ip, _ = _parse_sloppy(value)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def ip_errors(path: str, value: str, canonical: bool = True) -> list[FieldError]:
    """``IsValidIP`` (``canonical``) or strict ``IsValidIPForLegacyField`` (not canonical)."""
    ip, strict_ok = _parse_sloppy(value)
    if ip is None:
        return [invalid(path, value, INVALID_IP_MSG)]
    errors = []
    if not strict_ok:
        errors.append(invalid(path, value, "must not have leading 0s"))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        errors.append(invalid(path, value, "must not be an IPv4-mapped IPv6 address"))
    if errors:
        return errors
    if canonical and value != go_string(ip):
        errors.append(invalid(path, value, f'must be in canonical form ("{go_string(ip)}")'))
    return errors


_LINK_LOCAL_MULTICAST_V4 = ipaddress.ip_network("224.0.0.0/24")


def non_special_ip_errors(path: str, value: str) -> list[FieldError]:
    """``ValidateNonSpecialIP``: no unspecified, loopback or link-local endpoint addresses."""
    ip = parse_ip(value)
    if ip is None:
        return [invalid(path, value, "must be a valid IP address")]
    errors = []
    if ip.is_unspecified:
        errors.append(invalid(path, value, f"may not be unspecified ({value})"))
    if ip.is_loopback:
        errors.append(
            invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)")
        )
    if ip.is_link_local:
        errors.append(
            invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")
        )
    if _is_link_local_multicast(ip):
        errors.append(
            invalid(
                path,
                value,
                "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
            )
        )
    return errors


def _is_link_local_multicast(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv4Address):
        return ip in _LINK_LOCAL_MULTICAST_V4
    packed = ip.packed
    return packed[0] == 0xFF and packed[1] & 0x0F == 0x02


def _parse_cidr_sloppy(value: str) -> tuple[IPNetwork | None, bool]:
    """Parse as ``ParseCIDRSloppy``; the flag says whether ``netip.ParsePrefix`` also would."""
    address, slash, bits = value.partition("/")
    if not slash or not bits.isdigit():
        return None, False
    ip, strict_ok = _parse_sloppy(address)
    if ip is None or int(bits) > ip.max_prefixlen:
        return None, False
    if len(bits) > 1 and bits.startswith("0"):
        strict_ok = False
    network = ipaddress.ip_network(f"{ip}/{int(bits)}", strict=False)
    return network, strict_ok


def cidr_errors(path: str, value: str, canonical: bool = True) -> list[FieldError]:
    """``IsValidCIDR`` (``canonical``) or strict ``IsValidCIDRForLegacyField``."""
    network, strict_ok = _parse_cidr_sloppy(value)
    if network is None:
        return [invalid(path, value, INVALID_CIDR_MSG)]
    address = ipaddress.ip_address(value.partition("/")[0]) if strict_ok else None
    if not strict_ok:
        return [invalid(path, value, "must not have leading 0s in IP or prefix length")]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return [invalid(path, value, "must not have an IPv4-mapped IPv6 address")]
    if address != network.network_address:
        return [invalid(path, value, "must not have bits set beyond the prefix length")]
    if canonical and value != network.with_prefixlen:
        return [invalid(path, value, f'must be in canonical form ("{network.with_prefixlen}")')]
    return []


def parse_cidr(value: str) -> IPNetwork | None:
    network, _ = _parse_cidr_sloppy(value)
    return network


def ip_family(ip: IPAddress) -> str:
    return "IPv4" if isinstance(ip, ipaddress.IPv4Address) else "IPv6"
