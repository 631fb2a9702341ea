// Routes of the UI (DESIGN.md §7): /, /login, /desktops/:id, /admin, /files, /teach, /teach/class/:groupId.
// Everything but the sign-in page needs a session; /admin needs the admin role, /teach a teacher or admin.
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { useTranslation } from 'react-i18next';
import { BrandingProvider } from './branding';
import { EventsProvider } from './events';
import { SessionProvider, useSession } from './session';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/LoginPage';
import { DashboardPage } from './pages/DashboardPage';

// The viewer (noVNC), the admin panel and the file manager are loaded only by those who open them.
const DesktopPage = lazy(() => import('./pages/DesktopPage').then((m) => ({ default: m.DesktopPage })));
const AdminPage = lazy(() => import('./admin/AdminPage').then((m) => ({ default: m.AdminPage })));
const FilesPage = lazy(() => import('./files/FilesPage').then((m) => ({ default: m.FilesPage })));
const TeachPage = lazy(() => import('./teach/TeachPage').then((m) => ({ default: m.TeachPage })));
const ClassPage = lazy(() => import('./teach/ClassPage').then((m) => ({ default: m.ClassPage })));

function Loading() {
  const { t } = useTranslation();
  return <p className="page-status">{t('common.loading')}</p>;
}
import { NotForRolePage, NotFoundPage } from './pages/SimplePages';

function RequireUser({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { user, loading, ended } = useSession();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!user) {
    const next = location.pathname + location.search;
    const why = ended ? '&error=session_ended' : '';
    return <Navigate to={`/login?next=${encodeURIComponent(next)}${why}`} replace />;
  }
  if (admin && user.role !== 'admin') return <Navigate to="/" replace />;
  return <>{children}</>;
}

// Teaching pages: teachers and admins; students are told the page is not for their role.
function RequireTeacher({ children }: { children: ReactNode }) {
  const { user } = useSession();
  if (user?.role === 'student') return <NotForRolePage />;
  return <>{children}</>;
}

export function App() {
  return (
    <BrowserRouter>
      <BrandingProvider>
        <SessionProvider>
          <EventsProvider>
            <Suspense fallback={<Loading />}>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route
                  path="/desktops/:id"
                  element={
                    <RequireUser>
                      <DesktopPage />
                    </RequireUser>
                  }
                />
                <Route
                  element={
                    <RequireUser>
                      <Layout />
                    </RequireUser>
                  }
                >
                  <Route index element={<DashboardPage />} />
                  <Route
                    path="/admin"
                    element={
                      <RequireUser admin>
                        <AdminPage />
                      </RequireUser>
                    }
                  />
                  <Route path="/files" element={<FilesPage />} />
                  <Route
                    path="/teach"
                    element={
                      <RequireTeacher>
                        <TeachPage />
                      </RequireTeacher>
                    }
                  />
                  <Route
                    path="/teach/class/:groupId"
                    element={
                      <RequireTeacher>
                        <ClassPage />
                      </RequireTeacher>
                    }
                  />
                  <Route path="*" element={<NotFoundPage />} />
                </Route>
              </Routes>
            </Suspense>
          </EventsProvider>
        </SessionProvider>
      </BrandingProvider>
    </BrowserRouter>
  );
}
