// Signing in (pagination.mjs logs in as the demo parent with it).
const { graphql } = require("relay-runtime");

const login = graphql`
  mutation LoginMutation($login: String!, $password: String!) {
    login(input: { login: $login, password: $password }) {
      __typename
      ... on LoginSuccess {
        accessToken
      }
      ... on Error {
        code
        message
      }
    }
  }
`;

module.exports = { login };
