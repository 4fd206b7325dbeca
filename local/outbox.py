"""The emails and SMS the local stack sent, newest last (``make outbox``).

SES and SNS are moto's, in memory, so ``local.run`` copies every new message from moto's
``/moto-api/data.json`` into ``.local/outbox/emails.jsonl`` twice a second; that file outlives
restarts and is what this command prints. Simple and raw (MIME, e.g. with an invoice attached)
messages, from the SES v1 or v2 API, are shown the same way: from, to, subject, text body. SMS
(SNS ``publish(PhoneNumber=...)``, kept by moto under ``sns`` → ``SMS``) show the number and text.
"""
from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import re
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .settings import Layout


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: set[str] = set()

    def sync(self, moto_url: str) -> int:
        """Append the messages moto holds that this outbox has not copied yet; returns how many."""
        with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=5) as resp:
            data = json.load(resp)
        ses, sns = data.get("ses", {}), data.get("sns", {})
        messages = [readable(m) for m in ses.get("Message", []) + ses.get("RawMessage", [])]
        messages += [readable_sms(m) for m in sns.get("SMS", [])]
        new = [m for m in messages if m["id"] not in self.seen]
        if not new:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        with self.path.open("a", encoding="utf-8") as out:
            for message in new:
                out.write(json.dumps({"seen_at": now, **message}) + "\n")
                self.seen.add(message["id"])
        return len(new)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


def readable(message: dict[str, Any]) -> dict[str, Any]:
    """One moto SES message (simple or raw) as from / to / subject / text / attachments."""
    if "raw_data" in message:
        mime = email.message_from_string(message["raw_data"], policy=email.policy.default)
        text_part = mime.get_body(preferencelist=("plain", "html"))
        text = text_part.get_content() if text_part is not None else ""
        if text_part is not None and text_part.get_content_subtype() == "html":
            text = html_to_text(text)
        return {
            "id": message["id"],
            "from": str(mime.get("From", message.get("source", ""))),
            "to": sorted(set(message.get("destinations") or [])) or [str(mime.get("To", ""))],
            "subject": str(mime.get("Subject", "")),
            "text": text.strip(),
            "attachments": [part.get_filename() or part.get_content_type() for part in mime.iter_attachments()],
        }
    destinations = message.get("destinations") or {}
    body = message.get("body") or ""
    return {
        "id": message["id"],
        "from": message.get("source", ""),
        "to": [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key, [])],
        "subject": message.get("subject", ""),
        # moto keeps only the HTML part when a simple message has both.
        "text": (html_to_text(body) if re.search(r"<[a-zA-Z][^>]*>", body) else body).strip(),
        "attachments": [],
    }


def readable_sms(message: dict[str, Any]) -> dict[str, Any]:
    """One SMS moto's SNS kept: the number it went to and its text."""
    return {"id": message["message_id"], "channel": "sms", "to": [message["phone_number"]],
            "text": message["message"]}


def html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style).*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h\d>|</li>|</tr>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t]+", " ", text))


def render(mail: dict[str, Any], number: int) -> str:
    if mail.get("channel") == "sms":
        return "\n".join([f"--- #{number}  {mail['seen_at']}", f"SMS to:  {', '.join(mail['to'])}", "", mail["text"], ""])
    lines = [
        f"--- #{number}  {mail['seen_at']}",
        f"From:    {mail['from']}",
        f"To:      {', '.join(mail['to'])}",
        f"Subject: {mail['subject']}",
    ]
    if mail.get("attachments"):
        lines.append(f"Attached: {', '.join(mail['attachments'])}")
    return "\n".join(lines + ["", mail["text"], ""])


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the emails and SMS the local stack sent, newest last.")
    parser.add_argument("--last", type=int, default=0, help="only the last N messages")
    args = parser.parse_args()
    outbox = Outbox(Layout.from_env().outbox_file)
    mails = outbox.read()
    if not mails:
        print(f"No emails or SMS yet ({outbox.path}).")
        return
    first = max(0, len(mails) - args.last) if args.last else 0
    for number, mail in enumerate(mails[first:], start=first + 1):
        print(render(mail, number))


if __name__ == "__main__":
    main()
