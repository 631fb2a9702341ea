// /files: the user's file spaces as tabs (home, shared, assignment folders), the folder shown as a table
// with breadcrumbs, uploads by drag and drop or the file picker with progress and cancel, and new folder,
// rename, move, delete and previews. Space and folder are kept in the URL (?space=&path=) so reloads and
// the back button keep them. Read-only spaces show no controls that change anything.
import { useCallback, useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { FileEntry, FileListing } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorLine, useAdminCall } from '../admin/useAdminCall';
import { Breadcrumbs } from './Breadcrumbs';
import { FileTable } from './FileTable';
import { MoveDialog } from './MoveDialog';
import { NameDialog } from './NameDialog';
import { PreviewDialog } from './PreviewDialog';
import { UploadList } from './UploadList';
import { fileUrls, join, previewKind, type PreviewKind } from './paths';
import { useSpaces } from './spaces';
import { useUploads } from './useUploads';

type Dialog =
  | { kind: 'mkdir' }
  | { kind: 'rename'; entry: FileEntry }
  | { kind: 'move'; entry: FileEntry }
  | { kind: 'delete'; entry: FileEntry }
  | { kind: 'preview'; entry: FileEntry; preview: PreviewKind };

export function FilesPage() {
  const { t } = useTranslation();
  const pickerId = useId();
  const spaces = useSpaces();
  const [params, setParams] = useSearchParams();
  const space = params.get('space') || 'home';
  const dir = params.get('path') ?? '';
  const [listing, setListing] = useState<FileListing | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [dragging, setDragging] = useState(false);
  const { error: pageError, run: runPage } = useAdminCall();
  const { error: dialogError, run: runDialog, clear: clearDialogError } = useAdminCall();
  const picker = useRef<HTMLInputElement>(null);

  const open = useCallback((s: string, path: string) => setParams(path ? { space: s, path } : { space: s }), [setParams]);

  const load = useCallback(async () => {
    const answer = await runPage(() => api<FileListing>('GET', fileUrls.list(space, dir)));
    setListing(answer ?? null);
  }, [runPage, space, dir]);
  useEffect(() => {
    void load();
  }, [load]);

  // A finished upload refreshes the table when it landed in the folder shown.
  const shown = useRef({ space, dir });
  shown.current = { space, dir };
  const onUploaded = useCallback(
    (s: string, d: string) => {
      if (s === shown.current.space && d === shown.current.dir) void load();
    },
    [load],
  );
  const uploads = useUploads(onUploaded);
  const waiting = uploads.items.find((u) => u.status === 'exists');

  const writable = listing?.writable ?? false;
  const spaceLabel = spaces.find((s) => s.name === space)?.label ?? space;

  const show = (d: Dialog | null) => {
    clearDialogError();
    setDialog(d);
  };
  const close = () => show(null);
  // Runs a change from a dialog; the dialog closes and the folder reloads when it worked, and shows the
  // server's refusal when not.
  const change = async (fn: () => Promise<unknown>) => {
    if ((await runDialog(async () => (await fn(), true))) !== undefined) {
      close();
      void load();
    }
  };

  const drop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (writable && e.dataTransfer.files.length > 0) uploads.start(e.dataTransfer.files, space, dir);
  };

  return (
    <>
      <h1>{t('files.title')}</h1>
      <nav className="section-nav" aria-label={t('files.spaces')}>
        {spaces.map((s) => (
          <button
            key={s.name}
            type="button"
            className="section-button"
            aria-current={s.name === space ? 'page' : undefined}
            onClick={() => open(s.name, '')}
          >
            {s.label}
          </button>
        ))}
      </nav>
      <Breadcrumbs rootLabel={spaceLabel} path={dir} onOpen={(p) => open(space, p)} label={t('files.location')} />
      <ErrorLine error={pageError} />
      {listing && !writable && <p className="alert info">{t('files.readOnly')}</p>}
      {listing && (
        <div className="toolbar">
          {writable && (
            <>
              {/* The browser's file button speaks the browser's language: hidden behind a translated label. */}
              <input
                id={pickerId}
                ref={picker}
                type="file"
                multiple
                className="visually-hidden"
                onChange={(e) => {
                  if (e.target.files) uploads.start(Array.from(e.target.files), space, dir);
                  e.target.value = '';
                }}
              />
              <label htmlFor={pickerId} className="button primary">
                {t('files.upload')}
              </label>
              <button type="button" className="button" onClick={() => show({ kind: 'mkdir' })}>
                {t('files.newFolder')}
              </button>
            </>
          )}
          <a className="button" href={fileUrls.zip(space, dir)} download>
            {t('files.downloadFolder')}
          </a>
        </div>
      )}
      {listing && (
        <section
          className={`drop-zone${dragging ? ' dragging' : ''}`}
          aria-label={t('files.contents', { name: dir.split('/').pop() || spaceLabel })}
          onDragOver={(e) => {
            if (!writable) return;
            e.preventDefault();
            e.dataTransfer.dropEffect = 'copy';
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={drop}
        >
          {writable && <p className="muted small drop-hint">{t('files.dropHint')}</p>}
          {listing.entries.length === 0 ? (
            <p className="empty-folder">{t('files.empty')}</p>
          ) : (
            <FileTable
              space={space}
              dir={dir}
              entries={listing.entries}
              writable={writable}
              onOpenDir={(p) => open(space, p)}
              onPreview={(entry) => show({ kind: 'preview', entry, preview: previewKind(entry.mime)! })}
              onRename={(entry) => show({ kind: 'rename', entry })}
              onMove={(entry) => show({ kind: 'move', entry })}
              onDelete={(entry) => show({ kind: 'delete', entry })}
            />
          )}
        </section>
      )}
      <UploadList items={uploads.items} onCancel={uploads.cancel} onClear={uploads.clearFinished} />

      {waiting && !dialog && (
        <ConfirmDialog
          key={waiting.id}
          message={t('files.confirmReplace', { name: waiting.name })}
          confirmLabel={t('files.replace')}
          onConfirm={() => uploads.replace(waiting)}
          onCancel={() => uploads.keep(waiting)}
        />
      )}
      {dialog?.kind === 'mkdir' && (
        <NameDialog
          title={t('files.newFolder')}
          label={t('files.folderName')}
          initial=""
          submitLabel={t('files.create')}
          error={dialogError}
          onCancel={close}
          onSubmit={(name) => void change(() => api('POST', fileUrls.mkdir(space), { json: { path: join(dir, name) } }))}
        />
      )}
      {dialog?.kind === 'rename' && (
        <NameDialog
          title={t('files.renameTitle', { name: dialog.entry.name })}
          label={t('files.newName')}
          initial={dialog.entry.name}
          submitLabel={t('files.rename')}
          error={dialogError}
          onCancel={close}
          onSubmit={(name) =>
            void change(() => api('POST', fileUrls.move(space), { json: { from: join(dir, dialog.entry.name), to: join(dir, name) } }))
          }
        />
      )}
      {dialog?.kind === 'move' && (
        <MoveDialog
          spaces={spaces}
          space={space}
          path={join(dir, dialog.entry.name)}
          error={dialogError}
          onCancel={close}
          onMove={(toSpace, toDir) => {
            const body = { from: join(dir, dialog.entry.name), to: join(toDir, dialog.entry.name) };
            void change(() => api('POST', fileUrls.move(space), { json: toSpace === space ? body : { ...body, to_space: toSpace } }));
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          message={t(dialog.entry.type === 'dir' ? 'files.confirmDeleteFolder' : 'files.confirmDelete', { name: dialog.entry.name })}
          confirmLabel={t('files.delete')}
          onConfirm={() => {
            // The confirmation has no room for a refusal: it closes, and the page shows what went wrong.
            const path = join(dir, dialog.entry.name);
            close();
            void runPage(async () => (await api('DELETE', fileUrls.entry(space, path)), true)).then((done) => {
              if (done) void load();
            });
          }}
          onCancel={close}
        />
      )}
      {dialog?.kind === 'preview' && (
        <PreviewDialog space={space} path={join(dir, dialog.entry.name)} entry={dialog.entry} kind={dialog.preview} onClose={close} />
      )}
    </>
  );
}
