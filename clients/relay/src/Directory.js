// The root connections: people (whom you can reach) and a school's notification deliveries.
const { graphql } = require("relay-runtime");

const people = graphql`
  fragment Directory_people on Query
  @refetchable(queryName: "DirectoryPeoplePaginationQuery")
  @argumentDefinitions(
    query: { type: "String" }
    category: { type: "PeopleCategory" }
    classId: { type: "ID" }
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
  ) {
    people(query: $query, category: $category, classId: $classId, first: $count, after: $cursor)
      @connection(key: "Directory_people", filters: ["query", "category", "classId"]) {
      edges {
        node {
          id
          fullName
        }
      }
    }
  }
`;

const notificationDeliveries = graphql`
  fragment Directory_notificationDeliveries on Query
  @refetchable(queryName: "DirectoryNotificationDeliveriesPaginationQuery")
  @argumentDefinitions(
    schoolId: { type: "ID!" }
    status: { type: "DeliveryStatus!" }
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
  ) {
    notificationDeliveries(schoolId: $schoolId, status: $status, first: $count, after: $cursor)
      @connection(key: "Directory_notificationDeliveries", filters: ["schoolId", "status"]) {
      edges {
        node {
          id
        }
      }
    }
  }
`;

module.exports = { people, notificationDeliveries };
