/** `dastern read` through commander: exit codes, one-line errors, JSON on stdout. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { formatReading, registerReadCommand } from '../../src/cli/read.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const bin = path.join(root, 'bin', 'dastern.js');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'read', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dastern read', () => {
  it('registers the command', () => {
    const p = new Command('dastern');
    registerReadCommand(p);
    expect(p.commands.map((c) => c.name())).toContain('read');
  });

  it('a missing file: non-zero, one line on stderr', () => {
    const r = run('/nonexistent/photo.jpg', '--json');
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no such file/);
  });

  it('a non-image: non-zero, one line on stderr', () => {
    const f = path.join(os.tmpdir(), `not-an-image-${process.pid}.jpg`);
    fs.writeFileSync(f, 'hello\n');
    const r = run(f);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a JPEG, PNG or WebP/);
  });

  it('--json prints one JSON object and the process exits (workers closed)', () => {
    const img = path.join(here, 'fixtures', 'synth-km-ruled-101.jpg');
    const r = run(img, '--json', '--lang', 'km+en');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { medications: unknown[]; ocr: { languages: string[] } };
    expect(j.medications.length).toBeGreaterThan(0);
    expect(j.ocr.languages).toEqual(['khm', 'eng']);
  });
});

describe('readable table', () => {
  it('formats a reading', () => {
    const text = formatReading({
      hospital_name: 'H',
      prescription_number: 'N1',
      prescription_date: '2025-01-02',
      patient: { name: null, age: 30, gender: 'male' },
      diagnosis: ['Flu'],
      department: null,
      prescribing_doctor_name: null,
      medications: [
        {
          sequence: 1,
          name: 'Paracetamol',
          generic_name: 'paracetamol',
          drug_id: 'paracetamol',
          strength: '500mg',
          form: 'tablet',
          quantity: 10,
          quantity_unit: 'tablet',
          dosage_schedule: { morning: 1, noon: 0.5, evening: 1, night: 0 },
          duration_days: 5,
          instructions: 'after meal',
          take_after_meal: true,
          take_before_meal: false,
          confidence: 0.9,
          field_confidence: {
            name: 1,
            strength: 1,
            quantity: 1,
            dosage_schedule: { morning: 1, noon: 1, evening: 1, night: 1 },
          },
        },
      ],
      layout: 'table',
      ocr: { engine: 'e', languages: ['eng'], confidence: 0.9, processing_ms: 1, stages_ms: {}, warnings: [] },
      raw_text: '',
    });
    expect(text).toMatch(/Paracetamol\s+500mg\s+10 tablet\s+1\s+0\.5\s+1\s+0\s+5\s+after meal/);
  });
});
