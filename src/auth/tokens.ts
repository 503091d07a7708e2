/**
 * Tokens: short-lived JWT access tokens (HS256, jose) carrying the session id, opaque
 * 256-bit refresh tokens (only their SHA-256 is stored), and signed single-purpose e-mail
 * link tokens. Each use gets its own key derived from the master secret (HKDF), so a token
 * made for one purpose can never be replayed as another.
 */
import { createHash, hkdfSync, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { ApiError, unauthorized } from '../core/errors.ts';
import type { UserRole } from './types.ts';

const ISSUER = 'dastern';
const ACCESS_AUDIENCE = 'dastern-api';
const ROLES: ReadonlySet<string> = new Set(['patient', 'doctor', 'admin']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessClaims {
  userId: string;
  role: UserRole;
  sessionId: string;
}

export type LinkPurpose = 'verify_email' | 'reset_password';

export interface LinkClaims {
  userId: string;
  role: UserRole;
  purpose: LinkPurpose;
  /** A fingerprint of the state the token is valid for; any change makes it unusable (single use). */
  binding: string;
}

function deriveKey(secret: string, info: string): Uint8Array {
  return new Uint8Array(
    hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('dastern-v1'), Buffer.from(info), 32),
  );
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An opaque refresh token (256 random bits) and the hash that is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: sha256Hex(token) };
}

/** An HMAC-SHA256 key imported once (jose would otherwise import raw bytes on every call). */
type CryptoKey = webcrypto.CryptoKey;

function hmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

/** Access tokens already verified, kept until they expire (a client sends the same one for 15 min). */
const VERIFIED_CACHE_SIZE = 10_000;

export class TokenService {
  private readonly accessKey: Promise<CryptoKey>;
  private readonly linkKey: Promise<CryptoKey>;
  /**
   * token → its claims and expiry (epoch s). A hit skips the HMAC (WebCrypto costs ~0.3 ms of the
   * event loop per verify); the expiry is checked on every hit; revocation is the session check's
   * job in each request's transaction. Bounded: the oldest entry goes first.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; exp: number }>();

  constructor(
    secret: string,
    readonly accessTtlSeconds: number,
  ) {
    if (Buffer.byteLength(secret) < 32) throw new Error('the JWT secret must be at least 32 bytes');
    this.accessKey = hmacKey(deriveKey(secret, 'access-token'));
    this.linkKey = hmacKey(deriveKey(secret, 'email-link'));
  }

  async signAccess(claims: AccessClaims, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT({ role: claims.role, sid: claims.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(ACCESS_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.accessTtlSeconds)
      .sign(await this.accessKey);
  }

  /** Verifies signature (HS256 only: `alg: none` and others are refused), issuer, audience, expiry. */
  async verifyAccess(token: string, now = Date.now()): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (known.exp > Math.floor(now / 1000)) return known.claims;
      this.verified.delete(token);
      throw unauthorized('token_expired', 'the access token has expired; refresh it');
    }
    try {
      const { payload } = await jwtVerify(token, await this.accessKey, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: ACCESS_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: new Date(now),
      });
      const { sub, role, sid, exp } = payload;
      if (
        typeof sub !== 'string' ||
        !UUID.test(sub) ||
        typeof sid !== 'string' ||
        !UUID.test(sid) ||
        typeof role !== 'string' ||
        !ROLES.has(role)
      ) {
        throw unauthorized('invalid_token', 'the access token is not valid');
      }
      const claims: AccessClaims = { userId: sub, role: role as UserRole, sessionId: sid };
      if (typeof exp === 'number') this.remember(token, claims, exp);
      return claims;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof joseErrors.JWTExpired)
        throw unauthorized('token_expired', 'the access token has expired; refresh it');
      throw unauthorized('invalid_token', 'the access token is not valid');
    }
  }

  private remember(token: string, claims: AccessClaims, exp: number): void {
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    this.verified.set(token, { claims, exp });
  }

  async signLink(claims: LinkClaims, ttlSeconds: number): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ pur: claims.purpose, bnd: claims.binding, role: claims.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(`dastern-${claims.purpose}`)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(await this.linkKey);
  }

  async verifyLink(token: string, purpose: LinkPurpose): Promise<LinkClaims> {
    try {
      const { payload } = await jwtVerify(token, await this.linkKey, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: `dastern-${purpose}`,
      });
      const role = payload.role;
      if (
        payload.pur !== purpose ||
        typeof payload.sub !== 'string' ||
        !UUID.test(payload.sub) ||
        typeof payload.bnd !== 'string' ||
        typeof role !== 'string' ||
        !ROLES.has(role)
      ) {
        throw new ApiError(400, 'invalid_link_token', 'the link is not valid');
      }
      return { userId: payload.sub, role: role as UserRole, purpose, binding: payload.bnd };
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof joseErrors.JWTExpired)
        throw new ApiError(400, 'link_token_expired', 'the link has expired; ask for a new one');
      throw new ApiError(400, 'invalid_link_token', 'the link is not valid');
    }
  }
}
