// The audit log, newest first, paged with ?before=.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { AuditEntry } from '../api/types';
import { formatTime } from '../format';
import { ErrorLine, useAdminCall } from './useAdminCall';
import { AdminTable } from './AdminTable';

const pageSize = 50;

export function AuditPanel() {
  const { t } = useTranslation();
  const { error, run } = useAdminCall();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [more, setMore] = useState(false);
  const [loaded, setLoaded] = useState(false);

  const page = useCallback(
    (before: number) =>
      run(async () => {
        const query = `limit=${pageSize}` + (before ? `&before=${before}` : '');
        const r = await api<{ entries: AuditEntry[] }>('GET', `/api/admin/audit?${query}`);
        setEntries((old) => (before ? [...old, ...r.entries] : r.entries));
        setMore(r.entries.length === pageSize);
        setLoaded(true);
      }),
    [run],
  );
  useEffect(() => {
    void page(0);
  }, [page]);

  return (
    <>
      <ErrorLine error={error} />
      {loaded && entries.length === 0 && <p>{t('admin.audit.none')}</p>}
      {entries.length > 0 && (
        <AdminTable
          columns={[
            t('admin.audit.at'),
            t('admin.audit.actor'),
            t('admin.audit.action'),
            t('admin.audit.target'),
            t('admin.audit.result'),
            t('admin.audit.address'),
          ]}
        >
          {entries.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.at)}</td>
              <td>{e.actor_name}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                <code>{e.target}</code>
              </td>
              <td>{e.success ? t('admin.audit.ok') : t('admin.audit.failed')}</td>
              <td>{e.client_address}</td>
            </tr>
          ))}
        </AdminTable>
      )}
      {more && (
        <button type="button" className="button" onClick={() => void page(entries[entries.length - 1].id)}>
          {t('admin.audit.more')}
        </button>
      )}
    </>
  );
}
