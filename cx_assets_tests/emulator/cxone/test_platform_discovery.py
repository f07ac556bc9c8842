"""CXone platform discovery: the openid document leads to a working token endpoint, and the
cxone-configuration document gives the tenant's area and domain (400 / 404 otherwise)."""

from __future__ import annotations

import httpx

from cx_assets_tests.emulator.cxone.platform_support import TENANT_ID, claims, issuer


def test_openid_configuration_names_an_absolute_token_endpoint_that_works(emulator):
    response = httpx.get(f"{issuer(emulator)}/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == issuer(emulator)
    endpoint = document["token_endpoint"]
    assert endpoint == f"{issuer(emulator)}/auth/token"
    form = {
        "grant_type": "password",
        "username": "emulator-access-key-id",
        "password": "emulator-access-key-secret",
        "client_id": "emulator-cxone-app",
        "client_secret": "emulator-cxone-app-secret",
    }
    token = httpx.post(endpoint, data=form)
    assert token.status_code == 200
    assert claims(token.json()["id_token"])["iss"] == document["issuer"]


def test_cxone_configuration_gives_area_and_domain_for_the_tenant(emulator):
    response = httpx.get(
        f"{issuer(emulator)}/.well-known/cxone-configuration", params={"tenantId": TENANT_ID}
    )
    assert response.status_code == 200
    assert response.json() == {
        "tenantId": TENANT_ID,
        "area": "na1",
        "domain": "niceincontact.com",
    }


def test_cxone_configuration_refuses_a_missing_or_unknown_tenant(emulator):
    url = f"{issuer(emulator)}/.well-known/cxone-configuration"
    missing = httpx.get(url)
    assert missing.status_code == 400
    assert "tenantId" in missing.json()["error_description"]
    unknown = httpx.get(url, params={"tenantId": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 404


def test_discovery_needs_no_auth_and_leaves_the_tutorial_paths_alone(emulator):
    assert httpx.get(f"{emulator.url}/cxone/.well-known/openid-configuration").status_code == 404
    tutorial = httpx.post(
        f"{emulator.url}/cxone/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "emulator-cxone-key",
            "client_secret": "emulator-cxone-secret",
        },
    )
    assert tutorial.status_code == 200
