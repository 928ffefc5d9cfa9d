from django.contrib.auth.views import LogoutView
from django.urls import path

from pages import views
from pages.views import page_headers

app_name = "pages"

# Each path but the verifier's download is "/" or starts with one of
# lottery_app.middleware.PAGE_PREFIXES (the paths that get a session); none is an API path,
# so the API's answers stay JSON.
urlpatterns = [
    path("", page_headers(views.home), name="home"),
    path("results", page_headers(views.results), name="results"),
    path("results/<str:lottery_date>", page_headers(views.result), name="result"),
    path("register", page_headers(views.register), name="register"),
    path("login", page_headers(views.PageLoginView.as_view()), name="login"),
    path("logout", page_headers(LogoutView.as_view()), name="logout"),
    path("play", page_headers(views.play), name="play"),
    path("my/ballots", page_headers(views.my_ballots), name="my_ballots"),
    path("my/ballots/<uuid:ballot_id>", page_headers(views.ballot), name="ballot"),
    path(
        "my/ballots/<uuid:ballot_id>/receipt",
        page_headers(views.ballot_receipt),
        name="ballot_receipt",
    ),
    # A file to download, not a page: no session, no user (not under PAGE_PREFIXES).
    path("verifier.html", views.verifier_download, name="verifier"),
]
