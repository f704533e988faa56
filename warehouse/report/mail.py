"""Sending a report by e-mail through the site's SMTP server (configured by environment variables).

``HIM_SMTP_HOST`` (required), ``HIM_SMTP_PORT`` (default 587), ``HIM_SMTP_USER`` and
``HIM_SMTP_PASSWORD`` (log in when a user is set), ``HIM_SMTP_FROM`` (required: the sender address),
``HIM_SMTP_STARTTLS`` (``true`` by default: the connection is upgraded with STARTTLS and refused if
the server cannot; ``false`` only for a relay on the same host or a test server). Credentials are
never sent over a connection that is not encrypted.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from warehouse.errors import HimError, UsageProblem

ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class MailProblem(HimError):
    """SMTP is not configured, or the server refused the message."""


def check_address(address: str) -> str:
    """Return a plain e-mail address, or raise UsageProblem (no names, no lists, no header tricks)."""
    value = address.strip()
    if not ADDRESS.match(value) or len(value) > 254:
        raise UsageProblem(f"{address!r} is not an e-mail address (use name@example.org)")
    return value


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpConfig:
        """Read ``HIM_SMTP_*``.

        Raises:
            MailProblem: the host or sender is missing, or a value cannot be read.
        """
        env = dict(os.environ if env is None else env)
        host = env.get("HIM_SMTP_HOST", "").strip()
        sender = env.get("HIM_SMTP_FROM", "").strip()
        if not host or not sender:
            raise MailProblem("scheduled delivery needs HIM_SMTP_HOST and HIM_SMTP_FROM (see docs/report.md)")
        try:
            port = int(env.get("HIM_SMTP_PORT", "587"))
        except ValueError:
            raise MailProblem(f"HIM_SMTP_PORT={env.get('HIM_SMTP_PORT')!r} is not a port number") from None
        flag = env.get("HIM_SMTP_STARTTLS", "true").strip().lower()
        if flag not in TRUE + FALSE:
            raise MailProblem(f"HIM_SMTP_STARTTLS={flag!r}: use true or false")
        try:
            check_address(sender)
        except UsageProblem as exc:
            raise MailProblem(f"HIM_SMTP_FROM: {exc}") from None
        return cls(
            host=host,
            port=port,
            sender=sender,
            user=env.get("HIM_SMTP_USER") or None,
            password=env.get("HIM_SMTP_PASSWORD") or None,
            starttls=flag in TRUE,
        )


def message(
    sender: str, to: list[str], subject: str, body: str, attachment: bytes, filename: str, mime: str
) -> EmailMessage:
    """Return the e-mail: a plain-text body and the report attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(check_address(a) for a in to)
    msg["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg.set_content(body)
    maintype, _, subtype = mime.split(";")[0].strip().partition("/")
    msg.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send(config: SmtpConfig, msg: EmailMessage) -> None:
    """Send one message.

    Raises:
        MailProblem: the server could not be reached, refused TLS, the login or a recipient.
    """
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            smtp.ehlo()
            if config.starttls:
                if not smtp.has_extn("starttls"):
                    raise MailProblem(
                        f"{config.host}:{config.port} does not offer STARTTLS; set HIM_SMTP_STARTTLS=false "
                        "only for a relay on this host"
                    )
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.user:
                if not config.starttls:
                    raise MailProblem(
                        "HIM_SMTP_USER is set but STARTTLS is off: refusing to send a password in clear"
                    )
                smtp.login(config.user, config.password or "")
            refused = smtp.send_message(msg)
    except MailProblem:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise MailProblem(f"SMTP {config.host}:{config.port}: {type(exc).__name__}: {exc}") from None
    if refused:
        raise MailProblem(f"the SMTP server refused {', '.join(sorted(refused))}")
