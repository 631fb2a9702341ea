// The one place the UI calls deskgate's HTTP API: JSON in and out, the CSRF token on every unsafe call,
// and errors turned into ApiError with the server's own message.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// Kept in memory only (never in localStorage): the session cookie is HttpOnly, the token comes with it.
let csrfToken = '';
export function setCsrfToken(token: string) {
  csrfToken = token;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  json?: unknown;
  body?: Blob;
  contentType?: string;
}

export async function api<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body) {
    headers['Content-Type'] = options.contentType ?? options.body.type;
    body = options.body;
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data?.error ?? {};
    throw new ApiError(res.status, String(err.code ?? 'http_' + res.status), String(err.message ?? ''));
  }
  return data as T;
}

// A request body sent with upload progress, which fetch cannot report: XMLHttpRequest, with the CSRF token
// like every unsafe call. `done` resolves with the parsed answer or rejects with ApiError (status 0 and
// code "aborted" after abort()).
export interface ProgressUpload<T> {
  done: Promise<T>;
  abort: () => void;
}

export function putWithProgress<T>(path: string, body: Blob, onProgress: (sent: number, total: number) => void): ProgressUpload<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('PUT', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size);
    xhr.onload = () => {
      let data: { error?: { code?: string; message?: string } } | null = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
      const err = data?.error ?? {};
      reject(new ApiError(xhr.status, String(err.code ?? 'http_' + xhr.status), String(err.message ?? '')));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', ''));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', ''));
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}
