"""Static files: fingerprinted, immutable, precompressed, and nothing else served."""

import gzip
import re
import shutil
from html import unescape as html_unescape

import pytest
from webob import Request

from {{ cookiecutter.repo_name }}.scripts import fingerprint

PACKAGE_DIR = fingerprint.PACKAGE_DIR
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def stylesheet(testapp):
    """The stylesheet URL path exactly as the rendered home page links it."""
    html = testapp.get("/").text
    return re.search(r'href="http://example.com(/static/[^"]+\.css)"', html).group(1)


def test_pages_link_the_fingerprinted_stylesheet(stylesheet):
    assert re.fullmatch(r"/static/app\.[0-9a-f]{10}\.css", stylesheet)


def test_fingerprinted_file_is_immutable_for_a_year(testapp, stylesheet):
    response = testapp.get(stylesheet, status=200)
    assert response.content_type == "text/css"
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.body == (PACKAGE_DIR / "assets" / "app.css").read_bytes()


def test_pages_have_a_favicon_and_a_description(testapp):
    """The favicon is linked, fingerprinted and served (no /favicon.ico 404 in
    the log); the description is the project's."""
    from {{ cookiecutter.repo_name }}.rendering import PROJECT_DESCRIPTION

    html = testapp.get("/").text
    icon = re.search(r'<link rel="icon" [^>]*href="http://example.com([^"]+)"', html)
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{10}\.svg", icon.group(1))
    response = testapp.get(icon.group(1), status=200)
    assert response.content_type == "image/svg+xml"
    assert response.headers["Cache-Control"] == IMMUTABLE
    description = re.search(r'<meta name="description" content="([^"]*)">', html)
    assert html_unescape(description.group(1)) == PROJECT_DESCRIPTION


def raw_get(testapp, path, **headers):
    """Bypass WebTest, which decodes gzip bodies and drops Content-Encoding."""
    request = Request.blank(path, headers=headers, environ=testapp.extra_environ)
    return request.get_response(testapp.app)


def test_gzip_is_served_to_clients_that_accept_it(testapp, stylesheet):
    response = raw_get(testapp, stylesheet, **{"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Cache-Control"] == IMMUTABLE
    source = (PACKAGE_DIR / "assets" / "app.css").read_bytes()
    assert gzip.decompress(response.body) == source


def test_identity_when_gzip_is_not_accepted(testapp, stylesheet):
    response = raw_get(testapp, stylesheet, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    "path",
    [
        "/static/app.css",  # unfingerprinted
        "/static/app.0000000000.css",  # an old fingerprint
        "/static/missing.css",
        "/static/../static-manifest.json",
    ],
)
def test_anything_but_a_current_fingerprint_is_404(testapp, path):
    response = testapp.get(path, status=404)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_built_files_are_current():
    assert fingerprint.problems() == [], "run: make assets"


def test_check_command_exit_status(capsys):
    assert fingerprint.main(["--check"]) == 0


@pytest.fixture
def package_copy(tmp_path):
    shutil.copytree(PACKAGE_DIR / "assets", tmp_path / "assets")
    return tmp_path


def test_rebuild_after_a_change_removes_the_old_fingerprint(package_copy):
    old = fingerprint.build(package_copy)["app.css"]
    assert fingerprint.problems(package_copy) == []
    source = package_copy / "assets" / "app.css"
    source.write_text(source.read_text() + "\nfooter { color: red; }\n")
    assert fingerprint.problems(package_copy) == [
        "static-manifest.json does not match assets/",
        f"missing static/{fingerprint.fingerprinted('app.css', source.read_bytes())}",
        "missing static/"
        + fingerprint.fingerprinted("app.css", source.read_bytes())
        + ".gz",
        f"leftover static/{old}",
        f"leftover static/{old}.gz",
    ]
    new = fingerprint.build(package_copy)["app.css"]
    assert new != old
    assert not (package_copy / "static" / old).exists()
    assert (package_copy / "static" / new).read_bytes() == source.read_bytes()


def test_check_reports_tampered_files(package_copy, capsys):
    name = fingerprint.build(package_copy)["app.css"]
    (package_copy / "static" / name).write_text("tampered")
    (package_copy / "static" / f"{name}.gz").write_bytes(gzip.compress(b"tampered"))
    assert fingerprint.problems(package_copy) == [
        f"stale static/{name}",
        f"stale static/{name}.gz",
    ]
