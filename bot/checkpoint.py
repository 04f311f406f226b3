"""Signed checkpoints of the evidence log, and the key that signs them.

A checkpoint is a C2SP ``tlog-checkpoint`` signed note (https://c2sp.org/tlog-checkpoint):
the log's identity (origin), its size, the RFC 6962 Merkle root of its events and, as
an extension line, the time, signed with Ed25519 under the note format of
https://c2sp.org/signed-note. The file a person keeps puts a few readable Vietnamese
lines before the note; only the note is signed and read back.

The same key also *seals* each event (an HMAC under a key derived from it), so an event
written into the database by anyone without the key is told apart from a real one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hocvuso.secretfiles import read_or_create

KEY_FILE = "evidence-signing-key.pem"
ED25519_TYPE = b"\x01"  # the signed-note signature type of Ed25519
SEPARATOR = "----- ĐIỂM MỐC KÝ SỐ (định dạng C2SP tlog-checkpoint, không sửa phần dưới) -----"
TIME_PREFIX = "time "
_SEAL_LABEL = b"hocvuso evidence seal v1"


class CheckpointError(Exception):
    """A checkpoint that cannot be read or trusted; the message (Vietnamese) says why."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{what} không phải base64 hợp lệ.") from None


def key_id(name: str, public_key: bytes) -> bytes:
    """The signed-note key ID: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_TYPE + public_key).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A public key under a name, written ``name+hexid+base64(0x01 || key)`` (Go's note format)."""

    name: str
    public_key: bytes

    def __str__(self) -> str:
        return f"{self.name}+{key_id(self.name, self.public_key).hex()}+{_b64(ED25519_TYPE + self.public_key)}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Read ``name+hexid+base64key``; the id must match the key."""
        parts = text.strip().split("+", 2)  # key names never hold "+"; base64 may
        if len(parts) != 3:
            raise CheckpointError("Khóa công khai không đúng dạng tên+mã+khóa (Ed25519).")
        name, hex_id, encoded = parts
        raw = _unb64(encoded, "Khóa công khai")
        if not name or len(raw) != 33 or raw[:1] != ED25519_TYPE:
            raise CheckpointError("Khóa công khai không đúng dạng tên+mã+khóa (Ed25519).")
        key = cls(name, raw[1:])
        if hex_id != key_id(name, key.public_key).hex():
            raise CheckpointError("Mã khóa không khớp với khóa công khai.")
        return key

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class EvidenceKey:
    """The Ed25519 key of the evidence log, loaded (or created) on first use.

    From ``HOCVUSO_EVIDENCE__SIGNING_KEY`` (base64 of the 32-byte private key) or from
    ``evidence-signing-key.pem`` in the data dir, created with mode 0600 when missing.
    """

    def __init__(self, seed: bytes | None = None, path: Path | None = None):
        if seed is None and path is None:
            raise ValueError("a key needs its bytes or its file")
        self._seed = seed
        self._path = path

    @classmethod
    def from_settings(cls, settings) -> EvidenceKey:
        configured = settings.evidence.signing_key.get_secret_value().strip()
        if configured:
            seed = _unb64(configured, "HOCVUSO_EVIDENCE__SIGNING_KEY")
            if len(seed) != 32:
                raise CheckpointError("HOCVUSO_EVIDENCE__SIGNING_KEY phải là base64 của đúng 32 byte.")
            return cls(seed=seed)
        return cls(path=settings.data_dir / KEY_FILE)

    @classmethod
    def generate(cls) -> EvidenceKey:
        """A fresh random key (tests, or to print one for the environment variable)."""
        return cls(seed=Ed25519PrivateKey.generate().private_bytes_raw())

    @cached_property
    def private(self) -> Ed25519PrivateKey:
        if self._seed is not None:
            return Ed25519PrivateKey.from_private_bytes(self._seed)

        def new_pem() -> bytes:
            return Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )

        pem = read_or_create(self._path, new_pem, "khóa ký điểm mốc minh chứng")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError as error:
            raise CheckpointError(f"Tệp khóa {self._path} hỏng: {error}") from error
        if not isinstance(key, Ed25519PrivateKey):
            raise CheckpointError(f"Tệp khóa {self._path} không phải khóa Ed25519.")
        return key

    @cached_property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes_raw()

    @cached_property
    def _seal_key(self) -> bytes:
        return hmac.new(self.private.private_bytes_raw(), _SEAL_LABEL, hashlib.sha256).digest()

    def seal(self, event_hash: str) -> str:
        """The seal (HMAC-SHA256 hex) of an event's hash."""
        return hmac.new(self._seal_key, bytes.fromhex(event_hash), hashlib.sha256).hexdigest()

    def seal_ok(self, event_hash: str, seal: str | None) -> bool:
        try:
            expected = self.seal(event_hash)
        except ValueError:  # the stored hash is not even hex
            return False
        return seal is not None and hmac.compare_digest(expected, seal)

    def verifier(self, name: str) -> VerifierKey:
        return VerifierKey(name, self.public_bytes)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head of the evidence log."""

    origin: str
    size: int
    root: bytes
    time: datetime
    note: str = ""  # the signed note, as written

    @property
    def root_hex(self) -> str:
        return self.root.hex()

    def text(self) -> str:
        """The note text that is signed: origin, size, base64 root, time; each line ends in a newline."""
        stamp = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n{TIME_PREFIX}{stamp}\n"

    def signed(self, key: EvidenceKey) -> Checkpoint:
        """This checkpoint with its note signed by ``key`` under the origin's name."""
        text = self.text()
        signature = key_id(self.origin, key.public_bytes) + key.sign(text.encode("utf-8"))
        note = f"{text}\n\u2014 {self.origin} {_b64(signature)}\n"
        return Checkpoint(self.origin, self.size, self.root, self.time, note)

    def document(self, key: VerifierKey, timezone: str) -> str:
        """The file a person keeps: readable Vietnamese lines, then the signed note."""
        local = self.time.astimezone(ZoneInfo(timezone))
        return (
            "ĐIỂM MỐC SỔ MINH CHỨNG — Trợ lý Bình dân học vụ số\n"
            f"Sổ minh chứng: {self.origin}\n"
            f"Số sự kiện đã ghi: {self.size}\n"
            f"Mã gốc (Merkle, SHA-256): {self.root_hex}\n"
            f"Thời điểm ký: {local:%d/%m/%Y %H:%M:%S} ({timezone}), {self.time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC\n"
            f"Khóa công khai: {key}\n"
            "Kiểm tra: hocvuso evidence verify --checkpoint <tệp này>\n"
            "\n"
            f"{SEPARATOR}\n"
            f"{self.note}"
        )


def parse(document: str) -> Checkpoint:
    """Read a checkpoint from its file (or a bare signed note); the signature is not checked here."""
    note = document.replace("\r\n", "\n")
    if SEPARATOR in note:
        note = note.split(SEPARATOR + "\n", 1)[-1]
    note = note.lstrip("\n")
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not signatures.startswith("\u2014 "):
        raise CheckpointError("Tệp không chứa điểm mốc có chữ ký (thiếu dòng chữ ký “— ...”).")
    lines = text.split("\n")
    if len(lines) < 3 or not all(lines):
        raise CheckpointError("Phần điểm mốc phải có ít nhất 3 dòng: tên sổ, số sự kiện, mã gốc.")
    origin, size_text, root_text = lines[:3]
    if not size_text.isascii() or not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError(f"Số sự kiện “{size_text}” không hợp lệ.")
    root = _unb64(root_text, "Mã gốc")
    if len(root) != 32:
        raise CheckpointError("Mã gốc phải dài đúng 32 byte.")
    stamps = [line[len(TIME_PREFIX):] for line in lines[3:] if line.startswith(TIME_PREFIX)]
    try:
        time = datetime.strptime(stamps[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if stamps else None
    except ValueError:
        raise CheckpointError(f"Thời điểm “{stamps[0]}” không hợp lệ.") from None
    return Checkpoint(origin, int(size_text), root, time or datetime.fromtimestamp(0, UTC), note)


def check_signature(checkpoint: Checkpoint, key: VerifierKey) -> None:
    """Raise CheckpointError unless ``key`` signed the checkpoint's note."""
    text, _, signatures = checkpoint.note.rpartition("\n\n")
    wanted_id = key_id(key.name, key.public_key)
    for line in signatures.splitlines():
        name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
        if not line.startswith("\u2014 ") or name != key.name:
            continue
        raw = _unb64(encoded, "Chữ ký")
        if len(raw) < 4 or raw[:4] != wanted_id:
            continue  # another key under the same name: not ours to judge (signed-note rule)
        if key.verify((text + "\n").encode("utf-8"), raw[4:]):
            return
        raise CheckpointError(f"Chữ ký của điểm mốc SAI với khóa {key}: nội dung điểm mốc đã bị sửa.")
    raise CheckpointError(
        f"Điểm mốc không có chữ ký của khóa {key} (khóa của sổ này): "
        "điểm mốc do nơi khác làm ra, hoặc khóa của máy chủ đã bị thay."
    )
