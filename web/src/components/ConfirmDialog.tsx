// A confirmation before destructive actions, as a modal dialog (focus kept inside, Escape cancels).
import { useTranslation } from 'react-i18next';
import { Modal } from './Modal';

interface Props {
  message: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog({ message, confirmLabel, onConfirm, onCancel }: Props) {
  const { t } = useTranslation();
  return (
    <Modal labelledBy="confirm-message" onClose={onCancel}>
      <p id="confirm-message">{message}</p>
      <div className="actions">
        <button type="button" className="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="button" className="button danger" onClick={onConfirm} autoFocus>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
