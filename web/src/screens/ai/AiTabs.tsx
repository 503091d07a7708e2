/** The Premium screens' own tabs: the assistant, reports, my plan. */
import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';

export function AiTabs() {
  const { t } = useTranslation();
  const links: [string, string][] = [
    ['/assistant', 'assistant.tab'],
    ['/reports', 'reports.tab'],
    ['/plans', 'plans.title'],
  ];
  return (
    <nav className="subnav" aria-label={t('assistant.nav')}>
      {links.map(([to, key]) => (
        <NavLink key={to} to={to} className={({ isActive }) => (isActive ? 'on' : '')}>
          {t(key)}
        </NavLink>
      ))}
    </nav>
  );
}
