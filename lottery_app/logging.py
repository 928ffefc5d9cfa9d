import logging


class NoTracebackFormatter(logging.Formatter):
    """One line per record: for refusals whose traceback says nothing (a bad Host header)."""

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers (and their cached exc_text) still see the traceback.
        bare = logging.makeLogRecord(
            {**record.__dict__, "exc_info": None, "exc_text": None, "stack_info": None}
        )
        return super().format(bare)
