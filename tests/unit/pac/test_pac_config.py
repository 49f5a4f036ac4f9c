"""Building a PAC from its configuration (what the onboarding wizard and TIMBRA_PAC use)."""

from __future__ import annotations

import pytest

from timbra.cfdi.pacs.diverza import DiverzaPac
from timbra.cfdi.pacs.finkok import FinkokPac
from timbra.cfdi.pacs.swsapien import SWSapienPac
from timbra.invoicing.pacs import PacConfigError, pac_from_config


def test_each_name_builds_its_adapter_without_calling_the_network() -> None:
    assert isinstance(pac_from_config("finkok", {"username": "u", "password": "p"}), FinkokPac)
    assert isinstance(pac_from_config("SW", {"token": "t"}), SWSapienPac)
    assert isinstance(pac_from_config("sw", {"username": "u", "password": "p"}), SWSapienPac)
    assert isinstance(pac_from_config("diverza", {"rfc": "EKU9003173C9", "id": "1", "token": "t"}), DiverzaPac)


def test_the_test_environment_is_marked_sandbox_and_named_so() -> None:
    demo = pac_from_config("finkok", {"username": "u", "password": "p"})
    live = pac_from_config("finkok", {"username": "u", "password": "p"}, test_environment=False)
    assert (demo.is_sandbox, demo.name) == (True, "finkok-pruebas")
    assert (live.is_sandbox, live.name) == (False, "finkok")


def test_an_unknown_pac_is_a_clear_error() -> None:
    with pytest.raises(PacConfigError) as error:
        pac_from_config("facturama", {})
    assert "facturama" in error.value.message and "finkok" in error.value.message


@pytest.mark.parametrize(("name", "credentials", "missing"), [
    ("finkok", {"username": "u"}, "contraseña"),
    ("sw", {"username": "u"}, "token"),
    ("diverza", {"rfc": "EKU9003173C9", "token": "t"}, "ID de cliente"),
    ("finkok", {"username": "u", "password": "  "}, "contraseña"),
])
def test_a_missing_credential_is_named_in_spanish(name: str, credentials: dict[str, str], missing: str) -> None:
    with pytest.raises(PacConfigError) as error:
        pac_from_config(name, credentials)
    assert missing in error.value.message
