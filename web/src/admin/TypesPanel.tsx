// The desktop type catalogue: list, create, edit, enable/disable, icon upload.
import { useCallback, useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { DesktopType } from '../api/types';
import { TypeIcon } from '../components/TypeIcon';
import { ImageUpload } from './imageFile';
import { ErrorLine, useAdminCall } from './useAdminCall';
import { AdminTable } from './AdminTable';

const backends = ['local', 'docker', 'static'] as const;

type Draft = Pick<DesktopType, 'slug' | 'name' | 'description' | 'icon' | 'backend' | 'backend_host' | 'image' | 'command' | 'port' | 'open_to_all' | 'enabled'>;

const emptyDraft: Draft = {
  slug: '',
  name: '',
  description: '',
  icon: '',
  backend: 'local',
  backend_host: '',
  image: '',
  command: '',
  port: 0,
  open_to_all: true,
  enabled: true,
};

function Field({ label, children, help }: { label: string; children: (id: string) => ReactNode; help?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {help && <p className="muted small">{help}</p>}
    </div>
  );
}

function TypeForm({ original, onSaved, onCancel }: { original: DesktopType | null; onSaved: () => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const { error, run } = useAdminCall();
  const [draft, setDraft] = useState<Draft>(original ?? emptyDraft);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft({ ...draft, [k]: v });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { slug, ...fields } = draft;
    // An uploaded icon is managed by its own buttons, never overwritten by the text field.
    const body = fields.icon.startsWith('upload:') ? { ...fields, icon: undefined } : fields;
    const ok = await run(() =>
      original
        ? api('PATCH', `/api/admin/desktop-types/${encodeURIComponent(original.slug)}`, { json: body })
        : api('POST', '/api/admin/desktop-types', { json: { slug, ...body } }),
    );
    if (ok !== undefined) onSaved();
  };

  return (
    <form className="card form type-form" onSubmit={submit}>
      <h2>{original ? t('admin.types.editing', { name: original.name }) : t('admin.types.creating')}</h2>
      <ErrorLine error={error} />
      {!original && (
        <Field label={t('admin.types.slug')} help={t('admin.types.slugHelp')}>
          {(id) => <input id={id} required pattern="[a-z0-9][a-z0-9-]*" value={draft.slug} onChange={(e) => set('slug', e.target.value)} />}
        </Field>
      )}
      <Field label={t('admin.types.name')}>
        {(id) => <input id={id} required value={draft.name} onChange={(e) => set('name', e.target.value)} />}
      </Field>
      <Field label={t('admin.types.description')}>
        {(id) => <textarea id={id} rows={2} value={draft.description} onChange={(e) => set('description', e.target.value)} />}
      </Field>
      {!draft.icon.startsWith('upload:') && (
        <Field label={t('admin.types.icon')} help={t('admin.types.iconHelp')}>
          {(id) => <input id={id} maxLength={16} value={draft.icon} onChange={(e) => set('icon', e.target.value)} />}
        </Field>
      )}
      {original && (
        <ImageUpload
          label={t('admin.types.iconUpload')}
          uploadPath={`/api/admin/desktop-types/${encodeURIComponent(original.slug)}/icon`}
          hasImage={original.icon.startsWith('upload:')}
          removeLabel={t('admin.types.iconRemove')}
          onDone={onSaved}
          run={run}
        />
      )}
      <Field label={t('admin.types.backend')}>
        {(id) => (
          <select id={id} value={draft.backend} onChange={(e) => set('backend', e.target.value)}>
            {backends.map((b) => (
              <option key={b} value={b}>
                {t(`admin.types.backend_${b}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      {draft.backend === 'docker' && (
        <Field label={t('admin.types.image')}>
          {(id) => <input id={id} required value={draft.image} onChange={(e) => set('image', e.target.value)} />}
        </Field>
      )}
      {draft.backend !== 'static' && (
        <Field label={t('admin.types.command')}>
          {(id) => <input id={id} value={draft.command} onChange={(e) => set('command', e.target.value)} />}
        </Field>
      )}
      {draft.backend === 'static' && (
        <>
          <Field label={t('admin.types.host')}>
            {(id) => <input id={id} required value={draft.backend_host} onChange={(e) => set('backend_host', e.target.value)} />}
          </Field>
          <Field label={t('admin.types.port')}>
            {(id) => (
              <input id={id} type="number" min={1} max={65535} required value={draft.port || ''} onChange={(e) => set('port', Number(e.target.value))} />
            )}
          </Field>
        </>
      )}
      <label className="toggle">
        <input type="checkbox" checked={draft.open_to_all} onChange={(e) => set('open_to_all', e.target.checked)} />
        {t('admin.types.openToAll')}
      </label>
      <label className="toggle">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
        {t('admin.types.enabled')}
      </label>
      <div className="actions">
        <button type="button" className="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="button primary">
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}

export function TypesPanel() {
  const { t } = useTranslation();
  const { error, run } = useAdminCall();
  const [types, setTypes] = useState<DesktopType[] | null>(null);
  const [editing, setEditing] = useState<DesktopType | 'new' | null>(null);

  const load = useCallback(
    () => run(async () => setTypes((await api<{ desktop_types: DesktopType[] }>('GET', '/api/admin/desktop-types')).desktop_types)),
    [run],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const toggle = (ty: DesktopType) =>
    run(async () => {
      await api('PATCH', `/api/admin/desktop-types/${encodeURIComponent(ty.slug)}`, { json: { enabled: !ty.enabled } });
      await load();
    });

  return (
    <>
      <ErrorLine error={error} />
      <div className="toolbar">
        <button type="button" className="button primary" onClick={() => setEditing('new')}>
          {t('admin.types.create')}
        </button>
      </div>
      {editing && (
        <TypeForm
          key={editing === 'new' ? 'new' : editing.slug}
          original={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void load();
          }}
        />
      )}
      {types && types.length === 0 && <p>{t('admin.types.none')}</p>}
      {types && types.length > 0 && (
        <AdminTable
          columns={[
            t('admin.types.icon'),
            t('admin.types.name'),
            t('admin.types.backend'),
            t('admin.types.enabled'),
            t('admin.desktops.actions'),
          ]}
        >
          {types.map((ty) => (
            <tr key={ty.slug}>
              <td>
                <TypeIcon slug={ty.slug} icon={ty.icon} />
              </td>
              <td>
                {ty.name}
                <br />
                <code className="muted small">{ty.slug}</code>
              </td>
              <td>{t(`admin.types.backend_${ty.backend}`, { defaultValue: ty.backend })}</td>
              <td>{ty.enabled ? t('common.yes') : t('common.no')}</td>
              <td className="row-actions">
                <button type="button" className="button small" onClick={() => setEditing(ty)}>
                  {t('admin.types.edit')}
                </button>
                <button type="button" className="button small" onClick={() => void toggle(ty)}>
                  {ty.enabled ? t('admin.types.disable') : t('admin.types.enable')}
                </button>
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
    </>
  );
}
