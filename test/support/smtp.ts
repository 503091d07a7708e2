/** A real SMTP server in this process (smtp-server) that keeps what it receives, for mail tests. */
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
}

export interface Smtp {
  url: string;
  inbox: ReceivedMail[];
  /** Answer RCPT TO with this SMTP code (e.g. 451 = try later, 550 = no such mailbox); null = accept. */
  rejectWith: number | null;
  close(): Promise<void>;
}

/** On `port` (default: a free one); a test may stop it and start another on the same port. */
export async function startSmtp(port = 0): Promise<Smtp> {
  const state: Smtp = { url: '', inbox: [], rejectWith: null, close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (state.rejectWith === null) return callback();
      const err = Object.assign(new Error(state.rejectWith >= 500 ? 'mailbox unavailable' : 'try again later'), {
        responseCode: state.rejectWith,
      });
      return callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        state.inbox.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.url = `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** A message body as text: quoted-printable soft breaks and escapes undone (UTF-8). */
export function decodeMail(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const m = /^=([0-9A-F]{2})/.exec(joined.slice(i, i + 3));
    if (m?.[1] !== undefined) {
      bytes.push(parseInt(m[1], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
