// Users: role and disabled, changed through PATCH /api/admin/users/{id}.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Role, User } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorLine, useAdminCall } from './useAdminCall';
import { AdminTable } from './AdminTable';

const roles: Role[] = ['student', 'teacher', 'admin'];

export function UsersPanel() {
  const { t } = useTranslation();
  const { error, run } = useAdminCall();
  const [users, setUsers] = useState<User[] | null>(null);
  const [disabling, setDisabling] = useState<User | null>(null);

  const load = useCallback(() => run(async () => setUsers((await api<{ users: User[] }>('GET', '/api/admin/users')).users)), [run]);
  useEffect(() => {
    void load();
  }, [load]);

  const patch = (u: User, change: Partial<Pick<User, 'role' | 'disabled'>>) =>
    run(async () => {
      await api('PATCH', `/api/admin/users/${u.id}`, { json: change });
      await load();
    });

  return (
    <>
      <ErrorLine error={error} />
      {users && (
        <AdminTable
          columns={[
            t('admin.users.username'),
            t('admin.users.displayName'),
            t('admin.users.role'),
            t('admin.users.status'),
            t('admin.desktops.actions'),
          ]}
        >
          {users.map((u) => (
            <tr key={u.id}>
              <td>{u.username}</td>
              <td>{u.display_name}</td>
              <td>
                <select
                  aria-label={t('admin.users.changeRole', { name: u.username })}
                  value={u.role}
                  onChange={(e) => void patch(u, { role: e.target.value as Role })}
                >
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {t(`header.role_${r}`)}
                    </option>
                  ))}
                </select>
              </td>
              <td>{u.disabled ? t('admin.users.disabledState') : t('admin.users.active')}</td>
              <td className="row-actions">
                {u.disabled ? (
                  <button type="button" className="button small" onClick={() => void patch(u, { disabled: false })}>
                    {t('admin.users.enable')}
                  </button>
                ) : (
                  <button type="button" className="button small danger" onClick={() => setDisabling(u)}>
                    {t('admin.users.disable')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
      {disabling && (
        <ConfirmDialog
          message={t('admin.users.confirmDisable', { name: disabling.username })}
          confirmLabel={t('admin.users.disable')}
          onCancel={() => setDisabling(null)}
          onConfirm={() => {
            const u = disabling;
            setDisabling(null);
            void patch(u, { disabled: true });
          }}
        />
      )}
    </>
  );
}
