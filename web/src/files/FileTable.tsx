// The entries of one folder: type icon, name (opens a folder, previews or downloads a file), size, last
// change, and the actions the space allows.
import { useTranslation } from 'react-i18next';
import type { FileEntry } from '../api/types';
import { formatSize, formatTime } from '../format';
import { fileUrls, join, previewKind } from './paths';

type Kind = 'dir' | 'image' | 'pdf' | 'text' | 'archive' | 'audio' | 'video' | 'link' | 'file';

// Drawn, not emoji: not every school computer has an emoji font. A folder, or a page with a short tag.
const tags: Record<Kind, string> = {
  dir: '',
  image: 'IMG',
  pdf: 'PDF',
  text: 'TXT',
  archive: 'ZIP',
  audio: 'MP3',
  video: 'VID',
  link: '→',
  file: '',
};

function KindIcon({ kind, label }: { kind: Kind; label: string }) {
  return (
    <svg className={`file-icon kind-${kind}`} viewBox="0 0 32 32" width="28" height="28" role="img" aria-label={label}>
      <title>{label}</title>
      {kind === 'dir' ? (
        <path d="M3 8a2 2 0 0 1 2-2h7l3 3h12a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z" />
      ) : (
        <>
          <path d="M7 3h12l7 7v17a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z" />
          <path className="fold" d="M19 3v7h7" />
          {tags[kind] && (
            <text x="15.5" y="24" textAnchor="middle">
              {tags[kind]}
            </text>
          )}
        </>
      )}
    </svg>
  );
}

function kindOf(e: FileEntry): Kind {
  if (e.type === 'dir') return 'dir';
  if (e.type === 'link') return 'link';
  const preview = previewKind(e.mime);
  if (preview) return preview;
  const mime = e.mime ?? '';
  if (/zip|gzip|x-tar/.test(mime)) return 'archive';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return 'file';
}

interface Props {
  space: string;
  dir: string;
  entries: FileEntry[];
  writable: boolean;
  onOpenDir: (path: string) => void;
  onPreview: (entry: FileEntry) => void;
  onRename: (entry: FileEntry) => void;
  onMove: (entry: FileEntry) => void;
  onDelete: (entry: FileEntry) => void;
}

export function FileTable({ space, dir, entries, writable, onOpenDir, onPreview, onRename, onMove, onDelete }: Props) {
  const { t } = useTranslation();
  // Folders first, then files, each by name as the user's language sorts.
  const sorted = [...entries].sort((a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || a.name.localeCompare(b.name));
  return (
    <div className="table-wrap">
      <table className="file-table">
        <thead>
          <tr>
            <th scope="col" className="icon-column">
              <span className="visually-hidden">{t('files.type')}</span>
            </th>
            <th scope="col">{t('files.name')}</th>
            <th scope="col">{t('files.size')}</th>
            <th scope="col">{t('files.modified')}</th>
            <th scope="col">{t('files.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((e) => {
            const path = join(dir, e.name);
            const kind = kindOf(e);
            return (
              <tr key={e.name} data-entry={e.name}>
                <td className="icon-column">
                  <KindIcon kind={kind} label={t(`files.kind_${kind}`)} />
                </td>
                <td className="name-cell">
                  {kind === 'dir' ? (
                    <button type="button" className="link-button" onClick={() => onOpenDir(path)}>
                      {e.name}
                    </button>
                  ) : previewKind(e.mime) ? (
                    <button type="button" className="link-button" onClick={() => onPreview(e)} aria-label={t('files.previewOf', { name: e.name })}>
                      {e.name}
                    </button>
                  ) : e.type === 'file' ? (
                    <a href={fileUrls.content(space, path)} download={e.name}>
                      {e.name}
                    </a>
                  ) : (
                    e.name
                  )}
                </td>
                <td>{e.type === 'file' ? formatSize(e.size) : ''}</td>
                <td>{formatTime(e.modified)}</td>
                <td>
                  <div className="row-actions">
                    {e.type === 'file' && (
                      <a className="button small" href={fileUrls.content(space, path)} download={e.name} aria-label={t('files.downloadOf', { name: e.name })}>
                        {t('files.download')}
                      </a>
                    )}
                    {e.type === 'dir' && (
                      <a className="button small" href={fileUrls.zip(space, path)} download aria-label={t('files.zipOf', { name: e.name })}>
                        {t('files.downloadZip')}
                      </a>
                    )}
                    {writable && (
                      <>
                        <button type="button" className="button small" onClick={() => onRename(e)} aria-label={t('files.renameOf', { name: e.name })}>
                          {t('files.rename')}
                        </button>
                        <button type="button" className="button small" onClick={() => onMove(e)} aria-label={t('files.moveOf', { name: e.name })}>
                          {t('files.move')}
                        </button>
                        <button type="button" className="button small danger" onClick={() => onDelete(e)} aria-label={t('files.deleteOf', { name: e.name })}>
                          {t('files.delete')}
                        </button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
