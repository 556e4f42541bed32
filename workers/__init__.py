"""Celery glue for tracker: app, beat schedule, thin tasks, `tracker run`."""
