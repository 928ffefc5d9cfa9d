from django.contrib.auth.views import LogoutView
from django.urls import path

from pages import account_views, views
from pages.views import page_headers

app_name = "pages"

# Each path but the verifier's download is "/" or starts with one of
# common.middleware.PAGE_PREFIXES (the paths that get a session); none is an API path,
# so the API's answers stay JSON.
urlpatterns = [
    path("", page_headers(views.home), name="home"),
    path("results", page_headers(views.results), name="results"),
    path("results/<str:lottery_date>", page_headers(views.result), name="result"),
    path("how-it-works", page_headers(views.how_it_works), name="how_it_works"),
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
    path("account", page_headers(account_views.account), name="account"),
    path("account/email", page_headers(account_views.account_email), name="account_email"),
    path(
        "account/email/<str:token>",
        page_headers(account_views.account_email_confirm),
        name="account_email_confirm",
    ),
    path("account/password", page_headers(account_views.account_password), name="account_password"),
    path("account/delete", page_headers(account_views.account_delete), name="account_delete"),
    path("password-reset", page_headers(account_views.password_reset), name="password_reset"),
    path(
        "password-reset/<str:uidb64>/<str:token>",
        page_headers(account_views.password_reset_set),
        name="password_reset_set",
    ),
    # A file to download, not a page: no session, no user (not under PAGE_PREFIXES).
    path("verifier.html", views.verifier_download, name="verifier"),
]
