/**
 * The native Tesseract (Debian `tesseract-ocr`) for the page pass: about twice as fast as the
 * WASM build on these machines (bench/read.bench.ts, BENCH_ENGINE=wasm to compare). One
 * process per page, the image piped in as PGM, words and lines read from its TSV output; the
 * same traineddata files as tesseract.js (its langPath), so both engines read alike.
 * Cell passes stay on the warm tesseract.js workers: a process start (~0.3–0.8 s) per cell
 * would cost more than it saves.
 */
import { execFile, spawnSync } from 'node:child_process';
import { childProcessEnv } from '../config.ts';
import { ReadingError } from './errors.ts';
import { toPgm, type GrayImage } from './image-ops.ts';
import type { OcrLine, OcrPage, OcrWord } from './ocr.ts';

export const NATIVE_BINARY = 'tesseract';

/** "tesseract 5.3.0", or null when the binary is not installed or does not run. */
export function nativeTesseractVersion(): string | null {
  try {
    const r = spawnSync(NATIVE_BINARY, ['--version'], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0) return null;
    const first = `${r.stdout}${r.stderr}`.split('\n').find((l) => /^tesseract\s+\d/.test(l.trim()));
    return first?.trim() ?? null;
  } catch {
    return null;
  }
}

/** Parses tesseract's TSV (level, page, block, par, line, word, left, top, width, height, conf, text). */
export function parseTsv(tsv: string): OcrPage {
  const words: OcrWord[] = [];
  const lines: OcrLine[] = [];
  const lineIndex = new Map<string, number>();
  const blockOf: number[] = [];
  for (const row of tsv.split('\n').slice(1)) {
    const f = row.split('\t');
    if (f.length < 12) continue;
    const [level, , block, par, line, , left, top, width, height, conf] = f.slice(0, 11).map(Number) as number[];
    const text = f.slice(11).join('\t').trim();
    const bbox = { x0: left ?? 0, y0: top ?? 0, x1: (left ?? 0) + (width ?? 0), y1: (top ?? 0) + (height ?? 0) };
    const key = `${block}.${par}.${line}`;
    if (level === 4) {
      lineIndex.set(key, lines.length);
      blockOf.push(block ?? 0);
      lines.push({ text: '', conf: 0, bbox, words: [] });
    } else if (level === 5 && text !== '') {
      const idx = lineIndex.get(key);
      if (idx === undefined) continue;
      const word: OcrWord = { text, conf: Math.max(0, conf ?? 0), bbox, line: idx };
      words.push(word);
      lines[idx]?.words.push(word);
    }
  }
  const kept: OcrLine[] = [];
  let text = '';
  let prevBlock = -1;
  lines.forEach((l, i) => {
    if (l.words.length === 0) return;
    l.text = l.words.map((w) => w.text).join(' ');
    l.conf = l.words.reduce((s, w) => s + w.conf, 0) / l.words.length;
    const b = blockOf[i] ?? 0;
    if (prevBlock >= 0 && b !== prevBlock) text += '\n';
    prevBlock = b;
    text += `${l.text}\n`;
    for (const w of l.words) w.line = kept.length;
    kept.push(l);
  });
  const confidence = words.length === 0 ? 0 : words.reduce((s, w) => s + w.conf, 0) / words.length;
  return { words, lines: kept, text, confidence };
}

/**
 * Full-page recognition (PSM 3) with the native binary. `onInputSent` runs once the image is
 * through the pipe: from then on the caller may block the event loop (layout work) while the
 * process reads.
 */
export function recognizeNative(
  image: GrayImage,
  opts: {
    langPath: string;
    languages: string[];
    timeoutMs: number;
    signal?: AbortSignal;
    onInputSent?: () => void;
    thresholdingMethod?: string;
  },
): Promise<OcrPage> {
  const args = [
    'stdin',
    'stdout',
    '--tessdata-dir',
    opts.langPath,
    '-l',
    opts.languages.join('+'),
    '--psm',
    '3',
    '--dpi',
    '300',
    '-c',
    'preserve_interword_spaces=1',
    '-c',
    'tessedit_create_tsv=1',
  ];
  if (opts.thresholdingMethod !== undefined && opts.thresholdingMethod !== '0')
    args.push('-c', `thresholding_method=${opts.thresholdingMethod}`);
  // (The "tsv" config file is not in our tessdata dir: the variable asks for the same output.)
  return new Promise((resolve, reject) => {
    const child = execFile(
      NATIVE_BINARY,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        env: childProcessEnv({ OMP_THREAD_LIMIT: '1' }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      (err, stdout) => {
        if (err !== null) {
          reject(
            new ReadingError('ocr_unavailable', `native tesseract failed: ${err.message.split('\n')[0] ?? ''}`, {
              cause: err,
            }),
          );
          return;
        }
        if (!stdout.startsWith('level')) {
          reject(new ReadingError('ocr_unavailable', 'native tesseract gave no TSV output'));
          return;
        }
        resolve(parseTsv(stdout));
      },
    );
    child.stdin?.on('error', () => undefined);
    if (opts.onInputSent !== undefined) child.stdin?.on('finish', opts.onInputSent);
    child.stdin?.end(toPgm(image));
  });
}
