import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lottery_app.settings")

app = Celery("lottery_app")
# Every CELERY_* setting in lottery_app.settings configures this app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
