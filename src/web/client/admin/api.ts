/** A failed call to the gateway's operator API, with the gateway's own message. */
export class ApiProblem extends Error {
  override readonly name = "ApiProblem";
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

async function problem(res: Response, path: string): Promise<ApiProblem> {
  let message = `${path}: HTTP ${res.status}`;
  let code: string | undefined;
  try {
    const body = (await res.json()) as { error?: { message?: unknown; code?: unknown } };
    if (typeof body.error?.message === "string") message = `${path}: ${body.error.message} (HTTP ${res.status})`;
    if (typeof body.error?.code === "string") code = body.error.code;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new ApiProblem(res.status, message, code);
}

/**
 * Calls the operator API with the page's session cookie. A 401/403 means the session ended:
 * reloading shows the sign-in form.
 */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { credentials: "same-origin", ...init });
  if (res.status === 401 || res.status === 403) {
    location.reload();
    throw new ApiProblem(res.status, "your session has ended; sign in again", "signed_out");
  }
  if (!res.ok) throw await problem(res, path);
  return (await res.json()) as T;
}
