import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["queue_pending"] >= 0


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from timbra import health

    def broken():
        raise RuntimeError("database down")

    monkeypatch.setattr(health.connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "error"
