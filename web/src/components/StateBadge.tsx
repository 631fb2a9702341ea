// A desktop's state as a labelled badge (colour plus text, never colour alone).
import { useTranslation } from 'react-i18next';
import type { DesktopState } from '../api/types';

export function StateBadge({ state }: { state: DesktopState | null }) {
  const { t } = useTranslation();
  return <span className={`badge state-${state ?? 'none'}`}>{t(`state.${state ?? 'none'}`)}</span>;
}
