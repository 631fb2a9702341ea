// A look at a file without downloading it: images and PDFs shown by the browser from the download address
// with inline=1 (the server allows that only for types that cannot run scripts), text as its first 256 KiB.
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { FileEntry } from '../api/types';
import { fileUrls, type PreviewKind } from './paths';

const textPreviewBytes = 256 * 1024;

interface Props {
  space: string;
  path: string;
  entry: FileEntry;
  kind: PreviewKind;
  onClose: () => void;
}

function TextPreview({ url, size }: { url: string; size: number }) {
  const { t } = useTranslation();
  const [text, setText] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const stop = new AbortController();
    fetch(url, { headers: { Range: `bytes=0-${textPreviewBytes - 1}` }, credentials: 'same-origin', signal: stop.signal })
      .then(async (res) => {
        if (res.status === 416) return setText(''); // an empty file has no byte 0
        if (!res.ok) throw new Error(String(res.status));
        // A cut in the middle of a character shows as one replacement character, not as an error.
        setText(new TextDecoder('utf-8').decode(await res.arrayBuffer()));
      })
      .catch(() => !stop.signal.aborted && setFailed(true));
    return () => stop.abort();
  }, [url]);
  if (failed) return <p className="alert error">{t('files.previewFailed')}</p>;
  if (text === null) return <p>{t('common.loading')}</p>;
  return (
    <>
      {size > textPreviewBytes && <p className="muted small">{t('files.previewCut')}</p>}
      <pre className="text-preview" tabIndex={0}>
        {text}
      </pre>
    </>
  );
}

export function PreviewDialog({ space, path, entry, kind, onClose }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const inline = fileUrls.inline(space, path);
  return (
    <dialog ref={dialog} className="dialog preview-dialog" onCancel={onClose} aria-labelledby={`${id}-title`}>
      <div className="preview-head">
        <h2 id={`${id}-title`}>{entry.name}</h2>
        <a className="button small" href={fileUrls.content(space, path)} download={entry.name}>
          {t('files.download')}
        </a>
        <button type="button" className="button small" onClick={onClose} autoFocus>
          {t('common.close')}
        </button>
      </div>
      <div className="preview-body">
        {kind === 'image' && <img src={inline} alt={entry.name} />}
        {kind === 'pdf' && <iframe src={inline} title={entry.name} />}
        {kind === 'text' && <TextPreview url={fileUrls.content(space, path)} size={entry.size} />}
      </div>
    </dialog>
  );
}
