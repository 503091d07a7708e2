/**
 * JSON-schema validation. Bodies are validated strictly (no type coercion: "1" is not 1, an
 * unknown property is refused, not silently dropped); query strings and path parameters are
 * coerced from text, as they must be.
 *
 * Validators and response serializers are compiled on their first use, not when the routes are
 * registered: compiling every route's schemas took ~1 s of CPU of each start. Once the service
 * listens, the ones no request has needed yet are compiled in the background (a few milliseconds
 * per event-loop turn), so that a schema that does not compile is still logged soon after a start.
 */
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler, FastifyServerOptions } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as unknown as (
  ajv: Ajv,
) => Ajv;

const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false, messages: true };

const shared: Array<{ $id?: string }> = [];
const ajvs: { strict?: Ajv; coercing?: Ajv } = {};

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ ...common, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  for (const schema of shared) ajv.addSchema(schema);
  return ajv;
}

const strictAjv = (): Ajv => (ajvs.strict ??= makeAjv(false));
const coercingAjv = (): Ajv => (ajvs.coercing ??= makeAjv(true));

/** Register schemas with an $id (shared refs) in both validators. */
export function addSharedSchema(schema: { $id?: string }): void {
  if (schema.$id !== undefined && shared.some((s) => s.$id === schema.$id)) return;
  shared.push(schema);
  for (const ajv of [ajvs.strict, ajvs.coercing]) ajv?.addSchema(schema);
}

const serializerFactory = SerializerSelector();

const PRIMITIVE = new Set(['string', 'number', 'integer', 'boolean']);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNull = (x: unknown): boolean => isObject(x) && x.type === 'null' && Object.keys(x).length === 1;
/** A schema of one primitive type and no combinator: its type can become [type, 'null']. */
const plainPrimitive = (x: unknown): x is Record<string, unknown> =>
  isObject(x) &&
  typeof x.type === 'string' &&
  PRIMITIVE.has(x.type) &&
  !('anyOf' in x || 'oneOf' in x || 'allOf' in x || '$ref' in x || 'not' in x);

/**
 * A response schema as fast-json-stringify writes it fastest, for the same output: its `anyOf`
 * (TypeBox's unions) picks a branch by running a validator on every value, so a nullable
 * primitive (Nullable(Type.String()): anyOf [T, null]) becomes `type: [T, 'null']` and a union
 * of literals of one type (a status) becomes that type with an `enum`. The route's schema itself
 * (validation, the OpenAPI document) is untouched: this copy only serializes.
 */
export function forSerializer(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(forSerializer);
  if (!isObject(schema)) return schema;
  const anyOf = schema.anyOf;
  if (Array.isArray(anyOf) && anyOf.length === 2 && Object.keys(schema).length === 1) {
    const [a, b] = anyOf as unknown[];
    const value = isNull(b) ? a : isNull(a) ? b : undefined;
    if (plainPrimitive(value)) return { ...(forSerializer(value) as object), type: [value.type, 'null'] };
  }
  if (
    Array.isArray(anyOf) &&
    anyOf.length > 0 &&
    Object.keys(schema).length === 1 &&
    anyOf.every(
      (x) =>
        plainPrimitive(x) &&
        'const' in x &&
        Object.keys(x).length === 2 &&
        x.type === (anyOf[0] as { type: unknown }).type,
    )
  ) {
    return { type: (anyOf[0] as { type: unknown }).type, enum: anyOf.map((x) => (x as { const: unknown }).const) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = forSerializer(v);
  return out;
}

export interface SchemaCompilers {
  /** For app.setValidatorCompiler. */
  validatorCompiler: FastifySchemaCompiler<unknown>;
  /** Fastify's schemaController option: fast-json-stringify serializers, compiled on first use. */
  schemaController: NonNullable<FastifyServerOptions['schemaController']>;
  /** Compiles, a few per event-loop turn, what no request has needed yet; errors go to `onError`. */
  compileRest(onError: (err: unknown) => void): void;
}

/** The compilers of one Fastify instance. */
export function schemaCompilers(): SchemaCompilers {
  const pending = new Set<() => unknown>();
  /** A getter that compiles on its first call (or in compileRest). */
  const onFirstUse = <T>(compile: () => T): (() => T) => {
    let compiled: { value: T } | undefined;
    const get = (): T => {
      if (compiled === undefined) {
        pending.delete(get);
        compiled = { value: compile() };
      }
      return compiled.value;
    };
    pending.add(get);
    return get;
  };
  return {
    validatorCompiler: ({ schema, httpPart }) => {
      const validator = onFirstUse<ValidateFunction>(() =>
        (httpPart === 'body' ? strictAjv() : coercingAjv()).compile(schema as object),
      );
      return (data: unknown) => {
        const validate = validator();
        if (validate(data)) return { value: data };
        return { error: Object.assign(new Error('validation failed'), { validation: validate.errors ?? [] }) };
      };
    },
    schemaController: {
      compilersFactory: {
        buildSerializer: (externalSchemas: unknown, options: unknown) => {
          const compile = serializerFactory(externalSchemas as never, options as never);
          return (route: Parameters<typeof compile>[0]) => {
            const serializer = onFirstUse(() => compile({ ...route, schema: forSerializer(route.schema) as object }));
            return (doc: unknown) => serializer()(doc);
          };
        },
      },
    },
    compileRest(onError) {
      const step = (): void => {
        const started = performance.now();
        for (const get of pending) {
          try {
            get();
          } catch (err) {
            pending.delete(get);
            onError(err);
          }
          if (performance.now() - started > 5) break;
        }
        if (pending.size > 0) setImmediate(step).unref();
      };
      setImmediate(step).unref();
    },
  };
}
