"""WSGI entry point: ``commentdesk.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commentdesk.settings")
application = get_wsgi_application()
