// The two addresses other sites send a person to, both served by the server as this app: the
// e-mailed password recovery link (/password-recovery?token=..., EDIARY_PASSWORD_RECOVERY_URL)
// and an identity provider's redirect (/login/callback?code=...&state=..., one of
// OIDC_<NAME>_REDIRECT_URIS). Each is read once when the app starts, and the address bar forgets
// it at once (a token or a code is not left in the history).
export const RECOVERY_PAGE = "/password-recovery";
export const CALLBACK = "/login/callback";

function take(path: string): URLSearchParams | null {
  if (location.pathname !== path) return null;
  const params = new URLSearchParams(location.search);
  history.replaceState(null, "", "/");
  return params;
}

export const recoveryToken: string | null = take(RECOVERY_PAGE)?.get("token") ?? null;

export const providerAnswer: { state: string; code: string } | null = (() => {
  const params = take(CALLBACK);
  const state = params?.get("state");
  const code = params?.get("code");
  return state && code ? { state, code } : null;
})();
