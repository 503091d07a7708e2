/** The four times of day a dose is taken at, in their order. */
export const SLOTS = ['morning', 'noon', 'evening', 'night'] as const;
export type Slot = (typeof SLOTS)[number];
