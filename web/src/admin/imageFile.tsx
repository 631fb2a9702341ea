// Choosing and uploading an image (logo, favicon, type icon): checked here for type and size first so the
// user hears at once; the server checks again.
import { useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';

export const imageTypes = ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'];
export const maxImageBytes = 256 * 1024;

interface Props {
  label: string;
  uploadPath: string;
  hasImage: boolean;
  removeLabel: string;
  onDone: (answer: unknown) => void;
  run: <T>(fn: () => Promise<T>) => Promise<T | undefined>;
}

export function ImageUpload({ label, uploadPath, hasImage, removeLabel, onDone, run }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState('');

  const upload = async (file: File) => {
    setProblem('');
    if (!imageTypes.includes(file.type)) return setProblem(t('errors.unsupported_media_type'));
    if (file.size > maxImageBytes) return setProblem(t('errors.payload_too_large'));
    const answer = await run(() => api('PUT', uploadPath, { body: file, contentType: file.type }));
    if (answer !== undefined) onDone(answer);
    if (input.current) input.current.value = '';
  };

  return (
    <div className="image-upload">
      <span id={`${id}-label`} className="label-text">
        {label}
      </span>
      {/* The browser's own file button speaks the browser's language, not the page's: it is hidden and a
          translated label opens the picker instead (Enter/Space on the focused input work as usual). */}
      <input
        id={id}
        ref={input}
        type="file"
        className="visually-hidden"
        accept={imageTypes.join(',')}
        aria-labelledby={`${id}-label`}
        aria-describedby={`${id}-help`}
        onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])}
      />
      <label htmlFor={id} className="button small">
        {t('admin.branding.upload')}
      </label>
      <p id={`${id}-help`} className="muted small">
        {t('admin.branding.imageHelp')}
      </p>
      {problem && (
        <p className="alert error" role="alert">
          {problem}
        </p>
      )}
      {hasImage && (
        <button
          type="button"
          className="button small"
          onClick={async () => {
            const answer = await run(() => api('DELETE', uploadPath));
            if (answer !== undefined) onDone(answer);
          }}
        >
          {removeLabel}
        </button>
      )}
    </div>
  );
}

