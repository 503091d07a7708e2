// Types of bin/compiled.js (plain JavaScript: bin/dastern.js loads it before any TypeScript).
export const BUILD_FORMAT: number;
export function sourceDigest(srcDir: string): string;
export function stampFile(root: string): string;
export function compiledEntry(root: string): string | undefined;
