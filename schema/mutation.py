"""The root Mutation: `<noun><Verb>(input: ...)` returning a result union. Each domain
module contributes its mutations as a base class."""

from __future__ import annotations

import strawberry

from schema.absence import AbsenceMutations
from schema.account_admin import AccountAdminMutations
from schema.accounts import AccountMutations
from schema.attendance import AttendanceMutations
from schema.grades import GradeMutations
from schema.homework import HomeworkMutations
from schema.remarks import RemarkMutations
from schema.roster_import import RosterMutations


@strawberry.type(description="Change the diary. Refusals are data (result unions); only coarse gates are errors.")
class Mutation(
    AccountMutations,
    GradeMutations,
    HomeworkMutations,
    RemarkMutations,
    AttendanceMutations,
    AbsenceMutations,
    AccountAdminMutations,
    RosterMutations,
):
    pass
