/** The account e-mails, in the account's language (the catalogue's mail.*; km when not known). */
import { t, DEFAULT_LANGUAGE, type Language } from '../i18n/index.ts';
import type { MailMessage } from './mailer.ts';

/** An e-mail that carries a one-time link: its subject, what it is for, the link, when it expires. */
function linkMail(kind: 'verification' | 'reset', to: string, link: string, language: Language): MailMessage {
  const line = (part: 'subject' | 'intro' | 'expiry' | 'ignore'): string => t(language, `mail.${kind}.${part}`);
  return {
    to,
    subject: line('subject'),
    text: [line('intro'), '', link, '', line('expiry'), line('ignore')].join('\n'),
  };
}

export function verificationMail(to: string, link: string, language: Language = DEFAULT_LANGUAGE): MailMessage {
  return linkMail('verification', to, link, language);
}

export function resetMail(to: string, link: string, language: Language = DEFAULT_LANGUAGE): MailMessage {
  return linkMail('reset', to, link, language);
}
