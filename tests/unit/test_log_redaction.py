"""No log line carries a webhook token or a key (issue 14 §2)."""

from __future__ import annotations

import logging

from timbra.logredact import install, redact


def test_the_webhook_token_and_keys_are_redacted():
    line = ('127.0.0.1 - - "POST /hooks/stripe/Zx9_tok-EN123?x=1 HTTP/1.1" 200 '
            "key sk_live_AbC123_xyz secret whsec_Q2xhdmU=")

    clean = redact(line)

    assert "Zx9_tok-EN123" not in clean and "AbC123_xyz" not in clean and "Q2xhdmU" not in clean
    assert "/hooks/stripe/[redactado]?x=1" in clean and "sk_live_[redactado]" in clean


def test_every_log_record_is_redacted_at_creation_args_and_tracebacks_included(caplog):
    install()
    log = logging.getLogger("timbra.test")
    with caplog.at_level(logging.INFO):
        log.warning("Not Found: %s", "/hooks/conekta/SecretTok3n")
        try:
            raise ValueError("sk_test_Filtrada123")
        except ValueError:
            log.exception("falló")
    text = caplog.text
    assert "SecretTok3n" not in text and "Filtrada123" not in text
    assert "/hooks/conekta/[redactado]" in text and "sk_test_[redactado]" in text
