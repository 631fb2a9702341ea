// Asks for one name (a new folder, a new name for an entry) in a modal dialog; the server checks the
// name again and its refusal is shown in the dialog.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorLine } from '../admin/useAdminCall';

interface Props {
  title: string;
  label: string;
  initial: string;
  submitLabel: string;
  error: string;
  onSubmit: (name: string) => void;
  onCancel: () => void;
}

export function NameDialog({ title, label, initial, submitLabel, error, onSubmit, onCancel }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [name, setName] = useState(initial);
  useEffect(() => {
    dialog.current?.showModal();
    // The name without its extension is selected, so typing replaces just that.
    const dot = initial.lastIndexOf('.');
    input.current?.setSelectionRange(0, dot > 0 ? dot : initial.length);
  }, [initial]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed && trimmed !== initial) onSubmit(trimmed);
    else if (trimmed === initial) onCancel();
  };
  const slash = name.includes('/');

  return (
    <dialog ref={dialog} className="dialog" onCancel={onCancel} aria-labelledby={`${id}-title`}>
      <form className="form" onSubmit={submit}>
        <h2 id={`${id}-title`}>{title}</h2>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          ref={input}
          required
          maxLength={255}
          autoFocus
          value={name}
          aria-invalid={slash}
          aria-describedby={slash ? `${id}-problem` : undefined}
          onChange={(e) => setName(e.target.value)}
        />
        {slash && (
          <p id={`${id}-problem`} className="alert error">
            {t('files.noSlash')}
          </p>
        )}
        <ErrorLine error={error} />
        <div className="actions">
          <button type="button" className="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={slash}>
            {submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
