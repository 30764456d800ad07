// The CLI follows no redirect (its fetches say redirect: 'manual'): the address it was given,
// the service's or a URL that was validated, is the only one it sends to. A redirect from
// either becomes a message naming where it pointed.

/** `307 (a redirect to …)` for a redirect, its body cancelled unread; undefined for any other answer. */
export async function redirectAnswer(response: Response): Promise<string | undefined> {
  if (response.status < 300 || response.status >= 400) return undefined;
  await response.body?.cancel();
  const location = response.headers.get('location');
  return `${response.status}${location === null ? '' : ` (a redirect to ${location})`}`;
}

/** Why the store's redirect for `what` is not followed, or undefined for any other answer. */
export async function storeRedirectRefusal(response: Response, what: string): Promise<string | undefined> {
  const redirect = await redirectAnswer(response);
  return redirect === undefined
    ? undefined
    : `the store answered ${redirect} for ${what}: the CLI follows no redirect, since the URL it was given is the only one validated`;
}
