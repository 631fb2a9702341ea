// Who is signed in: loaded once from GET /api/auth/session, set by the login page, cleared on logout or
// when the server says the session is gone.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, setCsrfToken } from './api/client';
import type { Session, User } from './api/types';

interface SessionState {
  user: User | null;
  loading: boolean;
  signedIn: (s: Session) => void;
  logout: () => Promise<void>;
  // After a 401 from any call: forget the user so the routes send them to the sign-in page.
  expired: () => void;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);

  const signedIn = useCallback((s: Session) => {
    setCsrfToken(s.csrf_token);
    setUser(s.user);
  }, []);
  const expired = useCallback(() => {
    setCsrfToken('');
    setUser(null);
  }, []);

  useEffect(() => {
    api<Session>('GET', '/api/auth/session')
      .then(signedIn)
      .catch((e) => {
        if (!(e instanceof ApiError) || e.status !== 401) console.warn('session check failed', e);
      })
      .finally(() => setLoading(false));
  }, [signedIn]);

  const logout = useCallback(async () => {
    try {
      await api('POST', '/api/auth/logout');
    } finally {
      expired();
    }
  }, [expired]);

  return (
    <SessionContext.Provider value={{ user, loading, signedIn, logout, expired }}>{children}</SessionContext.Provider>
  );
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
