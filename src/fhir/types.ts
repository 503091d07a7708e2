/** The few FHIR R4 shapes the export writes, and the export rows it reads. */

export type Row = Record<string, unknown>;

export interface ExportRows {
  profile: Row;
  prescriptions: Array<Row & { medications?: Row[] }>;
  reminders: Row[];
  dose_logs: Row[];
}

export interface PractitionerRow {
  id: string;
  first_name: string | null;
  last_name: string | null;
  license_number: string | null;
}

export interface Dosage {
  sequence: number;
  text: string;
  patientInstruction?: string | undefined;
  timing: {
    repeat: {
      frequency: number;
      period: number;
      periodUnit: 'd';
      timeOfDay?: string[];
      when?: string[];
      boundsDuration?: { value: number; unit: string; system: string; code: string };
    };
  };
  doseAndRate: Array<{ doseQuantity: { value: number; unit: string } }>;
}

/** A resource: its type and id, the rest as FHIR names it. */
export interface FhirResource {
  resourceType: 'Patient' | 'Practitioner' | 'MedicationRequest' | 'MedicationStatement' | 'MedicationAdministration';
  id: string;
  [field: string]: unknown;
}

export interface Bundle {
  resourceType: 'Bundle';
  type: 'collection';
  timestamp: string;
  entry: Array<{ fullUrl: string; resource: FhirResource }>;
}
