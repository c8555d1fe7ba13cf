"""The one masking rule for personal data (ioc.privacy): plates, phones and e-mails in citizens'
text, in any Unicode digit form, and the frames, popups, CSVs and logs built on it."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from ioc import privacy
from ioc.privacy import display_plate, mask_frame, mask_plate, mask_text, normalise


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("７５Ａ－１２３．４５", "75A-123.45"),          # fullwidth: NFKC maps it
        ("٧٥A-١٢٣.٤٥", "75A-123.45"),                  # Arabic-Indic digits: NFKC keeps them, we do not
        ("۰۹۰۵۱۲۳۴۵۶", "0905123456"),                 # Extended Arabic-Indic (Persian)
        ("०९०५ १२३ ४५६", "0905 123 456"),              # Devanagari
        ("ｎｇｕｙｅｎ＠ｅｘａｍｐｌｅ．ｖｎ", "nguyen@example.vn"),
        ("Phường Thuận Lộc", "Phường Thuận Lộc"),      # Vietnamese text is left as it reads
    ],
)
def test_normalise(text: str, normal: str) -> None:
    assert normalise(text) == normal


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("75A-123.45", "75A-123.**"),
        ("75a12345", "75A-123.**"),
        ("75-B1 234.56", "75-B1 234.**"),
        ("75B123456", "75-B1 234.**"),
        ("75A-1234", "75A-12**"),
        ("75-B1 2345", "75-B1 23**"),
        ("75LD-012.34", "75LD-012.**"),
        ("７５Ａ－１２３．４５", "75A-123.**"),
        ("٧٥A-١٢٣.٤٥", "75A-123.**"),
        ("٧٥A١٢٣٤٥", "75A-123.**"),
        ("75A-123.**", "75A-123.**"),    # already masked (at the query): shown as it is
        ("75-B1 234.**", "75-B1 234.**"),
        ("75A-12B.45", "***-***.**"),    # unparseable: hide every letter and digit
        ("٧٥A-١٢B.٤٥", "***-***.**"),    # ... in any digit form
        ("ＡＢＣ１２", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_plate(text: str | None, masked: str) -> None:
    assert mask_plate(text) == masked


def test_a_revealed_plate_is_as_stored() -> None:
    assert mask_plate("７５Ａ－１２３．４５", reveal=True) == "７５Ａ－１２３．４５"


@pytest.mark.parametrize(
    ("raw", "canonical", "status", "reveal", "shown"),
    [
        ("75a12345", "75A-123.45", "valid", False, "75A-123.**"),
        ("75a12345", "75A-123.45", "valid", True, "75A-123.45"),
        ("75A-12B.45", None, "invalid", False, "***-***.**"),
        ("75A-12B.45", None, "invalid", True, "75A-12B.45"),
        ("７５Ａ－１２３．４５", None, "invalid", False, "75A-123.**"),
        ("", None, "missing", False, ""),
        (None, None, "missing", True, ""),
        (float("nan"), None, "missing", False, ""),
    ],
)
def test_display_plate(raw: object, canonical: str | None, status: str, reveal: bool, shown: str) -> None:
    assert display_plate(raw, canonical, status, reveal) == shown


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Vietnamese phone formats: mobile (10 digits), landline (11), +84 / 84 instead of 0
        ("Liên hệ 0905 123 456 nhé", "Liên hệ 090* *** *** nhé"),
        ("SĐT: 0905123456.", "SĐT: 090*******."),
        ("gọi +84 905123456", "gọi +84 9********"),
        ("gọi +84905123456", "gọi +849********"),
        ("84905123456", "849********"),
        ("bàn 0234.3822.123", "bàn 023*.****.***"),
        ("bàn (0234) 3822 123", "bàn (023*) **** ***"),
        ("0905-123-456", "090*-***-***"),
        # other digit forms are read, and the masked text is normalised
        ("０９０５　１２３　４５６", "090* *** ***"),
        ("٠٩٠٥١٢٣٤٥٦", "090*******"),
        # e-mails: the first letter of the mailbox and the domain stay
        ("gửi nguyen.van.a@gmail.com giúp", "gửi n***@gmail.com giúp"),
        ("ｎｇｕｙｅｎ＠ｈｕｅ．ｇｏｖ．ｖｎ", "n***@hue.gov.vn"),
        # a plate written by a citizen
        ("xe 75A-123.45 vượt đèn đỏ", "xe 75A-123.** vượt đèn đỏ"),
        ("xe ٧٥A-١٢٣.٤٥ đỗ sai", "xe 75A-123.** đỗ sai"),
        # left alone: amounts, dates, times, house numbers, short numbers, too many digits
        ("Phạt 1.500.000 đồng ngày 12/03/2024 lúc 09:05", "Phạt 1.500.000 đồng ngày 12/03/2024 lúc 09:05"),
        ("Số nhà 123 Lê Lợi, Phường Phú Xuân", "Số nhà 123 Lê Lợi, Phường Phú Xuân"),
        ("mã hồ sơ 000123456789012", "mã hồ sơ 000123456789012"),
        ("năm 2024", "năm 2024"),
        ("", ""),
    ],
)
def test_mask_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_revealed_text_is_as_stored() -> None:
    text = "gọi ０９０５　１２３　４５６, a@b.vn"
    assert mask_text(text, reveal=True) == text
    assert mask_text(None) == "" and mask_text(float("nan")) == ""


def test_mask_frame_masks_the_personal_columns_only() -> None:
    frame = pd.DataFrame({
        "external_id": ["0905123456", "r2"],   # an id is not citizen's text: left as it is
        "description": ["gọi 0905 123 456", None],
        "address": ["12 Lê Lợi, email x@y.vn", ""],
        "plate_raw": ["75a12345", ""],
        "plate": ["75A-123.45", pd.NA],
    })
    masked = mask_frame(frame)
    assert masked["external_id"].tolist() == ["0905123456", "r2"]
    assert masked["description"].tolist() == ["gọi 090* *** ***", ""]
    assert masked["address"].tolist() == ["12 Lê Lợi, email x***@y.vn", ""]
    assert masked["plate_raw"].tolist() == ["75A-123.**", ""]
    assert masked["plate"].iloc[0] == "75A-123.**" and pd.isna(masked["plate"].iloc[1])
    assert frame["description"].iloc[0] == "gọi 0905 123 456"  # a copy: the input is untouched
    # masked at the query, then shown by a page: stays the same
    assert display_plate(masked["plate_raw"].iloc[0], masked["plate"].iloc[0], "valid", False) == "75A-123.**"

    shown = mask_frame(frame, reveal_text=True, reveal_plates=True)
    pd.testing.assert_frame_equal(shown, frame)
    plates_only = mask_frame(frame, reveal_text=True)
    assert plates_only["description"].iloc[0] == "gọi 0905 123 456"
    assert plates_only["plate_raw"].iloc[0] == "75A-123.**"


def test_log_messages_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    previous = logging.getLogRecordFactory()
    privacy._LOG_MASKING["installed"] = False
    try:
        privacy.install_log_masking()
        privacy.install_log_masking()  # idempotent: one wrapper
        with caplog.at_level(logging.INFO, logger="ioc.test"):
            logging.getLogger("ioc.test").warning("rejected %s: plate %s", "0905 123 456", "７５Ａ－１２３．４５")
        assert caplog.records[0].getMessage() == "rejected 090* *** ***: plate 75A-123.**"
    finally:
        logging.setLogRecordFactory(previous)
        privacy._LOG_MASKING["installed"] = False
