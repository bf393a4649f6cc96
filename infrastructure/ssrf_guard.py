"""Outbound URL guard: refuse targets inside our network unless explicitly allowed.

The host is resolved and EVERY address it resolves to must be public: a name with one public
and one private record is refused. IPv4-mapped and 6to4/NAT64-style IPv6 forms are unwrapped
first so ``::ffff:127.0.0.1`` counts as loopback. Senders re-check at connection time
(``check_url``) because DNS answers can change after the endpoint was registered.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from domain.errors import RuleBroken

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

BAD_SCHEME = "Webhook URL must use https:// (or http:// for local testing)."
NO_HOST = "Webhook URL has no valid hostname."
PRIVATE = "Webhook URL must not point to a private or internal address."


class UnsafeTarget(RuleBroken):
    """The URL's host is (or resolves to) a private, loopback, link-local or reserved address."""

    code = "UNSAFE_URL"


def _unwrap(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def is_public(address: IPAddress) -> bool:
    address = _unwrap(address)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
        or not address.is_global
    )


_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RuleBroken(f"Could not resolve hostname: {host}", code="UNRESOLVABLE_HOST") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_url(url: str, allow_private: bool, unresolved_ok: bool = False) -> str:
    """Return the normalised URL, or raise ``RuleBroken``/``UnsafeTarget`` with LearnHouse's texts.

    ``unresolved_ok``: a host name that does not resolve now is accepted (it cannot be shown
    private; the sender checks every address it connects to). LearnHouse refuses one."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RuleBroken(BAD_SCHEME, code="BAD_URL")
    host = parts.hostname
    if not host:
        raise RuleBroken(NO_HOST, code="BAD_URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RuleBroken(NO_HOST, code="BAD_URL") from None
    if allow_private:
        return url
    try:
        addresses = resolve(host, port)
    except RuleBroken:
        if unresolved_ok:
            return url
        raise
    if not addresses or not all(is_public(a) for a in addresses):
        raise UnsafeTarget(PRIVATE)
    return url
