"""People with a login as others see them: a name behind an id (their sessions: ``schema.accounts``,
their accounts as admins run them: ``schema.account_admin``)."""

from __future__ import annotations

import strawberry

import models
from schema.types import Node


@strawberry.type(description="A person with a login: a teacher, parent, student or administrator.")
class User(Node):
    model: strawberry.Private[models.User]

    @strawberry.field(description="Full name as the school writes it.")
    def full_name(self) -> str:
        return self.model.full_name
