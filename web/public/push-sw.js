/* global self, clients, URL */
/**
 * Web Push in the service worker (imported by the Workbox worker, see vite.config.ts): shows the
 * notification the server sends ({ title, body, url, tag }: never a medicine's name) and opens
 * its page of the app when tapped (same origin only).
 */
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const title = typeof data.title === 'string' && data.title !== '' ? data.title : 'DasTern';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof data.body === 'string' ? data.body : '',
      tag: typeof data.tag === 'string' ? data.tag : undefined,
      icon: '/icons/icon-192.png',
      badge: '/icons/icon-192.png',
      data: { url: typeof data.url === 'string' ? data.url : '/notifications' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  let target = new URL('/notifications', self.location.origin).href;
  try {
    const url = new URL(event.notification.data && event.notification.data.url, self.location.origin);
    if (url.origin === self.location.origin) target = url.href;
  } catch {
    // not a URL: the notifications page
  }
  event.waitUntil(
    clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => 'focus' in w);
      if (open === undefined) return clients.openWindow(target);
      // navigate() works only on a window this worker controls; otherwise open a new one
      return open.navigate(target).then(
        (w) => (w ?? open).focus(),
        () => clients.openWindow(target),
      );
    }),
  );
});
