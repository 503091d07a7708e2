/** The shape every language's catalogue has: that of the English reference, with string leaves. */
import type { en } from './locales/en.ts';

type Widen<T> = { readonly [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };

export type Catalogue = Widen<typeof en>;

/** "a.b.c" for every string leaf of T. */
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];

/** Every key of the catalogue, e.g. 'problem.not_found', 'notification.note_added.title'. */
export type MessageKey = Leaves<Catalogue>;
/** The keys under notification.*: what a notification row's message_key may name. */
export type NotificationKey = keyof Catalogue['notification'] & string;
export type ProblemCode = keyof Catalogue['problem'] & string;
