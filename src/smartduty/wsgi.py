"""WSGI entry point (gunicorn smartduty.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartduty.settings")
application = get_wsgi_application()
