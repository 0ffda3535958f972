"""Push devices: the device-registration API of the web app and of native apps (README "Push
notifications"), and the server's Web Push public key."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from edge.push import load_vapid_key, public_key_b64
from resolvers import policy, push
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.gates import IsAuthenticated

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
MAX_DEVICES = 100  # what `pushDevices` lists at most, newest first


@strawberry.enum(description="How a device receives pushes.")
class PushKind(Enum):
    WEB_PUSH = strawberry.enum_value(
        "WEB_PUSH", description="A browser's push subscription (`PushManager.subscribe` with `vapidPublicKey`)."
    )
    FCM = strawberry.enum_value("FCM", description="A Firebase Cloud Messaging registration token.")
    APNS = strawberry.enum_value("APNS", description="An Apple Push Notification service device token.")


@strawberry.type(
    description="A device that receives your notifications while the app is closed. It belongs to the session "
    "that registered it and stops with it. Its endpoint or token is never shown back."
)
class PushDevice(types.Node):
    model: strawberry.Private[models.PushDevice]

    @strawberry.field(description="How it receives pushes.")
    def kind(self) -> PushKind:
        return PushKind(self.model.kind.value)

    @strawberry.field(description="When it was registered.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When a push was last handed to its push service; null: never.")
    def last_sent_at(self) -> dt.datetime | None:
        return self.model.last_sent_at

    @strawberry.field(description="True when this request's session registered it.")
    def current(self, info: Info) -> bool:
        return bool(self.model.session_id == info.context.viewer.session_id)


@strawberry.type
class PushQueries:
    @strawberry.field(
        description="The server's VAPID public key (base64url, uncompressed P-256): the `applicationServerKey` "
        "of `PushManager.subscribe`. Null when this server does not send Web Push.",
        permission_classes=[IsAuthenticated],
    )
    def vapid_public_key(self, info: Info) -> str | None:
        key = info.context.settings.vapid_private_key
        return public_key_b64(load_vapid_key(key)) if key else None


@strawberry.type
class PushViewer:
    @strawberry.field(description=f"Your push devices, of your live sessions, newest first (at most {MAX_DEVICES}).")
    async def push_devices(self, info: Info) -> list[PushDevice]:
        rows = await policy.own_push_devices(info.context.viewer).order_by("-id").limit(MAX_DEVICES)
        return [PushDevice(model=r) for r in rows]


@strawberry.input(
    description="A device to push to: WEB_PUSH takes `endpoint`, `p256dh` and `auth` (from the browser's "
    "`PushSubscription.toJSON()`); FCM and APNS take `token`."
)
class PushDeviceRegisterInput:
    kind: PushKind = strawberry.field(description="How it receives pushes.")
    endpoint: str | None = strawberry.field(default=None, description="WEB_PUSH: the push service's https:// URL.")
    p256dh: str | None = strawberry.field(default=None, description="WEB_PUSH: `keys.p256dh` (base64url).")
    auth: str | None = strawberry.field(default=None, description="WEB_PUSH: `keys.auth` (base64url).")
    token: str | None = strawberry.field(
        default=None, description="FCM: the registration token; APNS: the device token (hex)."
    )


@strawberry.type(description="The device is registered to this session.")
class PushDeviceRegisterSuccess:
    device: PushDevice = strawberry.field(description="The device.")


PushDeviceRegisterResult = Annotated[
    PushDeviceRegisterSuccess | ValidationError,
    strawberry.union(
        "PushDeviceRegisterResult",
        description="The registered device, or why not (nothing changed). ValidationError codes: "
        "PUSH_UNAVAILABLE, PUSH_ENDPOINT_INVALID, PUSH_KEY_INVALID, PUSH_TOKEN_INVALID.",
    ),
]


@strawberry.input(description="The device to remove.")
class PushDeviceUnregisterInput:
    device_id: strawberry.ID = strawberry.field(description="A `PushDevice` id from `viewer.pushDevices`.")


@strawberry.type(description="The device receives nothing more.")
class PushDeviceUnregisterSuccess:
    device_id: strawberry.ID = strawberry.field(description="The removed device's id.")


PushDeviceUnregisterResult = Annotated[
    PushDeviceUnregisterSuccess | NotFoundError,
    strawberry.union(
        "PushDeviceUnregisterResult",
        description="The device removed, or NotFoundError PUSH_DEVICE_NOT_FOUND (not one of your devices: "
        "nothing changed).",
    ),
]


@strawberry.type
class PushMutations:
    @strawberry.mutation(
        description="Register this device for pushes while the app is closed, for this session: it receives what "
        "your preferences push (`CategoryChannels.push`), after your quiet hours, until the session ends. The same "
        "endpoint or token registered again replaces the earlier registration. Audited (ids and kind only).",
        permission_classes=[IsAuthenticated],
    )
    async def push_device_register(
        self, info: Info, input: Annotated[PushDeviceRegisterInput, INPUT]
    ) -> PushDeviceRegisterResult:
        device = await push.register(
            info.context,
            push.DeviceInput(
                kind=models.PushKind[input.kind.name],
                endpoint=input.endpoint,
                p256dh=input.p256dh,
                auth=input.auth,
                token=input.token,
            ),
        )
        return PushDeviceRegisterSuccess(device=PushDevice(model=device))

    @strawberry.mutation(
        description="Stop pushing to one of your devices (of any of your live sessions). Audited.",
        permission_classes=[IsAuthenticated],
    )
    async def push_device_unregister(
        self, info: Info, input: Annotated[PushDeviceUnregisterInput, INPUT]
    ) -> PushDeviceUnregisterResult:
        await push.unregister(info.context, input.device_id)
        return PushDeviceUnregisterSuccess(device_id=input.device_id)
