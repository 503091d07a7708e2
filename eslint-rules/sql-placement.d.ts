import type { ESLint, Rule } from 'eslint';

export declare const SQL_PATTERNS: readonly RegExp[];
export declare function looksLikeSql(text: string): boolean;
export declare const sqlPlacement: Rule.RuleModule;
declare const plugin: ESLint.Plugin & { rules: { 'sql-placement': Rule.RuleModule } };
export default plugin;
