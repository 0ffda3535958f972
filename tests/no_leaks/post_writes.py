"""More probed mutations, those that post for a school or class: an announcement for a
school or one of its classes, a parents' meeting for a class, and a change to a meeting. Same shape as
tests/no_leaks/mutations.py."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from resolvers.core import from_global_id, now_utc, to_global_id
from tests.no_leaks.mutations import Write
from tests.no_leaks.oracle import Allowed, oracle
from tests.no_leaks.world import World

NEWS = 'audience: EVERYONE, title: "probe", body: "probe"'


def _school_for(target: str, world: World, uid: int) -> str:
    """The school an announcement for the target class names: the class's own when the viewer
    sees it, else the first the viewer sees (the district's first when they see none), so a
    class not theirs is refused for the class, as a missing one is."""
    found = from_global_id(json.loads(target))
    klass = next((c for c in world.classes if found is not None and c.id == found[1]), None)
    seen = sorted(oracle(world, uid)["School"])
    school = klass.school_id if klass is not None and klass.school_id in seen else (seen or [world.schools[0].id])[0]
    return json.dumps(to_global_id("School", school))


def _posts_for(world: World, uid: int, allowed: Allowed, klass: Any) -> bool:
    """The school's admins, and the class's homeroom teacher (who sees the class)."""
    return klass.school_id in allowed.admin_schools or (
        klass.homeroom_teacher_id == uid and klass.id in allowed["SchoolClass"]
    )


def _meeting(target: str, world: World, uid: int) -> str:
    starts = (now_utc() + timedelta(days=7)).replace(microsecond=0)
    ends = starts + timedelta(hours=1)
    when = f'startsAt: "{starts.isoformat()}", endsAt: "{ends.isoformat()}"'
    return f'title: "probe", {when}, place: "Hall", classIds: [{target}]'


POST_WRITES = [
    Write(
        "announcementCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f"schoolId: {g}, {NEWS}",
        lambda w, uid, a, r: r.id in a.admin_schools,
    ),
    Write(
        "announcementCreate",
        "SchoolClass",
        lambda w: w.classes,
        lambda g, w, uid: f"schoolId: {_school_for(g, w, uid)}, classId: {g}, {NEWS}",
        _posts_for,
    ),
    Write("meetingCreate", "SchoolClass", lambda w: w.classes, _meeting, _posts_for),
    Write(
        "meetingUpdate",
        "Meeting",
        lambda w: w.meetings,
        lambda g, w, uid: f'meetingId: {g}, title: "probe", place: "Hall"',
        # its organiser or the school's admins, while it is not cancelled
        lambda w, uid, a, r: r.cancelled_at is None and (r.organiser_id == uid or r.school_id in a.admin_schools),
    ),
]
