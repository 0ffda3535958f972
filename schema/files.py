"""Attached files: the `File` type every owner's `attachments` lists, and `fileUploadStart`
(README "Files": how a client uploads and downloads)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import files
from resolvers.core import to_global_id
from schema import types
from schema.errors import ValidationError
from schema.gates import IsAuthenticated

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")

ATTACHMENTS = (
    "Ids of files to attach: each `uploadId` of your own `fileUploadStart` whose bytes were uploaded, within "
    f"{files.PENDING_SECONDS // 3600} hours; at most {files.MAX_FILES}."
)
FILE_CODES = "TOO_MANY_FILES, FILE_NOT_FOUND (not an upload of yours waiting to be attached)"


def base_url(info: Info) -> str:
    return str(info.context.request.base_url)


@strawberry.type(
    description="A file attached to homework, an announcement, a chat message, a remark, an absence notice or "
    "handed-in work. Seen "
    "by whoever sees what it is attached to."
)
class File(types.Node):
    model: strawberry.Private[models.StoredFile]

    @strawberry.field(description="The file's name as its uploader gave it.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="Its size in bytes.")
    def size(self) -> int:
        return self.model.size or 0

    @strawberry.field(
        description="Its media type, as the server found it in the content (never the name): application/pdf, "
        "image/png, image/jpeg, image/webp, image/heic, the DOCX or XLSX type, or text/plain; charset=utf-8."
    )
    def content_type(self) -> str:
        return self.model.content_type or files.TEXT

    @strawberry.field(
        description=f"Where to download it: a URL of this server that works for {files.DOWNLOAD_SECONDS // 60} "
        "minutes (no `Authorization` header needed, so an `<img src>` or a link works) while your session lasts and "
        "the file is yours to read: checked again at every download, so a logout, a password change or access to "
        "its owner ending stops it at once (404). Read the field again for a fresh one."
    )
    def url(self, info: Info) -> str:
        return files.download_url(info.context.settings, info.context.viewer, self.model, base_url(info))

    @strawberry.field(description="When its bytes were uploaded.")
    def uploaded_at(self) -> dt.datetime:
        return self.model.uploaded_at or self.model.created_at


@strawberry.input(description="A file you are about to upload.")
class FileUploadStartInput:
    name: str = strawberry.field(
        description=f"Its name as readers will see it, 1-{files.MAX_NAME} characters, no slashes."
    )
    size: int = strawberry.field(
        description=f"Its size in bytes, 1 to {files.MAX_BYTES} ({files.MAX_BYTES // (1024 * 1024)} MB)."
    )


@strawberry.type(description="Where to upload the file's bytes; then pass `uploadId` to the write it belongs to.")
class FileUploadStartSuccess:
    upload_id: strawberry.ID = strawberry.field(
        description="Pass it in the `fileIds` of the write the file belongs to (`homeworkAssign`, "
        "`messageSend`, ...); once attached it is the `File`'s `id`."
    )
    upload_url: str = strawberry.field(
        description="`PUT` the file's bytes here as the request body (any Content-Type; no `Authorization` "
        "header needed). Answers 204 when stored; 400 FILE_EMPTY, 413 FILE_TOO_LARGE, 415 FILE_TYPE_NOT_ALLOWED "
        "(the content is checked, not the name), 404 FILE_NOT_FOUND (expired or already uploaded)."
    )
    expires_at: dt.datetime = strawberry.field(description="The upload URL works until then.")
    max_bytes: int = strawberry.field(description="The largest file accepted, in bytes.")


FileUploadStartResult = Annotated[
    FileUploadStartSuccess | ValidationError,
    strawberry.union(
        "FileUploadStartResult",
        description="Where to upload, or why not (nothing written): ValidationError FILE_NAME_INVALID, FILE_EMPTY "
        "(size 0), FILE_TOO_LARGE.",
    ),
]


@strawberry.type
class FileMutations:
    @strawberry.mutation(
        description="Start uploading a file to attach to something you write (homework, an announcement, a chat "
        "message, a remark, an absence notice): answers a signed upload URL that works for "
        f"{files.UPLOAD_SECONDS // 60} minutes. An upload not attached within {files.PENDING_SECONDS // 3600} "
        'hours is removed. README "Files" shows the whole way.',
        permission_classes=[IsAuthenticated],
    )
    async def file_upload_start(
        self, info: Info, input: Annotated[FileUploadStartInput, INPUT]
    ) -> FileUploadStartResult:
        upload = await files.start_upload(info.context, input.name, input.size, base_url(info))
        return FileUploadStartSuccess(
            upload_id=strawberry.ID(to_global_id("File", upload.file.id)),
            upload_url=upload.url,
            expires_at=upload.expires_at,
            max_bytes=files.MAX_BYTES,
        )
