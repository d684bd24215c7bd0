"""When to try a broker again: the backoff both the embedded broker's restarts and the session's
reconnections follow, and which failures are worth trying again.

1 s, then doubling, at most 30 s: a broker that is back quickly is found quickly, and one that
stays away is asked twice a minute, not hammered.
"""

from __future__ import annotations

from workbench.client.errors import AuthError, ClientError, InvalidInput, PermissionError_

FIRST_DELAY_S = 1.0
LONGEST_DELAY_S = 30.0


def backoff_s(attempt: int) -> float:
    """Seconds to wait before try number ``attempt`` (1 s, doubling, at most 30 s)."""
    return min(LONGEST_DELAY_S, FIRST_DELAY_S * 2.0 ** max(0, attempt - 1))


def worth_retrying(failure: BaseException | None) -> bool:
    """True for a failure that may pass by itself (the broker unreachable, a timeout); False
    for one that needs a person (a refused key, a missing permission, a wrong setting)."""
    if not isinstance(failure, ClientError):
        return False
    return not isinstance(failure, AuthError | PermissionError_ | InvalidInput)
