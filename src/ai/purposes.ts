/**
 * What a medicine of each knowledge-base class is generally used for, in km/en/fr (purpose.<class>
 * in the message catalogue): general information (WHO ATC groups), never the reason the doctor
 * chose it for this patient.
 */
import { lookup, type Language } from '../i18n/index.ts';

/** The purpose of a class in `lang`; undefined without a class or for a class the catalogue has no text for. */
export function classPurpose(lang: Language, cls: string | null | undefined): string | undefined {
  return cls ? lookup(lang, `purpose.${cls}`) : undefined;
}
