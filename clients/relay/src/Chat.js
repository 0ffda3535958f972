// Chat.messages, paged both ways: `last`/`before` from the newest back (a chat view opens at the
// newest) and `first`/`after` onwards; and Chat.participants (its members, by name). The refetch
// queries (ChatMessagesPaginationQuery, ChatParticipantsPaginationQuery) are what pagination.mjs
// runs against the demo server.
const { graphql } = require("relay-runtime");

const messages = graphql`
  fragment Chat_messages on Chat
  @refetchable(queryName: "ChatMessagesPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    id
    title
    messages(first: $first, after: $after, last: $last, before: $before) @connection(key: "Chat_messages") {
      edges {
        cursor
        node {
          id
          text
          createdAt
          author {
            id
            fullName
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`;

const participants = graphql`
  fragment Chat_participants on Chat
  @refetchable(queryName: "ChatParticipantsPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    participants(first: $first, after: $after, last: $last, before: $before) @connection(key: "Chat_participants") {
      edges {
        node {
          id
          isAdmin
          user {
            id
            fullName
          }
        }
      }
    }
  }
`;

module.exports = { messages, participants };
