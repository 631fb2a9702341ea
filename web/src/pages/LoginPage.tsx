// Sign-in: the local account form, and "Sign in with <IdP>" when GET /api/auth/config says OpenID Connect
// is on. Errors in ?error= (from the OIDC callback, or a session the server ended) are shown in words.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { api, ApiError } from '../api/client';
import type { AuthConfig, Session } from '../api/types';
import { errorText } from '../errors';
import { useSession } from '../session';
import { Brand } from '../components/Header';
import { LanguageSwitch } from '../components/LanguageSwitch';

// Only a path on this site: never "//other.example" or "https://...".
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

function urlErrorText(t: TFunction, code: string, idp: string): string {
  const known: Record<string, string> = {
    // The codes of GET /api/auth/oidc/callback's redirect (src/auth/oidc/login_error.cpp).
    oidc_not_configured: 'errors.oidc_not_configured',
    oidc_state_invalid: 'errors.oidc_state',
    oidc_denied: 'errors.oidc_denied',
    oidc_idp_unavailable: 'errors.oidc_idp_unavailable',
    oidc_idp_invalid: 'errors.oidc_idp_invalid',
    oidc_code_rejected: 'errors.oidc_state',
    oidc_token_invalid: 'errors.oidc_token_invalid',
    oidc_claims_invalid: 'errors.oidc_no_account',
    oidc_account_conflict: 'errors.oidc_account_conflict',
    oidc_account_disabled: 'errors.login_disabled',
    oidc_failed: 'errors.oidc_failed',
    session_ended: 'errors.unauthenticated',
  };
  return known[code] ? t(known[code], { idp }) : t('errors.oidc_unknown', { code });
}

function loginErrorText(t: TFunction, e: unknown): string {
  if (e instanceof ApiError && e.status === 401) return t('errors.login_wrong');
  if (e instanceof ApiError && e.status === 403) return t('errors.login_disabled');
  return errorText(t, e);
}

export function LoginPage() {
  const { t } = useTranslation();
  const { user, signedIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const userId = useId();
  const passwordId = useId();

  useEffect(() => {
    api<AuthConfig>('GET', '/api/auth/config')
      .then(setConfig)
      .catch(() => setConfig({ local: { enabled: true } }));
  }, []);

  if (user) return <Navigate to={next} replace />;

  const oidcOn = config?.oidc?.enabled === true;
  const idp = config?.oidc?.display_name || 'SSO';
  const localOn = config ? config.local?.enabled !== false : true;
  const urlError = params.get('error');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const s = await api<Session>('POST', '/api/auth/login', { json: { username, password } });
      signedIn(s);
      navigate(next, { replace: true });
    } catch (err) {
      setError(loginErrorText(t, err));
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <div className="login-tools">
        <LanguageSwitch />
      </div>
      <main className="login-card" id="main">
        <div className="login-brand">
          <Brand />
        </div>
        <h1>{t('login.title')}</h1>
        <p className="muted">{t('login.intro')}</p>
        {(urlError || error) && (
          <p className="alert error" role="alert">
            {error || urlErrorText(t, urlError!, idp)}
          </p>
        )}
        {oidcOn && (
          <a className="button primary wide" href={`/api/auth/oidc/start?next=${encodeURIComponent(next)}`}>
            {t('login.oidc', { name: idp })}
          </a>
        )}
        {oidcOn && localOn && <p className="divider">{t('login.or')}</p>}
        {localOn && (
          <form onSubmit={submit} className="form">
            <label htmlFor={userId}>{t('login.username')}</label>
            <input
              id={userId}
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
            <label htmlFor={passwordId}>{t('login.password')}</label>
            <input
              id={passwordId}
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            <button type="submit" className={oidcOn ? 'button wide' : 'button primary wide'} disabled={busy}>
              {busy ? t('login.submitting') : t('login.submit')}
            </button>
          </form>
        )}
        {config && !localOn && !oidcOn && <p>{t('login.noMethods')}</p>}
      </main>
    </div>
  );
}
