"""Staff sign-in and sign-out forms."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from intake.services.auth import MAX_PASSWORD_LENGTH


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
