/**
 * Splits a plain-format pg_dump into its entries. pg_dump heads every object with
 *
 *   --
 *   -- Name: <name>; Type: <type>; Schema: <schema>; Owner: <owner>
 *   --                        (or "-- Data for Name: …" for rows)
 *
 * and the text up to the next such head is the object's SQL.
 */
export interface DumpEntry {
  name: string;
  type: string;
  schema: string;
  /** The object's SQL without pg_dump's head. */
  body: string;
  /** Head and SQL, as dumped. */
  raw: string;
}

const HEAD = /^--\n-- (?:Data for )?Name: (.*?); Type: (.*?); Schema: (.*?); Owner: .*\n--\n/gm;

export function parseDump(dump: string): { preamble: string; entries: DumpEntry[] } {
  const heads = [...dump.matchAll(HEAD)];
  const first = heads[0]?.index ?? dump.length;
  const entries = heads.map((h, i): DumpEntry => {
    const start = h.index ?? 0;
    const end = heads[i + 1]?.index ?? dump.length;
    const raw = dump.slice(start, end);
    const schema = h[3] === '-' ? '' : h[3]!;
    return { name: h[1]!, type: h[2]!, schema, body: raw.slice(h[0].length), raw };
  });
  // pg_dump ends with "-- PostgreSQL database dump complete": not part of the last entry.
  const last = entries.at(-1);
  if (last) {
    const done = last.body.indexOf('--\n-- PostgreSQL database dump complete');
    if (done >= 0) {
      last.body = last.body.slice(0, done);
      last.raw = last.raw.slice(0, last.raw.indexOf('--\n-- PostgreSQL database dump complete'));
    }
  }
  return { preamble: dump.slice(0, first), entries };
}
