"""The process edges of delivery: e-mail through SMTP (``SMTP_URL``) and SMS through a
pluggable gateway. Nothing here knows about notifications; ``resolvers.delivery`` does."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

from resolvers.core import _

log = logging.getLogger(__name__)

TIMEOUT = 15.0


class DeliveryError(RuntimeError):
    """A message could not be handed over; the delivery is retried later."""


class Mailer(Protocol):
    async def send(self, to: str, subject: str, text: str) -> None:
        """Hand one plain-text e-mail to the mail server; ``DeliveryError`` if it refuses."""


class SmsGateway(Protocol):
    async def send(self, phone: str, text: str) -> None:
        """Hand one SMS to the gateway; ``DeliveryError`` if it refuses."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        """``smtp://[user:pass@]host[:port]`` (STARTTLS when the server offers it, port 25 by
        default) or ``smtps://...`` (TLS from the start, port 465 by default)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port or smtps://...")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            implicit_tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpMailer:
    """Sends with the standard library's smtplib in a worker thread: one connection per message
    (deliveries are few and spread over time)."""

    def __init__(self, config: SmtpConfig, sender: str) -> None:
        self.config = config
        self.sender = sender

    async def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(text)
        try:
            await asyncio.to_thread(self._send, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(str(_("The mail server (SMTP) refused: {problem}", problem=exc))) from exc

    def _send(self, message: EmailMessage) -> None:
        c = self.config
        context = ssl.create_default_context()
        if c.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT)
        with smtp:
            smtp.ehlo()
            if not c.implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password or "")
            smtp.send_message(message)


class UnconfiguredMailer:
    """Without ``SMTP_URL`` every e-mail fails visibly (an admin sees why), never vanishes."""

    async def send(self, to: str, subject: str, text: str) -> None:
        raise DeliveryError(str(_("E-mail is not configured on this server (SMTP_URL).")))


@dataclass(frozen=True)
class Sms:
    phone: str
    text: str


@dataclass
class RecordingSmsGateway:
    """The development gateway: keeps (and logs) what it would have sent."""

    sent: list[Sms] = field(default_factory=list)

    async def send(self, phone: str, text: str) -> None:
        self.sent.append(Sms(phone, text))
        log.info("SMS to %s (recorded, not sent): %d characters", phone[-4:].rjust(len(phone), "*"), len(text))


def make_mailer(smtp_url: str | None, sender: str) -> Mailer:
    return SmtpMailer(SmtpConfig.parse(smtp_url), sender) if smtp_url else UnconfiguredMailer()
