/**
 * From a confirmed medication to its reminders: one per slot with a dose, at the patient's
 * time for that slot (default Cambodian times: morning 07:00, noon 11:30, evening 17:30,
 * night 20:00), for the printed duration or, when none is printed, quantity ÷ daily doses.
 */
export type Slot = 'morning' | 'noon' | 'evening' | 'night';
export const SLOTS: readonly Slot[] = ['morning', 'noon', 'evening', 'night'];
export type SlotTimes = Record<Slot, string>;

export const DEFAULT_SLOT_TIMES: SlotTimes = { morning: '07:00', noon: '11:30', evening: '17:30', night: '20:00' };
const HH_MM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

export interface MedicationForPlan {
  dosage_schedule: Record<Slot, number>;
  quantity?: number | null | undefined;
  quantity_unit?: string | null | undefined;
  form?: string | null | undefined;
  duration_days?: number | null | undefined;
}

export interface ReminderPlan {
  slot: Slot;
  time: string;
  dose: number;
  unit: string;
}

export interface MedicationPlan {
  dailyDose: number;
  /** Days of treatment; null when neither a duration nor a quantity is known (open-ended). */
  durationDays: number | null;
  reminders: ReminderPlan[];
}

/** Reads a user's dose_schedule_template, falling back to the defaults slot by slot. */
export function slotTimes(template: unknown): SlotTimes {
  const t = (typeof template === 'object' && template !== null ? template : {}) as Partial<Record<Slot, unknown>>;
  const out = { ...DEFAULT_SLOT_TIMES };
  for (const slot of SLOTS) {
    const v = t[slot];
    if (typeof v === 'string' && HH_MM.test(v)) out[slot] = v;
  }
  return out;
}

export function durationDays(m: MedicationForPlan): number | null {
  if (m.duration_days !== null && m.duration_days !== undefined && m.duration_days > 0) return m.duration_days;
  const daily = SLOTS.reduce((sum, s) => sum + m.dosage_schedule[s], 0);
  if (m.quantity === null || m.quantity === undefined || m.quantity <= 0 || daily <= 0) return null;
  return Math.max(1, Math.ceil(m.quantity / daily));
}

function doseUnit(m: MedicationForPlan): string {
  const unit = (m.quantity_unit ?? m.form ?? 'dose').trim();
  return (unit === '' ? 'dose' : unit).slice(0, 32);
}

export function planMedication(m: MedicationForPlan, times: SlotTimes): MedicationPlan {
  const reminders: ReminderPlan[] = [];
  for (const slot of SLOTS) {
    const dose = m.dosage_schedule[slot];
    if (dose > 0) reminders.push({ slot, time: times[slot], dose, unit: doseUnit(m) });
  }
  return { dailyDose: reminders.reduce((s, r) => s + r.dose, 0), durationDays: durationDays(m), reminders };
}
