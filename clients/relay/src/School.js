// A school's administration lists: access requests, accounts and the audit log, and the viewer's
// schools (SchoolListQuery) to page them from.
const { graphql } = require("relay-runtime");

const accessRequests = graphql`
  fragment School_accessRequests on School
  @refetchable(queryName: "SchoolAccessRequestsPaginationQuery")
  @argumentDefinitions(
    status: { type: "AccessRequestStatus" }
    overdue: { type: "Boolean" }
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    accessRequests(status: $status, overdue: $overdue, first: $first, after: $after, last: $last, before: $before)
      @connection(key: "School_accessRequests", filters: ["status", "overdue"]) {
      totalCount
      edges {
        node {
          id
        }
      }
    }
  }
`;

const accounts = graphql`
  fragment School_accounts on School
  @refetchable(queryName: "SchoolAccountsPaginationQuery")
  @argumentDefinitions(
    role: { type: "Role" }
    isActive: { type: "Boolean" }
    search: { type: "String" }
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    accounts(role: $role, isActive: $isActive, search: $search, first: $first, after: $after, last: $last, before: $before)
      @connection(key: "School_accounts", filters: ["role", "isActive", "search"]) {
      edges {
        node {
          id
        }
      }
    }
  }
`;

const auditLog = graphql`
  fragment School_auditLog on School
  @refetchable(queryName: "SchoolAuditLogPaginationQuery")
  @argumentDefinitions(
    action: { type: "String" }
    actorId: { type: "ID" }
    from: { type: "DateTime" }
    to: { type: "DateTime" }
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    auditLog(action: $action, actorId: $actorId, from: $from, to: $to, first: $first, after: $after, last: $last, before: $before)
      @connection(key: "School_auditLog", filters: ["action", "actorId", "from", "to"]) {
      edges {
        node {
          id
        }
      }
    }
  }
`;

const list = graphql`
  query SchoolListQuery {
    viewer {
      schools {
        id
        name
      }
    }
  }
`;

module.exports = { accessRequests, accounts, auditLog, list };
