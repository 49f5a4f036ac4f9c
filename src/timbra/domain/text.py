"""Text that can go into a CFDI: XML 1.0 characters and SAT's `[^|]` patterns.

Every free-text attribute of a CFDI 4.0 (Descripcion, Unidad, NoIdentificacion, Nombre, Serie,
Folio, CondicionesDePago) has an XSD pattern of the form `[^|]{1,n}`: the pipe is the cadena
original's separator. XML 1.0 itself cannot carry the C0 control characters (other than tab,
line feed and carriage return), lone surrogates or U+FFFE/U+FFFF; lxml refuses them with
"All strings must be XML compatible" (issue 10, defect 9: such a character left an invoice stuck
in draft and crashed the workers). C1 controls (U+0080-U+009F) are legal XML but invisible and
never intended in a fiscal document, so they are refused too.

Two policies, chosen by the caller:
* `text_problem`: what a person typed (API, dashboard, products, customers) is refused with a
  clear message, never changed behind their back;
* `clean_text`: text Timbra derives from a gateway (a Stripe charge description) is cleaned,
  which the SAT allows (the description is ours to write): each forbidden character becomes a
  space, runs of whitespace collapse to one.
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f|\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")


def forbidden_characters(value: str) -> list[str]:
    """The distinct forbidden characters in `value`, in order of appearance."""
    seen: list[str] = []
    for char in _FORBIDDEN.findall(value):
        if char not in seen:
            seen.append(char)
    return seen


def describe_characters(chars: list[str]) -> str:
    """«|», U+0003 … for a message (control characters are invisible, so name them)."""
    return ", ".join("«|»" if c == "|" else f"U+{ord(c):04X}" for c in chars)


def text_problem(value: str | None) -> str | None:
    """A Spanish sentence saying why `value` cannot go into a CFDI, or None when it can."""
    if not value:
        return None
    chars = forbidden_characters(value)
    if not chars:
        return None
    return (
        f"contiene caracteres que un CFDI no admite ({describe_characters(chars)}): la barra vertical "
        "separa los campos de la cadena original del SAT y los caracteres de control no caben en XML."
    )


def clean_text(value: str) -> str:
    """`value` with each forbidden character replaced by a space and whitespace collapsed."""
    return _WHITESPACE.sub(" ", _FORBIDDEN.sub(" ", value)).strip()
