"""Where the local stack runs, and the environment every local process shares.

Fixed settings (table prefix, dev JWT secret, queue name, sender) are the ``local`` stage of
``.chalice/config.json``, so ``chalice local --stage local``, the worker, the seed and ``make token``
read the same values. Ports and endpoints are chosen at start and passed through the environment:
chalice lets stage variables override the process environment, so they cannot live in the stage.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
DEMO_BUSINESS = "demo-studio"
DEMO_BOOKER = "booker@example.com"
DEMO_FREE_BUSINESS = "demo-free"
OPERATOR_SUBJECT = "operator-local"  # listed in OPERATOR_SUBJECTS of the local stage


def owner_subject(business_id: str) -> str:
    return f"owner-{business_id}"


def staff_subject(business_id: str) -> str:
    return f"staff-{business_id}"


@dataclass(frozen=True)
class Layout:
    """Ports and the data folder; each can be overridden so tests run beside a developer's stack."""

    api_port: int
    dynamodb_port: int
    moto_port: int
    payments_port: int
    data_dir: Path

    @classmethod
    def from_env(cls) -> Layout:
        env = os.environ
        data_dir = Path(env.get("LOCAL_DIR") or ROOT / ".local")
        return cls(
            api_port=int(env.get("PORT") or 8000),
            dynamodb_port=int(env.get("DYNAMODB_PORT") or 8001),
            moto_port=int(env.get("MOTO_PORT") or 8002),
            payments_port=int(env.get("PAYMENTS_PORT") or 8003),
            data_dir=data_dir.resolve(),
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    @property
    def dynamodb_dir(self) -> Path:
        return self.data_dir / "dynamodb"

    @property
    def payments_state_file(self) -> Path:
        return self.data_dir / "payments" / "state.json"

    @property
    def outbox_file(self) -> Path:
        return self.data_dir / "outbox" / "emails.jsonl"


def stage_variables() -> dict[str, str]:
    """The app-wide and ``local`` stage environment variables of ``.chalice/config.json``."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}), **config["stages"][STAGE].get("environment_variables", {})}


def environment(layout: Layout, events_queue_url: str = "") -> dict[str, str]:
    """Variables for the API, the worker and the seed: every AWS client points at a local server.

    boto3 reads ``AWS_ENDPOINT_URL_<SERVICE>`` itself, so the application has no local-only branch;
    ``AWS_ENDPOINT_URL`` sends any other service to moto too, and fake keys mean nothing local can
    ever reach a real AWS account.
    """
    return {
        **stage_variables(),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_ENDPOINT_URL": layout.moto_url,
        "AWS_ENDPOINT_URL_SQS": layout.moto_url,
        "AWS_ENDPOINT_URL_SES": layout.moto_url,
        "AWS_ENDPOINT_URL_SESV2": layout.moto_url,
        "AWS_ENDPOINT_URL_SNS": layout.moto_url,
        "AWS_ENDPOINT_URL_S3": layout.moto_url,
        "AWS_ENDPOINT_URL_DYNAMODB": layout.dynamodb_url,
        "DYNAMODB_ENDPOINT": layout.dynamodb_url,
        "EVENTS_QUEUE_URL": events_queue_url,
        "PUBLIC_BASE_URL": layout.api_url,
    }
