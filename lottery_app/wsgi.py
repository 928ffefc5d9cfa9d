import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lottery_app.settings")

django_application = get_wsgi_application()

from lottery_app.wsgi_edge import environment_kept_out  # noqa: E402 - needs settings

application = environment_kept_out(django_application)
