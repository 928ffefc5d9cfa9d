import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_wsgi_application()

from config.wsgi_edge import environment_kept_out  # noqa: E402 - needs settings

application = environment_kept_out(django_application)
