"""Process-wide readiness: each broker-facing part registers a probe; `/readyz` pages read them.

A probe is a cheap synchronous check (no I/O): the RPC client is ready when its connection is open
and its direct reply-to consumer is in place; a service runtime when its connections are open. While
the broker is away, or a reply consumer is being restored after a reconnect, `broker_ready()` is
False. Worker health ports and the gateway's `/readyz` read it.
"""

from __future__ import annotations

from collections.abc import Callable

Probe = Callable[[], bool]
_probes: dict[str, Probe] = {}


def register(name: str, probe: Probe) -> None:
    _probes[name] = probe


def unregister(name: str) -> None:
    _probes.pop(name, None)


def report() -> dict[str, bool]:
    """Each registered part and whether it is ready now."""
    out: dict[str, bool] = {}
    for name, probe in list(_probes.items()):
        try:
            out[name] = bool(probe())
        except Exception:
            out[name] = False
    return out


def broker_ready() -> bool:
    """True when every registered broker-facing part of this process is ready (and at least one is)."""
    states = report()
    return bool(states) and all(states.values())
