/**
 * Outgoing e-mail through SMTP (nodemailer). Without DASTERN_SMTP_URL (development only —
 * production refuses to start) each message is written as an .eml file under
 * DASTERN_DATA_DIR/outbox so that a developer can open the link; nothing is logged but the
 * fact that a message went out (links carry tokens and never reach a log).
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../log.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /**
   * The Message-ID, `<local@domain>`, when one message stands for one thing (a notification): a
   * message sent again after a crash between send and record carries the same id, so a receiver
   * can tell it is the same message. Without it nodemailer makes a random one.
   */
  messageId?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  outboxDir: string;
  logger: Logger;
  /** Accept self-signed certificates (tests' in-process SMTP server only). */
  insecureTls?: boolean;
}

export function createMailer(options: MailerOptions): Mailer {
  if (options.smtpUrl === undefined) {
    return {
      async send(message) {
        fs.mkdirSync(options.outboxDir, { recursive: true, mode: 0o700 });
        const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
        const info = await transport.sendMail({ from: options.from, ...message });
        const file = path.join(options.outboxDir, `${Date.now()}-${Math.random().toString(36).slice(2, 8)}.eml`);
        fs.writeFileSync(file, info.message as Buffer, { mode: 0o600 });
        options.logger.info({ file }, 'e-mail written to the development outbox');
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(options.smtpUrl, {
    from: options.from,
    ...(options.insecureTls ? { tls: { rejectUnauthorized: false } } : {}),
  });
  return {
    async send(message) {
      await transport.sendMail({ from: options.from, ...message });
      options.logger.info('e-mail sent');
    },
    close() {
      transport.close();
    },
  };
}
