import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

# An address as /docs and clients see it (format "email"); accounts.services checks it with
# Django's validator, which accepts every address of that format.
EmailAddress = Annotated[str, Field(max_length=254, json_schema_extra={"format": "email"})]


def _nfkc(value: object) -> object:
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


# The characters of Django's UnicodeUsernameValidator, with Python's Unicode \w. Not a
# JSON Schema "pattern": JSON Schema reads \w as ASCII (ECMA-262), and /docs would refuse
# the names of every other script that the server accepts.
_USERNAME = re.compile(r"[\w.@+-]+")
USERNAME_RULE = "letters and digits of any script, and @ . + - _ (no spaces)"


def _username_characters(value: str) -> str:
    if not _USERNAME.fullmatch(value):
        raise PydanticCustomError("string_pattern_mismatch", f"Use only {USERNAME_RULE}.")
    return value


# Checked as it is stored, after NFKC (User.normalize_username): NFKC makes the ligature
# "\ufb04" three letters and "\ufdfa" a phrase with spaces, so a name checked before it could
# be 180 characters long (a 500 on PostgreSQL) or contain spaces.
Username = Annotated[
    str,
    Field(
        min_length=1,
        max_length=150,
        description=f"1 to 150 characters after NFKC normalisation: {USERNAME_RULE}.",
    ),
    AfterValidator(_username_characters),
    BeforeValidator(_nfkc),  # the last annotation runs first
]


class RegisterIn(Schema):
    # The example fills Swagger UI's "Try it out" and schemathesis' examples phase.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"username": "alice", "password": "correct-horse-battery", "email": "a@example.com"}
            ]
        },
    )

    username: Username
    password: str = Field(min_length=1, max_length=4096)
    email: str | None = Field(default=None, max_length=254)


Password = Annotated[str, Field(min_length=1, max_length=4096)]


class EmailChangeIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "alice@example.org", "password": "correct-horse-battery"}]
        },
    )

    email: EmailAddress | Literal[""] = Field(
        description="The new address (it is used once confirmed); an empty string removes it."
    )
    password: Password = Field(description="Your current password.")


class EmailConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(
        min_length=1, max_length=1024, description="The last part of the mailed link."
    )


class PasswordChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    old_password: Password
    new_password: Password


class PasswordResetIn(Schema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "alice@example.com"}]}
    )

    email: EmailAddress = Field(min_length=1)


class PasswordResetConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid")

    uid: str = Field(
        min_length=1, max_length=64, description="The link's part after /password-reset/."
    )
    token: str = Field(min_length=1, max_length=128, description="The link's last part.")
    new_password: Password


class AccountDeleteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    password: Password = Field(description="Your current password.")


class AcceptedOut(Schema):
    detail: str


class UserOut(Schema):
    id: int
    username: str


class ProfileOut(Schema):
    id: int
    username: str
    email: str
    email_confirmed: bool = Field(
        description="Whether `email` is confirmed: only a confirmed address gets winner "
        "emails and password reset links."
    )
    date_joined: datetime

    @staticmethod
    def resolve_email_confirmed(user: Any) -> bool:
        return bool(user.email_for_mail)


class TokenPairIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"username": "alice", "password": "correct-horse-battery"}]
        },
    )

    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)


class TokenPairOut(Schema):
    username: str
    access: str
    refresh: str


class RefreshIn(Schema):
    model_config = ConfigDict(extra="forbid")

    refresh: str = Field(min_length=1)


class AccessOut(Schema):
    access: str


class VerifyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1)
