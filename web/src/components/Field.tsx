import { useId, type InputHTMLAttributes } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client.ts';

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
