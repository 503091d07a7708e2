/**
 * Schemas compiled on first use (src/http/validation.ts): a route validates and serializes as
 * before; what no request needed is compiled by compileRest, which reports a schema that does
 * not compile.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { Type, type TSchema } from '@sinclair/typebox';
import { forSerializer, schemaCompilers } from '../../src/http/validation.ts';

function app(): { fastify: ReturnType<typeof Fastify>; schemas: ReturnType<typeof schemaCompilers> } {
  const schemas = schemaCompilers();
  const fastify = Fastify({ schemaController: schemas.schemaController });
  fastify.setValidatorCompiler(schemas.validatorCompiler);
  fastify.post(
    '/echo',
    {
      schema: {
        body: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false },
        querystring: { type: 'object', properties: { k: { type: 'integer' } } },
        response: { 200: { type: 'object', properties: { n: { type: 'integer' }, k: { type: 'integer' } } } },
      },
    },
    async (req) => ({ ...(req.body as object), ...(req.query as object), secret: 'not in the schema' }),
  );
  fastify.post(
    '/broken',
    { schema: { body: { type: 'object', properties: { a: { type: 'no-such-type' } } } } },
    () => ({}),
  );
  return { fastify, schemas };
}

describe('schemas compiled on first use', () => {
  it('validates bodies strictly, coerces query strings, serializes by the response schema', async () => {
    const { fastify } = app();
    const ok = await fastify.inject({ method: 'POST', url: '/echo?k=7', payload: { n: 1 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ n: 1, k: 7 });
    expect((await fastify.inject({ method: 'POST', url: '/echo', payload: { n: '1' } })).statusCode).toBe(400);
    expect((await fastify.inject({ method: 'POST', url: '/echo', payload: { n: 1, x: 2 } })).statusCode).toBe(400);
    await fastify.close();
  });

  it('compileRest compiles what no request needed and reports the schema that does not compile', async () => {
    const { fastify, schemas } = app();
    await fastify.ready(); // the broken schema does not stop the start
    const errors: unknown[] = [];
    schemas.compileRest((err) => errors.push(err));
    await expect.poll(() => errors.length).toBe(1);
    expect(String(errors[0])).toMatch(/no-such-type|schema is invalid/);
    expect((await fastify.inject({ method: 'POST', url: '/broken', payload: { a: 1 } })).statusCode).toBe(500);
    // the route compiled in the background still serves
    expect((await fastify.inject({ method: 'POST', url: '/echo', payload: { n: 2 } })).json()).toEqual({ n: 2 });
    await fastify.close();
  });

  it('serializes nullable primitives and literal unions as before (anyOf rewritten for speed only)', async () => {
    const N = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
    const schema = Type.Object({
      at: N(Type.String({ format: 'date-time' })),
      day: N(Type.String({ format: 'date' })),
      n: N(Type.Integer()),
      x: N(Type.Number()),
      ok: N(Type.Boolean()),
      status: Type.Union([Type.Literal('pending'), Type.Literal('done')]),
      mixed: Type.Union([Type.String(), Type.Integer()]),
    });
    expect(forSerializer(schema)).toMatchObject({
      properties: {
        at: { type: ['string', 'null'], format: 'date-time' },
        n: { type: ['integer', 'null'] },
        status: { type: 'string', enum: ['pending', 'done'] },
        mixed: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    });
    const schemas = schemaCompilers();
    const fastify = Fastify({ schemaController: schemas.schemaController });
    const values = [
      {
        at: new Date('2026-01-02T03:04:05.678Z'),
        day: '2026-01-02',
        n: 3,
        x: 1.5,
        ok: true,
        status: 'pending',
        mixed: 'a',
      },
      { at: null, day: null, n: null, x: null, ok: null, status: 'done', mixed: 7 },
    ];
    fastify.get(
      '/v/:k',
      { schema: { response: { 200: schema } } },
      async (req) => values[Number((req.params as { k: string }).k)],
    );
    expect((await fastify.inject('/v/0')).json()).toEqual({ ...values[0], at: '2026-01-02T03:04:05.678Z' });
    expect((await fastify.inject('/v/1')).json()).toEqual(values[1]);
    await fastify.close();
  });
});
