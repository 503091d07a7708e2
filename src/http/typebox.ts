/**
 * A Fastify type provider for TypeBox schemas (what @fastify/type-provider-typebox does, in
 * ten lines, without another dependency): route handlers get `Static<schema>` types for
 * body, params, querystring and replies.
 */
import type {
  FastifyInstance,
  FastifyTypeProvider,
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
} from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';

export interface TypeBoxTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
  serializer: this['schema'] extends TSchema ? Static<this['schema']> : unknown;
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
