/**
 * JSON-schema validation. Bodies are validated strictly (no type coercion: "1" is not 1, an
 * unknown property is refused, not silently dropped); query strings and path parameters are
 * coerced from text, as they must be.
 */
import { Ajv, type Options } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as unknown as (
  ajv: Ajv,
) => Ajv;

const common: Options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false, messages: true };

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ ...common, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  return ajv;
}

const strictAjv = makeAjv(false);
const coercingAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
  const validate = ajv.compile(schema as object);
  return (data: unknown) => {
    if (validate(data)) return { value: data };
    return { error: Object.assign(new Error('validation failed'), { validation: validate.errors ?? [] }) };
  };
};

/** Register schemas with an $id (shared refs) in both validators. */
export function addSharedSchema(schema: { $id?: string }): void {
  for (const ajv of [strictAjv, coercingAjv]) {
    if (schema.$id === undefined || ajv.getSchema(schema.$id) === undefined) ajv.addSchema(schema);
  }
}
