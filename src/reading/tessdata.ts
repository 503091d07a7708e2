/**
 * Where the OCR language models come from — never the network.
 *  - eng, fra: npm packages @tesseract.js-data/* (gzipped, in node_modules)
 *  - khm: Debian's tesseract-ocr-khm (/usr/share/tesseract-ocr/5/tessdata/khm.traineddata),
 *    or the directory in DASTERN_TESSDATA_DIR (scripts/install-system-deps.sh installs it).
 * The models are gathered (gunzipped) once into one local directory that tesseract.js reads
 * as its langPath with gzip off and its cache disabled, so it never fetches from a CDN.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { tessdataDirSetting } from '../config.ts';

const require = createRequire(import.meta.url);

export const DEBIAN_TESSDATA_DIRS = ['/usr/share/tesseract-ocr/5/tessdata', '/usr/share/tesseract-ocr/4.00/tessdata'];

/** CLI/ISO-ish codes → tesseract codes. */
export function normaliseLanguages(langs: readonly string[]): string[] {
  const map: Record<string, string> = {
    km: 'khm',
    kh: 'khm',
    khm: 'khm',
    en: 'eng',
    eng: 'eng',
    fr: 'fra',
    fra: 'fra',
    fre: 'fra',
  };
  const out: string[] = [];
  for (const raw of langs.flatMap((l) => l.split(/[+,\s]+/))) {
    const code = map[raw.trim().toLowerCase()];
    if (code !== undefined && !out.includes(code)) out.push(code);
  }
  return out;
}

function findNpmModel(lang: string): string | null {
  try {
    const pkgDir = path.dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`));
    // LSTM-only "best_int" models: what OEM 1 needs, smaller than the legacy+LSTM bundle.
    for (const sub of ['4.0.0_best_int', '4.0.0']) {
      const p = path.join(pkgDir, sub, `${lang}.traineddata.gz`);
      if (fs.existsSync(p)) return p;
    }
  } catch {
    /* package not installed */
  }
  return null;
}

function findSystemModel(lang: string, tessdataDir: string | undefined): string | null {
  // An explicit directory (option, else DASTERN_TESSDATA_DIR) replaces the Debian defaults.
  const explicit = tessdataDir ?? tessdataDirSetting();
  const dirs = explicit !== undefined && explicit !== '' ? [explicit] : DEBIAN_TESSDATA_DIRS;
  for (const d of dirs) {
    for (const name of [`${lang}.traineddata`, `${lang}.traineddata.gz`]) {
      const p = path.join(d, name);
      if (fs.existsSync(p)) return p;
    }
  }
  return null;
}

export interface LanguageData {
  /** Directory with plain <lang>.traineddata files for the languages that were found. */
  langPath: string;
  /** Languages available, in the order requested. */
  languages: string[];
  /** Requested but not found (each reported once through the logger). */
  missing: string[];
}

/** Gathers the requested models into a local directory (idempotent, atomic writes). */
export function prepareLanguageData(requested: readonly string[], tessdataDir?: string): LanguageData {
  const langPath = path.join(os.tmpdir(), `dastern-tessdata-${process.getuid?.() ?? 'u'}`);
  fs.mkdirSync(langPath, { recursive: true });
  const languages: string[] = [];
  const missing: string[] = [];
  for (const lang of requested) {
    const src = findNpmModel(lang) ?? findSystemModel(lang, tessdataDir);
    if (src === null) {
      missing.push(lang);
      continue;
    }
    const dest = path.join(langPath, `${lang}.traineddata`);
    const stat = fs.statSync(src);
    const stamp = `${dest}.src`;
    const wanted = `${src}:${stat.size}:${stat.mtimeMs}`;
    const current = fs.existsSync(stamp) && fs.existsSync(dest) ? fs.readFileSync(stamp, 'utf8') : '';
    if (current !== wanted) {
      const raw = fs.readFileSync(src);
      const data = src.endsWith('.gz') ? zlib.gunzipSync(raw) : raw;
      const tmp = `${dest}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, dest);
      fs.writeFileSync(`${stamp}.${process.pid}.tmp`, wanted);
      fs.renameSync(`${stamp}.${process.pid}.tmp`, stamp);
    }
    languages.push(lang);
  }
  return { langPath, languages, missing };
}
