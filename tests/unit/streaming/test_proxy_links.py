"""Proxy names (``https:web:443``) and the links rewritten in proxied answers."""

from __future__ import annotations

import pytest

from kubelab.cluster.api.errors import APIError
from kubelab.cluster.api.streaming.htmlrewrite import ProxyLinks, is_html
from kubelab.cluster.api.streaming.proxy import split_scheme_name_port

PREFIX = "/api/v1/namespaces/default/services/web:80/proxy"


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("web", ("http", "web", "")),
        ("web:80", ("http", "web", "80")),
        ("web:http", ("http", "web", "http")),
        ("https:web:443", ("https", "web", "443")),
        ("http:web:", ("http", "web", "")),
    ],
)
def test_scheme_name_and_port(name, parts):
    assert split_scheme_name_port(name, "service") == parts


@pytest.mark.parametrize("name", ["", ":80", "ftp:web:21", "a:b:c:d"])
def test_malformed_names(name):
    with pytest.raises(APIError) as refused:
        split_scheme_name_port(name, "pod")
    assert refused.value.message == f'invalid pod request "{name}"'


@pytest.fixture()
def links() -> ProxyLinks:
    return ProxyLinks(PREFIX, "10.244.0.5:80", "127.0.0.1:6443")


@pytest.mark.parametrize(
    ("link", "rewritten"),
    [
        ("/docs/", f"{PREFIX}/docs/"),
        ("/a/../b?x=1#top", f"{PREFIX}/b?x=1#top"),
        ("http://10.244.0.5:80/img.png", f"{PREFIX}/img.png"),
        ("https://127.0.0.1:6443/x", f"https://127.0.0.1:6443{PREFIX}/x"),
        (f"{PREFIX}/already", f"{PREFIX}/already"),
        ("relative/page.html", "relative/page.html"),
        ("https://kubernetes.io/docs/", "https://kubernetes.io/docs/"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
    ],
)
def test_url_rewriting(links, link, rewritten):
    assert links.url(link) == rewritten


def test_html_rewrites_url_attributes_and_renders_start_tags_again(links):
    page = (
        "<!DOCTYPE html>\n<HTML>\n<head><link rel=stylesheet href='/style.css'>\n"
        "<script>if (a < b) { document.write('<a href=\"/no\">') }</script></head>\n"
        '<body><P CLASS="intro">Hi &amp; welcome <a href="/next" title=\'say "hi"\'>next</a>'
        '<br/><img src="pic.png" alt></body></HTML>\n'
    )
    assert links.html(page.encode()).decode() == (
        "<!DOCTYPE html>\n<html>\n"
        f'<head><link rel="stylesheet" href="{PREFIX}/style.css">\n'
        "<script>if (a < b) { document.write('<a href=\"/no\">') }</script></head>\n"
        f'<body><p class="intro">Hi &amp; welcome <a href="{PREFIX}/next" '
        'title="say &#34;hi&#34;">next</a><br/><img src="pic.png" alt=""></body></HTML>\n'
    )


def test_only_html_is_rewritten():
    assert is_html("text/html; charset=utf-8") and is_html("TEXT/HTML")
    assert not is_html("text/plain") and not is_html("")
