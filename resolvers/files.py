"""Attached files (README "Files"): uploads, their checks, attaching them to what they belong to,
downloads, and the removal of uploads nobody attached.

The way of a file:

1. ``fileUploadStart(name, size)`` makes a pending ``models.StoredFile`` (its uploader's alone)
   and answers a signed upload URL of this server, good for ``UPLOAD_SECONDS``.
2. ``PUT`` of the bytes to that URL (``receive``): refused unless the size is within
   ``MAX_BYTES`` and the content is an allowed type (``sniff``: by the bytes, never the name);
   then the bytes go to the storage (``edge/storage.py``) and the row records the size and type.
3. The write of the owner object (``homeworkAssign(fileIds:)``, ...) checks the upload ids with
   ``check_uploads`` (the viewer's own, uploaded, not attached, not expired; at most
   ``MAX_FILES`` an object) and attaches them with ``attach`` inside its own transaction: a
   file belongs to nothing until that write commits, and an upload nobody attached within
   ``PENDING_SECONDS`` is removed with its bytes by the housekeeping sweep (``sweep``).
4. Readers of the owner object see ``attachments`` (through its loader and scope), each with a
   ``url`` signed for ``DOWNLOAD_SECONDS`` and bound to the reader's session: this server's
   ``GET /files/<token>`` whatever the storage, which asks again when it is used whether the
   session is live and the file still visible to its user (``download``): access that ends
   ends the URL at once."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Q

import models
from edge.settings import Settings
from edge.storage import Storage, open_storage
from resolvers import policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of
from resolvers.errors import NotFound, Problem, refuse
from resolvers.sessions import Context, Viewer

MAX_BYTES = 10 * 1024 * 1024  # one file
MAX_FILES = 10  # attached to one object
MAX_NAME = 200
UPLOAD_SECONDS = 15 * 60  # an upload URL works this long
PENDING_SECONDS = 24 * 3600  # an uploaded file waits this long to be attached
DOWNLOAD_SECONDS = 5 * 60  # a download URL works this long

PDF, PNG, JPEG, WEBP, HEIC, TEXT = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "text/plain; charset=utf-8",
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED = (PDF, PNG, JPEG, WEBP, HEIC, DOCX, XLSX, TEXT)
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1"})
_TEXT_CONTROLS = frozenset("\t\n\r\f")


def sniff(data: bytes) -> str | None:
    """The allowed type the content is (``ALLOWED``), or None: decided by the bytes alone."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        return HEIC
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return TEXT if _is_text(data) else None


def _office(data: bytes) -> str | None:
    """DOCX or XLSX: a zip with the Office content types and the document's main part (only the
    zip's directory is read, nothing is unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any((c < " " and c not in _TEXT_CONTROLS) or c == "\x7f" for c in text)


# Signed tokens. An upload's: "<file id>.<expiry, unix seconds>.<tag>"; a download's, bound to the
# session (and so the user) that read ``File.url``: "<file id>.<session id>.<expiry>.<tag>". The
# tag is an HMAC, under the server's secret, of the purpose, the row's id and random key, the
# session and its user for a download, and the expiry: a token of one purpose, file, session or
# life is no token of another.


def _tag(settings: Settings, purpose: str, row: models.StoredFile, expires: int, *bound: int) -> str:
    message = ":".join([purpose, str(row.id), row.key, *map(str, bound), str(expires)]).encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:40]


def _token(settings: Settings, purpose: str, row: models.StoredFile, seconds: int, *bound: int) -> tuple[str, datetime]:
    expires = now_utc() + timedelta(seconds=seconds)
    stamp = int(expires.timestamp())
    named = ".".join(map(str, (row.id, *bound[:1], stamp)))
    return f"{named}.{_tag(settings, purpose, row, stamp, *bound)}", expires


@dataclass(frozen=True)
class _Parsed:
    file_id: int
    session_id: int | None
    expires: int
    tag: str


def _parse(token: str, parts_wanted: int) -> _Parsed | None:
    """The parts of a token of that shape while its life lasts; None for anything else."""
    parts = token.split(".")
    if len(parts) != parts_wanted or not all(p.isascii() and p.isdigit() and len(p) <= 12 for p in parts[:-1]):
        return None
    tag = parts[-1]
    if len(tag) != 40 or any(c not in "0123456789abcdef" for c in tag):
        return None
    expires = int(parts[-2])
    if expires < now_utc().timestamp():
        return None
    session_id = int(parts[1]) if parts_wanted == 4 else None
    return _Parsed(int(parts[0]), session_id, expires, tag)


async def _row_of(settings: Settings, purpose: str, token: str, rows: Any) -> models.StoredFile | None:
    """The row an upload token names while it works, among ``rows``; None for anything else."""
    parsed = _parse(token, 3)
    if parsed is None:
        return None
    row: models.StoredFile | None = await rows.filter(id=parsed.file_id).first()
    if row is None or not hmac.compare_digest(_tag(settings, purpose, row, parsed.expires), parsed.tag):
        return None
    return row


def storage_of(settings: Settings) -> Storage:
    return open_storage(settings.storage_url)


# 1. Starting an upload.


@dataclass(frozen=True)
class Upload:
    file: models.StoredFile
    url: str
    expires_at: datetime


def _check_name(name: str, problems: list[Problem]) -> str:
    cleaned = name.strip()
    if (
        not cleaned
        or len(cleaned) > MAX_NAME
        or cleaned in (".", "..")
        or any(c in "/\\" or c < " " or c == "\x7f" for c in cleaned)
    ):
        problems.append(
            (
                "name",
                ErrorCode.FILE_NAME_INVALID,
                _("A file name has 1 to {n} characters and no slashes or control characters.", n=MAX_NAME),
            )
        )
    return cleaned


def _check_size(size: int, problems: list[Problem]) -> None:
    if size <= 0:
        problems.append(("size", ErrorCode.FILE_EMPTY, _("The file is empty.")))
    elif size > MAX_BYTES:
        problems.append(("size", ErrorCode.FILE_TOO_LARGE, _too_large()))


def _too_large() -> Any:
    megabytes = MAX_BYTES // (1024 * 1024)
    return ngettext("A file has at most {n} megabyte.", "A file has at most {n} megabytes.", megabytes)


async def start_upload(ctx: Context, name: str, size: int, base_url: str) -> Upload:
    """A pending file of the viewer's and the URL to put its bytes to."""
    problems: list[Problem] = []
    cleaned = _check_name(name, problems)
    _check_size(size, problems)
    if problems:
        raise refuse(problems)
    row = await models.StoredFile.create(
        key=secrets.token_urlsafe(24),
        name=cleaned,
        uploaded_by_id=ctx.viewer.id,
        expires_at=now_utc() + timedelta(seconds=PENDING_SECONDS),
    )
    token, expires = _token(ctx.settings, "upload", row, UPLOAD_SECONDS)
    return Upload(row, f"{base_url.rstrip('/')}/files/upload/{token}", expires)


# 2. Receiving the bytes.


class UploadRefused(Exception):
    def __init__(self, status: int, code: ErrorCode, message: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


async def upload_target(settings: Settings, token: str) -> models.StoredFile:
    """The pending file an upload token names, still waiting for its bytes."""
    waiting = models.StoredFile.filter(uploaded_at__isnull=True, attached_at__isnull=True)
    row = await _row_of(settings, "upload", token, waiting)
    if row is None:
        raise UploadRefused(404, ErrorCode.FILE_NOT_FOUND, _("No such upload, or its link expired."))
    return row


async def receive(settings: Settings, row: models.StoredFile, data: bytes) -> models.StoredFile:
    """Check the bytes and store them; the row then says what they are."""
    if not data:
        raise UploadRefused(400, ErrorCode.FILE_EMPTY, _("The file is empty."))
    if len(data) > MAX_BYTES:
        raise UploadRefused(413, ErrorCode.FILE_TOO_LARGE, _too_large())
    content_type = sniff(data)
    if content_type is None:
        raise UploadRefused(
            415,
            ErrorCode.FILE_TYPE_NOT_ALLOWED,
            _("Only PDF, PNG, JPEG, WebP, HEIC, DOCX, XLSX and plain text files can be attached."),
        )
    await storage_of(settings).put(row.key, data, content_type)
    now = now_utc()
    stored = await models.StoredFile.filter(id=row.id, uploaded_at__isnull=True).update(
        uploaded_at=now, size=len(data), content_type=content_type
    )
    if not stored:  # the same upload twice at once: the other one won, with its own bytes
        raise UploadRefused(404, ErrorCode.FILE_NOT_FOUND, _("No such upload, or its link expired."))
    row.uploaded_at, row.size, row.content_type = now, len(data), content_type
    return row


# 3. Attaching uploads to their owner.

OWNERS = ("homework", "announcement", "message", "remark", "absence_notice", "submission")


def _pending_of(viewer_id: int) -> Any:
    return models.StoredFile.filter(
        uploaded_by_id=viewer_id, uploaded_at__isnull=False, attached_at__isnull=True, expires_at__gt=now_utc()
    )


async def check_uploads(
    ctx: Context,
    ids: Sequence[str],
    problems: list[Problem],
    *,
    field: str = "fileIds",
    kept: Sequence[models.StoredFile] = (),
) -> list[models.StoredFile]:
    """The viewer's uploads ``ids`` names that wait to be attached, and any of ``kept`` (files the
    owner already has) it names; a problem for too many or for an id that is neither."""
    pks: list[int] = []
    unknown = False
    for global_id in ids:
        pk = pk_of(global_id, "File")
        if pk is None:
            unknown = True
        elif pk not in pks:
            pks.append(pk)
    if len(pks) > MAX_FILES:
        problems.append(
            (field, ErrorCode.TOO_MANY_FILES, ngettext("At most {n} file.", "At most {n} files.", MAX_FILES))
        )
        return []
    have = {f.id: f for f in kept}
    wanted = [pk for pk in pks if pk not in have]
    found = {f.id: f for f in await _pending_of(ctx.viewer.id).filter(id__in=wanted)} if wanted else {}
    if unknown or len(found) < len(wanted):
        problems.append((field, ErrorCode.FILE_NOT_FOUND, _("No such upload of yours waiting to be attached.")))
        return []
    return [have.get(pk) or found[pk] for pk in pks]


async def attach(ctx: Context, files: Sequence[models.StoredFile], **owner: int) -> None:
    """Attach the checked uploads to the owner (``homework_id=...``), inside the owner's write's
    transaction; an upload attached meanwhile by another write refuses the whole write."""
    new = [f.id for f in files if f.attached_at is None]
    if not new:
        return
    now = now_utc()
    attached = await _pending_of(ctx.viewer.id).filter(id__in=new).update(attached_at=now, **owner)
    if attached != len(new):
        raise NotFound(_("No such upload of yours waiting to be attached."), ErrorCode.FILE_NOT_FOUND)
    for f in files:
        if f.attached_at is None:
            f.attached_at = now
            for name, value in owner.items():
                setattr(f, name, value)


async def detach(files: Sequence[models.StoredFile]) -> list[str]:
    """Remove files from their owner (inside its write's transaction); their keys, whose bytes
    ``discard`` removes after the commit."""
    if files:
        await models.StoredFile.filter(id__in=[f.id for f in files]).delete()
    return [f.key for f in files]


async def discard(settings: Settings, keys: Sequence[str]) -> None:
    storage = storage_of(settings)
    for key in keys:
        await storage.delete(key)


async def attached_to(**owner: int) -> list[models.StoredFile]:
    return await models.StoredFile.filter(**owner).order_by("id")


# 4. Downloads.


def download_url(settings: Settings, viewer: Viewer, row: models.StoredFile, base_url: str) -> str:
    """This server's URL that serves the file for ``DOWNLOAD_SECONDS`` to the viewer's session,
    whatever the storage: ``download`` asks again, when it is used, whether the session is live
    and the file still the viewer's to read (README "Files": why S3 goes through here too)."""
    bound = (viewer.session_id or 0, viewer.user_id or 0)
    token, _expires = _token(settings, "download", row, DOWNLOAD_SECONDS, *bound)
    return f"{base_url.rstrip('/')}/files/{token}"


async def download(settings: Settings, token: str) -> tuple[models.StoredFile, bytes] | None:
    """The file a download token names and its bytes, if at this moment the session it was
    signed for is live, its account in good standing, and the file visible to its user through
    the scope of ``File`` (``policy.visible_files``, what ``node(id:)`` and ``attachments``
    answer); None for anything else: a token that never was, forged, expired, of an upload, or
    whose access has ended, all alike."""
    parsed = _parse(token, 4)
    if parsed is None or parsed.session_id is None:
        return None
    row = await models.StoredFile.filter(id=parsed.file_id, attached_at__isnull=False).first()
    user_id = await models.Session.filter(id=parsed.session_id).first().values_list("user_id", flat=True)
    if row is None or not isinstance(user_id, int):
        return None
    expected = _tag(settings, "download", row, parsed.expires, parsed.session_id, user_id)
    if not hmac.compare_digest(expected, parsed.tag):
        return None
    viewer = Viewer(user_id, session_id=parsed.session_id)
    if not await policy.in_good_standing(viewer) or not await policy.visible_files(viewer).filter(id=row.id).exists():
        return None
    data = await storage_of(settings).get(row.key)
    return (row, data) if data is not None else None


# 5. Housekeeping.


async def sweep(settings: Settings) -> int:
    """Remove the uploads nobody attached in time, their bytes first; how many went."""
    abandoned = await models.StoredFile.filter(Q(attached_at__isnull=True) & Q(expires_at__lt=now_utc())).values_list(
        "id", "key"
    )
    storage = storage_of(settings)
    for _id, key in abandoned:
        await storage.delete(str(key))
    if abandoned:
        await models.StoredFile.filter(id__in=[i for i, _key in abandoned], attached_at__isnull=True).delete()
    return len(abandoned)
