// The header bar: app name and logo from branding, navigation, language switch and the user menu.
import { useEffect, useRef, useState } from 'react';
import { NavLink, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { useBranding } from '../branding';
import { useSession } from '../session';
import { LanguageSwitch } from './LanguageSwitch';

export function Brand() {
  const { branding } = useBranding();
  return (
    <span className="brand">
      {branding.logo_url && <img className="brand-logo" src={branding.logo_url} alt="" />}
      <span className="brand-name">{branding.app_name}</span>
    </span>
  );
}

function UserMenu() {
  const { t } = useTranslation();
  const { user, logout } = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLDivElement>(null);

  // Closes on Escape and on a click elsewhere.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onClick = (e: MouseEvent) => !menu.current?.contains(e.target as Node) && setOpen(false);
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  if (!user) return null;
  const name = user.display_name || user.username;
  return (
    <div className="user-menu" ref={menu}>
      <button
        type="button"
        className="header-button"
        aria-haspopup="true"
        aria-expanded={open}
        aria-label={t('header.userMenu', { name })}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true" className="avatar">
          {name.slice(0, 1).toUpperCase()}
        </span>
        <span className="user-name">{name}</span>
      </button>
      {open && (
        <div className="user-menu-panel">
          <p>
            {t('header.signedInAs', { name: user.username })}
            <br />
            <span className="muted">{t(`header.role_${user.role}`)}</span>
          </p>
          <button
            type="button"
            className="button"
            onClick={async () => {
              await logout();
              navigate('/login');
            }}
          >
            {t('header.logout')}
          </button>
        </div>
      )}
    </div>
  );
}

export function Header() {
  const { t } = useTranslation();
  const { user } = useSession();
  const { branding } = useBranding();
  return (
    <header className="app-header">
      <NavLink to="/" className="brand-link" aria-label={t('header.home', { app: branding.app_name })}>
        <Brand />
      </NavLink>
      <nav aria-label={t('header.mainNav')} className="main-nav">
        <NavLink to="/" end>
          {t('header.dashboard')}
        </NavLink>
        <NavLink to="/files">{t('header.files')}</NavLink>
        {(user?.role === 'teacher' || user?.role === 'admin') && <NavLink to="/teach">{t('header.teach')}</NavLink>}
        {user?.role === 'admin' && <NavLink to="/admin">{t('header.admin')}</NavLink>}
      </nav>
      <div className="header-tools">
        <LanguageSwitch />
        <UserMenu />
      </div>
    </header>
  );
}
