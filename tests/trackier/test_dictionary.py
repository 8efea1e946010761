"""Network API: the dictionary (countries, devices, categories, custom fields) and the network's
own account."""

from tests.trackier.conftest import error, new_advertiser, new_campaign


def test_countries_and_devices(http, auth):
    countries = http.get("/dictionary/countries", headers=auth).json()["data"]["countries"]
    assert len(countries) == 246 and list(countries)[:2] == ["ALL", "AF"] and countries["IN"] == "India"
    assert http.get("/dict/countries", headers=auth).json()["data"]["countries"] == countries
    devices = http.get("/dictionary/devices", headers=auth).json()
    assert devices["data"]["devices"]["iphone"] == "iPhone" and len(devices["data"]["devices"]) == 8


def test_categories(http, auth):
    created = http.post(  # form-encoded, as the docs' example sends it
        "/dictionary/categories", headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
        content="name=Entertainment")
    body = created.json()["data"]
    assert body["message"] == "Category saved successfully!!" and body["category"]["name"] == "Entertainment"
    error(http.post("/dictionary/categories", headers=auth, json={"name": "Entertainment"}), 400, 33)
    error(http.post("/dictionary/categories", headers=auth, json={}), 400, 20)
    assert [c["name"] for c in http.get("/dictionary/categories", headers=auth).json()["data"]["categories"]] == [
        "Entertainment"]
    campaign = new_campaign(http, auth, new_advertiser(http, auth)["_id"], category=["Entertainment"])["campaign"]
    refused = http.delete(f"/dictionary/categories/{body['category']['_id']}", headers=auth)
    assert refused.status_code == 200 and refused.json()["success"] is False
    http.delete(f"/campaign/{campaign['_id']}", headers=auth)
    assert http.delete(f"/dictionary/categories/{body['category']['_id']}", headers=auth).json()["success"] is True
    assert http.get("/dictionary/categories", headers=auth).json()["data"]["categories"] == []


def test_custom_fields_are_required_of_new_users(http, auth):
    added = http.post("/dictionary/customField/affiliate", headers=auth, json={"fname": "FB Page URL"}).json()
    assert added == {"success": True, "data": {"message": "Added New Custom Field for affiliates"}}
    http.post("/dictionary/customField/advertiser", headers=auth,
              json={"fname": "Test Custom Field", "ftype": "date", "frequired": False})
    [field] = http.get("/dictionary/customField/affiliate", headers=auth).json()["data"]["fields"]
    assert field == {"label": "FB Page URL", "type": "text", "name": "fb_page_url", "required": True, "id": field["id"]}
    [optional] = http.get("/dict/customField/advertiser", headers=auth).json()["data"]["fields"]
    assert optional["name"] == "test_custom_field" and optional["required"] is False
    error(http.post("/dictionary/customField/affiliate", headers=auth, json={"fname": "fb page url"}), 400, 33)
    error(http.post("/dictionary/customField/affiliate", headers=auth, json={"ftype": "blob"}), 400, 20)

    body = {"name": "P", "email": "p@example.com", "password": "s3cret-pass"}
    assert error(http.post("/affiliate", headers=auth, json=body), 400, 20)["data"]["errors"] == {
        "custom_fields": ["Custom field fb_page_url is required"]}
    response = http.post("/affiliate", headers=auth, json={**body, "custom_fields": {"fb_page_url": "https://fb/x"}})
    assert response.status_code == 200
    new_advertiser(http, auth)  # the advertiser field is optional
    assert http.delete(f"/dictionary/customField/affiliate/{field['id']}", headers=auth).json()["success"] is True
    error(http.delete(f"/dictionary/customField/advertiser/{field['id']}", headers=auth), 404, 31)


def test_network_account(http, auth, network):
    account = http.get("/network/account", headers=auth).json()["data"]
    assert "USD" in account["currencyCodes"]
    assert account["network"]["name"] == "Acme Network" and account["network"]["_id"] == network["_id"]
    assert account["network"]["region"] == {"currency": "USD", "zone": "Asia/Kolkata"}
    patched = http.patch("/network/account", headers=auth, json={
        "name": "Acme Media", "url": "acme.trackier.example", "email": "help@acme.example", "termsurl": "https://t",
        "currency": "inr"}).json()["data"]["network"]
    assert patched["name"] == "Acme Media" and patched["domain"] == "acme" and patched["url"] == "acme.trackier.example"
    assert patched["appearance"]["email"] == "help@acme.example" and patched["appearance"]["termsurl"] == "https://t"
    assert patched["region"]["currency"] == "INR" and patched["modified"] == "2024-06-12"
    assert http.get("/network/account", headers=auth).json()["data"]["network"] == patched
    error(http.patch("/network/account", headers=auth, json={"email": "nope", "currency": "dollars"}), 400, 20)
