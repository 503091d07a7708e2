/** Password hashing with bcrypt (cost from config: ≥ 12, lower only under NODE_ENV=test). */
import bcrypt from 'bcrypt';

/** bcrypt only reads the first 72 bytes; longer passwords are refused at validation (see types.ts). */
export const MAX_PASSWORD_BYTES = 72;

export class Passwords {
  /** A hash of a random string, compared against when the account does not exist (equal timing). */
  private dummy: Promise<string> | undefined;

  constructor(readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    if (hash === null || hash === undefined || !hash.startsWith('$2')) {
      this.dummy ??= bcrypt.hash('dastern-timing-equaliser', this.cost);
      await bcrypt.compare(password, await this.dummy);
      return false;
    }
    return bcrypt.compare(password, hash);
  }
}

/** Clear rules, checked before hashing; returns a message or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 10) return 'the password must have at least 10 characters';
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    return `the password must be at most ${MAX_PASSWORD_BYTES} bytes`;
  if (!/[A-Za-z\u1780-\u17FF]/.test(password) || !/[0-9]/.test(password))
    return 'the password must contain letters and digits';
  return undefined;
}
