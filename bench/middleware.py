"""What the request-id and metrics middleware, and the WSGI edge, add to each request
(`make bench-middleware`).

Times the two middlewares around a stub view that does nothing, against the stub alone, on
a POST /ballots request: the difference is their cost per request, free of the database and
the network (which the end-to-end `make bench-api` figures drown it in on a shared machine).
"""

import functools
import os
import timeit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from common.logs import RequestIdMiddleware  # noqa: E402
from common.metrics import RequestMetricsMiddleware  # noqa: E402
from config.wsgi_edge import environment_kept_out  # noqa: E402

MATCH = resolve("/ballots")
RESPONSE = HttpResponse(status=201)


def view(request: HttpRequest) -> HttpResponse:
    request.resolver_match = MATCH
    return RESPONSE


def main() -> None:
    factory = RequestFactory()
    bare = view
    wrapped = RequestIdMiddleware(RequestMetricsMiddleware(view))
    n = 50_000
    for given_id in (False, True):
        request = factory.post("/ballots")
        if given_id:
            request.META["HTTP_X_REQUEST_ID"] = "edge-1234"
        base = min(timeit.repeat(functools.partial(bare, request), number=n, repeat=5)) / n
        full = min(timeit.repeat(functools.partial(wrapped, request), number=n, repeat=5)) / n
        label = "X-Request-ID given " if given_id else "X-Request-ID made  "
        print(f"{label}: +{(full - base) * 1e6:.1f} us per request (stub view {base * 1e6:.2f} us)")
    # The WSGI edge: Granian copies the process environment into every request's environ.
    edge = environment_kept_out(lambda environ, start_response: [b""])
    request_environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/docs"}

    def served(app: object) -> None:
        environ = {**os.environ, **request_environ}
        if app is not None:
            edge(environ, lambda *args: None)

    base = min(timeit.repeat(functools.partial(served, None), number=n, repeat=5)) / n
    full = min(timeit.repeat(functools.partial(served, edge), number=n, repeat=5)) / n
    print(f"WSGI edge ({len(os.environ)} variables): +{(full - base) * 1e6:.1f} us per request")


if __name__ == "__main__":
    main()
