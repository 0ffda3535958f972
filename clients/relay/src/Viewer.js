// The viewer's own connections: notifications, announcements, chats and sessions, and the query
// a Relay app opens with (ViewerQuery: the first page of each).
const { graphql } = require("relay-runtime");

const notifications = graphql`
  fragment Viewer_notifications on Viewer
  @refetchable(queryName: "ViewerNotificationsPaginationQuery")
  @argumentDefinitions(
    unreadOnly: { type: "Boolean", defaultValue: false }
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    notifications(unreadOnly: $unreadOnly, first: $first, after: $after, last: $last, before: $before)
      @connection(key: "Viewer_notifications", filters: ["unreadOnly"]) {
      edges {
        node {
          id
          kind
          createdAt
          readAt
        }
      }
    }
  }
`;

const announcements = graphql`
  fragment Viewer_announcements on Viewer
  @refetchable(queryName: "ViewerAnnouncementsPaginationQuery")
  @argumentDefinitions(
    schoolId: { type: "ID" }
    classId: { type: "ID" }
    pinned: { type: "Boolean" }
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    announcements(schoolId: $schoolId, classId: $classId, pinned: $pinned, first: $first, after: $after, last: $last, before: $before)
      @connection(key: "Viewer_announcements", filters: ["schoolId", "classId", "pinned"]) {
      edges {
        node {
          id
          title
        }
      }
    }
  }
`;

const chats = graphql`
  fragment Viewer_chats on Viewer
  @refetchable(queryName: "ViewerChatsPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    chats(first: $first, after: $after, last: $last, before: $before) @connection(key: "Viewer_chats") {
      edges {
        node {
          id
          title
          ...Chat_messages @arguments(last: 3)
        }
      }
    }
  }
`;

const sessions = graphql`
  fragment Viewer_sessions on Viewer
  @refetchable(queryName: "ViewerSessionsPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    sessions(first: $first, after: $after, last: $last, before: $before) @connection(key: "Viewer_sessions") {
      edges {
        node {
          id
        }
      }
    }
  }
`;

const query = graphql`
  query ViewerQuery {
    viewer {
      user {
        id
        fullName
      }
      ...Viewer_notifications @arguments(first: 20)
      ...Viewer_announcements @arguments(first: 20)
      ...Viewer_chats @arguments(first: 20)
      ...Viewer_sessions @arguments(first: 20)
    }
  }
`;

module.exports = { notifications, announcements, chats, sessions, query };
