/** Safety: HTTP shapes (TypeBox). */
import { Type, type Static } from '@sinclair/typebox';

export const SafetyAlertView = Type.Object({
  kind: Type.Union([
    Type.Literal('interaction'),
    Type.Literal('duplicate_therapy'),
    Type.Literal('max_dose'),
    Type.Literal('allergy'),
    Type.Literal('pregnancy'),
  ]),
  severity: Type.Union([
    Type.Literal('info'),
    Type.Literal('moderate'),
    Type.Literal('major'),
    Type.Literal('contraindicated'),
  ]),
  drugs: Type.Array(Type.String()),
  message: Type.String({ description: "one sentence in the reader's language (km, en or fr)" }),
  source: Type.String({ description: 'the public sources of the rule' }),
  rule: Type.String({ description: 'the knowledge-base row behind the alert' }),
});
export type SafetyAlertViewT = Static<typeof SafetyAlertView>;
export const SafetyAlerts = Type.Array(SafetyAlertView, {
  description:
    "Medication safety checks over this prescription and the patient's other active medicines (free for everyone)",
});
