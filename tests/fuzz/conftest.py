"""Property-based fuzzing of what reaches the broker from outside: EnSQL text, every RPC's
request bytes, the auth endpoint's HTTP and JSON.

Bounded for CI (``FUZZ`` below: a few hundred examples per test, about a minute in all). The
longer run is the same tests with more examples::

    ENSIGN_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/fuzz -q

(its last result is in the README).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("ENSIGN_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(ci_examples: int) -> settings:
    """Settings for one fuzz test: ``ci_examples`` in CI, ``$ENSIGN_FUZZ_EXAMPLES`` if set."""
    return settings(
        max_examples=EXAMPLES or ci_examples,
        deadline=None,
        # the suite's examples are the same each run, the longer run's new (tests/conftest.py);
        # a failure prints its reproducing example
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
