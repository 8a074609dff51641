"""Staff sign-in and sign-out forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from intake.forms.fields import known_skills, options
from intake.queueing.skills import CODES_IN_WORDS
from intake.services.staff.auth import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

SKILLS_HINT = (
    "The languages they take calls in, and va if they know VA benefits, by code, separated "
    f"by commas (e.g. es, va). Codes: {CODES_IN_WORDS}. English needs none."
)


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    """Email and password; which of the two was wrong is never said."""

    email = StringField(
        "Email",
        filters=[_strip],
        validators=[InputRequired("Enter your email address."), Length(max=254)],
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=MAX_PASSWORD_LENGTH)],
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST so another site cannot do it for you."""


class SecondFactorForm(FlaskForm):
    """The six-digit code from the authenticator app, or one recovery code."""

    code = StringField(
        "Code",
        filters=[_strip],
        validators=[InputRequired("Enter the code from your authenticator app."), Length(max=32)],
    )


class NewStaffForm(FlaskForm):
    """A new staff account: who, which role, their skills; the worker emails them a link with
    which they choose their own password (no admin sees it)."""

    email = StringField(
        "Work email",
        filters=[_strip],
        validators=[InputRequired("Enter their work email address."), Length(max=254)],
    )
    name = StringField("Full name", filters=[_strip], validators=[Length(max=120)])
    role = RadioField(
        "Role",
        choices=options(
            [
                ("advocate", "Patient advocate: works the callback queue"),
                ("admin", "Administrator: listings, staff, exports and the audit log"),
            ]
        ),
        validators=[InputRequired("Choose a role.")],
    )
    skills = StringField(
        "Skills",
        filters=[_strip],
        description=SKILLS_HINT,
        validators=[Length(max=100), known_skills],
    )


class SetPasswordForm(FlaskForm):
    """Choose a password, twice, through a one-time link."""

    password = PasswordField(
        "New password",
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a few unrelated words work well.",
        validators=[InputRequired("Choose a password."), Length(max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        "The same password again",
        validators=[
            InputRequired("Type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )
