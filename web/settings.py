"""Settings (admins only): users, API keys, webhooks, keywords, reply templates, and the
business hours, auto-reply and compliance rules.

The configuration file gives those rules their defaults; an admin may override them
here (gateway.setting_overrides keeps who changed what and when, and checks values
with the config file's own converters). The page shows which values are overridden
and can hand each back to the config file. The send gate and the inbound pipeline
apply a change from the next message on (other nodes within seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from gateway import apikeys, inbox, keyword_settings, reply_templates, setting_overrides, users
from gateway.config import Config
from gateway.errors import NotFound, ValidationError
from gateway.models import Role, User, utcnow
from gateway.webhooks import endpoints
from web import rule_forms
from web.db import get_session

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.before_request
def admins_only() -> None:
    if not g.user.is_admin:
        abort(403)


def _config() -> Config:
    config: Config = current_app.extensions["cellgate.config"]
    return config


def _page(errors: Mapping[str, str] | None = None, typed: tuple[str, ...] = ()) -> str:
    """The settings page; ``typed`` keys show what was just submitted (with ``errors``)."""
    db = get_session()
    config = _config()
    overrides = setting_overrides.load(db)
    in_force = setting_overrides.effective(config, overrides.values())
    shown = {
        key: rule_forms.shown(key, setting_overrides.config_value(in_force, key))
        for key in setting_overrides.EDITABLE
    }
    shown.update({key: rule_forms.typed(key, request.form) for key in typed})
    return render_template(
        "settings/index.html",
        config=config,
        users=inbox.staff(db),
        keys=apikeys.list_keys(db),
        scopes=list(apikeys.Scope),
        hooks=endpoints.list_endpoints(db),
        rules=keyword_settings.active_rules(db),
        templates=reply_templates.all_templates(db),
        merge_fields=reply_templates.MERGE_FIELDS,
        shown=shown,
        overrides=overrides,
        file_values={
            key: rule_forms.summary(key, setting_overrides.config_value(config, key))
            for key in setting_overrides.EDITABLE
        },
        errors=errors or {},
        labels=rule_forms.LABELS,
        groups=rule_forms.GROUPS,
        day_names=rule_forms.DAY_NAMES,
    )


@bp.get("/")
def index() -> str:
    return _page()


@bp.post("/rules/<group>")
def save_rules(group: str) -> Response | tuple[str, int]:
    """Save one form's rules, all or none; a refusal shows the form again with each error."""
    keys = rule_forms.GROUPS.get(group)
    if keys is None:
        abort(404)
    db = get_session()
    try:
        changed = setting_overrides.save(
            db,
            _config(),
            {key: rule_forms.value(key, request.form) for key in keys},
            user_id=g.user.id,
            now=utcnow(),
        )
    except setting_overrides.SettingsRefused as exc:
        db.rollback()
        return _page(exc.errors, keys), 422
    title, count = rule_forms.GROUP_TITLES[group], len(changed)
    flash(
        f"{title} saved: {count} setting{'' if count == 1 else 's'} changed."
        if changed
        else f"{title}: nothing changed.",
        "info",
    )
    return redirect(url_for("settings.index"))


@bp.post("/rules/reset")
def reset_rule() -> Response:
    key = request.form.get("key", "")
    label = rule_forms.LABELS.get(key, key)

    def reset() -> str:
        if setting_overrides.reset(get_session(), key, user_id=g.user.id, now=utcnow()):
            return f"{label}: back to the config file's value."
        return f"{label} already follows the config file."

    return _act(reset)


def _act(action: Callable[[], str]) -> Response:
    """Run ``action``; commit and report its message, or roll back and report the error."""
    db = get_session()
    try:
        message = action()
        db.commit()
        flash(message, "info")
    except (ValidationError, NotFound) as exc:
        db.rollback()
        flash(str(exc), "error")
    return redirect(url_for("settings.index"))


@bp.post("/users")
def add_user() -> Response:
    form = request.form

    def add() -> str:
        role = Role.ADMIN if form.get("role") == Role.ADMIN else Role.AGENT
        user = users.create_user(
            get_session(),
            form.get("username", "").strip(),
            form.get("password", ""),
            role=role,
            display_name=form.get("display_name", "").strip(),
        )
        return f"User {user.username} added."

    return _act(add)


@bp.post("/users/<int:user_id>/active")
def toggle_user(user_id: int) -> Response:
    def toggle() -> str:
        db = get_session()
        user = db.get(User, user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        if user.id == g.user.id:
            raise ValidationError("you cannot deactivate yourself")
        if user.active and user.is_admin and users.count_admins(db) <= 1:
            raise ValidationError("the last admin stays active")
        user.active = not user.active
        return f"{user.username} is now {'active' if user.active else 'deactivated'}."

    return _act(toggle)


@bp.post("/keys")
def add_key() -> Response:
    def add() -> str:
        key, plain = apikeys.create_key(
            get_session(),
            request.form.get("name", "").strip(),
            request.form.getlist("scopes"),
            now=utcnow(),
        )
        return f"API key {key.name}: {plain} (copy it now; it is not shown again)"

    return _act(add)


@bp.post("/keys/<int:key_id>/revoke")
def revoke_key(key_id: int) -> Response:
    return _act(
        lambda: f"API key {apikeys.revoke(get_session(), key_id, now=utcnow()).name} revoked."
    )


@bp.post("/webhooks")
def add_webhook() -> Response:
    def add() -> str:
        hook = endpoints.add_endpoint(
            get_session(), request.form.get("url", "").strip(), [], now=utcnow()
        )
        return f"Webhook added; its signing secret is {hook.secret}"

    return _act(add)


@bp.post("/webhooks/<int:endpoint_id>/remove")
def remove_webhook(endpoint_id: int) -> Response:
    def remove() -> str:
        endpoints.remove_endpoint(get_session(), endpoint_id)
        return "Webhook removed."

    return _act(remove)


@bp.post("/keywords")
def add_keyword() -> Response:
    form = request.form
    return _act(
        lambda: (
            "Keyword "
            + keyword_settings.add_reply_rule(
                get_session(),
                form.get("keyword", ""),
                form.get("mode", "exact"),
                form.get("reply", ""),
                tag=form.get("tag", ""),
                now=utcnow(),
            ).keyword
            + " added."
        )
    )


@bp.post("/keywords/<int:rule_id>/remove")
def remove_keyword(rule_id: int) -> Response:
    def remove() -> str:
        keyword_settings.deactivate(get_session(), rule_id)
        return "Keyword removed."

    return _act(remove)


@bp.post("/templates")
def add_template() -> Response:
    return _act(
        lambda: (
            "Template "
            + reply_templates.add(
                get_session(), request.form.get("name", ""), request.form.get("body", ""), utcnow()
            ).name
            + " saved."
        )
    )


@bp.post("/templates/<int:template_id>/remove")
def remove_template(template_id: int) -> Response:
    def remove() -> str:
        reply_templates.remove(get_session(), template_id)
        return "Template removed."

    return _act(remove)
