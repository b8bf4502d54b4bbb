"""The static files `parley serve` answers at / (http.web_dir): the demo page's delivery."""

import pytest

import parley_harness as H


@pytest.fixture
def site(tmp_path):
    d = tmp_path / "site"
    (d / "js").mkdir(parents=True)
    (d / "index.html").write_text("<!doctype html><title>Parley</title>")
    (d / "js" / "app.js").write_text("export const x = 1;\n")
    (d / ".secret").write_text("never served")
    return d


def test_files_are_served_with_types_and_revalidation(broker_factory, site):
    b = broker_factory("--web-dir", str(site), name="web")
    status, headers, body = H.http_request(b, "GET", "/")
    assert status == 200 and body == b"<!doctype html><title>Parley</title>", (status, body)
    assert headers["content-type"] == "text/html; charset=utf-8", headers
    assert headers["x-content-type-options"] == "nosniff", headers
    etag = headers["etag"]

    status, headers, body = H.http_request(b, "GET", "/js/app.js")
    assert status == 200 and body == b"export const x = 1;\n", (status, body)
    assert headers["content-type"].startswith("text/javascript"), headers

    # A browser's revalidation: same ETag, 304 and no body.
    status, headers, body = H.http_request(b, "GET", "/index.html", headers={"If-None-Match": etag})
    assert status == 304 and body == b"", (status, body)

    status, headers, body = H.http_request(b, "HEAD", "/js/app.js")
    assert status == 200 and body == b"" and headers["content-length"] == "20", (status, headers)


def test_unknown_hidden_and_escaping_paths_are_not_found(broker_factory, site):
    b = broker_factory("--web-dir", str(site), name="web404")
    for path in ("/missing.js", "/.secret", "/../site/index.html", "/js/../index.html", "/js"):
        status, _, body = H.http_request(b, "GET", path)
        assert status == 404 and b'"not_found"' in body, (path, status, body)
    status, _, _ = H.http_request(b, "POST", "/index.html", body={})
    assert status == 404
    # The broker's own routes win over files of the same name.
    (site / "healthz").write_text("shadow")
    status, _, body = H.http_request(b, "GET", "/healthz")
    assert status == 200 and b'"ok"' in body, body


def test_web_dir_off_serves_nothing(broker_factory, site):
    b = broker_factory("--web-dir", "off", name="weboff")
    status, _, _ = H.http_request(b, "GET", "/")
    assert status == 404


def test_an_unreadable_web_dir_stops_the_start(broker_factory, tmp_path):
    missing = str(tmp_path / "nowhere")
    b = broker_factory("--web-dir", missing, start=False, name="webbad")
    with pytest.raises(H.BrokerStartError) as e:
        b.start()
    assert b.last_exit != 0 and missing in str(e.value), (b.last_exit, str(e.value))
