/**
 * The hub's JSON API from the browser. People sign in with a bearer token; it is kept in sessionStorage (gone
 * when the tab closes) and sent only to this hub. The manual-answer page uses its link token instead.
 */
const TOKEN_KEY = 'hoptrace.token';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `the hub answered ${status}`);
    this.status = status;
    this.path = body?.path;
    /** A refused DNO change names every bad line: [{ line, text, reason }]. */
    this.problems = body?.problems ?? [];
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * Call the API: the parsed JSON, or an ApiError with the hub's reason (and the bad field's path on a 400).
 * `auth`: true sends the signed-in token, false nothing, a string is the Authorization header itself.
 */
export async function api(path, { method = 'GET', body, auth = true } = {}) {
  const headers = { accept: 'application/json' };
  const t = token.get();
  if (typeof auth === 'string') headers.authorization = auth;
  else if (auth && t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/** Fetch a JSON resource with the token and hand it to the browser as a file download. */
export async function download(path, filename) {
  const json = await api(path);
  const url = URL.createObjectURL(new Blob([JSON.stringify(json, null, 2)], { type: 'application/json' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Whether this hub has an endpoint (an optional part may not be deployed): only the hub's "no such endpoint" means no. */
export async function offers(path) {
  try {
    await api(path);
    return true;
  } catch (err) {
    return !(err instanceof ApiError && err.status === 404 && err.message === 'no such endpoint');
  }
}
