/** The e-mails we send, in Khmer and English (the address's language is not known before sign-in). */
import type { MailMessage } from './mailer.ts';

export function verificationMail(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'DasTern: បញ្ជាក់អាសយដ្ឋានអ៊ីមែល / Confirm your e-mail address',
    text: [
      'សូមចុចតំណនេះ ដើម្បីបញ្ជាក់អាសយដ្ឋានអ៊ីមែលរបស់អ្នក:',
      'Open this link to confirm your e-mail address:',
      '',
      link,
      '',
      'The link works once and expires in 48 hours. If you did not create a DasTern account, ignore this message.',
    ].join('\n'),
  };
}

export function resetMail(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'DasTern: កំណត់ពាក្យសម្ងាត់ថ្មី / Reset your password',
    text: [
      'សូមចុចតំណនេះ ដើម្បីកំណត់ពាក្យសម្ងាត់ថ្មី:',
      'Open this link to choose a new password:',
      '',
      link,
      '',
      'The link works once and expires in 1 hour; every signed-in device will be signed out.',
      'If you did not ask for this, ignore this message: your password stays as it is.',
    ].join('\n'),
  };
}
