/** The account e-mails, in the account's language (the catalogue's mail.*; km when not known). */
import { t, DEFAULT_LANGUAGE, type Language } from '../i18n/index.ts';
import type { MailMessage } from './mailer.ts';

export function verificationMail(to: string, link: string, language: Language = DEFAULT_LANGUAGE): MailMessage {
  return {
    to,
    subject: t(language, 'mail.verification.subject'),
    text: [
      t(language, 'mail.verification.intro'),
      '',
      link,
      '',
      t(language, 'mail.verification.expiry'),
      t(language, 'mail.verification.ignore'),
    ].join('\n'),
  };
}

export function resetMail(to: string, link: string, language: Language = DEFAULT_LANGUAGE): MailMessage {
  return {
    to,
    subject: t(language, 'mail.reset.subject'),
    text: [
      t(language, 'mail.reset.intro'),
      '',
      link,
      '',
      t(language, 'mail.reset.expiry'),
      t(language, 'mail.reset.ignore'),
    ].join('\n'),
  };
}
