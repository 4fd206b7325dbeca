"""Email address normalisation: one customer per business per address, whatever the typing."""
from __future__ import annotations

import re

# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is SES's job.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def normalise_email(raw: str) -> str | None:
    """Trim, strip a display name (``Jane <jane@x.org>``) and lowercase; ``None`` if not an address."""
    text = raw.strip().strip(",;")
    if "<" in text and text.endswith(">"):
        text = text[text.rindex("<") + 1 : -1].strip()
    text = text.lower()
    if len(text) > 254 or not _EMAIL.match(text):
        return None
    return text


def split_email_list(text: str) -> list[str]:
    """Split pasted text (commas, semicolons, new lines, spaces) into candidate addresses."""
    parts = re.split(r"[,;\n\r\t]+", text)
    out: list[str] = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if "<" in part:
            out.append(part)
        else:
            out.extend(p for p in part.split(" ") if p)
    return out
