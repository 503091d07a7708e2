/**
 * `dastern read <image> [--json] [--lang km+en+fr]` (CONTRACTS.md §1): reads one prescription
 * photo. Exit 0 on success; non-zero with one line on stderr for a missing, unreadable,
 * non-image or oversized file. Needs no database and no network; closes its OCR workers.
 */
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { createReader, isReadingError, MAX_BYTES, validateImage, type PrescriptionReading } from '../reading/index.ts';

export const EXIT_INPUT = 2;
export const EXIT_READ = 3;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

async function loadFile(file: string): Promise<Buffer> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? 'error'})`,
      EXIT_INPUT,
    );
  }
  if (!stat.isFile()) throw new CliError(`not a file: ${file}`, EXIT_INPUT);
  if (stat.size > MAX_BYTES) {
    throw new CliError(
      `${file}: image is ${(stat.size / 1048576).toFixed(1)} MB; the limit is ${MAX_BYTES / 1048576} MB`,
      EXIT_INPUT,
    );
  }
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new CliError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, EXIT_INPUT);
  }
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, ''));

/** A readable summary for a terminal. */
export function formatReading(r: PrescriptionReading): string {
  const out: string[] = [];
  const kv = (k: string, v: string | number | null | undefined): void => {
    if (v !== null && v !== undefined && v !== '') out.push(`${k.padEnd(13)}${v}`);
  };
  kv('Hospital', r.hospital_name);
  kv('Number', r.prescription_number);
  kv('Date', r.prescription_date);
  const p = [r.patient.name, r.patient.age !== null ? `${r.patient.age} y` : null, r.patient.gender].filter(
    (x) => x !== null,
  );
  kv('Patient', p.join(', '));
  kv('Diagnosis', r.diagnosis.join('; '));
  kv('Department', r.department);
  kv('Doctor', r.prescribing_doctor_name);
  out.push('');
  if (r.medications.length === 0) {
    out.push(`No medication found${r.empty_reason ? `: ${r.empty_reason}` : ''}.`);
  } else {
    const rows = [['#', 'name', 'strength', 'qty', 'morn', 'noon', 'even', 'night', 'days', 'instructions', 'conf']];
    for (const m of r.medications) {
      const s = m.dosage_schedule;
      rows.push([
        String(m.sequence),
        m.name +
          (m.generic_name && m.generic_name.toLowerCase() !== m.name.toLowerCase() ? ` (${m.generic_name})` : ''),
        m.strength ?? '',
        m.quantity !== null ? `${m.quantity}${m.quantity_unit ? ` ${m.quantity_unit}` : ''}` : '',
        fmt(s.morning),
        fmt(s.noon),
        fmt(s.evening),
        fmt(s.night),
        m.duration_days !== null ? String(m.duration_days) : '',
        m.instructions ?? '',
        m.confidence.toFixed(2),
      ]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r2) => [...(r2[i] ?? '')].length))) ?? [];
    for (const row of rows)
      out.push(
        row
          .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))
          .join('  ')
          .trimEnd(),
      );
  }
  out.push('');
  out.push(
    `OCR: ${r.ocr.engine}, ${r.ocr.languages.join('+')}, confidence ${r.ocr.confidence.toFixed(2)}, ${r.ocr.processing_ms} ms`,
  );
  for (const w of r.ocr.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

export function registerReadCommand(program: Command): void {
  program
    .command('read')
    .description('read a prescription photo (JPEG, PNG, WebP) and print the structured prescription')
    .argument('<image>', 'image file')
    .option('--json', 'print one JSON object (CONTRACTS.md §1)')
    .option('--lang <languages>', 'OCR languages, e.g. km+en+fr', 'km+en')
    .action(async (image: string, opts: { json?: boolean; lang: string }) => {
      let reader: Awaited<ReturnType<typeof createReader>> | null = null;
      try {
        const bytes = await loadFile(image);
        await validateImage(bytes); // bad input fails before any OCR worker starts
        const warned = new Set<string>();
        reader = await createReader({
          languages: opts.lang.split(/[+,]/),
          logger: { warn: (m) => void (warned.has(m) || (warned.add(m), process.stderr.write(`warning: ${m}\n`))) },
        });
        const result = await reader.read(bytes);
        process.stdout.write(
          opts.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${formatReading(result)}\n`,
        );
      } catch (err) {
        const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
        const code =
          err instanceof CliError
            ? err.exitCode
            : isReadingError(err)
              ? err.code === 'timeout'
                ? EXIT_READ
                : EXIT_INPUT
              : 1;
        process.stderr.write(`dastern read: ${image}: ${msg}\n`.replace(`${image}: ${image}: `, `${image}: `));
        process.exitCode = code;
      } finally {
        if (reader !== null) await reader.close();
      }
    });
}
