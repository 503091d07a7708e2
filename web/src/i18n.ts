/**
 * i18next with the three catalogues bundled (km first, en, fr). No fallback language: a key
 * missing in the language in use is recorded in window.__dasternMissingKeys (the browser tests
 * fail on it) and shows as the key, never silently in another language.
 */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import km from './locales/km.json';
import en from './locales/en.json';
import fr from './locales/fr.json';
import { prepareIntl } from './intl-ready.ts';

export const LANGUAGES = ['km', 'en', 'fr'] as const;
export type Lang = (typeof LANGUAGES)[number];
const LANG_KEY = 'dastern.lang';

declare global {
  interface Window {
    __dasternMissingKeys: string[];
  }
}
window.__dasternMissingKeys = [];

export function storedLanguage(): Lang {
  const v = localStorage.getItem(LANG_KEY);
  return (LANGUAGES as readonly string[]).includes(v ?? '') ? (v as Lang) : 'km';
}

/** Switches the language once Intl can format it (the Khmer polyfills may have to load first). */
export function setLanguage(lang: Lang): void {
  localStorage.setItem(LANG_KEY, lang);
  void prepareIntl(lang).then(() => i18n.changeLanguage(lang));
}

i18n.on('languageChanged', (lng) => {
  document.documentElement.lang = lng;
});

void i18n.use(initReactI18next).init({
  resources: { km: { translation: km }, en: { translation: en }, fr: { translation: fr } },
  lng: storedLanguage(),
  fallbackLng: false,
  interpolation: { escapeValue: false },
  returnNull: false,
  saveMissing: true,
  missingKeyHandler: (lngs, _ns, key) => {
    window.__dasternMissingKeys.push(`${lngs.join(',')}:${key}`);
  },
});
document.documentElement.lang = i18n.language;

export default i18n;
