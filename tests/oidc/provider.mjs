// A real OpenID Connect provider (oidc-provider, certified) for ediary's tests (tests/identity/).
// Started by the `oidc_provider` fixture: `node provider.mjs` with its configuration as JSON in
// OIDC_TEST_CONFIG: {clients: [...oidc-provider client metadata], accounts: {login: {name, email}},
// idTokenTtl: seconds, foreignKeys: bool}. It listens on a free loopback port and prints one line,
// {"issuer": ...}, when it is ready. No development interactions: the login page is the small form
// below (any login: one of `accounts` has their name and e-mail, any other is "Person <login>" with
// a verified <login>@example.org, none when the login ends in "-unverified"), and every requested
// scope is granted (loadExistingGrant), so a
// test drives the whole flow with plain HTTP. With foreignKeys, /jwks publishes a key that signs
// nothing: the id tokens are then signed by a key the relying party cannot know.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import Provider from "oidc-provider";

const config = JSON.parse(process.env.OIDC_TEST_CONFIG || "{}");
const accounts = config.accounts || {};

function accountOf(login) {
  if (accounts[login]) return accounts[login];
  if (!/^[\w.-]{1,100}$/.test(login)) return undefined;
  return login.endsWith("-unverified")
    ? { name: `Person ${login}`, email: `${login}@example.org`, unverified: true }
    : { name: `Person ${login}`, email: `${login}@example.org` };
}

function rsaKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), use: "sig", alg: "RS256" };
}

function publicPart({ kty, n, e, kid, use, alg }) {
  return { kty, n, e, kid, use, alg };
}

function page(res, status, html) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html><head><title>Test provider</title></head><body>${html}</body></html>`);
}

async function formOf(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients || [],
    jwks: { keys: [rsaKey()] },
    cookies: { keys: [randomUUID()] },
    features: { devInteractions: { enabled: false } },
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    ttl: { IdToken: config.idTokenTtl || 60 },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const account = accountOf(id);
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: account.name, email: account.email, email_verified: !account.unverified };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
  });
  const foreign = { keys: [publicPart(rsaKey())] };
  const callback = provider.callback();
  server.on("request", async (req, res) => {
    const url = new URL(req.url, issuer);
    try {
      if (config.foreignKeys && url.pathname === "/jwks") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(foreign));
        return;
      }
      const match = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
      if (match) {
        const details = await provider.interactionDetails(req, res);
        if (req.method === "POST" && match[2] && details.prompt.name === "login") {
          const login = (await formOf(req)).get("login") || "";
          if (!accountOf(login)) return page(res, 400, "<p id=error>Unknown login</p>");
          await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
          return;
        }
        if (req.method === "POST" && match[2]) {
          // A native client (the mobile app's custom scheme) is always asked for consent: given.
          const grant = new provider.Grant({ clientId: details.params.client_id, accountId: details.session.accountId });
          grant.addOIDCScope(details.params.scope);
          const grantId = await grant.save();
          await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
          return;
        }
        return page(
          res,
          200,
          `<p id=prompt>${details.prompt.name} ${JSON.stringify(details.prompt.reasons)}</p><form method=post action="/interaction/${details.uid}/login"><label>Login <input id=login name=login></label>` +
            `<button id=submit type=submit>Sign in</button></form>`,
        );
      }
      callback(req, res);
    } catch (error) {
      page(res, 400, `<p id=error>${String(error.message).replace(/[<>&]/g, "")}</p>`);
    }
  });
  process.stdout.write(JSON.stringify({ issuer }) + "\n");
});
