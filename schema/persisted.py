"""Trusted-documents mode at the schema: a document whose sha256 is not in the manifest does
not run, whichever transport brought it (HTTP resolves hashes first, see
edge/intake.py; WebSocket subscriptions send the full text of a trusted document).
A validation rule, so its verdict is cached with the document's validation."""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError

from edge.intake import REQUIRED, sha256
from resolvers.codes import ErrorCode


@cache
def trusted_documents_rule(hashes: frozenset[str]) -> type[ASTValidationRule]:
    class TrustedDocumentsOnly(ASTValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            body = node.loc.source.body if node.loc is not None else None
            if body is None or sha256(body) not in hashes:
                self.report_error(
                    GraphQLError(
                        # Validation is cached: written in the reader's language by schema/messages.py.
                        REQUIRED.msgid,
                        extensions={"code": ErrorCode.PERSISTED_QUERY_REQUIRED},
                    )
                )

    return TrustedDocumentsOnly
