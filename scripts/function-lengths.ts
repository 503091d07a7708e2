/**
 * Lists the longest functions (declarations, methods, arrow functions and function
 * expressions) of the TypeScript files under the folders given, longest first:
 * `npx tsx scripts/function-lengths.ts src web/src --over 80`.
 * A function's length is its line count, first line to last; nested functions count on their own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

interface Row {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : files(path);
    return /\.tsx?$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  if (ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText(source).slice(0, 40)})`;
  return '(anonymous)';
}

function measure(file: string): Row[] {
  const text = readFileSync(file, 'utf8');
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, kind);
  const rows: Row[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      rows.push({ file, line: first + 1, name: nameOf(node, source), lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return rows;
}

const args = process.argv.slice(2);
const overAt = args.indexOf('--over');
const over = overAt >= 0 ? Number(args[overAt + 1]) : 80;
const dirs = args.filter((arg, i) => arg !== '--over' && i !== overAt + 1);
const rows = (dirs.length > 0 ? dirs : ['src'])
  .flatMap(files)
  .flatMap(measure)
  .filter((row) => row.lines > over)
  .sort((a, b) => b.lines - a.lines);
for (const row of rows) console.log(`${String(row.lines).padStart(4)}  ${row.file}:${row.line}  ${row.name}`);
console.log(`${rows.length} functions over ${over} lines`);
