"""Share links: a spec carried in a URL's query string, compact, URL-safe and checked.

A link's `spec` parameter is one token: "s1" (the format), then base64url (no padding) of an
8-byte SHA-256 digest followed by the zlib-compressed compact JSON of the spec. Reading a token
checks, in this order, its length, its characters, its format, the size it unpacks to, the
digest and finally the spec itself with exactly the checks a spec upload gets (read_spec:
size, JSON depth, the server's layer limit, every layer's arguments), so a malformed, oversized
or altered link is refused with a message and never half-applied.

The digest is an integrity check, not a signature: anyone can write a valid link for any
spec, exactly as anyone can upload a spec file. It catches links cut short or edited by hand.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import urllib.parse
import zlib

from cnnviz.model import spec as spec_module
from cnnviz.model import spec_limits

QUERY_PARAMETER = "spec"
FORMAT_PREFIX = "s1"
DIGEST_BYTES = 8
# Browsers and servers handle URLs of a few thousand characters reliably; a spec of 100
# layers packs to well under this.
MAX_TOKEN_CHARS = 6000
# Unpacked JSON larger than this is refused without unpacking the rest (a zip bomb stays small
# in the URL but would grow without bound).
MAX_JSON_BYTES = 64 * 1024
BASE64URL_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class ShareLinkError(ValueError):
    """A share link that cannot be used, with a message a student can act on."""


def _digest(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()[:DIGEST_BYTES]


def encode_spec(spec: dict) -> str:
    """The spec as a share-link token (see the module docstring).

    Raises:
        SpecError: when the spec's structure or a layer's arguments are invalid (the same
            check a spec file gets).
        ShareLinkError: when the spec is too large for a link.
    """
    spec_module.check_layers(spec)
    payload = json.dumps(spec, separators=(",", ":"), sort_keys=True).encode()
    packed = _digest(payload) + zlib.compress(payload, 9)
    token = FORMAT_PREFIX + base64.urlsafe_b64encode(packed).decode().rstrip("=")
    if len(token) > MAX_TOKEN_CHARS:
        raise ShareLinkError(
            f"This spec is too large for a link ({len(token):,} characters, at most "
            f"{MAX_TOKEN_CHARS:,}). Share the spec file (Download spec) instead."
        )
    return token


def decode_spec(token: str, limits: spec_limits.Limits | None = None) -> dict:
    """The spec a share-link token carries, checked exactly as an uploaded spec file is.

    Args:
        token: the link's `spec` parameter.
        limits: the server's limits (from the environment when None): a link is held to the
            same layer count and size as a spec upload.

    Raises:
        ShareLinkError: for a token that is too long, malformed, altered or cut short.
        SpecError: for a well-formed token whose spec has an unknown layer or bad argument.
    """
    broken = "The share link is broken (it may have been cut short or changed)"
    if not isinstance(token, str) or not token:
        raise ShareLinkError(f"{broken}: it carries no spec.")
    if len(token) > MAX_TOKEN_CHARS:
        raise ShareLinkError(
            f"The share link is too long ({len(token):,} characters; at most "
            f"{MAX_TOKEN_CHARS:,}). Ask for the spec file instead."
        )
    if not token.startswith(FORMAT_PREFIX):
        raise ShareLinkError(
            f"{broken}: it does not start with {FORMAT_PREFIX!r}, so it was not made by this "
            f"version of cnnviz."
        )
    body = token[len(FORMAT_PREFIX) :]
    if not set(body) <= BASE64URL_CHARACTERS:
        raise ShareLinkError(f"{broken}: it holds characters a share link never has.")
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ShareLinkError(f"{broken}: its text is not valid.") from None
    digest, compressed = packed[:DIGEST_BYTES], packed[DIGEST_BYTES:]
    unpacker = zlib.decompressobj()
    try:
        payload = unpacker.decompress(compressed, MAX_JSON_BYTES + 1)
    except zlib.error:
        raise ShareLinkError(f"{broken}: its content cannot be unpacked.") from None
    if len(payload) > MAX_JSON_BYTES or unpacker.unconsumed_tail:
        raise ShareLinkError(
            f"The share link unpacks to more than {MAX_JSON_BYTES // 1024} KB, far more than "
            f"any spec needs; it was not made by cnnviz."
        )
    if not unpacker.eof:
        raise ShareLinkError(f"{broken}: its content ends too early.")
    if len(digest) < DIGEST_BYTES or not hmac.compare_digest(digest, _digest(payload)):
        raise ShareLinkError(f"{broken}: its check code does not match its content.")
    limits = spec_limits.from_environment() if limits is None else limits
    # The same function a spec upload goes through (size, JSON with a bounded depth, the layer
    # limit, every layer's arguments): a link is only another way to hand over a spec file.
    return spec_limits.read_spec(payload, limits, "The share link's spec")


def share_url(page_url: str, spec: dict) -> str:
    """The page's URL with only the spec as its query (never the sharer's own parameters).

    Args:
        page_url: the address of the page the link should open, e.g.
            "http://localhost:8501/build"; its query and fragment are dropped, because they may
            hold private things such as the sharer's workspace id.
        spec: the spec to carry.
    """
    parts = urllib.parse.urlsplit(page_url)
    query = urllib.parse.urlencode({QUERY_PARAMETER: encode_spec(spec)})
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
