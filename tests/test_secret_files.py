"""Secrets made on first run in the data dir (pseudonym secret, evidence key): random, 0600, said aloud."""

from __future__ import annotations

import base64
import stat

import pytest
from click.testing import CliRunner

from bot.checkpoint import KEY_FILE, EvidenceKey
from hocvuso.cli import main
from hocvuso.secretfiles import SecretFileError
from hocvuso.settings import PSEUDONYM_SECRET_FILE, load_settings


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_published_default_a_random_pseudonym_secret_is_made_once(tmp_path, caplog):
    first = load_settings(data_dir=tmp_path).pseudonym_secret.get_secret_value()
    assert "Đã tạo khóa bí danh người dùng mới" in caplog.text and str(tmp_path) in caplog.text
    assert len(first) >= 40 and first != "doi-khoa-nay-khi-trien-khai"
    assert mode(tmp_path / PSEUDONYM_SECRET_FILE) == 0o600
    assert load_settings(data_dir=tmp_path).pseudonym_secret.get_secret_value() == first
    assert load_settings(data_dir=tmp_path / "khac").pseudonym_secret.get_secret_value() != first


def test_a_configured_secret_writes_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOCVUSO_PSEUDONYM_SECRET", "bi-mat-cua-tinh")
    assert load_settings(data_dir=tmp_path).pseudonym_secret.get_secret_value() == "bi-mat-cua-tinh"
    assert not (tmp_path / PSEUDONYM_SECRET_FILE).exists()


def test_an_unwritable_data_dir_refuses_to_start_with_a_clear_message(tmp_path):
    blocked = tmp_path / "tep-thuong"
    blocked.write_text("không phải thư mục")
    with pytest.raises(SecretFileError, match="Không tạo hoặc đọc được khóa bí danh"):
        load_settings(data_dir=blocked / "data")
    result = CliRunner().invoke(main, ["stats"], env={"HOCVUSO_DATA_DIR": str(blocked / "data")})
    assert result.exit_code == 1 and "Không tạo hoặc đọc được khóa bí danh" in result.stderr


def test_the_evidence_key_is_made_once_with_mode_0600_or_taken_from_the_environment(tmp_path):
    settings = load_settings(data_dir=tmp_path)
    key = EvidenceKey.from_settings(settings)
    public = key.public_bytes
    assert mode(tmp_path / KEY_FILE) == 0o600
    assert EvidenceKey.from_settings(settings).public_bytes == public
    given = load_settings(data_dir=tmp_path / "khac", evidence={"signing_key": base64.b64encode(bytes(32)).decode()})
    assert EvidenceKey.from_settings(given).public_bytes != public
    assert not (tmp_path / "khac" / KEY_FILE).exists()
