import os
from pathlib import Path
from typing import Any

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lottery")
# Every CELERY_* setting in config.settings configures this app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class Heartbeat(bootsteps.StartStopStep):
    """Touch LOTTERY_WORKER_HEARTBEAT_FILE every few seconds while the worker consumes.

    A step of the consumer: Celery stops it when the broker connection is lost and starts it
    again once reconnected, and the timer runs in the worker's event loop, so a stale file
    means "not consuming". The container healthcheck reads the file's age instead of starting
    a whole Django + Celery process to ping the worker through the broker.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)
    interval_seconds = 10.0

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        from django.conf import settings  # the app module is imported before Django is set up

        self.path = Path(settings.LOTTERY_WORKER_HEARTBEAT_FILE or os.devnull)
        self.enabled = bool(settings.LOTTERY_WORKER_HEARTBEAT_FILE)
        self.timer_entry: Any = None
        super().__init__(parent, **kwargs)

    def start(self, parent: Any) -> None:
        if not self.enabled:
            return
        self.touch()
        self.timer_entry = parent.timer.call_repeatedly(self.interval_seconds, self.touch)

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    shutdown = stop

    def touch(self) -> None:
        self.path.touch()


app.steps["consumer"].add(Heartbeat)
