"""The Celery app. Workers: ``celery -A aijesus worker -Q default,gpu``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aijesus.settings")

app = Celery("aijesus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
