"""Uploads are checked by content, limited in size, and photos lose their location."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from PIL import Image

from interchange.servicedesk.attachments import prepare_upload

GPS_IFD = 0x8825


def photo_with_location(fmt="JPEG", orientation=None):
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 27.0, 16.0), 3: "W", 4: (2.0, 35.0, 16.0)})
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


def test_a_photo_loses_its_gps_location_and_keeps_its_picture():
    original = photo_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    prepared = prepare_upload("IMG_0001.JPG", original)
    with Image.open(io.BytesIO(prepared.content)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)
        assert image.size == (40, 20)
    assert prepared.content_type == "image/jpeg"
    assert prepared.name == "IMG_0001.jpg"
    assert prepared.sha256 == hashlib.sha256(prepared.content).hexdigest()


def test_a_sideways_photo_is_turned_upright_before_its_exif_is_dropped():
    prepared = prepare_upload("side.jpg", photo_with_location(orientation=6))
    with Image.open(io.BytesIO(prepared.content)) as image:
        assert image.size == (20, 40)


def test_png_location_is_stripped_too():
    prepared = prepare_upload("map.png", photo_with_location("PNG"))
    with Image.open(io.BytesIO(prepared.content)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)


def test_the_type_comes_from_the_content_not_the_name():
    program = b"MZ\x90\x00" + b"\x00" * 200
    with pytest.raises(ValidationError) as caught:
        prepare_upload("holiday.jpg", program)
    assert caught.value.code == "type"
    assert "must be a photo" in caught.value.messages[0]


def test_a_pdf_is_kept_as_it_is_with_a_safe_name():
    pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    prepared = prepare_upload("../../etc/Report (final).pdf", pdf)
    assert prepared.content == pdf
    assert prepared.name == "Report _final_.pdf"
    assert prepared.content_type == "application/pdf"


def test_text_files_must_really_be_text():
    assert prepare_upload("notes.csv", b"street,count\nHigh St,3\n").content_type == "text/csv"
    with pytest.raises(ValidationError):
        prepare_upload("notes.txt", b"\xff\xfe\x00\x00binary")


@override_settings(ATTACHMENT_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_limit_is_refused_with_the_limit_named():
    with pytest.raises(ValidationError) as caught:
        prepare_upload("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024))
    assert caught.value.messages == ["The selected file must be smaller than 1 MB"]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        prepare_upload("a.jpg", b"")


def test_a_corrupt_photo_is_refused():
    header_only = photo_with_location()[:200]
    with pytest.raises(ValidationError) as caught:
        prepare_upload("broken.jpg", header_only)
    assert caught.value.code == "image"
