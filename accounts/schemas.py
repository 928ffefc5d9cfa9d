import re
import unicodedata
from datetime import datetime
from typing import Annotated, Literal

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


class ProfileIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress | Literal[""] = Field(
        description="Where winner notifications go; an empty string removes it."
    )


class UserOut(Schema):
    id: int
    username: str


class ProfileOut(Schema):
    id: int
    username: str
    email: str
    date_joined: datetime


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
