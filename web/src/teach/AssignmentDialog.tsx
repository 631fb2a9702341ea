// Creating or editing an assignment in a dialog: title, desktop type, groups, users from the chosen groups'
// members, and an optional folder of the teacher's home. Saved with POST or PUT /api/assignments.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Assignment, DesktopTypeCard, Group, GroupMember } from '../api/types';
import { ErrorLine, useAdminCall } from '../admin/useAdminCall';
import { Modal } from '../components/Modal';
import { useSession } from '../session';
import { FolderPicker } from './FolderPicker';

interface Props {
  original: Assignment | null;
  groups: Group[];
  onSaved: () => void;
  onClose: () => void;
}

type TypeChoice = Pick<DesktopTypeCard, 'slug' | 'name'>;

interface Person {
  id: number;
  display_name: string;
}

function toggled(list: number[], id: number, on: boolean) {
  return on ? [...list, id] : list.filter((x) => x !== id);
}

export function AssignmentDialog({ original, groups, onSaved, onClose }: Props) {
  const { t } = useTranslation();
  const { error, run } = useAdminCall();
  const { user } = useSession();
  // An admin editing a teacher's assignment: its folder is in that teacher's home, which the picker cannot show.
  const foreignHome = original !== null && original.created_by.id !== user?.id;
  const titleId = useId();
  const typeId = useId();
  const [title, setTitle] = useState(original?.title ?? '');
  const [type, setType] = useState(original?.desktop_type.slug ?? '');
  const [groupIds, setGroupIds] = useState<number[]>(original?.groups.map((g) => g.id) ?? []);
  const [userIds, setUserIds] = useState<number[]>(original?.users.map((u) => u.id) ?? []);
  const [folder, setFolder] = useState(original?.folder ?? '');
  const [picking, setPicking] = useState(false);
  const [types, setTypes] = useState<TypeChoice[]>([]);
  const [members, setMembers] = useState<Record<number, GroupMember[]>>({});
  const requested = useRef(new Set<number>());

  useEffect(() => {
    void run(async () => {
      const r = await api<{ desktop_types: TypeChoice[] }>('GET', '/api/assignable-desktop-types');
      const usable: TypeChoice[] = r.desktop_types;
      // The assignment's own type stays choosable even when this list leaves it out (switched off since).
      if (original && !usable.some((ty) => ty.slug === original.desktop_type.slug)) usable.unshift(original.desktop_type);
      setTypes(usable);
      setType((current) => current || usable[0]?.slug || '');
    });
  }, [run, original]);

  // The members of each chosen group, fetched once per group.
  useEffect(() => {
    for (const id of groupIds) {
      if (requested.current.has(id)) continue;
      requested.current.add(id);
      void run(async () => {
        const list = await api<GroupMember[]>('GET', `/api/groups/${id}/members`);
        setMembers((m) => ({ ...m, [id]: list }));
      });
    }
  }, [run, groupIds]);

  // Members of the chosen groups, then users already chosen who are in none of them (kept, still shown).
  const people: Person[] = [];
  const seen = new Set<number>();
  for (const id of groupIds) {
    for (const m of members[id] ?? []) {
      if (!seen.has(m.id)) people.push(m);
      seen.add(m.id);
    }
  }
  for (const u of original?.users ?? []) if (!seen.has(u.id) && userIds.includes(u.id)) people.push(u);
  people.sort((a, b) => a.display_name.localeCompare(b.display_name));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = { title: title.trim(), desktop_type: type, groups: groupIds, users: userIds, folder };
    const ok = await run(() =>
      original ? api('PUT', `/api/assignments/${original.id}`, { json: body }) : api('POST', '/api/assignments', { json: body }),
    );
    if (ok !== undefined) onSaved();
  };

  return (
    <Modal labelledBy="assignment-title" onClose={onClose} className="assignment-dialog">
      <form className="form" onSubmit={submit}>
        <h2 id="assignment-title">{original ? t('teach.editing', { title: original.title }) : t('teach.creating')}</h2>
        <ErrorLine error={error} />
        <div className="field">
          <label htmlFor={titleId}>{t('teach.title')}</label>
          <input id={titleId} required maxLength={64} value={title} onChange={(e) => setTitle(e.target.value)} />
          <p className="muted small">{t('teach.titleHelp')}</p>
        </div>
        <div className="field">
          <label htmlFor={typeId}>{t('teach.type')}</label>
          <select id={typeId} required value={type} onChange={(e) => setType(e.target.value)}>
            {types.map((ty) => (
              <option key={ty.slug} value={ty.slug}>
                {ty.name}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="choice-list">
          <legend>{t('teach.groups')}</legend>
          {groups.length === 0 && <p className="muted small">{t('teach.noGroups')}</p>}
          {groups.map((g) => (
            <label key={g.id} className="toggle">
              <input
                type="checkbox"
                checked={groupIds.includes(g.id)}
                onChange={(e) => setGroupIds(toggled(groupIds, g.id, e.target.checked))}
              />
              {g.name}
            </label>
          ))}
        </fieldset>
        <fieldset className="choice-list">
          <legend>{t('teach.users')}</legend>
          {people.length === 0 && <p className="muted small">{t('teach.usersHelp')}</p>}
          {people.map((p) => (
            <label key={p.id} className="toggle">
              <input type="checkbox" checked={userIds.includes(p.id)} onChange={(e) => setUserIds(toggled(userIds, p.id, e.target.checked))} />
              {p.display_name}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <span className="label-text">{t('teach.folder.label')}</span>
          <p>
            {folder ? <code>{folder}</code> : <span className="muted">{t('teach.folder.none')}</span>}{' '}
            {!picking && !foreignHome && (
              <button type="button" className="button small" onClick={() => setPicking(true)}>
                {t('teach.folder.choose')}
              </button>
            )}{' '}
            {folder && !picking && (
              <button type="button" className="button small" onClick={() => setFolder('')}>
                {t('teach.folder.clear')}
              </button>
            )}
          </p>
          <p className="muted small">
            {foreignHome ? t('teach.folder.foreign', { name: original.created_by.display_name }) : t('teach.folder.help')}
          </p>
          {picking && (
            <FolderPicker
              run={run}
              onCancel={() => setPicking(false)}
              onPick={(path) => {
                setFolder(path);
                setPicking(false);
              }}
            />
          )}
        </div>
        {original && original.running_desktops > 0 && (
          <p className="alert info">{t('teach.runningKeep', { count: original.running_desktops })}</p>
        )}
        <div className="actions">
          <button type="button" className="button" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button primary">
            {t('common.save')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
