// Push with the app closed (README "Push notifications"): the browser subscribes with the
// server's VAPID public key, and the subscription is registered for this session; the service
// worker (sw.js) shows what arrives. Ending the session (signing out) ends the registration on
// the server, and the browser's subscription is dropped with it (the next person to sign in here
// turns push on for themselves).
//
// The browser may replace a subscription (`pushsubscriptionchange`: keys rotated, the push
// service's own reasons). The worker cannot register the new one: it has no token (the session's
// tokens stay in this page's storage, out of the worker's reach on purpose). So the worker tells
// every open window, which registers it at once (`resyncPush`), and when no window is open the app
// does the same check each time it starts: the browser's subscription against the endpoint last
// registered here and the server's list (`current` device). The server replaces a registration by
// its endpoint, so registering twice is harmless.
import { client, trusted } from "./client";
import PushDeviceRegisterDocument from "./documents/PushDeviceRegister.graphql";
import PushSetupDocument from "./documents/PushSetup.graphql";
import type { PushDeviceRegisterMutation, PushSetupQuery } from "./generated";
import { session } from "./session";

const SETUP = trusted(PushSetupDocument);
const REGISTER = trusted(PushDeviceRegisterDocument);

export type PushState = "unsupported" | "unavailable" | "off" | "on" | "denied";

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** Where this browser stands: no Web Push here or on the server, refused, on for this session, or off. */
export async function pushState(): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const answer = await client.query<PushSetupQuery>(SETUP, {}).toPromise();
  if (!answer.data?.vapidPublicKey) return "unavailable";
  return answer.data.viewer.pushDevices.some((d) => d.current && d.kind === "WEB_PUSH") ? "on" : "off";
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const text = atob((base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The endpoint this session registered last (forgotten with the session). */
const REGISTERED = "ediary.push.endpoint";

async function register(subscription: PushSubscription): Promise<PushState> {
  const json = subscription.toJSON();
  const answer = await client
    .mutation<PushDeviceRegisterMutation>(REGISTER, {
      input: { kind: "WEB_PUSH", endpoint: json.endpoint, p256dh: json.keys?.p256dh, auth: json.keys?.auth },
    })
    .toPromise();
  if (answer.data?.pushDeviceRegister.__typename !== "PushDeviceRegisterSuccess") return "off";
  localStorage.setItem(REGISTERED, subscription.endpoint);
  return "on";
}

/** Ask for permission, subscribe with the server's key, and register the subscription. */
export async function enablePush(): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if ((await Notification.requestPermission()) !== "granted") return "denied";
  const setup = await client.query<PushSetupQuery>(SETUP, {}).toPromise();
  const key = setup.data?.vapidPublicKey;
  if (!key) return "unavailable";
  const registration = await navigator.serviceWorker.ready;
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  return register(subscription);
}

/** When the app starts (and when the worker says the subscription changed): the browser's
 * subscription registered again if it is not the one registered here last, or the server no
 * longer has this session's device (removed as the least recently used of too many, or gone at
 * the push service); a subscription the browser dropped while push was on is made again. */
export async function resyncPush(): Promise<void> {
  if (!pushSupported() || Notification.permission !== "granted" || !session.get()) return;
  const registration = await navigator.serviceWorker.getRegistration();
  if (!registration) return;
  let subscription = await registration.pushManager.getSubscription();
  const registered = localStorage.getItem(REGISTERED);
  if (!subscription && !registered) return; // push was never turned on here
  const setup = await client.query<PushSetupQuery>(SETUP, {}).toPromise();
  const key = setup.data?.vapidPublicKey;
  if (!key) return;
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  const current = setup.data?.viewer.pushDevices.some((d) => d.current && d.kind === "WEB_PUSH");
  if (!current || subscription.endpoint !== registered) await register(subscription);
}

if (pushSupported()) {
  navigator.serviceWorker.addEventListener("message", (event: MessageEvent) => {
    if ((event.data as { type?: string } | null)?.type === "ediary.pushsubscriptionchange") void resyncPush().catch(() => undefined);
  });
}

session.subscribe((tokens) => {
  if (tokens !== null || !pushSupported()) return;
  // Signed out (or the session ended): this browser's subscription goes with the session.
  localStorage.removeItem(REGISTERED);
  void navigator.serviceWorker
    .getRegistration()
    .then((registration) => registration?.pushManager.getSubscription())
    .then((subscription) => subscription?.unsubscribe())
    .catch(() => undefined);
});
