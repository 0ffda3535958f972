"""Audit rows written before the audit helper's per-action allow-list lose their private
content: a chat message's text (``message.edit``/``message.delete`` kept it as ``before``), who a
chat's members are (ids, replaced by their count or a flag) and an absence notice's reason, if
any row holds one. A school's admins read these rows and are not in the chats."""

from json import dumps, loads

from tortoise import migrations
from tortoise.migrations import operations as ops

PRIVATE = ("chat.create", "chat.members_add", "chat.member_remove", "chat.leave", "message.edit", "message.delete")
ABSENCE = ("absence_notice.create", "absence_notice.delete")


def cleaned(action, actor_id, details):
    """The details as the allow-list of that day lets them be (see ``resolvers/audit.py``)."""
    out = dict(details)
    if action in ABSENCE:
        for key in ("reason", "text", "comment"):
            out.pop(key, None)
        return out
    if action in ("chat.create", "chat.members_add"):
        members = out.pop("members", None)
        out = {"memberCount": len(members) if isinstance(members, list) else 0}
    elif action == "chat.member_remove":
        out = {}
    elif action == "chat.leave":
        out = {}
        if details.get("new_admin") is not None:
            out["handedOver"] = True
        if details.get("deleted"):
            out["deleted"] = True
    elif action == "message.edit":
        out = {"chat": details.get("chat")}
    elif action == "message.delete":
        out = {"chat": details.get("chat")}
        if details.get("author") is not None:
            out["ownMessage"] = details.get("author") == actor_id
    return out


async def clean_audit_rows(apps, schema_editor):
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    actions = PRIVATE + ABSENCE
    marks = ", ".join(f"${n}" if postgres else "?" for n in range(1, len(actions) + 1))
    rows = await client.execute_query_dict(
        f"SELECT id, action, actor_id, details FROM audit_entry WHERE action IN ({marks})", list(actions)
    )
    update = "UPDATE audit_entry SET details = $1 WHERE id = $2" if postgres else (
        "UPDATE audit_entry SET details = ? WHERE id = ?"
    )
    for row in rows:
        details = row["details"]
        if isinstance(details, str):
            details = loads(details)
        details = details or {}
        new = cleaned(row["action"], row["actor_id"], details)
        if new != details:
            await client.execute_query(update, [dumps(new, separators=(",", ":")), row["id"]])


class Migration(migrations.Migration):
    dependencies = [('models', '0016_guardianship_revocations')]

    initial = False

    operations = [
        ops.RunPython(clean_audit_rows, ops.RunPython.noop),
    ]
