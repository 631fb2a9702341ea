// The branding (GET /api/branding) applied to the page: CSS variables for the theme, the tab title and
// favicon. The admin editor previews changes through `preview` before saving.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api } from './api/client';
import type { Branding, BrandingColors } from './api/types';
import { contrastText, mix } from './colors';

export const defaultBranding: Branding = {
  app_name: 'deskgate',
  logo_url: null,
  favicon_url: null,
  colors: { primary: '#1d4ed8', header: '#1e293b', background: '#f4f6f9', text: '#1f2937' },
};

// The CSS variables of a colour set; used for the page and for the editor's preview box.
export function themeVariables(c: BrandingColors): Record<string, string> {
  return {
    '--color-primary': c.primary,
    '--color-on-primary': contrastText(c.primary),
    '--color-primary-soft': mix(c.primary, c.background, 0.12),
    '--color-header': c.header,
    '--color-on-header': contrastText(c.header),
    '--color-background': c.background,
    '--color-text': c.text,
    '--color-muted': mix(c.text, c.background, 0.72),
    '--color-border': mix(c.text, c.background, 0.25),
  };
}

interface BrandingState {
  branding: Branding;
  reload: () => Promise<void>;
  replace: (b: Branding) => void;
}

const BrandingContext = createContext<BrandingState | null>(null);

export function BrandingProvider({ children }: { children: ReactNode }) {
  const [branding, setBranding] = useState<Branding>(defaultBranding);

  const reload = useCallback(async () => {
    try {
      const r = await api<{ branding: Branding }>('GET', '/api/branding');
      setBranding(r.branding);
    } catch {
      // The defaults stay; every page still works without branding.
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    const root = document.documentElement.style;
    for (const [name, value] of Object.entries(themeVariables(branding.colors))) root.setProperty(name, value);
    document.title = branding.app_name;
    const icon = document.getElementById('favicon') as HTMLLinkElement | null;
    if (icon) icon.href = branding.favicon_url ?? 'data:,';
  }, [branding]);

  return (
    <BrandingContext.Provider value={{ branding, reload, replace: setBranding }}>{children}</BrandingContext.Provider>
  );
}

export function useBranding(): BrandingState {
  const b = useContext(BrandingContext);
  if (!b) throw new Error('useBranding outside BrandingProvider');
  return b;
}
