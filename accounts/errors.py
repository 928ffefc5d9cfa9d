from common.errors import ApplicationError, PermissionDenied


class LinkInvalid(ApplicationError):
    """A mailed link (password reset, email confirmation) that is forged, expired or used."""


class PasswordIncorrect(PermissionDenied):
    """The current password, asked again before a change that would hand over the account.

    Not NotAuthenticated: the caller is signed in, and that error tells a client to sign in
    again.
    """
