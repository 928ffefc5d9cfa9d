from common.errors import ApplicationError


class LinkInvalid(ApplicationError):
    """A mailed link (password reset, email confirmation) that is forged, expired or used."""

    status_code = 400


class PasswordIncorrect(ApplicationError):
    """The current password, asked again before a change that would hand over the account.

    403, not 401: the caller's token is fine (a 401 tells a client to sign in again).
    """

    status_code = 403
