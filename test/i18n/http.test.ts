/**
 * Through the HTTP API: a Khmer user reads Khmer — problem details, in-app
 * notifications (a new clinical note, an invitation accepted, a relationship ended, a dose
 * reminder) on the list and on the live stream, notification e-mails and account e-mails over a
 * real SMTP exchange; Accept-Language chooses the problem language; English users keep English.
 */
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMail, startSmtp } from '../support/smtp.ts';
import { register, startFullApp, useApi, type ApiHarness, type SignedIn } from '../support/api.ts';
import { connect, note } from '../support/api-fixtures.ts';
import { createMedication, createPrescription } from '../database/fixtures.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { createLogger } from '../../src/log.ts';
import { dispatchReminders } from '../../src/reminders/dispatcher.ts';
import { Deliverer } from '../../src/delivery/deliverer.ts';
import { t, type Language } from '../../src/i18n/index.ts';

const PUBLIC_URL = 'https://app.dastern.example';
const smtp = await startSmtp();
const smtpMailer = () =>
  createMailer({
    smtpUrl: smtp.url,
    from: 'DasTern <no-reply@dastern.example>',
    outboxDir: '/nonexistent',
    logger: createLogger('silent'),
  });
afterAll(() => smtp.close());

const api = useApi({ env: { DASTERN_PUBLIC_URL: PUBLIC_URL }, hub: true, mailer: smtpMailer });

/** The Subject header, unfolded, its RFC 2047 encoded-words decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1] ?? '';
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_w, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            'latin1',
          ).toString('utf8'),
    )
    .replace(/\r?\n[ \t]/g, ' ');
}

/** The text body: base64 (nodemailer's choice for mostly Khmer text) or quoted-printable, decoded. */
function bodyOf(raw: string): string {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  return /^Content-Transfer-Encoding:\s*base64/im.test(head)
    ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : decodeMail(body);
}

/** The messages that reached the SMTP server for an address whose text contains `marker` (polls; the mails leave after the answer). */
async function mailsTo(address: string, marker: string, count = 1): Promise<{ subject: string; body: string }[]> {
  for (let i = 0; i < 400; i++) {
    const found = smtp.inbox.filter((m) => m.to.includes(address.toLowerCase()) && bodyOf(m.raw).includes(marker));
    if (found.length >= count) return found.map((m) => ({ subject: subjectOf(m.raw), body: bodyOf(m.raw) }));
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no mail with ${marker} to ${address}`);
}

interface Item {
  title: string;
  body: string;
  type: string;
  data: Record<string, unknown>;
}
const notifications = async (h: ApiHarness, who: SignedIn): Promise<Item[]> =>
  (await h.call('GET', '/notifications', { token: who.access })).json<{ items: Item[] }>().items;
const setLanguage = async (h: ApiHarness, who: SignedIn, language: Language): Promise<void> => {
  expect((await h.call('PATCH', '/me', { token: who.access, body: { language } })).statusCode).toBe(200);
};

describe('problem details', () => {
  it('a Khmer user reads a Khmer detail and title; Accept-Language: fr gets French; an English user keeps English', async () => {
    const h = api();
    const full = await startFullApp(h);
    try {
      const km = await register(h, 'patient');
      const en = await register(h, 'patient', { language: 'en' });
      const missing = `/api/v1/prescriptions/${crypto.randomUUID()}`;
      const get = (who: SignedIn, headers: Record<string, string> = {}) =>
        full.app.inject({
          method: 'GET',
          url: missing,
          headers: { authorization: `Bearer ${who.access}`, ...headers },
        });

      const khmer = await get(km);
      expect(khmer.statusCode).toBe(404);
      expect(khmer.headers['content-type']).toContain('application/problem+json');
      expect(khmer.headers['content-language']).toBe('km');
      expect(khmer.json()).toMatchObject({
        code: 'not_found',
        status: 404,
        title: 'រកមិនឃើញ',
        detail: 'រកមិនឃើញវេជ្ជបញ្ជាទេ។',
      });

      const french = await get(km, { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' });
      expect(french.headers['content-language']).toBe('fr');
      expect(french.json()).toMatchObject({
        code: 'not_found',
        title: 'Introuvable',
        detail: 'ordonnance introuvable',
      });

      const english = await get(en);
      expect(english.headers['content-language']).toBe('en');
      expect(english.json()).toMatchObject({ code: 'not_found', title: 'Not Found', detail: 'prescription not found' });
      // a language we do not have is no choice: the user's own applies
      expect((await get(km, { 'accept-language': 'de-DE,de;q=0.9' })).json().detail).toBe('រកមិនឃើញវេជ្ជបញ្ជាទេ។');
      expect((await get(en, { 'accept-language': 'km' })).json().detail).toBe('រកមិនឃើញវេជ្ជបញ្ជាទេ។');
    } finally {
      await full.close();
    }
  });

  it('anonymous requests: English unless Accept-Language names km or fr; validation and route errors too', async () => {
    const h = api();
    const login = (headers: Record<string, string> = {}) =>
      h.call('POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'wrong password 1' }, headers });
    expect((await login()).json()).toMatchObject({
      code: 'invalid_credentials',
      title: 'Unauthorized',
      detail: 'wrong e-mail or password',
    });
    expect((await login({ 'accept-language': 'km-KH' })).json()).toMatchObject({
      code: 'invalid_credentials',
      detail: 'អ៊ីមែល ឬពាក្យសម្ងាត់មិនត្រឹមត្រូវទេ។',
    });
    expect((await login({ 'accept-language': 'fr' })).json()).toMatchObject({
      code: 'invalid_credentials',
      title: 'Non authentifié',
      detail: 'e-mail ou mot de passe incorrect',
    });

    const route = await h.call('GET', '/no-such-thing', { headers: { 'accept-language': 'fr' } });
    expect(route.json()).toMatchObject({
      code: 'route_not_found',
      detail: 'aucune route pour GET /api/v1/no-such-thing',
    });

    const km = await register(h, 'doctor');
    const invalid = await h.call('POST', '/clinical-notes', { token: km.access, body: { patient_id: 'not-a-uuid' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({
      code: 'validation_failed',
      title: 'សំណើមិនត្រឹមត្រូវ',
      detail: 'សំណើនេះមិនត្រឹមត្រូវទេ។',
    });
    expect(invalid.json().errors.length).toBeGreaterThan(0);
    const patient = await register(h, 'patient', { language: 'fr' });
    const role = await h.call('POST', '/clinical-notes', {
      token: patient.access,
      body: { patient_id: patient.id, content: 'x' },
    });
    expect(role.json()).toMatchObject({
      status: 403,
      code: 'forbidden_role',
      title: 'Interdit',
      detail: 'votre type de compte ne permet pas cette action',
    });

    // the numbers a text needs come with the error: minutes of a lockout, from its Retry-After
    const victim = await register(h, 'patient');
    let locked = await h.call('POST', '/auth/login', {
      body: { email: victim.email, password: 'wrong password 1' },
      headers: { 'accept-language': 'km' },
    });
    for (let i = 0; i < 20 && locked.statusCode !== 429; i++) {
      locked = await h.call('POST', '/auth/login', {
        body: { email: victim.email, password: 'wrong password 1' },
        headers: { 'accept-language': 'km' },
      });
    }
    expect(locked.statusCode).toBe(429);
    const minutes = Math.max(1, Math.ceil(Number(locked.headers['retry-after']) / 60));
    expect(locked.json().detail).toBe(`អ្នកបានចូលគណនីខុសច្រើនដងពេក។ សូមព្យាយាមម្តងទៀតក្នុងរយៈពេល ${minutes} នាទី។`);
  });
});

describe('in-app notifications', () => {
  it('a new note, an invitation accepted, a relationship ended: in Khmer for Khmer users, and they follow a change of language', async () => {
    const h = api();
    const doctor = await register(h, 'doctor');
    const patient = await register(h, 'patient');
    const rel = await connect(h, doctor, patient);
    await note(h, doctor, patient.id);
    const end = await h.call('POST', `/care/relationships/${rel}/end`, {
      token: patient.access,
      body: { reason: 'moved' },
    });
    expect(end.statusCode).toBe(200);

    const forDoctor = await notifications(h, doctor);
    expect(forDoctor.map((n) => [n.type, n.title, n.body])).toEqual([
      ['system', 'ទំនាក់ទំនងថែទាំត្រូវបានបញ្ចប់', 'ទំនាក់ទំនងថែទាំមួយត្រូវបានបញ្ចប់។'],
      ['invitation', 'ការអញ្ជើញត្រូវបានទទួលយក', 'ការអញ្ជើញថែទាំរបស់អ្នកត្រូវបានទទួលយកហើយ។'],
    ]);
    const forPatient = await notifications(h, patient);
    expect(forPatient.map((n) => [n.type, n.title, n.body])).toEqual([
      ['message', 'កំណត់ចំណាំថ្មីពីវេជ្ជបណ្ឌិតរបស់អ្នក', 'វេជ្ជបណ្ឌិតរបស់អ្នកបានបន្ថែមកំណត់ចំណាំមួយក្នុងកំណត់ត្រារបស់អ្នក។'],
    ]);
    // the stored text (the export's) is the recipient's language at creation
    const stored = await h.t.owner.query<{ title: string; message_key: string }>(
      'SELECT title, message_key FROM notifications WHERE user_id = $1',
      [patient.id],
    );
    expect(stored.rows).toEqual([{ title: 'កំណត់ចំណាំថ្មីពីវេជ្ជបណ្ឌិតរបស់អ្នក', message_key: 'note_added' }]);

    await setLanguage(h, patient, 'fr');
    expect((await notifications(h, patient))[0]).toMatchObject({
      title: 'Nouvelle note de votre médecin',
      body: 'Votre médecin a ajouté une note à votre dossier.',
    });
    await setLanguage(h, doctor, 'en');
    expect((await notifications(h, doctor)).map((n) => n.title)).toEqual([
      'Care relationship ended',
      'Invitation accepted',
    ]);
    const one = (await notifications(h, doctor))[0]!;
    const read = await h.call('POST', `/notifications/${(one as unknown as { id: string }).id}/read`, {
      token: doctor.access,
    });
    expect(read.json().title).toBe('Care relationship ended');
  });

  it("the live stream carries the note in the reader's language", async () => {
    const h = api();
    const doctor = await register(h, 'doctor');
    const patient = await register(h, 'patient');
    await connect(h, doctor, patient);
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(
          `${address}/api/v1/notifications/stream`,
          { headers: { authorization: `Bearer ${patient.access}` } },
          resolve,
        )
        .on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    res.setEncoding('utf8');
    let text = '';
    const ready = new Promise<void>((resolve) =>
      res.on('data', (c: string) => {
        text += c;
        if (text.includes('event: ready')) resolve();
      }),
    );
    const got = new Promise<void>((resolve) =>
      res.on('data', () => {
        if (text.includes('event: notification')) resolve();
      }),
    );
    await ready;
    await note(h, doctor, patient.id);
    await got;
    res.destroy();
    const event = /event: notification\ndata: (.*)\n/.exec(text)?.[1];
    expect(JSON.parse(event ?? '{}')).toMatchObject({ type: 'message', title: 'កំណត់ចំណាំថ្មីពីវេជ្ជបណ្ឌិតរបស់អ្នក' });
  });
});

describe('dose reminders', () => {
  const DUE = new Date('2026-03-02T00:00:00Z');

  async function patientWithDueDose(h: ApiHarness, language: Language): Promise<SignedIn> {
    const p = await register(h, 'patient', { language });
    await h.t.owner.query(
      `UPDATE users SET email_verified_at = now(), notification_preferences = '{"in_app": true, "email": true}' WHERE id = $1`,
      [p.id],
    );
    const medication = await createMedication(h.t.owner, await createPrescription(h.t.owner, p.id), p.id, {
      name: 'Amlodipine',
    });
    await h.t.owner.query(
      `INSERT INTO medication_reminders (medication_id, patient_id, slot, reminder_time, dose_amount, days_of_week, start_date, timezone, next_reminder_at)
       VALUES ($1, $2, 'morning', '07:00', 1, '{1,2,3,4,5,6,7}', '2026-01-01', 'Asia/Phnom_Penh', $3)`,
      [medication, p.id, DUE],
    );
    return p;
  }

  it("the dispatcher's notification is in the patient's language, in the catalogue's words; so is its e-mail (SMTP), without the medicine", async () => {
    const h = api();
    const people = {
      km: await patientWithDueDose(h, 'km'),
      en: await patientWithDueDose(h, 'en'),
      fr: await patientWithDueDose(h, 'fr'),
    };
    const result = await dispatchReminders(h.t.worker, DUE);
    for (const [lang, who] of Object.entries(people) as [Language, SignedIn][]) {
      const [n] = await notifications(h, who);
      expect(n?.type).toBe('reminder');
      expect(n?.title).toBe(t(lang, 'notification.reminder.title', { slot: t(lang, 'slot.morning') }));
    }
    expect((await notifications(h, people.km))[0]?.title).toBe('ដល់ម៉ោងលេបថ្នាំ (ព្រឹក)');

    const mailer = smtpMailer();
    try {
      const deliverer = new Deliverer({
        db: h.t.worker,
        mailer,
        push: undefined,
        logger: createLogger('silent'),
        publicUrl: PUBLIC_URL,
      });
      const report = await deliverer.deliver(result.notificationIds);
      expect(report.sent).toBeGreaterThanOrEqual(3);
    } finally {
      mailer.close();
    }
    const [kmMail] = await mailsTo(people.km.email, `${PUBLIC_URL}/notifications/`);
    expect(kmMail?.subject).toBe('DasTern: ដល់ម៉ោងលេបថ្នាំ (ព្រឹក)');
    expect(kmMail?.body).toContain('សូមបើក DasTern ដើម្បីមើលព័ត៌មានលម្អិត។');
    const [frMail] = await mailsTo(people.fr.email, `${PUBLIC_URL}/notifications/`);
    expect(frMail?.subject).toBe("DasTern: C'est l'heure de vos médicaments (matin)");
    for (const m of [kmMail, frMail]) expect(m?.body).not.toMatch(/Amlodipine|500mg/);
  });
});

describe('account e-mails over SMTP', () => {
  it("the verification and reset mails are in the account's language", async () => {
    const h = api();
    const km = await register(h, 'patient');
    const fr = await register(h, 'doctor', { language: 'fr' });
    const en = await register(h, 'patient', { language: 'en' });
    const [kmMail] = await mailsTo(km.email, '/verify-email?token=');
    expect(kmMail?.subject).toBe('DasTern: បញ្ជាក់អាសយដ្ឋានអ៊ីមែលរបស់អ្នក');
    expect(kmMail?.body).toContain('សូមចុចតំណនេះ ដើម្បីបញ្ជាក់អាសយដ្ឋានអ៊ីមែលរបស់អ្នក៖');
    const [frMail] = await mailsTo(fr.email, '/verify-email?token=');
    expect(frMail?.subject).toBe('DasTern : confirmez votre adresse e-mail');
    expect(frMail?.body).toContain("Le lien ne fonctionne qu'une fois et expire dans 48 heures.");
    const [enMail] = await mailsTo(en.email, '/verify-email?token=');
    expect(enMail?.subject).toBe('DasTern: Confirm your e-mail address');

    expect((await h.call('POST', '/auth/password-reset/request', { body: { email: fr.email } })).statusCode).toBe(202);
    const [reset] = await mailsTo(fr.email, '/reset-password?token=');
    expect(reset?.subject).toBe('DasTern : réinitialisez votre mot de passe');
    expect(reset?.body).toContain('Ouvrez ce lien pour choisir un nouveau mot de passe :');
    expect(reset?.body).not.toMatch(/Open this link|សូមចុច/);
  });
});
