/** What a free user sees where a Premium feature would be: what it offers and the way to /plans (never an error). */
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';

export function Upsell({
  feature,
  compact = false,
}: {
  feature: 'assistant' | 'reports' | 'suggestions';
  compact?: boolean;
}) {
  const { t } = useTranslation();
  if (compact) {
    return (
      <p className="note" data-testid="upsell">
        {t(`upsell.${feature}`)} <Link to="/plans">{t('upsell.see')}</Link>
      </p>
    );
  }
  return (
    <div className="card upsell" data-testid="upsell">
      <h2>{t('upsell.title')}</h2>
      <p>{t(`upsell.${feature}`)}</p>
      <p className="muted">{t('upsell.price')}</p>
      <Link className="button primary" to="/plans">
        {t('upsell.see')}
      </Link>
    </div>
  );
}
