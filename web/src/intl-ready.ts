/**
 * Whether the browser can format a language itself; if not, the FormatJS polyfills (intl.ts, a
 * separate chunk) are loaded first. English and French in a full-ICU browser load nothing.
 */
let polyfillsInUse = false;

function browserFormats(lang: string): boolean {
  return (
    Intl.NumberFormat.supportedLocalesOf([lang]).length > 0 &&
    Intl.DateTimeFormat.supportedLocalesOf([lang]).length > 0 &&
    Intl.PluralRules.supportedLocalesOf([lang]).length > 0
  );
}

export async function prepareIntl(lang: string): Promise<void> {
  if (!polyfillsInUse && browserFormats(lang)) return;
  polyfillsInUse = true;
  const { ensureIntl } = await import('./intl.ts');
  await ensureIntl(lang);
}
