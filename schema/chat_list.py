"""The viewer's chat list (a connection with unread counts) and people search."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from resolvers import messages, pages, people, policy
from resolvers.core import pk_of
from schema import types
from schema.chats import Chat
from schema.gates import IsAuthenticated
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument
from schema.users import User

Info = types.Info

CHATS_DEFAULT = 50
CHATS_CURSOR = "chats"


@strawberry.enum(description="Whom to list in `peopleSearch`.")
class PeopleCategory(Enum):
    PARENTS_OF_CLASS = strawberry.enum_value("PARENTS_OF_CLASS", description="The guardians of a class's students.")
    TEACHERS_OF_CLASS = strawberry.enum_value(
        "TEACHERS_OF_CLASS", description="The teachers of a class (any subject) and its homeroom teacher."
    )
    STUDENTS_OF_CLASS = strawberry.enum_value("STUDENTS_OF_CLASS", description="A class's students who have a login.")
    ADMINISTRATION = strawberry.enum_value("ADMINISTRATION", description="The school's administrators.")


# The search arguments `peopleSearch` and `people` both take.
NameQuery = Annotated[
    str | None, strawberry.argument(description="The first letters of one or more words of the name.")
]
Category = Annotated[PeopleCategory | None, strawberry.argument(description="Only this group.")]
ClassOfCategory = Annotated[
    strawberry.ID | None, strawberry.argument(description="The `SchoolClass` of a class category.")
]


@strawberry.type
class ChatQueries:
    @strawberry.field(
        description="A chat you are a member of; null when it does not exist, was deleted, or you are not (or no "
        "longer) in it.",
        permission_classes=[IsAuthenticated],
    )
    async def chat(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A `Chat` id.")]
    ) -> Chat | None:
        pk = pk_of(id, "Chat")
        row = await policy.visible_chats(info.context.viewer).filter(id=pk).first() if pk else None
        return Chat(model=row) if row else None

    @strawberry.field(
        description="People you can add to a chat, by name then id: the first letters of any word of their name "
        '(case-insensitive, any script; "ив" finds "Иван Петров" and "Пётр Иванов"), and/or a category. Only '
        "people you may reach: your school; a parent reaches their children's teachers, their classes' parents and "
        "the administration; a student their class's teachers and classmates. BAD_USER_INPUT without `classId` for "
        "a class category.",
        permission_classes=[IsAuthenticated],
    )
    async def people_search(
        self,
        info: Info,
        query: NameQuery = None,
        category: Category = None,
        class_id: ClassOfCategory = None,
        limit: Annotated[
            int | None,
            strawberry.argument(
                description="At most this many, 1-100 (default 20).",
                deprecation_reason="Use `people(first:)`, a connection; removed after 2027-03-31.",
            ),
        ] = None,
    ) -> list[User]:
        rows = await people.search(
            info.context, query, people.PeopleCategory(category.name) if category else None, class_id, limit
        )
        info.context.loaders.prime_many(info.context.loaders.user_by_id, rows)
        return [User(model=u) for u in rows]

    @strawberry.field(
        description="The people `peopleSearch` finds, as a Relay connection by name then id: `first`/`after` from "
        "the start, `last`/`before` from the end, at most 100 a page (default 20).",
        permission_classes=[IsAuthenticated],
    )
    async def people(
        self,
        info: Info,
        query: NameQuery = None,
        category: Category = None,
        class_id: ClassOfCategory = None,
        first: Annotated[int | None, first_argument(20)] = None,
        after: Annotated[str | None, strawberry.argument(description="A `cursor`: the people after it.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `cursor`: the people before it.")] = None,
    ) -> UserConnection:
        scope = await people.found(
            info.context, query, people.PeopleCategory(category.name) if category else None, class_id
        )
        page = await pages.keyset(scope, PEOPLE_CURSOR, first, after, last, before, descending=False, by=people.ORDER)
        info.context.loaders.prime_many(info.context.loaders.user_by_id, page.rows)
        edges = [UserEdge(node=User(model=u), cursor=pages.encode(PEOPLE_CURSOR, u.id)) for u in page.rows]
        return UserConnection(edges=edges, page_info=keyset_page_info(page, PEOPLE_CURSOR))


PEOPLE_CURSOR = people.CURSOR


@strawberry.type(description="A person `people` found, with the cursor.")
class UserEdge:
    node: User = strawberry.field(description="The person.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of the people a search found, by name.")
class UserConnection:
    edges: list[UserEdge] = strawberry.field(description="The people of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type(description="A chat of your list, with its cursor.")
class ChatEdge:
    node: Chat = strawberry.field(description="The chat.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of your chats, most recent activity first.")
class ChatConnection:
    edges: list[ChatEdge] = strawberry.field(description="The chats, most recent activity first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursors.")


@strawberry.type
class ChatViewer:
    @strawberry.field(
        description="The chats you are in, most recent activity first (a new message moves a chat to the top), "
        "with unread counts. A chat that moves while you page may show up again on a later page or be skipped: "
        "refetch from the top after a `chatEvents` event instead."
    )
    async def chats(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(50)] = None,
        after: Annotated[str | None, strawberry.argument(description="A `cursor`: the chats after that one.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `cursor`: the chats before that one.")] = None,
    ) -> ChatConnection:
        page = await pages.keyset(
            policy.visible_chats(info.context.viewer),
            CHATS_CURSOR,
            first,
            after,
            last,
            before,
            descending=True,
            by="last_activity_at",
            default_first=CHATS_DEFAULT,
        )
        info.context.loaders.prime_many(info.context.loaders.chat_by_id, page.rows)
        edges = [ChatEdge(node=Chat(model=c), cursor=pages.encode(CHATS_CURSOR, c.id)) for c in page.rows]
        return ChatConnection(edges=edges, page_info=keyset_page_info(page, CHATS_CURSOR))

    @strawberry.field(description="Unread messages over all your chats (the sum of their `unreadCount`).")
    async def unread_chat_messages(self, info: Info) -> int:
        return await messages.unread_total(info.context.viewer)
