/** Routes and the shell: header (language), bottom navigation by role, the screens. */
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useQuery } from '@tanstack/react-query';
import { api, must } from './api/client.ts';
import { useSession } from './session.ts';
import { digits } from './format.ts';
import { LanguageSwitch } from './components/LanguageSwitch.tsx';
import { SignIn } from './screens/auth/SignIn.tsx';
import { SignUp } from './screens/auth/SignUp.tsx';
import { VerifyEmail } from './screens/auth/VerifyEmail.tsx';
import { ResetPassword } from './screens/auth/ResetPassword.tsx';
import { Today } from './screens/patient/Today.tsx';
import { Scan } from './screens/patient/Scan.tsx';
import { Review } from './screens/patient/Review.tsx';
import { Adherence } from './screens/patient/Adherence.tsx';
import { Prescriptions } from './screens/patient/Prescriptions.tsx';
import { Doctors } from './screens/patient/Doctors.tsx';
import { Notifications } from './screens/Notifications.tsx';
import { Settings } from './screens/Settings.tsx';
import { Medicines } from './screens/patient/medicines/Medicines.tsx';
import { MedicineDetail } from './screens/patient/medicines/MedicineDetail.tsx';
import { AddMedicine } from './screens/patient/medicines/AddMedicine.tsx';
import { useLiveNotifications } from './live.ts';

// Doctors and admins load their screens on demand: the patient shell stays small.
const Patients = lazy(() => import('./screens/doctor/Patients.tsx'));
const PatientPage = lazy(() => import('./screens/doctor/PatientPage.tsx'));
const AdminStats = lazy(() => import('./screens/admin/Stats.tsx'));
const AdminUsers = lazy(() => import('./screens/admin/Users.tsx'));
const AdminAudit = lazy(() => import('./screens/admin/Audit.tsx'));
const AdminBilling = lazy(() => import('./screens/admin/Billing.tsx'));
// Plans, payments and the Premium (AI) screens too.
const Plans = lazy(() => import('./screens/plans/Plans.tsx'));
const Payment = lazy(() => import('./screens/plans/Payment.tsx'));
const BillingReturn = lazy(() => import('./screens/plans/Payment.tsx').then((m) => ({ default: m.BillingReturn })));
const Assistant = lazy(() => import('./screens/ai/Assistant.tsx'));
const Reports = lazy(() => import('./screens/ai/Reports.tsx'));

function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session === null)
    return <Navigate to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}

function Home() {
  const session = useSession();
  if (session === null) return <Navigate to="/signin" replace />;
  if (session.user.role === 'doctor') return <Navigate to="/patients" replace />;
  if (session.user.role === 'admin') return <Navigate to="/admin" replace />;
  return <Navigate to="/today" replace />;
}

function UnreadBadge() {
  const { t, i18n } = useTranslation();
  const unread = useQuery({
    queryKey: ['unread'],
    queryFn: async () => must(await api.GET('/api/v1/notifications/unread-count')),
  }); // kept current by the live stream (useLiveNotifications), not polled
  const n = unread.data?.unread ?? 0;
  if (n === 0) return null;
  return (
    <span className="badge" aria-label={t('nav.unread', { n: digits(n, i18n.language) })}>
      {digits(n > 99 ? '99+' : n, i18n.language)}
    </span>
  );
}

function Nav() {
  const { t } = useTranslation();
  const session = useSession();
  if (session === null) return null;
  const role = session.user.role;
  const links: [string, string][] =
    role === 'patient'
      ? [
          ['/today', 'nav.today'],
          ['/scan', 'nav.scan'],
          ['/adherence', 'nav.adherence'],
          ['/assistant', 'nav.assistant'],
          ['/notifications', 'nav.notifications'],
          ['/settings', 'nav.settings'],
        ]
      : role === 'doctor'
        ? [
            ['/patients', 'nav.patients'],
            ['/notifications', 'nav.notifications'],
            ['/settings', 'nav.settings'],
          ]
        : [
            ['/admin', 'nav.admin'],
            ['/notifications', 'nav.notifications'],
            ['/settings', 'nav.settings'],
          ];
  return (
    <nav className="tabs" aria-label={t('nav.label')}>
      {links.map(([to, key]) => (
        <NavLink key={to} to={to} className={({ isActive }) => (isActive ? 'tab active' : 'tab')}>
          <span>{t(key)}</span>
          {to === '/notifications' ? <UnreadBadge /> : null}
        </NavLink>
      ))}
    </nav>
  );
}

export function App() {
  const { t } = useTranslation();
  const guard = (el: ReactNode) => <RequireAuth>{el}</RequireAuth>;
  useLiveNotifications();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <NavLink to="/" className="brand">
          {t('app.name')}
        </NavLink>
        <LanguageSwitch />
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/signin" element={<SignIn />} />
            <Route path="/signup" element={<SignUp />} />
            <Route path="/verify-email" element={<VerifyEmail />} />
            <Route path="/reset-password" element={<ResetPassword />} />
            <Route path="/today" element={guard(<Today />)} />
            <Route path="/scan" element={guard(<Scan />)} />
            <Route path="/prescriptions" element={guard(<Prescriptions />)} />
            <Route path="/prescriptions/:id" element={guard(<Review />)} />
            <Route path="/adherence" element={guard(<Adherence />)} />
            <Route path="/doctors" element={guard(<Doctors />)} />
            <Route path="/notifications" element={guard(<Notifications />)} />
            <Route path="/notifications/:id" element={guard(<Notifications />)} />
            <Route path="/settings" element={guard(<Settings />)} />
            <Route path="/medicines" element={guard(<Medicines />)} />
            <Route path="/medicines/new" element={guard(<AddMedicine />)} />
            <Route path="/medicines/:id" element={guard(<MedicineDetail />)} />
            <Route path="/patients" element={guard(<Patients />)} />
            <Route path="/patients/:id" element={guard(<PatientPage />)} />
            <Route path="/admin" element={guard(<AdminStats />)} />
            <Route path="/admin/users" element={guard(<AdminUsers />)} />
            <Route path="/admin/audit" element={guard(<AdminAudit />)} />
            <Route path="/admin/billing" element={guard(<AdminBilling />)} />
            <Route path="/plans" element={<Plans />} />
            <Route path="/plans/payments/:id" element={guard(<Payment />)} />
            <Route path="/billing/return" element={guard(<BillingReturn />)} />
            <Route path="/assistant" element={guard(<Assistant />)} />
            <Route path="/assistant/:id" element={guard(<Assistant />)} />
            <Route path="/reports" element={guard(<Reports />)} />
            <Route path="*" element={<p className="card">{t('app.notFound')}</p>} />
          </Routes>
        </Suspense>
      </main>
      <Nav />
    </div>
  );
}
