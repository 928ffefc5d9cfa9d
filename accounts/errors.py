from common.errors import ApplicationError, PermissionDenied


class LinkInvalid(ApplicationError):
    """A mailed link (password reset, email confirmation) that is forged, expired or used."""


class PasswordIncorrect(PermissionDenied):
    """The current password, asked again before a change that would hand over the account.

    Not NotAuthenticated: the caller's token is fine (a 401 tells a client to sign in again).
    """
