// Every desktop with owner, type, state, since and last activity; stop / remove / stop all after a
// confirmation; the overview numbers. Kept current by the live events (admins receive all).
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { AdminDesktop, Stats } from '../api/types';
import { useServerEvents } from '../events';
import { formatTime } from '../format';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { StateBadge } from '../components/StateBadge';
import { ErrorLine, useAdminCall } from './useAdminCall';
import { AdminTable } from './AdminTable';

interface Pending {
  message: string;
  label: string;
  action: () => Promise<unknown>;
}

function StatsView({ stats }: { stats: Stats }) {
  const { t } = useTranslation();
  const items: [string, string | number][] = [
    [t('admin.stat_desktops'), stats.desktops.total],
    [t('admin.stat_running'), stats.desktops.by_state.running ?? 0],
    [t('admin.stat_users'), stats.users.total],
    [t('admin.stat_active_users'), stats.users.with_active_desktops],
    [t('admin.stat_types'), `${stats.desktop_types.total} (${stats.desktop_types.enabled})`],
  ];
  return (
    <section aria-label={t('admin.stats')} className="stats">
      {items.map(([label, value]) => (
        <div key={label} className="stat">
          <span className="stat-value">{value}</span>
          <span className="stat-label">{label}</span>
        </div>
      ))}
    </section>
  );
}

export function DesktopsPanel() {
  const { t } = useTranslation();
  const { error, run } = useAdminCall();
  const [desktops, setDesktops] = useState<AdminDesktop[] | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(
    () =>
      run(async () => {
        const [d, s] = await Promise.all([
          api<{ desktops: AdminDesktop[] }>('GET', '/api/admin/desktops'),
          api<Stats>('GET', '/api/admin/stats'),
        ]);
        setDesktops(d.desktops);
        setStats(s);
      }),
    [run],
  );

  useEffect(() => {
    void load();
  }, [load]);

  useServerEvents((e) => {
    if (e.type === 'hello') void load();
    else if (e.type === 'desktop') {
      const known = desktops?.some((d) => d.id === e.desktop.id);
      if (known && !e.removed) {
        setDesktops((ds) => ds?.map((d) => (d.id === e.desktop.id ? { ...d, state: e.desktop.state, error: e.desktop.error ?? '' } : d)) ?? ds);
      }
      // New and removed desktops change the numbers too: one refetch of both.
      if (!known || e.removed || e.desktop.state === 'running' || e.desktop.state === 'stopped') void load();
    }
  });

  const ask = (message: string, label: string, action: () => Promise<unknown>) => setPending({ message, label, action });

  return (
    <>
      {stats && <StatsView stats={stats} />}
      <ErrorLine error={error} />
      {notice && <p role="status" className="alert info">{notice}</p>}
      <div className="toolbar">
        <button
          type="button"
          className="button danger"
          onClick={() =>
            ask(t('admin.desktops.confirmStopAll'), t('admin.desktops.stopAll'), async () => {
              const r = await api<{ stopping: number }>('POST', '/api/admin/desktops/stop-all');
              setNotice(t('admin.desktops.stoppingAll', { count: r.stopping }));
            })
          }
        >
          {t('admin.desktops.stopAll')}
        </button>
      </div>
      {desktops && desktops.length === 0 && <p>{t('admin.desktops.none')}</p>}
      {desktops && desktops.length > 0 && (
        <AdminTable
          columns={[
            t('admin.desktops.owner'),
            t('admin.desktops.type'),
            t('admin.desktops.state'),
            t('admin.desktops.since'),
            t('admin.desktops.lastActivity'),
            t('admin.desktops.actions'),
          ]}
        >
          {desktops.map((d) => {
            const owner = d.owner.display_name || d.owner.username;
            const id = encodeURIComponent(d.id);
            return (
              <tr key={d.id} data-desktop={d.id}>
                <td>{owner}</td>
                <td>{d.type}</td>
                <td>
                  <StateBadge state={d.state} />
                  {d.error && <span className="muted small"> {d.error}</span>}
                </td>
                <td>{formatTime(d.state === 'stopped' ? d.stopped_at : (d.started_at ?? d.created_at))}</td>
                <td>{formatTime(d.last_active_at)}</td>
                <td className="row-actions">
                  {d.state !== 'stopped' && d.state !== 'stopping' && (
                    <button
                      type="button"
                      className="button small"
                      onClick={() =>
                        ask(t('admin.desktops.confirmStop', { owner }), t('dashboard.stop'), () =>
                          api('POST', `/api/admin/desktops/${id}/stop`),
                        )
                      }
                    >
                      {t('dashboard.stop')}
                    </button>
                  )}
                  <button
                    type="button"
                    className="button small danger"
                    onClick={() =>
                      ask(t('admin.desktops.confirmRemove', { owner }), t('dashboard.remove'), () =>
                        api('DELETE', `/api/admin/desktops/${id}`),
                      )
                    }
                  >
                    {t('dashboard.remove')}
                  </button>
                </td>
              </tr>
            );
          })}
        </AdminTable>
      )}
      {pending && (
        <ConfirmDialog
          message={pending.message}
          confirmLabel={pending.label}
          onCancel={() => setPending(null)}
          onConfirm={() => {
            const p = pending;
            setPending(null);
            void run(async () => {
              await p.action();
              await load();
            });
          }}
        />
      )}
    </>
  );
}
