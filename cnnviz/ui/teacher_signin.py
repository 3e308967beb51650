"""Signing the teacher in: the class password, or Streamlit's own login with an allow-list.

Being signed in belongs to this browser session (st.session_state), never to the workspace
address: the teacher's address may be on the projector. The rules against guessing are in
cnnviz.classroom.signin.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom import settings as class_settings
from cnnviz.classroom import signin

SIGNED_IN = "cnnviz_teacher_signed_in"
TRIES = "cnnviz_teacher_tries"
PASSWORD_FIELD = "teacher_password_field"

HOW_TO = (
    "No teacher sign-in is set up on this server. To set one, start the server with a class "
    "password: `cnnviz app --teacher-password-file FILE` (the file holds the password), or set "
    f"`{class_settings.PASSWORD_VARIABLE}` in the server's environment. Or configure "
    "Streamlit's `[auth]` section (an OpenID Connect provider, in `.streamlit/secrets.toml`) "
    f"and list the teachers' e-mail addresses in `{class_settings.EMAILS_VARIABLE}` "
    "(comma-separated)."
)


def auth_configured() -> bool:
    """Whether the server's Streamlit has an `[auth]` section (so st.login can work)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all raises; that means no [auth]
        return False


def sso_teacher() -> bool:
    """Whether the user signed in through st.login is on the teachers' allow-list."""
    allowed = class_settings.teacher_emails()
    if not allowed:
        return False
    user = st.user
    if not getattr(user, "is_logged_in", False):
        return False
    return signin.email_allowed(getattr(user, "email", None), allowed)


def is_signed_in() -> bool:
    return bool(st.session_state.get(SIGNED_IN)) or (auth_configured() and sso_teacher())


def sign_out() -> None:
    st.session_state.pop(SIGNED_IN, None)
    if auth_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def _password_form(password: str) -> None:
    with st.form("teacher_sign_in"):
        typed = st.text_input("Class password", type="password", key=PASSWORD_FIELD)
        pressed = st.form_submit_button("Sign in", icon=":material/login:")
    if not pressed:
        return
    tries = st.session_state.setdefault(TRIES, signin.SessionTries())
    verdict = signin.GATE.try_password(tries, typed or "", password)
    if verdict.outcome == signin.Outcome.SIGNED_IN:
        st.session_state[SIGNED_IN] = True
        st.session_state.pop(PASSWORD_FIELD, None)
        st.rerun()
    elif verdict.outcome == signin.Outcome.WRONG:
        st.error(
            f"That is not the class password. Try again in {verdict.wait_seconds:.0f} s.",
            icon=":material/lock:",
        )
    elif verdict.outcome == signin.Outcome.WAIT_SESSION:
        st.error(
            f"Too many wrong tries: wait {verdict.wait_seconds:.0f} s, then try again.",
            icon=":material/timer:",
        )
    else:
        st.error(
            "Another wrong password was tried on this server a moment ago: try again in a second.",
            icon=":material/timer:",
        )


def sign_in() -> bool:
    """Draws the sign-in (or how to set one up) unless signed in; True when signed in."""
    if is_signed_in():
        return True
    password = class_settings.teacher_password()
    sso = auth_configured() and bool(class_settings.teacher_emails())
    if password is None and not sso:
        st.info(HOW_TO, icon=":material/key:")
        return False
    if sso:
        if getattr(st.user, "is_logged_in", False):
            st.error(
                "This account is not on the teachers' list. Sign out and use a teacher's account.",
                icon=":material/lock:",
            )
            st.button("Sign out", on_click=st.logout)
        else:
            st.button("Sign in with your school account", on_click=st.login)
    if password is not None:
        _password_form(password)
    return False
