#!/usr/bin/env node
// Entry point of the `dastern` command. Runs the compiled server (dist/, built at `npm ci` by
// scripts/build-server.ts) when it was built from the sources as they are now (bin/compiled.js),
// and otherwise loads the TypeScript sources through tsx, as a development checkout whose
// sources changed since the build needs.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledEntry } from './compiled.js';

const entry = compiledEntry(path.resolve(import.meta.dirname, '..'));
if (entry !== undefined) {
  // stack traces name the TypeScript sources (dist/ has the source maps)
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
