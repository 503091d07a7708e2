import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from '../core/schemas.ts';

export type UserRole = 'patient' | 'doctor' | 'admin';

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const Password = Type.String({
  minLength: 10,
  maxLength: 72,
  description: '10–72 characters with letters and digits',
});
export const Language = Type.Union([Type.Literal('km'), Type.Literal('en'), Type.Literal('fr')]);

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Password,
    role: Type.Union([Type.Literal('patient'), Type.Literal('doctor')]),
    first_name: Type.String({ minLength: 1, maxLength: 100 }),
    last_name: Type.String({ minLength: 1, maxLength: 100 }),
    phone: Type.Optional(
      Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'international format, e.g. +85512345678' }),
    ),
    language: Type.Optional(Language),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    date_of_birth: Type.Optional(Type.String({ format: 'date' })),
  },
  { additionalProperties: false },
);
export type RegisterBodyT = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type LoginBodyT = Static<typeof LoginBody>;

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 16, maxLength: 200 }) },
  { additionalProperties: false },
);
export const LogoutQuery = Type.Object({ all: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const PublicUser = Type.Object({
  id: Uuid,
  email: Type.String(),
  role: Type.Union([Type.Literal('patient'), Type.Literal('doctor'), Type.Literal('admin')]),
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  email_verified: Type.Boolean(),
  language: Type.String(),
  timezone: Type.String(),
  created_at: Timestamp,
});
export type PublicUserT = Static<typeof PublicUser>;

export const TokenPair = Type.Object({
  user: PublicUser,
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds until the access token expires' }),
});
export type TokenPairT = Static<typeof TokenPair>;

export const RefreshResult = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
});

export const EmailBody = Type.Object({ email: Email }, { additionalProperties: false });
export const TokenBody = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 2048 }) },
  { additionalProperties: false },
);
export const ResetBody = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 2048 }), password: Password },
  { additionalProperties: false },
);
export const ChangePasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 200 }), new_password: Password },
  { additionalProperties: false },
);
