// The root connections: people (whom you can reach), a school's notification deliveries and the school directory.
const { graphql } = require("relay-runtime");

const people = graphql`
  fragment Directory_people on Query
  @refetchable(queryName: "DirectoryPeoplePaginationQuery")
  @argumentDefinitions(
    query: { type: "String" }
    category: { type: "PeopleCategory" }
    classId: { type: "ID" }
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    people(query: $query, category: $category, classId: $classId, first: $first, after: $after, last: $last, before: $before)
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
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    notificationDeliveries(schoolId: $schoolId, status: $status, first: $first, after: $after, last: $last, before: $before)
      @connection(key: "Directory_notificationDeliveries", filters: ["schoolId", "status"]) {
      edges {
        node {
          id
        }
      }
    }
  }
`;

const schoolListings = graphql`
  fragment Directory_schoolListings on Query
  @refetchable(queryName: "DirectorySchoolListingsPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    schoolListings(first: $first, after: $after, last: $last, before: $before)
      @connection(key: "Directory_schoolListings") {
      edges {
        node {
          id
          schoolId
          name
        }
      }
    }
  }
`;

module.exports = { people, notificationDeliveries, schoolListings };
