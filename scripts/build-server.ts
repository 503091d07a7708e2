/**
 * Compiles src/ to dist/ (ESM JavaScript with source maps, one file per source file, the same
 * tree) so that `dastern` starts without compiling TypeScript in the process: bin/dastern.js runs
 * dist/cli/main.js when bin/compiled.js finds it current, tsx on src/ otherwise. Runs at `npm ci`
 * (the `prepare` script) and with `npm run build:server`.
 *
 * dist/ sits at the same depth as src/, so the paths the code resolves from its own location
 * (`../../database`, `../../web/dist`, node_modules through createRequire) are the same; the
 * files that are not TypeScript (the knowledge base's and the lexicon's JSON) are copied next to
 * the compiled modules, which read them relative to themselves. Relative imports keep their
 * module (`./x.ts` becomes `./x.js`); packages stay imports. The build is written to a new
 * directory that then replaces dist/, and dist/build.json (the digest of the sources it was built
 * from, taken before they were read) is its last file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { BUILD_FORMAT, sourceDigest } from '../bin/compiled.js';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** Relative imports stay separate modules: `./x.ts` → `./x.js`, never bundled. */
const keepModules: Plugin = {
  name: 'keep-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: args.path.replace(/\.ts$/, '.js'), external: true };
    });
  },
};

/** Builds `root`/src into `root`/dist; returns how many modules were compiled. */
export async function buildServer(root: string): Promise<number> {
  const src = path.join(root, 'src');
  const digest = sourceDigest(src);
  const files = filesUnder(src);
  const modules = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const out = path.join(root, `dist.building-${process.pid}`);
  fs.rmSync(out, { recursive: true, force: true });
  try {
    await build({
      entryPoints: modules,
      outbase: src,
      outdir: out,
      bundle: true,
      packages: 'external',
      plugins: [keepModules],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'warning',
    });
    for (const f of files.filter((x) => !x.endsWith('.ts'))) {
      const dest = path.join(out, path.relative(src, f));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(f, dest);
    }
    fs.writeFileSync(
      path.join(out, 'build.json'),
      `${JSON.stringify({ format: BUILD_FORMAT, source: digest, builtAt: new Date().toISOString() })}\n`,
    );
    const dist = path.join(root, 'dist');
    const old = path.join(root, `dist.old-${process.pid}`);
    if (fs.existsSync(dist)) fs.renameSync(dist, old);
    fs.renameSync(out, dist);
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return modules.length;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..'));
  const n = await buildServer(root);
  console.log(`server: compiled ${n} modules into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
