// Appearance: app name, colours, logo and tab icon, with a live preview of unsaved changes and a reset to
// the defaults. Saving applies the branding to this page at once; others see it on their next load.
import { useId, useState, type CSSProperties, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Branding, BrandingColors } from '../api/types';
import { themeVariables, useBranding } from '../branding';
import { contrastRatio } from '../colors';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ImageUpload } from './imageFile';
import { ErrorLine, useAdminCall } from './useAdminCall';

const colorNames: (keyof BrandingColors)[] = ['primary', 'header', 'background', 'text'];

function ColorField({ name, value, onChange }: { name: keyof BrandingColors; value: string; onChange: (v: string) => void }) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="field color-field">
      <label htmlFor={id}>{t(`admin.branding.color_${name}`)}</label>
      <input id={id} type="color" value={value} onChange={(e) => onChange(e.target.value)} />
      <code>{value}</code>
    </div>
  );
}

export function BrandingPanel() {
  const { t } = useTranslation();
  const { branding, replace } = useBranding();
  const { error, run } = useAdminCall();
  const [name, setName] = useState(branding.app_name);
  const [colors, setColors] = useState<BrandingColors>(branding.colors);
  const [saved, setSaved] = useState(false);
  const [resetting, setResetting] = useState(false);
  const nameId = useId();

  const adopt = (b: Branding) => {
    replace(b);
    setName(b.app_name);
    setColors(b.colors);
  };
  const adoptAnswer = (answer: unknown) => adopt((answer as { branding: Branding }).branding);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const r = await run(() => api<{ branding: Branding }>('PUT', '/api/admin/branding', { json: { app_name: name, colors } }));
    if (r) {
      adopt(r.branding);
      setSaved(true);
    }
  };

  const ratio = contrastRatio(colors.text, colors.background);
  return (
    <div className="branding-editor">
      <form className="card form" onSubmit={save}>
        <ErrorLine error={error} />
        <div className="field">
          <label htmlFor={nameId}>{t('admin.branding.appName')}</label>
          <input id={nameId} required maxLength={60} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <fieldset>
          <legend>{t('admin.branding.colors')}</legend>
          {colorNames.map((c) => (
            <ColorField key={c} name={c} value={colors[c]} onChange={(v) => setColors({ ...colors, [c]: v })} />
          ))}
        </fieldset>
        {ratio < 4.5 && (
          <p className="alert warning" role="status">
            {t('admin.branding.contrastWarning', { ratio: ratio.toFixed(1) })}
          </p>
        )}
        <ImageUpload
          label={t('admin.branding.logo')}
          uploadPath="/api/admin/branding/logo"
          hasImage={branding.logo_url !== null}
          removeLabel={t('admin.branding.removeImage')}
          onDone={adoptAnswer}
          run={run}
        />
        <ImageUpload
          label={t('admin.branding.favicon')}
          uploadPath="/api/admin/branding/favicon"
          hasImage={branding.favicon_url !== null}
          removeLabel={t('admin.branding.removeImage')}
          onDone={adoptAnswer}
          run={run}
        />
        {saved && (
          <p role="status" className="alert info">
            {t('common.saved')}
          </p>
        )}
        <div className="actions">
          <button type="button" className="button danger" onClick={() => setResetting(true)}>
            {t('admin.branding.reset')}
          </button>
          <button type="submit" className="button primary">
            {t('common.save')}
          </button>
        </div>
      </form>
      <section className="card preview" aria-label={t('admin.branding.preview')} style={themeVariables(colors) as CSSProperties}>
        <h2>{t('admin.branding.preview')}</h2>
        <div className="preview-header">
          {branding.logo_url && <img className="brand-logo" src={branding.logo_url} alt="" />}
          <span className="brand-name">{name}</span>
        </div>
        <div className="preview-body">
          <p>{t('admin.branding.previewText')}</p>
          <span className="button primary" aria-hidden="true">
            {t('admin.branding.previewButton')}
          </span>
        </div>
      </section>
      {resetting && (
        <ConfirmDialog
          message={t('admin.branding.confirmReset')}
          confirmLabel={t('admin.branding.reset')}
          onCancel={() => setResetting(false)}
          onConfirm={async () => {
            setResetting(false);
            const r = await run(() => api<{ branding: Branding }>('PUT', '/api/admin/branding', { json: { reset: true } }));
            if (r) adopt(r.branding);
          }}
        />
      )}
    </div>
  );
}
