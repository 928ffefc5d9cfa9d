import unicodedata

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from ninja_jwt.exceptions import TokenError
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken, UntypedToken

from accounts.auth import token_decode, token_user_id
from accounts.errors import LinkInvalid, PasswordIncorrect
from accounts.mail import account_mail
from accounts.models import User, username_key
from accounts.tasks import account_mail_send
from common.errors import (
    DEPENDENCY_RETRY_AFTER_SECONDS,
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    NotAuthenticated,
)
from common.ratelimit import rate_limit_charge

USERNAME_TAKEN = "A user with that username already exists."
BAD_CREDENTIALS = "No active account found with the given credentials."
BAD_TOKEN = "Token is invalid or expired."  # noqa: S105 - a message, not a secret


def user_register(*, username: str, password: str, email: str | None = None) -> User:
    """Create an account. An address given is stored unconfirmed and mailed its link.

    The mail leaves once the account is committed; a mail server that fails does not undo
    the account (the account page sends the link again).
    """
    user = _user_create(username=username, password=password, email=email)
    if user.email:
        email_confirmation_send(user=user, email=user.email)
    return user


@transaction.atomic
def _user_create(*, username: str, password: str, email: str | None) -> User:
    # NFKC: a full-width "a" in "alice" is "alice", not a look-alike second account.
    username = User.normalize_username(username)
    email = _email_clean(email or "")
    candidate = User(username=username, email=email, email_confirmed=False)
    _password_validate(password, user=candidate, field="password")
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
            raise InvalidInput("Enter a valid email address.", field="email")
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


def login_name_key(username: str) -> str:
    """The account a login attempt is at, whichever path it came by.

    The pages' and the admin's login forms strip surrounding whitespace (Django's
    UsernameField) before looking the name up by its username_key; counting the unstripped
    name gave " alice " and "alice\t" budgets of their own (34 more guesses a minute). No
    account's name has surrounding whitespace, so stripping costs the API's logins nothing.
    """
    return username_key(username.strip())


def login_attempt_charge(*, username: str) -> None:
    """Count a password attempt on an account; the API's, the pages' and the admin's logins
    share it.

    Beside the per-address limit: an attacker with many addresses still gets only
    AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE guesses a minute at any one account, however the
    name is spelled.
    """
    rate_limit_charge(
        scope="login-account",
        key=login_name_key(username),
        limit=settings.AUTH_ACCOUNT_RATE_LIMIT_PER_MINUTE,
    )


def token_pair_issue(*, user: AbstractBaseUser | None) -> dict[str, str]:
    """A JWT pair for the account that authenticate() found for a username and a password.

    The caller charges login_attempt_charge first and calls authenticate(), which hashes the
    password even for an unknown user: None (an unknown user or a wrong password, the two
    alike) and an inactive account are refused as BAD_CREDENTIALS.
    """
    if user is None or not user.is_active:
        raise NotAuthenticated(BAD_CREDENTIALS)
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
        raise NotAuthenticated(BAD_TOKEN) from exc
    user_id = token_user_id(token.payload)
    if user_id is None or not User.objects.filter(pk=user_id, is_active=True).exists():
        raise NotAuthenticated(BAD_CREDENTIALS)
    return {"access": str(token.access_token)}


def token_verify(*, token: str) -> None:
    try:
        verified = token_decode(UntypedToken, token)
    except TokenError as exc:
        raise NotAuthenticated(BAD_TOKEN) from exc
    # A refresh token that was logged out (blacklisted) is no longer valid either.
    if BlacklistedToken.objects.filter(token__jti=verified.get("jti")).exists():
        raise NotAuthenticated(BAD_TOKEN)


def token_blacklist(*, refresh: str) -> None:
    try:
        token_decode(RefreshToken, refresh).blacklist()
    except TokenError as exc:
        raise NotAuthenticated(BAD_TOKEN) from exc


# --- The account's life: its address, its password, its end -------------------------------

# Reset mails a minute to one address, whoever asks and from wherever: with the per-client
# limit (AUTH_RATE_LIMIT_PER_MINUTE) this keeps "forgot my password" from filling a mailbox.
PASSWORD_RESET_MAILS_PER_MINUTE = 3
LINK_INVALID = "This link is invalid, has expired or was already used: ask for a new one."
PASSWORD_INCORRECT = "The password is not correct."  # noqa: S105 - a message
MAIL_UNAVAILABLE = "The mail server is unavailable; try again shortly."
_EMAIL_CONFIRM_SALT = "accounts.services.email_confirm"
_MAX_USER_ID = 2**63 - 1  # the largest BigAutoField


def _password_validate(password: str, *, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field=field) from exc


def _password_check(*, user: User, password: str, field: str = "password") -> None:
    """The current password, asked again before what a stolen access token must not do.

    Counted as a login attempt on the account, so these endpoints are no way around the
    limit on password guesses.
    """
    login_attempt_charge(username=user.get_username())
    if not user.check_password(password):
        raise PasswordIncorrect(PASSWORD_INCORRECT, field=field)


def _link_hours() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 3600


def _refresh_tokens_end(user: User) -> None:
    """Blacklist every unexpired refresh token of ``user``: every client signs in again.

    ninja_jwt records each refresh token it issues (OutstandingToken); access tokens cannot
    be revoked and run out within JWT_ACCESS_MINUTES.
    """
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@transaction.atomic
def _password_set(*, user: User, password: str) -> None:
    # Every session of the user ends with it: Django's session hash is made from the
    # password's (the page that changed it keeps its own: update_session_auth_hash).
    user.set_password(password)
    user.save(update_fields=["password"])
    _refresh_tokens_end(user)


# Email addresses. A link carries the address it confirms, signed; the address is stored only
# once the link is opened, so until then winner emails and reset links keep going to the
# confirmed one. The link is bound to the account's state (address, confirmed, password):
# it works once, and a password reset ends every link sent before it.


def _email_state(user: User) -> str:
    state = f"{user.pk}|{user.email}|{user.email_confirmed}|{user.password}"
    return salted_hmac(_EMAIL_CONFIRM_SALT, state).hexdigest()[:32]


def email_confirmation_send(*, user: User, email: str) -> bool:
    """Mail ``email`` a link that makes it the account's confirmed address; False if the
    mail server did not take it."""
    claims = {"u": user.pk, "e": email, "s": _email_state(user)}
    token = signing.dumps(claims, salt=_EMAIL_CONFIRM_SALT)
    context = {
        "username": user.username,
        "email": email,
        "link": f"{settings.LOTTERY_PUBLIC_URL}/account/email/{token}",
        "hours": _link_hours(),
    }
    return account_mail(
        to=email, subject="Confirm your email address", template="email_confirm", context=context
    )


def email_confirmation_check(*, token: str, lock: bool = False) -> tuple[User, str]:
    """The account and the address a confirmation link names; LinkInvalid if it cannot be used."""
    try:
        claims = signing.loads(
            token, salt=_EMAIL_CONFIRM_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
    except signing.BadSignature as exc:  # SignatureExpired included
        raise LinkInvalid(LINK_INVALID) from exc
    users = User.objects.select_for_update() if lock else User.objects.all()
    user = users.filter(pk=claims["u"], is_active=True).first()
    if user is None or not constant_time_compare(claims["s"], _email_state(user)):
        raise LinkInvalid(LINK_INVALID)
    return user, str(claims["e"])


@transaction.atomic
def email_confirm(*, token: str) -> User:
    # Checked with the row locked: of two uses of one link at once, the second finds the
    # account's state changed by the first.
    user, email = email_confirmation_check(token=token, lock=True)
    user.email, user.email_confirmed = email, True
    user.save(update_fields=["email", "email_confirmed"])
    return user


def user_email_change(*, user: User, email: str, password: str) -> bool:
    """Ask to make ``email`` the account's address; ``""`` removes it at once.

    True when a link went to the new address (it becomes the address when opened); False
    when nothing waits: removed, or already the confirmed address.
    """
    email = _email_clean(email)
    _password_check(user=user, password=password)
    if not email:
        user.email, user.email_confirmed = "", False
        user.save(update_fields=["email", "email_confirmed"])
        return False
    if email == user.email and user.email_confirmed:
        return False
    if not email_confirmation_send(user=user, email=email):
        raise DependencyUnavailable(MAIL_UNAVAILABLE, retry_after=DEPENDENCY_RETRY_AFTER_SECONDS)
    return True


# Passwords.


def user_password_change(*, user: User, old_password: str, new_password: str) -> None:
    _password_check(user=user, password=old_password, field="old_password")
    _password_validate(new_password, user=user, field="new_password")
    _password_set(user=user, password=new_password)


def password_reset_request(*, email: str) -> None:
    """Mail a reset link to each active account whose confirmed address is ``email``.

    The answer says nothing of whether there is one: the same return, the same limits, and a
    mail server that fails is logged, not reported (as Django's PasswordResetForm does).
    Django's token generator makes the link: it expires after PASSWORD_RESET_TIMEOUT and
    works once, since it is made from the password's hash and the last login.
    """
    email = _email_clean(email)
    if not email:
        raise InvalidInput("Enter your email address.", field="email")
    rate_limit_charge(
        scope="password-reset-email", key=email.casefold(), limit=PASSWORD_RESET_MAILS_PER_MINUTE
    )
    # Several accounts may share an address: each gets its own link, naming it.
    for user in User.objects.filter(email__iexact=email, email_confirmed=True, is_active=True):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        context = {
            "username": user.username,
            "link": f"{settings.LOTTERY_PUBLIC_URL}/password-reset/{uid}/{token}",
            "hours": _link_hours(),
        }
        # Sent by the worker (a failure is logged there): the answer takes the same time
        # whether or not an account has the address. Nothing here waits for a commit.
        account_mail_send.delay(
            to=user.email, subject="Reset your password", template="password_reset", context=context
        )


def _user_from_uid(uid: str) -> User | None:
    try:
        raw = urlsafe_base64_decode(uid).decode()
    except ValueError:  # not base64, or not UTF-8 (UnicodeDecodeError)
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= _MAX_USER_ID:
        return None
    return User.objects.filter(pk=int(raw), is_active=True).first()


def password_reset_check(*, uid: str, token: str) -> User:
    """The account a reset link is for; LinkInvalid if it is forged, expired or used."""
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise LinkInvalid(LINK_INVALID)
    return user


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link; every session and refresh token of the account
    ends with the old one."""
    user = password_reset_check(uid=uid, token=token)
    _password_validate(new_password, user=user, field="new_password")
    with transaction.atomic():
        # Locked, then checked again: of two uses of one link at once, the second finds the
        # password changed, and with it the token refused.
        user = User.objects.select_for_update().get(pk=user.pk)
        if not default_token_generator.check_token(user, token):
            raise LinkInvalid(LINK_INVALID)
        _password_set(user=user, password=new_password)
    return user


def user_delete(*, user: User, password: str) -> None:
    """Delete the account. Its ballots stay in their days' draws, unlinked (Ballot.user is
    SET_NULL); its idempotency keys go (CASCADE); its refresh tokens are blacklisted."""
    _password_check(user=user, password=password)
    with transaction.atomic():
        # Locked first: a ballot submitted meanwhile waits at its foreign-key check, then
        # fails cleanly (ballots.services: USER_GONE); unlocked, it could commit between
        # the unlinking and the delete, and the delete would fail at its commit.
        locked = User.objects.select_for_update().get(pk=user.pk)
        _refresh_tokens_end(locked)
        locked.delete()
