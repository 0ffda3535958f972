// Meeting.answers, paged both ways (oldest answer first), the meetings to page them from
// (MeetingListQuery), and a parent's answer (MeetingRespondMutation: pagination.mjs answers the
// demo meeting as the demo parent before paging).
const { graphql } = require("relay-runtime");

const answers = graphql`
  fragment Meeting_answers on Meeting
  @refetchable(queryName: "MeetingAnswersPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    answers(first: $first, after: $after, last: $last, before: $before) @connection(key: "Meeting_answers") {
      edges {
        node {
          id
          answer
          answeredAt
          user {
            id
            fullName
          }
        }
      }
    }
  }
`;

const list = graphql`
  query MeetingListQuery {
    viewer {
      meetings {
        id
        title
      }
    }
  }
`;

const respond = graphql`
  mutation MeetingRespondMutation($meetingId: ID!, $answer: MeetingAnswer!) {
    meetingRespond(input: { meetingId: $meetingId, answer: $answer }) {
      __typename
      ... on Error {
        code
        message
      }
    }
  }
`;

module.exports = { answers, list, respond };
