// The shapes of deskgate's JSON API (docs/api.md), as the UI uses them.

export type Role = 'admin' | 'teacher' | 'student';

export interface User {
  id: number;
  username: string;
  display_name: string;
  email: string;
  role: Role;
  disabled: boolean;
  local: boolean;
  created_at: number;
}

export interface Session {
  user: User;
  csrf_token: string;
  expires_at: number;
}

export type DesktopState = 'creating' | 'starting' | 'running' | 'stopping' | 'stopped' | 'error';

export interface Desktop {
  id: string;
  type: string;
  state: DesktopState;
  error: string;
  created_at: number;
  started_at: number | null;
  stopped_at: number | null;
  last_active_at: number | null;
}

export interface AdminDesktop extends Desktop {
  owner: { id: number; username: string; display_name: string };
}

export interface DesktopTypeCard {
  slug: string;
  name: string;
  description: string;
  icon: string;
  enabled: boolean;
  desktop: Desktop | null;
}

export interface DesktopType {
  slug: string;
  name: string;
  description: string;
  icon: string;
  backend: string;
  backend_host: string;
  image: string;
  command: string;
  protocol: string;
  port: number;
  open_to_all: boolean;
  enabled: boolean;
}

export interface AuthConfig {
  local?: { enabled?: boolean };
  oidc?: { enabled?: boolean; display_name?: string };
}

export interface BrandingColors {
  primary: string;
  header: string;
  background: string;
  text: string;
}

export interface Branding {
  app_name: string;
  logo_url: string | null;
  favicon_url: string | null;
  colors: BrandingColors;
}

export interface Stats {
  desktops: { total: number; by_state: Record<string, number> };
  users: { total: number; with_active_desktops: number };
  desktop_types: { total: number; enabled: number };
}

export interface AuditEntry {
  id: number;
  at: number;
  actor_id: number | null;
  actor_name: string;
  action: string;
  target: string;
  success: boolean;
  client_address: string;
  detail: unknown;
}

// Teaching (issue 7): groups, their members, assignments and the class view.
export interface Group {
  id: number;
  external_id: string;
  name: string;
  member_count: number;
}

export interface GroupMember {
  id: number;
  display_name: string;
  role: Role;
}

export interface Assignment {
  id: number;
  title: string;
  desktop_type: { id: number; slug: string; name: string };
  groups: { id: number; name: string }[];
  users: { id: number; display_name: string }[];
  folder: string;
  created_by: { id: number; display_name: string };
  created_at: number;
  updated_at: number;
  running_desktops: number;
}

export interface ClassDesktop {
  id: string;
  user: { id: number; display_name: string };
  type: { slug: string; name: string };
  state: DesktopState;
  started_at: number | null;
}

export interface FileEntry {
  name: string;
  type: 'dir' | 'file' | 'link' | 'other';
  size: number;
  modified: number;
}

export interface FileListing {
  space: string;
  path: string;
  writable: boolean;
  entries: FileEntry[];
}

export interface Observer {
  id: number;
  display_name: string;
}

// A message of WS /api/events.
export type ServerEvent =
  | { type: 'hello' }
  | { type: 'observation'; desktop: string; observers: Observer[] }
  | {
      type: 'desktop';
      desktop: { id: string; type: string; state: DesktopState; error?: string; owner_id?: number };
      removed?: boolean;
    };

// GET /api/files/{space}?path=
export interface FileEntry {
  name: string;
  type: 'dir' | 'file' | 'link' | 'other';
  size: number;
  modified: number;
  mime?: string;
}

export interface FileListing {
  space: string;
  path: string;
  writable: boolean;
  entries: FileEntry[];
}

// GET /api/me/assignments: the assignments the signed-in user belongs to.
export interface MyAssignment {
  id: number;
  title: string;
  desktop_type: { slug: string; name: string };
  has_folder: boolean;
}
