// /teach (teachers and admins): the assignments (a desktop type for groups and users, with an optional
// folder), created, edited and deleted here; and the teacher's groups, each linking to its class view.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Assignment, Group } from '../api/types';
import { AdminTable } from '../admin/AdminTable';
import { ErrorLine, useAdminCall } from '../admin/useAdminCall';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useSession } from '../session';
import { AssignmentDialog } from './AssignmentDialog';

function targets(a: Assignment) {
  return [...a.groups.map((g) => g.name), ...a.users.map((u) => u.display_name)].join(', ');
}

export function TeachPage() {
  const { t } = useTranslation();
  const { user } = useSession();
  const { error, run } = useAdminCall();
  const [assignments, setAssignments] = useState<Assignment[] | null>(null);
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [editing, setEditing] = useState<Assignment | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Assignment | null>(null);
  const admin = user?.role === 'admin';

  const load = useCallback(
    () =>
      run(async () => {
        const [a, g] = await Promise.all([api<Assignment[]>('GET', '/api/assignments'), api<Group[]>('GET', '/api/groups')]);
        setAssignments(a);
        setGroups(g);
      }),
    [run],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const remove = (a: Assignment) =>
    run(async () => {
      await api('DELETE', `/api/assignments/${a.id}`);
      await load();
    });

  const columns = [t('teach.title'), t('teach.type'), t('teach.assignedTo'), t('teach.folder.label'), t('teach.running')];
  if (admin) columns.push(t('teach.createdBy'));
  columns.push(t('admin.desktops.actions'));

  return (
    <>
      <h1>{t('teach.pageTitle')}</h1>
      <ErrorLine error={error} />
      <section aria-labelledby="assignments-heading" className="teach-section">
        <div className="section-head">
          <h2 id="assignments-heading">{t('teach.assignments')}</h2>
          <button type="button" className="button primary" onClick={() => setEditing('new')}>
            {t('teach.create')}
          </button>
        </div>
        <p className="muted">{t('teach.changesNote')}</p>
        {!assignments && !error && <p className="page-status">{t('common.loading')}</p>}
        {assignments && assignments.length === 0 && <p>{t('teach.noAssignments')}</p>}
        {assignments && assignments.length > 0 && (
          <AdminTable columns={columns}>
            {assignments.map((a) => (
              <tr key={a.id} data-assignment={a.id}>
                <td>{a.title}</td>
                <td>{a.desktop_type.name}</td>
                <td>{targets(a)}</td>
                <td>{a.folder ? <code>{a.folder}</code> : <span className="muted">{t('teach.folder.none')}</span>}</td>
                <td>
                  {a.running_desktops}
                  {a.running_desktops > 0 && (
                    <p className="muted small">{t('teach.runningKeep', { count: a.running_desktops })}</p>
                  )}
                </td>
                {admin && <td>{a.created_by.display_name}</td>}
                <td className="row-actions">
                  <button type="button" className="button small" onClick={() => setEditing(a)}>
                    {t('teach.edit')}
                  </button>
                  <button type="button" className="button small danger" onClick={() => setDeleting(a)}>
                    {t('teach.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </AdminTable>
        )}
      </section>
      <section aria-labelledby="groups-heading" className="teach-section">
        <h2 id="groups-heading">{admin ? t('teach.allGroups') : t('teach.myGroups')}</h2>
        {groups && groups.length === 0 && <p>{t('teach.noGroups')}</p>}
        {groups && groups.length > 0 && (
          <ul className="group-list">
            {groups.map((g) => (
              <li key={g.id}>
                <Link to={`/teach/class/${g.id}`}>{t('teach.classView', { name: g.name })}</Link>{' '}
                <span className="muted small">{t('teach.members', { count: g.member_count })}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {editing && groups && (
        <AssignmentDialog
          original={editing === 'new' ? null : editing}
          groups={groups}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void load();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          message={t('teach.confirmDelete', { title: deleting.title })}
          confirmLabel={t('teach.delete')}
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const a = deleting;
            setDeleting(null);
            void remove(a);
          }}
        />
      )}
    </>
  );
}
