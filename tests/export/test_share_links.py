"""Share links: round trips, and every kind of broken link gets its own clear message."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from cnnviz.export import share_links
from cnnviz.model import spec as spec_module
from cnnviz.model import spec_limits
from cnnviz.training import presets
from helpers.files import pack


@pytest.mark.parametrize("preset", list(presets.PRESETS))
def test_every_preset_round_trips_through_a_link(preset):
    spec = presets.preset_spec(preset, (32, 32, 3), 10)
    token = share_links.encode_spec(spec)
    assert share_links.decode_spec(token) == spec
    # URL-safe: nothing in it needs escaping in a query string.
    assert urllib.parse.quote(token, safe="") == token
    assert len(token) < 600


def test_share_url_keeps_only_the_spec():
    spec = presets.preset_spec("tiny", (28, 28, 1), 10)
    url = share_links.share_url("http://localhost:8501/build?w=private-id&x=1#top", spec)
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "http",
        "localhost:8501",
        "/build",
        "",
    )
    query = urllib.parse.parse_qs(parts.query)
    assert list(query) == ["spec"]
    assert share_links.decode_spec(query["spec"][0]) == spec


def test_a_changed_character_is_caught_by_the_check_code():
    spec = presets.preset_spec("keras_example", (28, 28, 1), 10)
    token = share_links.encode_spec(spec)
    failures = 0
    for position in range(2, len(token)):
        changed = (
            token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        )
        with pytest.raises(share_links.ShareLinkError):
            share_links.decode_spec(changed)
        failures += 1
    assert failures == len(token) - 2


def test_a_link_cut_short_is_broken():
    token = share_links.encode_spec(presets.preset_spec("lenet5", (28, 28, 1), 10))
    for length in (len(token) - 1, len(token) // 2, 5, 3):
        with pytest.raises(share_links.ShareLinkError, match="broken"):
            share_links.decode_spec(token[:length])


def test_a_recomputed_check_code_still_cannot_smuggle_in_a_bad_spec():
    payload = json.dumps({"layers": [{"type": "Lambda", "function": "os.system"}]}).encode()
    with pytest.raises(spec_module.SpecError, match="unknown layer type 'Lambda'"):
        share_links.decode_spec(pack(payload))


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "carries no spec"),
        ("x1abc", "not made by this version"),
        ("s1abc$%", "characters a share link never has"),
        ("s1" + "A" * 7001, "too long"),
        (pack(b"[1, 2]"), "must be a JSON object"),
        (pack(b"not json"), "not valid JSON"),
        (pack(b'{"layers": []}', digest=bytes(8)), "check code does not match"),
        ("s1" + base64.urlsafe_b64encode(bytes(8) + b"garbage").decode().rstrip("="), "unpacked"),
        (pack(b" " * 200_000), "more than 64 KB"),
    ],
)
def test_malformed_links_are_refused_with_a_reason(token, message):
    with pytest.raises(ValueError, match=message):
        share_links.decode_spec(token)


def test_a_spec_too_large_for_a_link_says_so(monkeypatch):
    monkeypatch.setattr(share_links, "MAX_TOKEN_CHARS", 50)
    with pytest.raises(share_links.ShareLinkError, match="Download spec"):
        share_links.encode_spec(presets.preset_spec("vgg_small", (32, 32, 3), 10))


def test_an_invalid_spec_is_not_put_in_a_link():
    with pytest.raises(spec_module.SpecError, match="Layer 1"):
        share_links.encode_spec({"layers": [{"type": "Conv2D"}]})


def test_a_link_nested_5000_deep_is_refused_without_a_recursion_error():
    # 61 characters: the link the issue reported (81 with its address) raised RecursionError
    # on every page it opened.
    token = pack(b"[" * 5000 + b"]" * 5000)
    assert len(token) < 100
    with pytest.raises(spec_module.SpecError, match="nested too deeply"):
        share_links.decode_spec(token)


def test_a_link_over_the_layer_limit_gets_the_message_a_spec_upload_gets():
    layers = [{"type": "Activation", "activation": "relu"}] * 451
    spec = {"layers": [*layers, {"type": "Dense", "units": 10, "activation": "softmax"}]}
    payload = json.dumps(spec).encode()
    server_limits = spec_limits.Limits()
    with pytest.raises(spec_module.SpecError) as from_link:
        share_links.decode_spec(pack(payload), server_limits)
    with pytest.raises(spec_module.SpecError) as from_upload:
        spec_limits.read_spec(payload, server_limits, "The file")
    assert str(from_link.value) == str(from_upload.value)
    assert str(from_link.value).startswith("The spec has 452 layers; this server allows at most")


def test_a_link_within_a_raised_layer_limit_loads():
    layers = [{"type": "Activation", "activation": "relu"}] * 149
    spec = {"layers": [*layers, {"type": "Dense", "units": 10, "activation": "softmax"}]}
    token = pack(json.dumps(spec).encode())
    assert share_links.decode_spec(token, spec_limits.Limits(max_layers=150)) == spec
