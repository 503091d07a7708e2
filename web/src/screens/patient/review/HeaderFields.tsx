/** The prescription's header as the patient corrects it: hospital, doctor, date. */
import { useTranslation } from 'react-i18next';
import { Field } from '../../../components/Field.tsx';
import { date } from '../../../format.ts';
import type { Detail } from './draft.ts';

export interface Header {
  hospital_name: string;
  prescribing_doctor_name: string;
  prescription_date: string;
}

export function headerOf(p: Detail): Header {
  return {
    hospital_name: p.hospital_name ?? '',
    prescribing_doctor_name: p.prescribing_doctor_name ?? '',
    prescription_date: p.prescription_date ?? '',
  };
}

/** What PATCH takes: an empty field is null. */
export function headerBody(header: Header) {
  return {
    hospital_name: header.hospital_name.trim() === '' ? null : header.hospital_name.trim(),
    prescribing_doctor_name:
      header.prescribing_doctor_name.trim() === '' ? null : header.prescribing_doctor_name.trim(),
    prescription_date: header.prescription_date === '' ? null : header.prescription_date,
  };
}

export function HeaderFields({ header, onChange }: { header: Header; onChange: (h: Header) => void }) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <Field
        label={t('review.hospital')}
        value={header.hospital_name}
        maxLength={200}
        onChange={(e) => onChange({ ...header, hospital_name: e.currentTarget.value })}
      />
      <Field
        label={t('review.doctor')}
        value={header.prescribing_doctor_name}
        maxLength={200}
        onChange={(e) => onChange({ ...header, prescribing_doctor_name: e.currentTarget.value })}
      />
      <Field
        label={t('review.date')}
        type="date"
        value={header.prescription_date}
        onChange={(e) => onChange({ ...header, prescription_date: e.currentTarget.value })}
        hint={header.prescription_date !== '' ? date(header.prescription_date, i18n.language, t) : undefined}
      />
    </>
  );
}
