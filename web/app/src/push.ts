// Push with the app closed (README "Push notifications"): the browser subscribes with the
// server's VAPID public key, and the subscription is registered for this session; the service
// worker (sw.js) shows what arrives. Ending the session (signing out) ends the registration on
// the server; nothing is kept here.
import { client, trusted } from "./client";
import PushDeviceRegisterDocument from "./documents/PushDeviceRegister.graphql";
import PushSetupDocument from "./documents/PushSetup.graphql";
import type { PushDeviceRegisterMutation, PushSetupQuery } from "./generated";

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
  const json = subscription.toJSON();
  const answer = await client
    .mutation<PushDeviceRegisterMutation>(REGISTER, {
      input: { kind: "WEB_PUSH", endpoint: json.endpoint, p256dh: json.keys?.p256dh, auth: json.keys?.auth },
    })
    .toPromise();
  return answer.data?.pushDeviceRegister.__typename === "PushDeviceRegisterSuccess" ? "on" : "off";
}
