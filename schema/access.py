"""Parent access requests: a family applies to a school for a child; the school's admins
approve or refuse within 72 hours."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import access, pages, policy
from resolvers.core import _, now_utc, to_global_id
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.gates import IsAdmin, IsAuthenticated, LacksRole
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument
from schema.schools import School
from schema.students import Student
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.enum(description="Where an access request stands.")
class AccessRequestStatus(Enum):
    SUBMITTED = strawberry.enum_value("SUBMITTED", description="Waiting for the school's decision.")
    APPROVED = strawberry.enum_value("APPROVED", description="Approved: the applicant is the child's guardian.")
    REFUSED = strawberry.enum_value("REFUSED", description="Refused: see `refusalReason` and `comment`.")
    WITHDRAWN = strawberry.enum_value("WITHDRAWN", description="Withdrawn by the applicant.")


@strawberry.enum(description="How the applicant is related to the child.")
class GuardianRelation(Enum):
    MOTHER = strawberry.enum_value("MOTHER", description="The child's mother.")
    FATHER = strawberry.enum_value("FATHER", description="The child's father.")
    LEGAL_GUARDIAN = strawberry.enum_value("LEGAL_GUARDIAN", description="A guardian or trustee appointed by law.")
    OTHER_REPRESENTATIVE = strawberry.enum_value(
        "OTHER_REPRESENTATIVE", description="Another legal representative (with a document saying so)."
    )


@strawberry.enum(description="Why a school refused an access request.")
class RefusalReason(Enum):
    NOT_PARENT = strawberry.enum_value(
        "NOT_PARENT", description="The applicant is not the child's parent or legal representative."
    )
    NOT_STUDYING_HERE = strawberry.enum_value(
        "NOT_STUDYING_HERE", description="The child does not study at this school."
    )
    DOCUMENTS_INVALID = strawberry.enum_value("DOCUMENTS_INVALID", description="Documents incomplete or invalid.")
    CONFLICTING_INFORMATION = strawberry.enum_value(
        "CONFLICTING_INFORMATION", description="The information given conflicts with the school's records."
    )
    WITHDRAWN_ON_REQUEST = strawberry.enum_value(
        "WITHDRAWN_ON_REQUEST", description="Withdrawn at the applicant's request (e.g. asked by phone)."
    )


@strawberry.type(
    description="A family's request to be linked to a child of a school. Only the applicant and the school's "
    "admins (and its district's) can reach it: it carries the child's and the applicant's documents."
)
class AccessRequest(types.Node):
    model: strawberry.Private[models.AccessRequest]

    @strawberry.field(description="The school asked.")
    async def school(self, info: Info) -> School:
        s = await info.context.loaders.school_by_id.load(self.model.school_id)
        return await shown(info, School(model=types._must(s, "school")))

    @strawberry.field(description="Who applied.")
    async def applicant(self, info: Info) -> User:
        u = await info.context.loaders.user_by_id.load(self.model.applicant_id)
        return await shown(info, User(model=types._must(u, "applicant")))

    @strawberry.field(description="The child's full name, as the applicant wrote it.")
    def child_full_name(self) -> str:
        return self.model.child_full_name

    @strawberry.field(description="The child's birth date.")
    def child_birth_date(self) -> dt.date:
        return self.model.child_birth_date

    @strawberry.field(description="The number of the child's birth certificate (personal data).")
    def birth_certificate_number(self) -> str:
        return self.model.birth_certificate_number

    @strawberry.field(description="The applicant's identity document: kind, series and number (personal data).")
    def identity_document(self) -> str:
        return self.model.identity_document

    @strawberry.field(description="How the applicant is related to the child.")
    def relation(self) -> GuardianRelation:
        return GuardianRelation(self.model.relation.value)

    @strawberry.field(description="When the applicant consented to the processing of this data.")
    def consent_given_at(self) -> dt.datetime:
        return self.model.consent_at

    @strawberry.field(description="Where it stands.")
    def status(self) -> AccessRequestStatus:
        return AccessRequestStatus(self.model.status.value)

    @strawberry.field(description="When it was submitted.")
    def submitted_at(self) -> dt.datetime:
        return self.model.submitted_at

    @strawberry.field(description="When the school is due to decide: 72 hours after submission.")
    def due_at(self) -> dt.datetime:
        return self.model.due_at

    @strawberry.field(description="True while it waits past its due time.")
    def overdue(self) -> bool:
        return self.model.status == models.AccessRequestStatus.SUBMITTED and self.model.due_at < now_utc()

    @strawberry.field(description="When it was approved or refused; null before (and when withdrawn).")
    def reviewed_at(self) -> dt.datetime | None:
        return self.model.reviewed_at

    @strawberry.field(description="The admin who approved or refused it.")
    async def reviewed_by(self, info: Info) -> User | None:
        if self.model.reviewed_by_id is None:
            return None
        u = await info.context.loaders.user_by_id.load(self.model.reviewed_by_id)
        return User(model=u) if u else None

    @strawberry.field(description="Why it was refused; null unless REFUSED.")
    def refusal_reason(self) -> RefusalReason | None:
        reason = self.model.refusal_reason
        return RefusalReason(reason.value) if reason is not None else None

    @strawberry.field(description="The school's comment on its refusal.")
    def comment(self) -> str | None:
        return self.model.comment

    @strawberry.field(description="The child, once approved (and while you may see them).")
    async def student(self, info: Info) -> Student | None:
        if self.model.student_id is None:
            return None
        loaders = info.context.loaders
        if not await loaders.student_visible.load(self.model.student_id):
            return None
        s = await loaders.student_by_id.load(self.model.student_id)
        return Student(model=s) if s else None


@strawberry.input(description="An application to a school for access to a child's diary.")
class AccessRequestSubmitInput:
    school_id: strawberry.ID = strawberry.field(
        description="The `School` the child studies at (see `schoolDirectory`)."
    )
    child_full_name: str = strawberry.field(description="The child's full name as on the birth certificate.")
    child_birth_date: dt.date = strawberry.field(description="The child's birth date.")
    birth_certificate_number: str = strawberry.field(description="The number of the child's birth certificate.")
    identity_document: str = strawberry.field(description="Your identity document: kind, series and number.")
    relation: GuardianRelation = strawberry.field(description="How you are related to the child.")
    consent: bool = strawberry.field(description="You consent to the processing of this data; required (true).")


@strawberry.input(description="A pending request approved.")
class AccessRequestApproveInput:
    request_id: strawberry.ID = strawberry.field(description="An `AccessRequest` to a school you run.")
    student_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The child, a `Student` of that school; default: the one student with the request's name "
        "and birth date.",
    )


@strawberry.input(description="A pending request refused.")
class AccessRequestRefuseInput:
    request_id: strawberry.ID = strawberry.field(description="An `AccessRequest` to a school you run.")
    reason: RefusalReason = strawberry.field(description="Why; shown to the applicant.")
    comment: str = strawberry.field(description="What the applicant should know or do, 1-2000 characters.")


@strawberry.input(description="Your own pending request withdrawn.")
class AccessRequestWithdrawInput:
    request_id: strawberry.ID = strawberry.field(description="An `AccessRequest` you submitted.")


@strawberry.type(description="The request as it is now.")
class AccessRequestSuccess:
    access_request: AccessRequest = strawberry.field(description="The request.")


AccessRequestSubmitResult = Annotated[
    AccessRequestSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AccessRequestSubmitResult",
        description="The submitted request, or why not (nothing written). ValidationError codes: NAME_EMPTY, "
        "INVALID_CHARACTERS, "
        "NAME_TOO_LONG (childFullName), INVALID_BIRTH_DATE, CERTIFICATE_REQUIRED, CERTIFICATE_TOO_LONG, "
        "DOCUMENT_REQUIRED, DOCUMENT_TOO_LONG, CONSENT_REQUIRED, DUPLICATE_REQUEST (you have a pending request "
        "for this child at this school); NotFoundError SCHOOL_NOT_FOUND.",
    ),
]
AccessRequestApproveResult = Annotated[
    AccessRequestSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AccessRequestApproveResult",
        description="The approved request, or why not (nothing written). ValidationError codes: NOT_PENDING, "
        "STUDENT_NOT_IN_SCHOOL, NO_MATCHING_STUDENT, AMBIGUOUS_STUDENT (pick `studentId`), ALREADY_GUARDIAN; "
        "NotFoundError ACCESS_REQUEST_NOT_FOUND (not there, or not to a school you run).",
    ),
]
AccessRequestRefuseResult = Annotated[
    AccessRequestSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AccessRequestRefuseResult",
        description="The refused request, or why not (nothing written). ValidationError codes: NOT_PENDING, "
        "COMMENT_REQUIRED, COMMENT_TOO_LONG; NotFoundError ACCESS_REQUEST_NOT_FOUND.",
    ),
]
AccessRequestWithdrawResult = Annotated[
    AccessRequestSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AccessRequestWithdrawResult",
        description="The withdrawn request, or why not (nothing written). ValidationError NOT_PENDING; "
        "NotFoundError ACCESS_REQUEST_NOT_FOUND (not there, or not yours).",
    ),
]


REVIEWERS = IsAdmin(_("Only the school's admins review access requests."))
APPLICANTS = LacksRole(
    models.Role.STUDENT, refusal=_("Access requests are made by a parent's own account, not a student's.")
)


@strawberry.type
class AccessRequestMutations:
    @strawberry.mutation(
        description="Apply to a school for access to your child's diary (any logged-in account but a student's; "
        "FORBIDDEN for those). The school decides within 72 hours.",
        permission_classes=[APPLICANTS],
    )
    async def access_request_submit(
        self, info: Info, input: Annotated[AccessRequestSubmitInput, INPUT]
    ) -> AccessRequestSubmitResult:
        data = access.Application(
            school_id=input.school_id,
            child_full_name=input.child_full_name,
            child_birth_date=input.child_birth_date,
            birth_certificate_number=input.birth_certificate_number,
            identity_document=input.identity_document,
            relation=models.GuardianRelation(input.relation.name),
            consent=input.consent,
        )
        return AccessRequestSuccess(access_request=AccessRequest(model=await access.submit(info.context, data)))

    @strawberry.mutation(
        description="Approve a pending request: the applicant becomes the child's guardian (and a PARENT of the "
        "school) at once. The school's admins and its district's; FORBIDDEN for everyone else.",
        permission_classes=[REVIEWERS],
    )
    async def access_request_approve(
        self, info: Info, input: Annotated[AccessRequestApproveInput, INPUT]
    ) -> AccessRequestApproveResult:
        row = await access.approve(info.context, input.request_id, input.student_id)
        return AccessRequestSuccess(access_request=AccessRequest(model=row))

    @strawberry.mutation(
        description="Refuse a pending request with a reason and a comment, both shown to the applicant. The "
        "school's admins and its district's; FORBIDDEN for everyone else.",
        permission_classes=[REVIEWERS],
    )
    async def access_request_refuse(
        self, info: Info, input: Annotated[AccessRequestRefuseInput, INPUT]
    ) -> AccessRequestRefuseResult:
        reason = models.RefusalReason(input.reason.name)
        row = await access.refuse_request(info.context, input.request_id, reason, input.comment)
        return AccessRequestSuccess(access_request=AccessRequest(model=row))

    @strawberry.mutation(description="Withdraw your own pending request.", permission_classes=[IsAuthenticated])
    async def access_request_withdraw(
        self, info: Info, input: Annotated[AccessRequestWithdrawInput, INPUT]
    ) -> AccessRequestWithdrawResult:
        row = await access.withdraw(info.context, input.request_id)
        return AccessRequestSuccess(access_request=AccessRequest(model=row))


@strawberry.type(description="A school a family can apply to: its name, for every signed-in user.")
class SchoolListing(types.Node):
    model: strawberry.Private[models.School]

    @strawberry.field(description="The `School` id to pass to `accessRequestSubmit`.")
    def school_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("School", self.model.id))

    @strawberry.field(description="The school's name.")
    def name(self) -> str:
        return self.model.name


LISTINGS_CURSOR = "school listings"
LISTINGS_PAGE = 50


@strawberry.type
class AccessRequestQueries:
    @strawberry.field(
        description="Every school, by name: where a family picks the school to apply to.",
        permission_classes=[IsAuthenticated],
        deprecation_reason="Use `schoolListings`, a connection; removed after 2027-03-31.",
    )
    async def school_directory(self, info: Info) -> list[SchoolListing]:
        return [SchoolListing(model=s) for s in await policy.listed_schools(info.context.viewer).order_by("name", "id")]

    @strawberry.field(
        description="Every school, as `schoolDirectory` lists them (by name, then id), as a Relay connection: "
        "`first`/`after` from the start, `last`/`before` from the end, at most 100 a page (default 50).",
        permission_classes=[IsAuthenticated],
    )
    async def school_listings(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(LISTINGS_PAGE)] = None,
        after: Annotated[str | None, strawberry.argument(description="A `cursor`: the schools after it.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `cursor`: the schools before it.")] = None,
    ) -> SchoolListingConnection:
        page = await pages.keyset(
            policy.listed_schools(info.context.viewer),
            LISTINGS_CURSOR,
            first,
            after,
            last,
            before,
            descending=False,
            by="name",
            default_first=LISTINGS_PAGE,
        )
        edges = [
            SchoolListingEdge(node=SchoolListing(model=s), cursor=pages.encode(LISTINGS_CURSOR, s.id))
            for s in page.rows
        ]
        return SchoolListingConnection(edges=edges, page_info=keyset_page_info(page, LISTINGS_CURSOR))


@strawberry.type(description="A school of the directory, with its cursor.")
class SchoolListingEdge:
    node: SchoolListing = strawberry.field(description="The school.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of the school directory, by name.")
class SchoolListingConnection:
    edges: list[SchoolListingEdge] = strawberry.field(description="The schools of this page, by name.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type
class ViewerAccessRequests:
    @strawberry.field(description="The access requests you submitted, newest first, with their status and reason.")
    async def access_requests(self, info: Info) -> list[AccessRequest]:
        rows = await policy.own_access_requests(info.context.viewer).order_by("-submitted_at", "-id")
        return [AccessRequest(model=r) for r in rows]
