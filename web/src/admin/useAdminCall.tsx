// Runs admin API calls with one error line per panel; a 401 signs the user out of the UI.
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { errorText } from '../errors';
import { useSession } from '../session';

export function useAdminCall() {
  const { t } = useTranslation();
  const { expired } = useSession();
  const [error, setError] = useState('');
  const run = useCallback(
    async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
      setError('');
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) expired();
        else setError(errorText(t, e));
        return undefined;
      }
    },
    [t, expired],
  );
  const clear = useCallback(() => setError(''), []);
  return { error, run, clear };
}

export function ErrorLine({ error }: { error: string }) {
  if (!error) return null;
  return (
    <p className="alert error" role="alert">
      {error}
    </p>
  );
}
