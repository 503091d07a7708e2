// @ts-check
/**
 * `dastern/sql-placement`: SQL text (a string or template literal that reads as a statement,
 * keywords in capitals as the code base writes them) is allowed only in the agreed places —
 * eslint.config.js turns the rule off there (queries files, src/db/, src/backup/); see
 * README.md "Where SQL lives". Anywhere else it is an error: call the owner module's function.
 */

/** Statement shapes, capitals only (prose such as "select a plan" does not match). */
export const SQL_PATTERNS = [
  /\bSELECT\b[\s\S]*?\bFROM\b/,
  /\bSELECT\s+[a-z_][\w.]*\s*\(/,
  /\bINSERT\s+INTO\b/,
  /\bUPDATE\s+[a-z_][\w.]*(\s+(AS\s+)?[a-z_]\w*)?\s+SET\b/,
  /\bDELETE\s+FROM\b/,
  /\bTRUNCATE\s+(TABLE\s+)?[a-z_]/,
  /\b(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+)?(TABLE|INDEX|VIEW|FUNCTION|TRIGGER|POLICY|SCHEMA|ROLE|TYPE)\b/,
  /\b(GRANT|REVOKE)\s+[A-Z, ]+\s+ON\b/,
];

/** @param {string} text */
export function looksLikeSql(text) {
  return SQL_PATTERNS.some((p) => p.test(text));
}

/** @type {import('eslint').Rule.RuleModule} */
export const sqlPlacement = {
  meta: {
    type: 'problem',
    docs: { description: 'SQL only in queries files (and src/db/, src/backup/)' },
    messages: {
      misplaced:
        'SQL outside a queries file: move it into the owning module\'s queries.ts (one owner per table; README "Where SQL lives").',
    },
    schema: [],
  },
  create(context) {
    return {
      Literal(node) {
        if (typeof node.value === 'string' && looksLikeSql(node.value))
          context.report({ node, messageId: 'misplaced' });
      },
      TemplateLiteral(node) {
        const text = node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(' x ');
        if (looksLikeSql(text)) context.report({ node, messageId: 'misplaced' });
      },
    };
  },
};

export default { rules: { 'sql-placement': sqlPlacement } };
