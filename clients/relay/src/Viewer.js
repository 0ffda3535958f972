// The viewer's own connections: notifications, announcements, chats and sessions.
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
  @argumentDefinitions(
    schoolId: { type: "ID" }
    classId: { type: "ID" }
    pinned: { type: "Boolean" }
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
  ) {
    announcements(schoolId: $schoolId, classId: $classId, pinned: $pinned, first: $count, after: $cursor)
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
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
    chats(first: $count, after: $cursor) @connection(key: "Viewer_chats") {
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
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
    sessions(first: $count, after: $cursor) @connection(key: "Viewer_sessions") {
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
      ...Viewer_notifications
      ...Viewer_announcements
      ...Viewer_chats
      ...Viewer_sessions
    }
  }
`;

module.exports = { notifications, announcements, chats, sessions, query };
