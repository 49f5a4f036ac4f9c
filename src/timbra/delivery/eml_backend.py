"""Embedded-mode email: every message becomes one `.eml` file in TIMBRA_HOME/outbox/, which any
mail client opens. Django's file backend appends several messages to one `.log`, which none do."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)
        self.directory.mkdir(parents=True, exist_ok=True)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path = self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(message.message().as_bytes())
            os.replace(tmp, path)  # readers never see a half-written file
            sent += 1
        return sent
