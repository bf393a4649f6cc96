"""Uploads: hosted video and PDF via multipart, content type checked, size limit → 413, files
stored under the data dir through the storage port."""

from __future__ import annotations

import pytest

from tests.api.content_helpers import create_chapter

LIMIT = 4096


@pytest.fixture
def settings_env(settings_env):
    return {**settings_env, "LEARNSTREAM_MAX_UPLOAD_BYTES": str(LIMIT)}


def _chapter(api, client):
    admin = api.admin()
    return admin, create_chapter(client, admin, api.create_course(admin))


def test_pdf_and_video_uploads_are_stored(api, client, container):
    admin, chapter = _chapter(api, client)
    pdf = client.post(
        "/api/v1/activities/documentpdf",
        files={"name": (None, "Slides"), "chapter_id": (None, str(chapter["id"])),
               "pdf_file": ("slides.pdf", b"%PDF-1.4 tiny", "application/pdf")},
        headers=admin,
    )
    assert pdf.status_code == 200, pdf.text
    body = pdf.json()
    assert body["activity_type"] == "TYPE_DOCUMENT" and body["activity_sub_type"] == "SUBTYPE_DOCUMENT_PDF"
    stored = container.files.open(body["content"]["file_id"])
    assert stored is not None and stored.read_bytes() == b"%PDF-1.4 tiny"
    video = client.post(
        "/api/v1/activities/",
        files={"name": (None, "Clip"), "chapter_id": (None, str(chapter["id"])),
               "activity_type": (None, "TYPE_VIDEO"), "activity_sub_type": (None, "SUBTYPE_VIDEO_HOSTED"),
               "file": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")},
        headers=admin,
    )
    assert video.status_code == 200, video.text
    assert video.json()["content"]["content_type"] == "video/mp4"
    youtube = client.post(
        "/api/v1/activities/external_video",
        json={"name": "Talk", "uri": "https://www.youtube.com/watch?v=abc", "chapter_id": chapter["id"]},
        headers=admin,
    )
    assert youtube.status_code == 200 and youtube.json()["activity_sub_type"] == "SUBTYPE_VIDEO_YOUTUBE"


def test_size_limit_and_content_type_are_enforced(api, client):
    admin, chapter = _chapter(api, client)
    big = client.post(
        "/api/v1/activities/documentpdf",
        files={"name": (None, "Big"), "chapter_id": (None, str(chapter["id"])),
               "pdf_file": ("big.pdf", b"%PDF-" + b"x" * LIMIT, "application/pdf")},
        headers=admin,
    )
    assert big.status_code == 413 and str(LIMIT) in big.json()["detail"]
    fake = client.post(
        "/api/v1/activities/documentpdf",
        files={"name": (None, "Fake"), "chapter_id": (None, str(chapter["id"])),
               "pdf_file": ("x.pdf", b"MZ not a pdf", "application/pdf")},
        headers=admin,
    )
    assert fake.status_code == 422 and fake.json()["field"] == "file"
    wrong = client.post(
        "/api/v1/activities/video",
        files={"name": (None, "V"), "chapter_id": (None, str(chapter["id"])),
               "video_file": ("v.exe", b"abc", "application/octet-stream")},
        headers=admin,
    )
    assert wrong.status_code == 422
    missing = client.post(
        "/api/v1/activities/video",
        files={"name": (None, "V"), "chapter_id": (None, str(chapter["id"]))},
        headers=admin,
    )
    assert missing.status_code == 422
    not_youtube = client.post(
        "/api/v1/activities/external_video",
        json={"name": "Talk", "uri": "https://evil.example/watch", "chapter_id": chapter["id"]},
        headers=admin,
    )
    assert not_youtube.status_code == 422
