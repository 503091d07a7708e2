/**
 * Through HTTP: a past relationship is history — after the patient suspends or
 * ends it, the doctor's name stays in her relationships and on the notes he wrote; only display
 * names cross RLS (app_party_name), and only between people who have or had a relationship.
 */
import { describe, expect, it } from 'vitest';
import { register } from '../support/api.ts';
import { connect, note } from '../support/api-fixtures.ts';
import { useFullApp } from '../support/full-call.ts';

const app = useFullApp();

interface Rel {
  id: string;
  status: string;
  doctor: { id: string; first_name: string | null; last_name: string | null; specialization: string | null } | null;
  patient: { id: string; first_name: string | null; last_name: string | null } | null;
}

describe('names after a relationship ends', () => {
  for (const mode of ['suspend', 'terminate'] as const) {
    it(`${mode}: the doctor's name stays in her relationships and on his notes; his own list keeps hers`, async () => {
      const x = app();
      const d = await register(x.h, 'doctor', { first_name: 'Vanna', last_name: 'Chea' });
      await x.h.t.owner.query(`UPDATE users SET specialization = 'Cardiology' WHERE id = $1`, [d.id]);
      const p = await register(x.h, 'patient', { first_name: 'Sreymom', last_name: 'Keo' });
      const relId = await connect(x.h, d, p);
      const noteId = await note(x.h, d, p.id);
      const ended = await x.call('POST', `/care/relationships/${relId}/end`, {
        token: p.access,
        body: { reason: 'moved to another town', mode },
      });
      expect(ended.statusCode, ended.body).toBe(200);
      expect(ended.json<Rel>().doctor).toMatchObject({
        id: d.id,
        first_name: 'Vanna',
        last_name: 'Chea',
        specialization: 'Cardiology',
      });
      const mine = (await x.call('GET', '/care/relationships', { token: p.access })).json<{ items: Rel[] }>().items;
      expect(mine.find((r) => r.id === relId)).toMatchObject({
        status: mode === 'suspend' ? 'inactive' : 'blocked',
        doctor: { first_name: 'Vanna', last_name: 'Chea' },
      });
      const notes = (await x.call('GET', '/clinical-notes', { token: p.access })).json<{
        items: { id: string; doctor_name: string | null }[];
      }>().items;
      expect(notes.find((n) => n.id === noteId)?.doctor_name).toBe('Vanna Chea');
      const one = await x.call('GET', `/clinical-notes/${noteId}`, { token: p.access });
      expect(one.json<{ doctor_name: string }>().doctor_name).toBe('Vanna Chea');
      const his = (await x.call('GET', '/care/relationships', { token: d.access })).json<{ items: Rel[] }>().items;
      expect(his.find((r) => r.id === relId)?.patient).toMatchObject({ first_name: 'Sreymom', last_name: 'Keo' });
      // history, not access: her record stays closed to him
      expect((await x.call('GET', `/care/patients/${p.id}/prescriptions`, { token: d.access })).statusCode).toBe(404);
    });
  }

  it('only display names cross, and only between people who have or had a relationship', async () => {
    const x = app();
    const d = await register(x.h, 'doctor', { first_name: 'Dara', last_name: 'Sok', phone: '+85512345678' });
    const p = await register(x.h, 'patient');
    const stranger = await register(x.h, 'patient');
    const relId = await connect(x.h, d, p);
    await x.call('POST', `/care/relationships/${relId}/end`, { token: p.access, body: { reason: 'done' } });
    const asPatient = await x.h.t.asUser({ userId: p.id, role: 'patient' }, (tx) =>
      tx.query('SELECT * FROM app_party_name($1)', [d.id]),
    );
    expect(asPatient.rows).toEqual([
      { first_name: 'Dara', last_name: 'Sok', specialization: null, hospital_name: null },
    ]);
    const asStranger = await x.h.t.asUser({ userId: stranger.id, role: 'patient' }, (tx) =>
      tx.query('SELECT * FROM app_party_name($1)', [d.id]),
    );
    expect(asStranger.rows).toEqual([]);
    // the users row itself stays hidden once the relationship has ended (no e-mail, no phone)
    const row = await x.h.t.asUser({ userId: p.id, role: 'patient' }, (tx) =>
      tx.query('SELECT email FROM users WHERE id = $1', [d.id]),
    );
    expect(row.rowCount).toBe(0);
    // the service's login without any context sees nobody's name
    const noContext = await x.h.t.db.pool.query('SELECT * FROM app_party_name($1)', [d.id]);
    expect(noContext.rows).toEqual([]);
  });
});
