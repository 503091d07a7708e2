import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Lang } from '../i18n.ts';
import { api, getSession } from '../api/client.ts';
import { ToggleButton } from './ToggleButton.tsx';

const NAMES: Record<Lang, string> = { km: 'ខ្មែរ', en: 'English', fr: 'Français' };

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const choose = (lang: Lang) => {
    setLanguage(lang);
    // The account's language too (e-mails and push in it); offline or signed out: local only.
    if (getSession() !== null) void api.PATCH('/api/v1/me', { body: { language: lang } }).catch(() => undefined);
  };
  return (
    <div className="langs" role="group" aria-label={t('app.language')}>
      {LANGUAGES.map((l) => (
        <ToggleButton key={l} lang={l} on={i18n.language === l} onClick={() => choose(l)}>
          {NAMES[l]}
        </ToggleButton>
      ))}
    </div>
  );
}
