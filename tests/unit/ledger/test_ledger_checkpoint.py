"""Checkpoint bodies, signed notes and vkeys: round trips, strict rejection, and the
known-answer note and keys of golang.org/x/mod/sumdb/note (note_test.go)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lawtrail.domain.ledger.checkpoint import (
    MAX_SIGNATURES,
    Checkpoint,
    NoteSignature,
    SignedNote,
    VerifierKey,
    ed25519_key_id,
    format_checkpoint_body,
    format_signed_note,
    format_vkey,
    note_message,
    parse_checkpoint_body,
    parse_checkpoint_note,
    parse_signed_note,
    parse_vkey,
)
from lawtrail.domain.ledger.merkle import EMPTY_ROOT

ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()

# golang.org/x/mod/sumdb/note test vectors.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"


# ----------------------------------------------------------------------- checkpoint


def test_format_checkpoint_body() -> None:
    body = format_checkpoint_body("example.com/log", 20852163, ROOT)
    assert body == f"example.com/log\n20852163\n{ROOT_B64}\n"
    assert format_checkpoint_body("o", 0, EMPTY_ROOT, ["ext 1", "ext+2"]) == (
        "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next 1\next+2\n"
    )


def test_parse_checkpoint_body() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = parse_checkpoint_body(text)
    assert checkpoint == Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    assert checkpoint.body() == text
    assert parse_checkpoint_body(f"o\n1\n{ROOT_B64}\na\nb\n").extensions == ("a", "b")


ORIGINS = st.text(st.characters(codec="utf-8", exclude_characters="\n", min_codepoint=0x20), min_size=1)


@given(ORIGINS, st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32), st.lists(ORIGINS, max_size=3))
def test_checkpoint_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    body = format_checkpoint_body(origin, size, root, extensions)
    assert parse_checkpoint_body(body) == Checkpoint(origin, size, root, tuple(extensions))


BAD_BODIES = {
    "missing final newline": f"o\n1\n{ROOT_B64}",
    "two lines": "o\n1\n",
    "empty origin": f"\n1\n{ROOT_B64}\n",
    "empty extension": f"o\n1\n{ROOT_B64}\n\n",
    "leading zero": f"o\n01\n{ROOT_B64}\n",
    "negative size": f"o\n-1\n{ROOT_B64}\n",
    "plus sign": f"o\n+1\n{ROOT_B64}\n",
    "spaces in size": f"o\n 1\n{ROOT_B64}\n",
    "non-ASCII digits": f"o\n١\n{ROOT_B64}\n",
    "underscore": f"o\n1_0\n{ROOT_B64}\n",
    "hex size": f"o\n0x10\n{ROOT_B64}\n",
    "size over 64 bits": f"o\n18446744073709551616\n{ROOT_B64}\n",
    "root not base64": "o\n1\n!!!!\n",
    "root without padding": f"o\n1\n{ROOT_B64.rstrip('=')}\n",
    "root url-safe alphabet": "o\n1\n" + base64.urlsafe_b64encode(b"\xff" * 32).decode() + "\n",
    "root non-canonical bits": f"o\n1\n{ROOT_B64[:-2]}9=\n",
    "root 31 bytes": "o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",
    "root 33 bytes": "o\n1\n" + base64.b64encode(bytes(33)).decode() + "\n",
    "carriage return": f"o\r\n1\n{ROOT_B64}\n",
    "tab": f"o\t\n1\n{ROOT_B64}\n",
    "lone surrogate": f"o\ud800\n1\n{ROOT_B64}\n",
}


@pytest.mark.parametrize("text", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_checkpoint_bodies_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_checkpoint_body(text)


def test_format_checkpoint_body_validates() -> None:
    for origin in ("", "a\nb", "a\x00"):
        with pytest.raises(ValueError):
            format_checkpoint_body(origin, 1, ROOT)
    for size in (-1, 2**64):
        with pytest.raises(ValueError):
            format_checkpoint_body("o", size, ROOT)
    with pytest.raises(TypeError):
        format_checkpoint_body("o", True, ROOT)
    with pytest.raises(ValueError):
        format_checkpoint_body("o", 1, ROOT[:31])
    with pytest.raises(TypeError):
        format_checkpoint_body("o", 1, ROOT.hex())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_checkpoint_body("o", 1, ROOT, [""])
    with pytest.raises(TypeError):
        format_checkpoint_body("o", 1, ROOT, "ext")


# ------------------------------------------------------------------------ the note


def test_go_note_is_parsed() -> None:
    note = parse_signed_note(PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    assert note.body == PETER_TEXT
    assert note.message == PETER_TEXT.encode()
    assert [(s.name, s.key_id.hex(), len(s.signature)) for s in note.signatures] == [
        ("PeterNeumann", "c74f20a3", 64),
        ("EnochRoot", "af0cfe78", 64),
    ]
    body, signatures = note  # unpacks like a (body, signatures) pair
    assert format_signed_note(body, signatures) == PETER_TEXT + "\n" + PETER_SIG + ENOCH_SIG


def test_go_note_signature_verifies_over_note_message() -> None:
    """The bytes ``note_message`` gives are the bytes Go signed (checked with a real
    Ed25519 implementation, only in the test)."""
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    key = parse_vkey(PETER_VKEY)
    signature = parse_signed_note(PETER_TEXT + "\n" + PETER_SIG).signatures[0]
    verifier = ed25519.Ed25519PublicKey.from_public_bytes(key.public_key)
    verifier.verify(signature.signature, note_message(PETER_TEXT))  # raises if wrong


def test_signed_note_round_trip_and_blank_lines_in_body() -> None:
    signatures = [
        NoteSignature("example.com/log", b"\x01\x02\x03\x04", b"sig"),
        ("w", b"\xff" * 4, b"\x00" * 64),
    ]
    for body in ("a\n", "a\n\nb\n", "a\n\n", "\n", f"o\n1\n{ROOT_B64}\n"):
        text = format_signed_note(body, signatures)
        assert parse_signed_note(text) == SignedNote(body, tuple(NoteSignature(*s) for s in signatures))
        assert parse_signed_note(text.encode()) == parse_signed_note(text)


def test_format_signed_note_line_layout() -> None:
    text = format_signed_note("body\n", [("k", b"\x00\x00\x00\x01", b"\xaa")])
    assert text == "body\n\n\u2014 k AAAAAao=\n"


BAD_NOTES = {
    "no signatures": PETER_TEXT,
    "blank line only": PETER_TEXT + "\n",
    "no final newline": PETER_TEXT + "\n" + PETER_SIG[:-1],
    "control character": "\x01" + PETER_TEXT + "\n" + PETER_SIG,
    "space in key name": PETER_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
    "plus in key name": PETER_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad+Name"),
    "trailing text": PETER_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    "hyphen instead of em dash": PETER_TEXT + "\n" + PETER_SIG.replace("—", "-"),
    "en dash": PETER_TEXT + "\n" + PETER_SIG.replace("—", "–"),
    "no space after dash": PETER_TEXT + "\n" + PETER_SIG.replace("— ", "—"),
    "two spaces": PETER_TEXT + "\n" + PETER_SIG.replace("Neumann ", "Neumann  "),
    "no signature": PETER_TEXT + "\n— PeterNeumann\n",
    "empty signature": PETER_TEXT + "\n— PeterNeumann \n",
    "bad base64": PETER_TEXT + "\n" + PETER_SIG.replace("x08go", "x08g!"),
    "missing padding": PETER_TEXT + "\n" + PETER_SIG.replace("AM=", "AM"),
    "signature too short": PETER_TEXT + "\n— PeterNeumann AAAAAA==\n",
    "carriage return": PETER_TEXT + "\n" + PETER_SIG.replace("\n", "\r\n"),
    "too many signatures": PETER_TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1),
}


@pytest.mark.parametrize("text", BAD_NOTES.values(), ids=BAD_NOTES.keys())
def test_malformed_notes_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_signed_note(text)


def test_the_last_blank_line_separates_body_and_signatures() -> None:
    note = parse_signed_note(PETER_TEXT + "\n" + PETER_SIG + "\n" + ENOCH_SIG)
    assert note.body == PETER_TEXT + "\n" + PETER_SIG
    assert [s.name for s in note.signatures] == ["EnochRoot"]
    with pytest.raises(ValueError, match="line 3 is empty"):
        parse_checkpoint_body(note.body)


def test_note_limits_and_encoding() -> None:
    assert len(parse_signed_note(PETER_TEXT + "\n" + PETER_SIG * MAX_SIGNATURES).signatures) == MAX_SIGNATURES
    with pytest.raises(ValueError, match="UTF-8"):
        parse_signed_note(b"\xff" + (PETER_TEXT + "\n" + PETER_SIG).encode())


def test_format_signed_note_validates() -> None:
    good = ("k", b"\x00" * 4, b"s")
    for body in ("", "no newline", "a\x00\n"):
        with pytest.raises(ValueError):
            format_signed_note(body, [good])
    with pytest.raises(ValueError):
        format_signed_note("b\n", [])
    with pytest.raises(ValueError):
        format_signed_note("b\n", [good] * (MAX_SIGNATURES + 1))
    for bad in [
        ("", b"\x00" * 4, b"s"),
        ("a b", b"\x00" * 4, b"s"),
        ("k", b"\x00" * 3, b"s"),
        ("k", b"\x00" * 4, b""),
    ]:
        with pytest.raises(ValueError):
            format_signed_note("b\n", [bad])
    with pytest.raises(TypeError):
        format_signed_note("b\n", [("k", "00000000", b"s")])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        note_message("a")


def test_parse_checkpoint_note() -> None:
    body = format_checkpoint_body("example.com/log", 5, ROOT)
    checkpoint, note = parse_checkpoint_note(format_signed_note(body, [("example.com/log", b"abcd", b"x" * 64)]))
    assert checkpoint == Checkpoint("example.com/log", 5, ROOT)
    assert note.message == body.encode()


# ---------------------------------------------------------------------------- keys


def test_go_vkeys_parse_and_key_ids_match() -> None:
    for text, key_id in ((PETER_VKEY, "c74f20a3"), (ENOCH_VKEY, "af0cfe78")):
        key = parse_vkey(text)
        assert key.key_id.hex() == key_id
        assert ed25519_key_id(key.name, key.public_key).hex() == key_id
        assert format_vkey(key.name, key.public_key) == text


def test_key_id_definition() -> None:
    import hashlib

    public_key = bytes(range(32))
    expected = hashlib.sha256(b"example.com/log\n\x01" + public_key).digest()[:4]
    assert ed25519_key_id("example.com/log", public_key) == expected
    key = parse_vkey(format_vkey("example.com/log", public_key))
    assert key == VerifierKey("example.com/log", expected, public_key)


def test_every_mangling_of_a_vkey_is_rejected() -> None:
    """As note_test.go: every proper substring and every single-character increment."""
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(ValueError):
                    parse_vkey(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(ValueError):
            parse_vkey(mangled)


@pytest.mark.parametrize(
    "text",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # 40-byte key
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
        PETER_VKEY.replace("c74f20a3", "C74F20A3"),  # key IDs are written in lowercase
        "",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        PETER_VKEY + "\n",
    ],
)
def test_bad_vkeys_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_vkey(text)


def test_key_functions_validate() -> None:
    with pytest.raises(ValueError):
        ed25519_key_id("a+b", bytes(32))
    with pytest.raises(ValueError):
        ed25519_key_id("name", bytes(31))
    with pytest.raises(TypeError):
        format_vkey("name", "00" * 32)  # type: ignore[arg-type]
