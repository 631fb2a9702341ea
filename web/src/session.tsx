// Who is signed in: loaded once from GET /api/auth/session, set by the login page, cleared on logout or
// when the server says the session is gone.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken } from './api/client';
import type { Session, User } from './api/types';

interface SessionState {
  user: User | null;
  loading: boolean;
  // The server ended the session (not the user signing out): the sign-in page says so.
  ended: boolean;
  signedIn: (s: Session) => void;
  logout: () => Promise<void>;
  // After a 401 from any call: forget the user so the routes send them to the sign-in page.
  expired: () => void;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);
  const [ended, setEnded] = useState(false);

  const signedIn = useCallback((s: Session) => {
    setCsrfToken(s.csrf_token);
    setEnded(false);
    setUser(s.user);
  }, []);
  const forget = useCallback((byServer: boolean) => {
    setCsrfToken('');
    setEnded(byServer);
    setUser(null);
  }, []);
  const expired = useCallback(() => forget(true), [forget]);

  useEffect(() => {
    api<Session>('GET', '/api/auth/session')
      .then(signedIn)
      .catch((e) => {
        if (!(e instanceof ApiError) || e.status !== 401) console.warn('session check failed', e);
      })
      .finally(() => setLoading(false));
  }, [signedIn]);

  // Users of the school's sign-in may be sent on to its logout page (RP-initiated logout, when configured).
  const logout = useCallback(async () => {
    let redirect: string | undefined;
    try {
      const answer = await api<{ redirect?: string } | undefined>('POST', '/api/auth/logout');
      redirect = answer?.redirect;
    } finally {
      forget(false);
    }
    if (redirect) window.location.assign(redirect);
  }, [forget]);

  return (
    <SessionContext.Provider value={{ user, loading, ended, signedIn, logout, expired }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
