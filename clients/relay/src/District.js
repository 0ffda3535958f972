// District.schoolsConnection (a district's schools, by name), paged both ways, and the districts to
// page from (DistrictListQuery).
const { graphql } = require("relay-runtime");

const schools = graphql`
  fragment District_schoolsConnection on District
  @refetchable(queryName: "DistrictSchoolsPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    schoolsConnection(first: $first, after: $after, last: $last, before: $before)
      @connection(key: "District_schoolsConnection") {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`;

const list = graphql`
  query DistrictListQuery {
    viewer {
      districts {
        id
        name
      }
    }
  }
`;

module.exports = { schools, list };
