"""The installable app: the service worker from the root, the manifests, the CSP that lets
them load (the browser side is in tests/browser/test_offline.py)."""

from campaign.extensions import db
from campaign.groups import service as groups
from tests.factories import volunteer


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"  # updates reach every phone
    assert b'addEventListener("fetch"' in response.data


def test_the_pages_may_load_a_worker_and_a_manifest_from_this_site_only(client):
    policy = client.get("/sw.js").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert "script-src 'self';" in policy  # still no inline script


def test_the_site_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
    assert 'rel="manifest" href="/manifest.webmanifest"' in client.get("/").get_data(as_text=True)


def test_installed_from_a_member_page_the_app_opens_on_it(client, make_event):
    event = make_event(title="Stand at City Hall")
    token = groups.start_group(event, volunteer()).token
    db.session.commit()
    page = client.get(f"/me/{token}").get_data(as_text=True)
    assert f'rel="manifest" href="/me/{token}/app.webmanifest"' in page
    response = client.get(f"/me/{token}/app.webmanifest")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    manifest = response.get_json()
    assert manifest["start_url"] == f"/me/{token}"
    assert manifest["name"] == "Stand at City Hall" and manifest["short_name"] == "Your group"


def test_a_manifest_for_an_unknown_member_link_is_not_found(client):
    assert client.get("/me/not-a-real-token-at-all/app.webmanifest").status_code == 404


def test_persian_manifest_is_right_to_left(client):
    client.get("/language/fa?next=/")
    manifest = client.get("/manifest.webmanifest").get_json()
    assert manifest["lang"].startswith("fa") and manifest["dir"] == "rtl"
