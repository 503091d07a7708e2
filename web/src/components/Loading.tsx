import { useTranslation } from 'react-i18next';

/** "Loading…" while a query has no data yet. */
export function Loading() {
  const { t } = useTranslation();
  return <p className="muted">{t('common.loading')}</p>;
}
