import { useId, type InputHTMLAttributes } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client.ts';

/** A short confirmation ("Saved") announced to screen readers; nothing when there is none. */
export function StatusText({ text }: { text: string | null }) {
  return text !== null ? (
    <p role="status" className="ok">
      {text}
    </p>
  ) : null;
}

/** A labelled text area with a hint under it (one item per line). */
export function TextAreaField({
  label,
  hint,
  name,
  defaultValue,
}: {
  label: string;
  hint: string;
  name: string;
  defaultValue: string;
}) {
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <textarea id={name} name={name} rows={3} defaultValue={defaultValue} aria-describedby={`${name}-hint`} />
      <small id={`${name}-hint`}>{hint}</small>
    </div>
  );
}

/** A new password (sign-up, reset): 10 to 72 characters, the rule shown under it. */
export function NewPasswordField({ label }: { label: string }) {
  const { t } = useTranslation();
  return (
    <Field
      label={label}
      name="password"
      type="password"
      autoComplete="new-password"
      required
      minLength={10}
      maxLength={72}
      hint={t('auth.passwordRule')}
    />
  );
}

/** A labelled input (the label is always visible: no placeholder-only fields). */
export function Field({
  label,
  hint,
  warn,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: string; warn?: boolean }) {
  const id = useId();
  return (
    <div className={warn === true ? 'field warn' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} aria-describedby={hint !== undefined ? `${id}-hint` : undefined} />
      {hint !== undefined ? <small id={`${id}-hint`}>{hint}</small> : null}
    </div>
  );
}

const UPGRADE = new Set(['free_tier_limit', 'premium_required']);

/** An error in the user's language when the problem code is in the catalogue, else the API's detail; a free-tier refusal links to /plans. */
export function ErrorText({ error }: { error: unknown }) {
  const { t, i18n } = useTranslation();
  if (error === null || error === undefined) return null;
  let text = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiProblem && i18n.exists(`problem.${error.code}`)) text = t(`problem.${error.code}`);
  const upgrade = error instanceof ApiProblem && UPGRADE.has(error.code);
  return (
    <p role="alert" className="error">
      {text}
      {upgrade ? (
        <>
          {' '}
          <Link to="/plans">{t('upsell.see')}</Link>
        </>
      ) : null}
    </p>
  );
}
