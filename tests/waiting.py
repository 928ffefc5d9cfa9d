"""The one way a test waits for a real process or server: poll, with a deadline.

Only for what the test cannot be told about: a subprocess's database row, a log line another
process writes, a port that starts answering. Threads of the test's own signal with an Event,
a Condition or a Celery signal instead, and time inside the process is moved, not waited for.
"""

import time
from collections.abc import Callable

POLL_SECONDS = 0.05


def wait_for[T](
    predicate: Callable[[], T | None],
    timeout: float,
    what: str,
    *,
    details: Callable[[], str] | None = None,
    every: float = POLL_SECONDS,
) -> T:
    """Call ``predicate`` until it returns something true (not None, False, 0 or empty),
    and return that.

    Fails with "gave up after ``timeout`` s waiting for ``what``" (then ``details()``, say
    a log's tail) once the deadline passes. ``predicate`` may itself raise to end the wait
    at once, as when the process it waits for has exited.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            message = f"gave up after {timeout:g} s waiting for {what}"
            raise AssertionError(f"{message}\n{details()}" if details else message)
        time.sleep(every)
