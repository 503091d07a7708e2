/**
 * Web Push on this browser: permission, subscription with the server's VAPID key (through the
 * service worker), registration with POST /me/push-subscriptions. Failures are ApiProblems with
 * a web-only code (problem.push_* in the catalogues), so the screen says what went wrong.
 */
import { api, ApiProblem, must } from './api/client.ts';

export function pushSupported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** The service worker's registration, or null when none is active within the time given. */
async function registration(ms: number): Promise<ServiceWorkerRegistration | null> {
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), ms));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

/** This browser's current push subscription (its endpoint names it in the list of devices). */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  const reg = await registration(3000);
  return reg === null ? null : reg.pushManager.getSubscription();
}

export async function enablePush(): Promise<void> {
  if (!pushSupported()) throw new ApiProblem(0, 'push_unsupported', 'this browser has no Web Push');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new ApiProblem(0, 'push_denied', 'notifications are not allowed for this site');
  const reg = await registration(10_000);
  if (reg === null) throw new ApiProblem(0, 'push_no_worker', 'the service worker is not running');
  const { public_key } = must(await api.GET('/api/v1/push/vapid-public-key'));
  let sub: PushSubscription;
  try {
    sub =
      (await reg.pushManager.getSubscription()) ??
      (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) }));
  } catch (err) {
    throw new ApiProblem(0, 'push_service_unreachable', err instanceof Error ? err.message : String(err));
  }
  const json = sub.toJSON();
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  if (json.endpoint === undefined || p256dh === undefined || auth === undefined)
    throw new ApiProblem(0, 'push_service_unreachable', 'incomplete subscription');
  must(
    await api.POST('/api/v1/me/push-subscriptions', {
      body: { endpoint: json.endpoint, expirationTime: json.expirationTime ?? null, keys: { p256dh, auth } },
    }),
  );
  must(await api.PATCH('/api/v1/me', { body: { notification_preferences: { push: true } } }));
}

/** Removes one registered browser; this browser's own subscription is ended too. */
export async function removeDevice(id: string, endpoint: string): Promise<void> {
  const r = await api.DELETE('/api/v1/me/push-subscriptions/{id}', { params: { path: { id } } });
  if (!r.response.ok) must(r);
  const sub = await currentSubscription();
  if (sub !== null && sub.endpoint === endpoint) await sub.unsubscribe();
}
