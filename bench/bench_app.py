"""The app under benchmark: the real app plus a one-insert baseline endpoint.

The baseline does what every intake POST must do at minimum (one Flask-WTF
validation with CSRF, one INSERT, one COMMIT) so the full intake path can be
reported as a ratio against it, measured in the same process and run.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from intake import create_app
from intake.extensions import db
from intake.forms.callback import CallbackForm
from intake.forms.fields import PublicForm
from intake.models import OutboxMessage
from intake.views import policy

baseline = Blueprint("bench", __name__)


class BaselineForm(FlaskForm):
    """One validated field, like the smallest useful form.

    With the public forms' Meta (WTForms' message catalogue read once per
    language, not on every request): a cost the intake does not pay must not
    slow the baseline it is measured against.
    """

    first_name = StringField(validators=[InputRequired(), Length(max=80)])

    class Meta(PublicForm.Meta):
        pass


@baseline.post("/bench/baseline")
def one_insert() -> tuple[str, int]:
    """Validate, insert one row, commit."""
    form = BaselineForm()
    if not form.validate_on_submit():
        return "invalid", 400
    db.session.add(OutboxMessage(task_name="bench.noop", args=[]))
    db.session.commit()
    return "ok", 201


@baseline.post("/bench/form-baseline")
def form_and_one_insert() -> tuple[str, int]:
    """The real callback form's validation (every field), then one insert and commit.

    Against this, the intake's ratio is the cost of what "nothing lost"
    adds: dedupe, case, consent ledger, outbox, encryption.
    """
    form = CallbackForm()
    if not form.validate_on_submit():
        return "invalid", 400
    db.session.add(OutboxMessage(task_name="bench.noop", args=[]))
    db.session.commit()
    return "ok", 201


def create_bench_app() -> Flask:
    """Factory for gunicorn: ``gunicorn 'bench.bench_app:create_bench_app()'``.

    The access policy refuses any endpoint its table does not name, so the
    baseline names its own POSTs there (public, as the callback form they are
    measured against): the product's table never learns about bench routes.
    """
    app = create_app({"RATELIMIT_ENABLED": False})
    app.register_blueprint(baseline)
    policy.POLICIES.update(
        {f"{baseline.name}.{view.__name__}": policy.PUBLIC
         for view in (one_insert, form_and_one_insert)}
    )  # fmt: skip
    return app
