/**
 * Admin accounts are never self-registered: `dastern users create-admin` calls this with the
 * 'system' role (the only role the database lets create an admin).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { Passwords, passwordProblem } from '../auth/passwords.ts';
import { insertUser, markEmailVerified } from '../auth/queries.ts';
import { emailTaken } from './admin-queries.ts';
import { normaliseEmail } from '../auth/service.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';

export interface AdminInput {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
}

export async function createAdmin(db: Database, input: AdminInput, bcryptCost: number): Promise<string> {
  const weak = passwordProblem(input.password);
  if (weak !== undefined) throw new Error(weak);
  const email = normaliseEmail(input.email);
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new Error('not an e-mail address');
  const id = randomUUID();
  const passwordHash = await new Passwords(bcryptCost).hash(input.password);
  await db.withUser({ userId: null, role: 'system' }, async (tx) => {
    if (await emailTaken(tx, email)) throw new Error('an account with this e-mail already exists');
    await insertUser(tx, {
      id,
      email,
      passwordHash,
      role: 'admin',
      firstName: input.firstName,
      lastName: input.lastName,
      phone: null,
      language: 'en',
      timezone: HOME_TIMEZONE,
      dateOfBirth: null,
    });
    await markEmailVerified(tx, id);
  });
  return id;
}
