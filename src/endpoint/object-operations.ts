// The object operations the service signs: a download (GET) and a single-request upload (PUT).
// Callers' policies grant them, the presigner signs them, the IAM policies allow their actions.
export type Operation = 'get' | 'put';
