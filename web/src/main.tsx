import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '@fontsource/noto-sans-khmer/khmer-400.css';
import '@fontsource/noto-sans-khmer/khmer-700.css';
import './styles.css';
import i18n from './i18n.ts';
import { prepareIntl } from './intl-ready.ts';
import { App } from './App.tsx';
import { ApiProblem } from './api/client.ts';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      retry: (count, err) => !(err instanceof ApiProblem && err.status >= 400 && err.status < 500) && count < 2,
      networkMode: 'offlineFirst',
    },
    mutations: { networkMode: 'always' },
  },
});

// Khmer on a browser without Khmer ICU data: the FormatJS polyfills come first.
await prepareIntl(i18n.language).catch(() => undefined); // offline and not cached: the browser's own formats
createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);

// The service worker (vite-plugin-pwa / Workbox): the shell opens offline.
// (Khmer waits for the Intl polyfills above: the page may have finished loading by now.)
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  const register = () => void navigator.serviceWorker.register('/sw.js', { scope: '/' });
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register);
}
