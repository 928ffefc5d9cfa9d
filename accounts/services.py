import unicodedata

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja_jwt.exceptions import TokenError
from ninja_jwt.token_blacklist.models import BlacklistedToken
from ninja_jwt.tokens import RefreshToken, UntypedToken

from accounts.auth import token_decode, token_user_id
from accounts.models import User, username_key
from lottery_app.errors import Conflict, InvalidInput, Unauthorized
from lottery_app.ratelimit import rate_limit_charge

USERNAME_TAKEN = "A user with that username already exists."
BAD_CREDENTIALS = "No active account found with the given credentials."
BAD_TOKEN = "Token is invalid or expired."  # noqa: S105 - a message, not a secret


@transaction.atomic
def user_register(*, username: str, password: str, email: str | None = None) -> User:
    # NFKC: a full-width "a" in "alice" is "alice", not a look-alike second account.
    username = User.normalize_username(username)
    email = _email_clean(email or "")
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    if User.objects.filter(username_key=username_key(username)).exists():
        raise Conflict(USERNAME_TAKEN, field="username")
    candidate.set_password(password)
    try:
        # The check above gives the common case a clear answer; the unique canonical key
        # settles two registrations of one name racing each other.
        with transaction.atomic():
            candidate.save()
    except IntegrityError as exc:
        raise Conflict(USERNAME_TAKEN, field="username") from exc
    return candidate


@transaction.atomic
def user_email_set(*, user: User, email: str) -> User:
    """Set the address winner notifications go to; an empty one removes it."""
    user.email = _email_clean(email)
    user.save(update_fields=["email"])
    return user


# Names that resolve to the relay's own network, never to a participant's mailbox
# (RFC 6761's localhost, mDNS's .local, ICANN's .internal, RFC 8375's home.arpa).
_INTERNAL_DOMAINS = ("localhost", "local", "localdomain", "internal", "home.arpa")
# Control and format characters, line and paragraph separators: Python's email package reads
# \x0b, \x0c, \x1c.. \x1e, \x85 and \u2028 as line breaks, so one in an address becomes a
# line break in the mail's headers (a header injection, or a mail that cannot be built).
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_MAX_LOCAL_PART = 64  # octets, RFC 5321 4.5.3.1.1


def _email_clean(email: str) -> str:
    if email and not email.strip():
        # Only "" removes the address: blanks or a stray control character are a mistake.
        raise InvalidInput("Enter a valid email address.", field="email")
    email = email.strip()
    if email:
        if not email_deliverable(email):
            raise InvalidInput("Enter a valid email address.")
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput("Enter a valid email address.", field="email") from exc
    return User.objects.normalize_email(email)


def email_deliverable(email: str) -> bool:
    """False for what Django's validator accepts but no mail should go to.

    Control characters (in a quoted local part), IP literals (``a@[127.0.0.1]``: the relay
    would deliver to a host of our choosing), internal host names and local parts longer
    than SMTP allows.
    """
    if any(unicodedata.category(char) in _UNPRINTABLE for char in email):
        return False
    local, _, domain = email.rpartition("@")
    domain = domain.lower().rstrip(".")
    if domain.startswith("[") or len(local.encode()) > _MAX_LOCAL_PART:
        return False
    return not any(domain == name or domain.endswith("." + name) for name in _INTERNAL_DOMAINS)


def user_create_unvalidated(
    *, username: str, password: str, email: str | None = None
) -> tuple[User, bool]:
    """Create or reset a user without the password validators.

    Only for accounts whose password is published on purpose: the seed's test user and the
    demo users (both refuse or are documented as development-only).
    """
    user = User.objects.filter(username_key=username_key(username)).first()
    user = user or User(username=username)
    created = user.pk is None
    user.set_password(password)
    user.is_active = True
    if email is not None:
        user.email = email
    user.save()
    return user, created


def login_attempt_charge(*, username: str) -> None:
    """Count a password attempt on an account; /token/pair and admin login share the count.

    Beside the per-address limit: an attacker with many addresses still gets only
    AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE guesses a minute at any one account.
    """
    rate_limit_charge(
        scope="login-account",
        key=username_key(username),
        limit=settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE,
    )


def token_pair_obtain(*, request: HttpRequest, username: str, password: str) -> dict[str, str]:
    login_attempt_charge(username=username)
    # authenticate() hashes the password even for an unknown user, so both failures look
    # (and take) the same.
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise Unauthorized(BAD_CREDENTIALS)
    refresh = RefreshToken.for_user(user)  # type: ignore[misc]  # the library mistypes it
    return {
        "username": user.get_username(),
        "access": str(refresh.access_token),
        "refresh": str(refresh),
    }


def token_refresh(*, refresh: str) -> dict[str, str]:
    try:
        # Verifies signature, expiry and the blacklist.
        token = token_decode(RefreshToken, refresh)
    except TokenError as exc:
        raise Unauthorized(BAD_TOKEN) from exc
    user_id = token_user_id(token.payload)
    if user_id is None or not User.objects.filter(pk=user_id, is_active=True).exists():
        raise Unauthorized(BAD_CREDENTIALS)
    return {"access": str(token.access_token)}


def token_verify(*, token: str) -> None:
    try:
        verified = token_decode(UntypedToken, token)
    except TokenError as exc:
        raise Unauthorized(BAD_TOKEN) from exc
    # A refresh token that was logged out (blacklisted) is no longer valid either.
    if BlacklistedToken.objects.filter(token__jti=verified.get("jti")).exists():
        raise Unauthorized(BAD_TOKEN)


def token_blacklist(*, refresh: str) -> None:
    try:
        token_decode(RefreshToken, refresh).blacklist()
    except TokenError as exc:
        raise Unauthorized(BAD_TOKEN) from exc
