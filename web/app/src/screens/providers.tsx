// Signing in with an identity provider (OpenID Connect, README "Signing in with an identity
// provider"): a button per provider the server offers; the provider sends the person back to
// /login/callback?code=...&state=..., where the sign-in screen completes the login
// (`externalLoginComplete`) and removes the code from the address bar.
import { useQuery } from "@urql/preact";
import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { client, trusted } from "../client";
import ExternalLoginCompleteDocument from "../documents/ExternalLoginComplete.graphql";
import ExternalLoginStartDocument from "../documents/ExternalLoginStart.graphql";
import IdentityProvidersDocument from "../documents/IdentityProviders.graphql";
import type { ExternalLoginCompleteMutation, ExternalLoginStartMutation, IdentityProvidersQuery } from "../generated";
import { t } from "../i18n";
import { CALLBACK } from "./links";
import { w } from "./words_account";

const PROVIDERS = trusted(IdentityProvidersDocument);
const START = trusted(ExternalLoginStartDocument);
const COMPLETE = trusted(ExternalLoginCompleteDocument);

export function completeExternalLogin(answer: { state: string; code: string }) {
  return client.mutation<ExternalLoginCompleteMutation>(COMPLETE, { input: answer }).toPromise();
}

export function Providers(props: { onProblem: (message: string) => void }): JSX.Element | null {
  const [result] = useQuery<IdentityProvidersQuery>({ query: PROVIDERS });
  const [busy, setBusy] = useState(false);
  const providers = result.data?.identityProviders ?? [];
  if (providers.length === 0) return null;

  async function start(provider: string) {
    setBusy(true);
    const answer = await client
      .mutation<ExternalLoginStartMutation>(START, { input: { provider, redirectUri: `${location.origin}${CALLBACK}` } })
      .toPromise();
    const reply = answer.data?.externalLoginStart;
    if (reply?.__typename === "ExternalLoginStartSuccess") {
      location.assign(reply.authorizationUrl);
      return;
    }
    setBusy(false);
    props.onProblem(reply && "message" in reply ? reply.message : answer.error?.message ?? t("error"));
  }

  return (
    <div class="providers">
      <p class="or">{w("orProvider")}</p>
      {providers.map((provider) => (
        <button type="button" class="secondary" key={provider.name} disabled={busy} onClick={() => void start(provider.name)}>
          {w("signInWith", { name: provider.displayName })}
        </button>
      ))}
    </div>
  );
}
