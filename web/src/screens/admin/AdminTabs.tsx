/** The admin screens' own tabs. */
import { NavLink } from 'react-router';
import { useTranslation } from 'react-i18next';

export function AdminTabs() {
  const { t } = useTranslation();
  const links: [string, string][] = [
    ['/admin', 'admin.title'],
    ['/admin/users', 'admin.usersTab'],
    ['/admin/audit', 'audit.tab'],
    ['/admin/billing', 'billing.tab'],
  ];
  return (
    <nav className="subnav" aria-label={t('admin.nav')}>
      {links.map(([to, key]) => (
        <NavLink key={to} to={to} end className={({ isActive }) => (isActive ? 'on' : '')}>
          {t(key)}
        </NavLink>
      ))}
    </nav>
  );
}
