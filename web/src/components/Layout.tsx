// The frame of every signed-in page but the desktop view: skip link, header, live-update notice, content.
import { Outlet } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useEventsOnline } from '../events';
import { Header } from './Header';

export function Layout() {
  const { t } = useTranslation();
  const online = useEventsOnline();
  return (
    <>
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <Header />
      {!online && (
        <p className="live-notice" role="status">
          {t('live.offline')}
        </p>
      )}
      <main id="main" className="page" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
