"""Where alerts go: Slack in npd / prod, a log line (and a local webhook) on a laptop."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import SecretStr
from tenacity import retry, stop_after_attempt, wait_exponential

from platform_config import PlatformSettings, SettingsError, current_environment, load_settings
from run_lifecycle import strip_ansi

logger = logging.getLogger("platform_alerting")

# Slack's limits: a header's text, a section's text, blocks per message; the plain ``text``
# is the notification and fallback (Slack truncates it at 40,000; 4,000 is advised).
HEADER_CHARS = 150
SECTION_CHARS = 3000
MAX_BLOCKS = 50
TEXT_CHARS = 4000


def clip(text: str, limit: int) -> str:
    """``text`` without ANSI codes, cut to ``limit`` characters with a visible mark."""
    text = strip_ansi(text)
    return text if len(text) <= limit else text[: limit - 15] + " ...(truncated)"


@dataclass(frozen=True)
class Alert:
    """One alert: a one-line title and labelled details, rendered the same in every sink."""

    kind: str
    location: str
    title: str
    details: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The plain message, within Slack's advised length for ``text``."""
        lines = [f"[{self.location}] {self.title}"]
        lines += [f"{label}: {value}" for label, value in self.details.items()]
        return clip("\n".join(lines), TEXT_CHARS)

    def blocks(self) -> list[dict[str, object]]:
        """Slack blocks: a header, then one section per detail, each within Slack's limits."""
        header = clip(f"[{self.location}] {self.title}", HEADER_CHARS)
        blocks: list[dict[str, object]] = [
            {"type": "header", "text": {"type": "plain_text", "text": header}}
        ]
        for label, value in list(self.details.items())[: MAX_BLOCKS - 1]:
            body = clip(f"*{label}*\n{value}", SECTION_CHARS)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
        return blocks

    def payload(self) -> dict[str, object]:
        """The webhook body: Slack-compatible ``text`` and ``blocks`` plus the fields."""
        return {
            "text": self.text(),
            "blocks": self.blocks(),
            "kind": self.kind,
            "location": self.location,
            "title": self.title,
            "details": {label: strip_ansi(value) for label, value in self.details.items()},
        }


class AlertSink(Protocol):
    def send(self, alert: Alert) -> None: ...


class AlertSettings(PlatformSettings):
    """``SLACK_BOT_TOKEN`` (npd / prod) and ``ALERT_WEBHOOK_URL`` (local, optional)."""

    slack_bot_token: SecretStr | None = None
    alert_webhook_url: str | None = None


class LocalSink:
    """Logs each alert as one warning and, when a webhook URL is set, POSTs it there."""

    def __init__(self, webhook_url: str | None = None) -> None:
        self.webhook_url = webhook_url

    def send(self, alert: Alert) -> None:
        logger.warning("ALERT %s", alert.text().replace("\n", " | "))
        if self.webhook_url:
            self._post(alert)

    @retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.5, max=4), reraise=True)
    def _post(self, alert: Alert) -> None:
        import httpx  # only when an alert is sent: it adds about 0.5 s to every location's load

        response = httpx.post(self.webhook_url or "", json=alert.payload(), timeout=10)
        response.raise_for_status()


class SlackSink:
    """Posts each alert to a Slack channel through dagster-slack's ``SlackResource``."""

    def __init__(self, token: SecretStr, channel: str) -> None:
        self._token = token
        self.channel = channel

    def send(self, alert: Alert) -> None:
        from dagster_slack import SlackResource

        client = SlackResource(token=self._token.get_secret_value()).get_client()
        client.chat_postMessage(channel=self.channel, text=alert.text(), blocks=alert.blocks())


def sink_for_environment(channel: str, environ: Mapping[str, str] | None = None) -> AlertSink:
    """Slack in npd / prod (``SLACK_BOT_TOKEN`` required), the local sink when local."""
    settings = load_settings(AlertSettings, environ)
    if current_environment(environ).is_local:
        return LocalSink(settings.alert_webhook_url)
    if settings.slack_bot_token is None:
        raise SettingsError(
            "AlertSettings: SLACK_BOT_TOKEN is not set; alerts go to Slack outside local. "
            "Set it in the environment (a bot token with chat:write on the alert channel)."
        )
    return SlackSink(settings.slack_bot_token, channel)
