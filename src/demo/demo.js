// The s3-presign demo page (local mode only): uploads a file through a presigned PUT URL
// from POST /uploads (or, above MULTIPART_THRESHOLD, as a multipart upload through
// POST /multipart and its part URLs), then reads it back through a presigned GET URL from
// POST /downloads. It calls the service as a frontend does, with a JWT for end user "demo"
// from local mode's development token issuer (POST /dev/token), never with an API key.
// Every upload is bound to SHA-256s computed in a worker (hash-worker.js): the whole file's
// for one PUT, each part's for a multipart upload (S3's composite checksum), so S3 refuses
// bytes that differ from what the page read (BadDigest).
// Served by the service itself (src/demo/routes.ts) under a strict Content-Security-Policy:
// no inline script or style, and the only other origin it talks to is the embedded S3 server.
/* global document, fetch, crypto, atob, Blob, DOMParser, URL, XMLHttpRequest, localStorage, setTimeout, Worker */

/** Above this size a file goes up in parts; S3's own minimum part is 5 MiB. */
const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
/** Parts in flight at once: a browser opens about six connections to one origin. */
const PART_CONCURRENCY = 3;
/** Part URLs asked for in one POST /multipart/parts; few, so none expires while it waits. */
const PART_URL_BATCH = 12;
/** Tries per part before the page gives up and offers to resume. */
const PART_ATTEMPTS = 4;
/** Tries of a call the service refuses with 503 OVERLOADED, each after its Retry-After. */
const OVERLOAD_ATTEMPTS = 4;
/** localStorage entry that remembers unfinished multipart uploads, by file fingerprint. */
const RESUME_STORE = 's3-presign-demo:multipart-uploads';

/** The end user the page acts as; the service puts its files under users/demo/. */
const DEMO_USER = 'demo';
/** Each part's checksum: SHA-256, which Web Crypto computes; S3 then keeps a composite of them. */
const PART_CHECKSUM_ALGORITHM = 'SHA256';

/** A token this close to its expiry is replaced before a call, so no call fails half way. */
const TOKEN_REFRESH_MARGIN_MS = 60 * 1000;

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

const form = byId('upload-form');
const fileInput = /** @type {HTMLInputElement} */ (byId('file'));
const uploadButton = /** @type {HTMLButtonElement} */ (byId('upload'));
const cancelButton = /** @type {HTMLButtonElement} */ (byId('cancel'));
const progressSection = byId('progress-section');
const progressBar = /** @type {HTMLProgressElement} */ (byId('progress'));
const progressText = byId('progress-text');
const statusLine = byId('status');
const errorBox = byId('error');
const uploadResult = byId('upload-result');
const storedKey = byId('stored-key');
const uploadStatus = byId('upload-status');
const uploadSha256 = byId('upload-sha256');
const uploadSha256Hex = byId('upload-sha256-hex');
const uploadChecksum = byId('upload-checksum');
const downloadSection = byId('download-section');
const downloadLink = /** @type {HTMLAnchorElement} */ (byId('download-link'));
const downloadExpires = byId('download-expires');
const downloadButton = /** @type {HTMLButtonElement} */ (byId('download'));
const downloadSize = byId('download-size');
const downloadSha256 = byId('download-sha256');
const downloadSha256Hex = byId('download-sha256-hex');
const downloadCheck = byId('download-check');

/** The development token in use: {token, expiresAt (ms)}. */
let developmentToken;

/** What the last upload stored, for the Download button: {key, url, file, checksumSha256?}. */
let stored;

/** The multipart upload in progress, so Cancel can stop it: {key, uploadId, fingerprint, requests, cancelled}. */
let activeUpload;

/** An error whose message is already written for the person using the page. */
class DemoError extends Error {}

/** The person pressed Cancel: not an error to show. */
class CancelledError extends Error {}

const numberFormat = new Intl.NumberFormat('en');

/** @param {number} bytes */
function formatBytes(bytes) {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${numberFormat.format(bytes)} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** @param {string} text */
function setStatus(text) {
  statusLine.textContent = text;
}

/** @param {unknown} error */
function showError(error) {
  errorBox.textContent =
    error instanceof DemoError
      ? error.message
      : `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  errorBox.hidden = false;
  setStatus('');
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/** @param {boolean} busy */
function setBusy(busy) {
  uploadButton.disabled = busy;
  downloadButton.disabled = busy;
  form.setAttribute('aria-busy', String(busy));
}

/**
 * The JWT the page sends, from POST /dev/token, as a frontend gets one from its identity
 * provider: asked for once, and again shortly before it expires (it lasts 15 minutes).
 */
async function bearerToken() {
  if (developmentToken && developmentToken.expiresAt - Date.now() > TOKEN_REFRESH_MARGIN_MS) {
    return developmentToken.token;
  }
  let response;
  try {
    response = await fetch('/dev/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ sub: DEMO_USER }),
    });
  } catch (error) {
    throw new DemoError(`POST /dev/token: the service did not answer (${String(error)}).`);
  }
  const answer = await response.json().catch(() => undefined);
  if (!response.ok || typeof answer?.token !== 'string') {
    throw new DemoError(
      `POST /dev/token answered ${response.status}${answer?.code ? ` ${answer.code}` : ''}: this page needs local ` +
        "mode's development token issuer. Open it from the service in local mode, on this machine, at /demo.",
    );
  }
  developmentToken = { token: answer.token, expiresAt: Date.parse(answer.expiresAt) };
  return developmentToken.token;
}

/**
 * POSTs JSON to the service. A refusal has the service's one error shape,
 * {statusCode, code, error, message, field?}, and is shown as such.
 *
 * @param {string} path
 * @param {Record<string, unknown>} body
 * @param {{expect?: 'url' | 'json' | 'nothing'}} [options]
 */
async function callApi(path, body, { expect = 'url' } = {}) {
  const post = async () => {
    try {
      return await fetch(path, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await bearerToken()}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      if (error instanceof DemoError) throw error;
      throw new DemoError(`POST ${path}: the service did not answer (${String(error)}).`);
    }
  };
  let { response, json } = await answerOf(await post());
  if (response.status === 401 && json?.code === 'AUTH_EXPIRED') {
    // Expired after all (the computer slept past the margin): once more, with a new token.
    developmentToken = undefined;
    ({ response, json } = await answerOf(await post()));
  }
  for (let retry = 1; retry < OVERLOAD_ATTEMPTS && response.status === 503 && json?.code === 'OVERLOADED'; retry += 1) {
    // The service sheds load for a moment and says when to come back: a frontend waits, as asked.
    const seconds = Number(response.headers.get('retry-after')) || 1;
    setStatus(`The service is busy; trying ${path} again in ${seconds} s…`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    ({ response, json } = await answerOf(await post()));
  }
  if (!response.ok) {
    if (json && typeof json.message === 'string') {
      const status = `${json.statusCode ?? response.status} ${json.error ?? response.statusText}`.trim();
      const field = typeof json.field === 'string' ? ` (field: ${json.field})` : '';
      throw new ApiError(
        `POST ${path} was refused: ${status}, ${json.code ?? 'no code'}: ${json.message}${field}`,
        json.code,
      );
    }
    throw new DemoError(`POST ${path} failed: ${response.status} ${response.statusText}`.trim());
  }
  if (expect === 'nothing') return undefined;
  if (!json || typeof json !== 'object') {
    throw new DemoError(`POST ${path} answered ${response.status} without a JSON body.`);
  }
  if (expect === 'url' && typeof json.url !== 'string') {
    throw new DemoError(`POST ${path} answered ${response.status} without a URL.`);
  }
  return json;
}

/** @param {Response} response */
async function answerOf(response) {
  const text = await response.text();
  try {
    return { response, json: JSON.parse(text) };
  } catch {
    return { response, json: undefined };
  }
}

/** A refusal from the service, with its code (e.g. NO_SUCH_UPLOAD) for the page to act on. */
class ApiError extends DemoError {
  /**
   * @param {string} message
   * @param {string | undefined} code
   */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * fetch() towards S3; a network failure (typically CORS) becomes a readable error.
 *
 * @param {string} action
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function s3Fetch(action, url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new DemoError(
      `The ${action} did not reach S3 at ${new URL(url).host} (${String(error)}). ` +
        'Does the bucket allow this origin (CORS)?',
    );
  }
}

/**
 * S3 explains a refusal in an XML <Error> document: <Code> and <Message>.
 *
 * @param {string} action
 * @param {Response} response
 */
async function s3Refusal(action, response) {
  const text = await response.text();
  const xml = new DOMParser().parseFromString(text, 'application/xml');
  const code = xml.querySelector('Error > Code')?.textContent ?? '';
  const message = xml.querySelector('Error > Message')?.textContent ?? '';
  const status = `${response.status} ${response.statusText}`.trim();
  return new DemoError(`S3 refused the ${action}: ${status}${code ? `, ${code}` : ''}${message ? `: ${message}` : ''}`);
}

/** The hashing worker, started at the first hash; its answers by message id. */
let hashWorker;
const pendingHashes = new Map();
let nextHashId = 0;

/**
 * The base64 SHA-256 of `blob`, computed in hash-worker.js: reading and hashing a part of
 * megabytes there leaves the page free to draw progress and answer Cancel. The form's
 * data-hashing counts the hashes in flight.
 *
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
function sha256InWorker(blob) {
  if (!crypto.subtle) {
    return Promise.reject(
      new DemoError('Computing a SHA-256 needs a secure context: open this page at http://127.0.0.1 or localhost.'),
    );
  }
  if (!hashWorker) {
    hashWorker = new Worker('/demo/hash-worker.js');
    hashWorker.addEventListener('message', (event) => {
      const { id, sha256: digest, error } = event.data;
      const pending = pendingHashes.get(id);
      pendingHashes.delete(id);
      form.dataset.hashing = String(pendingHashes.size);
      if (error !== undefined) pending?.reject(new DemoError(`The page could not hash the file: ${error}`));
      else pending?.resolve(digest);
    });
    hashWorker.addEventListener('error', (event) => {
      for (const pending of pendingHashes.values()) {
        pending.reject(new DemoError(`The hashing worker failed: ${event.message || 'it did not start'}.`));
      }
      pendingHashes.clear();
      form.dataset.hashing = '0';
      hashWorker = undefined;
    });
  }
  const id = (nextHashId += 1);
  return new Promise((resolve, reject) => {
    pendingHashes.set(id, { resolve, reject });
    form.dataset.hashing = String(pendingHashes.size);
    hashWorker.postMessage({ id, blob });
  });
}

/** The hex a base64 value spells, as sha256sum prints it. @param {string} base64 */
function hexOfBase64(base64) {
  return Array.from(atob(base64), (char) => char.charCodeAt(0).toString(16).padStart(2, '0')).join('');
}

/** @param {string} iso */
function showTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

/** @param {number} loaded @param {number} total */
function showProgress(loaded, total) {
  const percent = total === 0 ? 100 : Math.min(100, Math.floor((loaded / total) * 100));
  progressBar.value = percent;
  progressBar.dataset.loaded = String(loaded);
  progressText.textContent = `${formatBytes(loaded)} of ${formatBytes(total)} (${percent}%)`;
  progressSection.hidden = false;
}

function resetResults() {
  stored = undefined;
  uploadResult.hidden = true;
  downloadSection.hidden = true;
  progressSection.hidden = true;
  downloadSize.textContent = '';
  downloadSize.removeAttribute('data-bytes');
  downloadSha256.textContent = '';
  downloadSha256Hex.textContent = '';
  downloadCheck.textContent = '';
}

async function upload() {
  const file = fileInput.files?.[0];
  if (!file) {
    showError(new DemoError('Choose a file first.'));
    fileInput.focus();
    return;
  }
  resetResults();
  const result = file.size > MULTIPART_THRESHOLD ? await uploadInParts(file) : await uploadWhole(file);

  storedKey.textContent = result.key;
  uploadStatus.textContent = result.status;
  uploadSha256.textContent = result.checksumSha256 ?? 'not computed (multipart upload: each part is hashed)';
  uploadSha256Hex.textContent = result.checksumSha256 ? hexOfBase64(result.checksumSha256) : '';
  uploadChecksum.textContent = result.storeChecksum;
  uploadResult.hidden = false;

  setStatus('Asking the service for a download URL…');
  const grantGet = await callApi('/downloads', { key: result.key, filename: file.name });
  stored = { key: result.key, url: grantGet.url, file, checksumSha256: result.checksumSha256 };
  downloadLink.href = grantGet.url;
  downloadLink.textContent = `Download ${file.name}`;
  downloadExpires.dateTime = grantGet.expiresAt ?? '';
  downloadExpires.textContent = grantGet.expiresAt ? showTime(grantGet.expiresAt) : 'its expiry';
  downloadSection.hidden = false;
  setStatus(`Uploaded ${file.name} (${formatBytes(file.size)}).`);
}

/**
 * One presigned PUT that binds the type, the length and the SHA-256 of the whole file.
 *
 * @param {File} file
 */
async function uploadWhole(file) {
  setStatus(`Computing the SHA-256 of ${file.name}…`);
  const checksumSha256 = await sha256InWorker(file);

  setStatus('Asking the service for an upload URL…');
  const grant = await callApi('/uploads', {
    filename: file.name,
    contentType: file.type || 'application/octet-stream',
    contentLength: file.size,
    checksumSha256,
  });

  setStatus(`Uploading ${formatBytes(file.size)} to ${grant.endpoint?.host ?? new URL(grant.url).host}…`);
  showProgress(0, file.size);
  const { status } = await sendToS3('upload', grant.url, grant.headers, file, (loaded) =>
    showProgress(loaded, file.size),
  );
  showProgress(file.size, file.size);
  return { key: grant.key, status, checksumSha256, storeChecksum: `SHA256 (FULL_OBJECT) ${checksumSha256}` };
}

/**
 * A multipart upload: created (or found again) through the service, each part PUT to its own
 * presigned URL, completed by the service, which checks the parts against the policy.
 *
 * @param {File} file
 */
async function uploadInParts(file) {
  const fingerprint = await fileFingerprint(file);
  const upload = await resumeOrCreate(file, fingerprint);
  activeUpload = { ...upload, fingerprint, requests: new Set(), cancelled: false };
  cancelButton.hidden = false;
  cancelButton.disabled = false;
  try {
    const { partSize, partCount, done, checksumAlgorithm } = upload;
    const partLength = (/** @type {number} */ partNumber) =>
      Math.min(partSize, file.size - (partNumber - 1) * partSize);
    const partBody = (/** @type {number} */ partNumber) => {
      const offset = (partNumber - 1) * partSize;
      return file.slice(offset, offset + partLength(partNumber));
    };
    // Each part's SHA-256, by part number: signed into its URL, then sent at completion.
    const checksums = new Map();
    const hashPart = async (/** @type {number} */ partNumber) => {
      if (!checksums.has(partNumber)) checksums.set(partNumber, await sha256InWorker(partBody(partNumber)));
      return checksums.get(partNumber);
    };
    // A listed part of the wrong size, or whose checksum is not this file's bytes, belongs to
    // another file: send it again.
    for (const [partNumber, part] of done) {
      if (part.size !== partLength(partNumber)) done.delete(partNumber);
      else if (checksumAlgorithm && part.checksum !== (await hashPart(partNumber))) done.delete(partNumber);
    }

    const inFlight = new Map();
    const report = () => {
      let loaded = 0;
      for (const part of done.values()) loaded += part.size;
      for (const bytes of inFlight.values()) loaded += bytes;
      showProgress(loaded, file.size);
    };
    report();
    progressSection.dataset.resumedParts = String(done.size);
    const missing = [];
    for (let partNumber = 1; partNumber <= partCount; partNumber += 1) {
      if (!done.has(partNumber)) missing.push(partNumber);
    }
    setStatus(
      done.size > 0
        ? `Resuming ${file.name}: ${done.size} of ${partCount} parts are already in S3, ${missing.length} to send.`
        : `Uploading ${file.name} in ${partCount} parts of ${formatBytes(partSize)}…`,
    );

    for (let start = 0; start < missing.length; start += PART_URL_BATCH) {
      const batch = missing.slice(start, start + PART_URL_BATCH);
      if (checksumAlgorithm) setStatus(`Hashing parts ${batch[0]} to ${batch.at(-1)} of ${file.name} (SHA-256)…`);
      const batchChecksums = checksumAlgorithm
        ? await Promise.all(batch.map(async (partNumber) => ({ partNumber, value: await hashPart(partNumber) })))
        : undefined;
      if (checksumAlgorithm) setStatus(`Uploading ${file.name} in ${partCount} parts of ${formatBytes(partSize)}…`);
      const { parts } = await callApi(
        '/multipart/parts',
        { key: upload.key, uploadId: upload.uploadId, partNumbers: batch, checksums: batchChecksums },
        { expect: 'json' },
      );
      const queue = [...parts];
      const worker = async () => {
        for (let part = queue.shift(); part; part = queue.shift()) {
          const { partNumber } = part;
          const body = partBody(partNumber);
          const etag = await sendPart(part, body, (loaded) => {
            inFlight.set(partNumber, loaded);
            report();
          });
          inFlight.delete(partNumber);
          done.set(partNumber, { etag, size: body.size });
          report();
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, queue.length) }, worker));
    }

    setStatus('Asking the service to complete the upload…');
    const parts = [...done.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, part]) => ({ partNumber, etag: part.etag, checksum: checksums.get(partNumber) }));
    const completed = await callApi(
      '/multipart/complete',
      { key: upload.key, uploadId: upload.uploadId, parts },
      { expect: 'json' },
    );
    forgetUpload(fingerprint);
    return {
      key: completed.key ?? upload.key,
      status: `completed in ${partCount} parts`,
      checksumSha256: undefined,
      storeChecksum: completed.checksum
        ? `${completed.checksumAlgorithm} (${completed.checksumType}) ${completed.checksum}`
        : 'none (an upload started before checksums)',
    };
  } finally {
    activeUpload = undefined;
    cancelButton.hidden = true;
  }
}

/**
 * The unfinished upload of this file if the page remembers one and S3 still has it (its parts
 * listed), else a new one.
 *
 * @param {File} file
 * @param {string} fingerprint
 */
async function resumeOrCreate(file, fingerprint) {
  const remembered = rememberedUploads()[fingerprint];
  if (remembered) {
    setStatus(`Looking for the parts of ${file.name} already in S3…`);
    try {
      const listed = await callApi(
        '/multipart/list',
        { key: remembered.key, uploadId: remembered.uploadId },
        { expect: 'json' },
      );
      const done = new Map(
        listed.parts.map((part) => [part.partNumber, { etag: part.etag, size: part.size, checksum: part.checksum }]),
      );
      return { ...remembered, done };
    } catch (error) {
      // Aborted, completed or expired since: start again rather than stop.
      if (!(error instanceof ApiError)) throw error;
      forgetUpload(fingerprint);
    }
  }
  setStatus('Asking the service to start a multipart upload…');
  const created = await callApi(
    '/multipart',
    {
      filename: file.name,
      contentType: file.type || 'application/octet-stream',
      contentLength: file.size,
      checksumAlgorithm: PART_CHECKSUM_ALGORITHM,
    },
    { expect: 'json' },
  );
  const upload = {
    key: created.key,
    uploadId: created.uploadId,
    partSize: created.partSize,
    partCount: created.partCount,
    checksumAlgorithm: created.checksumAlgorithm,
  };
  rememberUpload(fingerprint, upload);
  return { ...upload, done: new Map() };
}

/**
 * PUTs one part, again after a dropped connection or a 5xx (waiting longer each time).
 *
 * @param {{partNumber: number, url: string, headers?: Record<string, string>}} part
 * @param {Blob} body
 * @param {(loaded: number) => void} onProgress
 */
async function sendPart(part, body, onProgress) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { etag } = await sendToS3(`upload of part ${part.partNumber}`, part.url, part.headers, body, onProgress);
      if (!etag) {
        throw new DemoError(
          `S3 stored part ${part.partNumber} but the page cannot read its ETag: the bucket's CORS rule must expose ETag.`,
        );
      }
      return etag;
    } catch (error) {
      const retriable = error instanceof TransferError && error.retriable;
      if (!retriable || attempt >= PART_ATTEMPTS || activeUpload?.cancelled) {
        if (retriable) {
          throw new DemoError(
            `${error.message} The parts already sent are kept: choose the same file and press Upload to resume.`,
          );
        }
        throw error;
      }
      onProgress(0);
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}

/** A failed transfer to S3; retriable when the connection dropped or S3 answered 5xx. */
class TransferError extends DemoError {
  /**
   * @param {string} message
   * @param {boolean} retriable
   */
  constructor(message, retriable) {
    super(message);
    this.retriable = retriable;
  }
}

/**
 * One PUT to a presigned URL with XMLHttpRequest, which reports upload progress (fetch does
 * not). Sends exactly the signed headers except content-length: a browser refuses to set it
 * and computes it from the body, which is the signed length.
 *
 * @param {string} action
 * @param {string} url
 * @param {Record<string, string> | undefined} headers
 * @param {Blob} body
 * @param {(loaded: number) => void} onProgress
 * @returns {Promise<{status: string, etag: string | null}>}
 */
function sendToS3(action, url, headers, body, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    activeUpload?.requests.add(request);
    const settle = () => activeUpload?.requests.delete(request);
    request.open('PUT', url);
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (name.toLowerCase() !== 'content-length') request.setRequestHeader(name, value);
    }
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () => {
      settle();
      if (request.status >= 200 && request.status < 300) {
        resolve({ status: `${request.status} ${request.statusText}`.trim(), etag: request.getResponseHeader('ETag') });
      } else {
        reject(new TransferError(s3RefusalText(action, request), request.status >= 500));
      }
    };
    request.onerror = () => {
      settle();
      reject(
        new TransferError(
          `The ${action} did not reach S3 at ${new URL(url).host}: the connection failed ` +
            '(or the bucket does not allow this origin: CORS).',
          true,
        ),
      );
    };
    request.onabort = () => {
      settle();
      reject(new CancelledError('cancelled'));
    };
    request.send(body);
  });
}

/**
 * S3 explains a refusal in an XML <Error> document: <Code> and <Message>.
 *
 * @param {string} action
 * @param {XMLHttpRequest} request
 */
function s3RefusalText(action, request) {
  const xml = new DOMParser().parseFromString(request.responseText, 'application/xml');
  const code = xml.querySelector('Error > Code')?.textContent ?? '';
  const message = xml.querySelector('Error > Message')?.textContent ?? '';
  const status = `${request.status} ${request.statusText}`.trim();
  const refusal = `S3 refused the ${action}: ${status}${code ? `, ${code}` : ''}${message ? `: ${message}` : ''}`;
  return code === 'BadDigest'
    ? `${refusal}. The bytes S3 received are not the ones the page hashed: the file changed while it was ` +
        'uploading, or something on the way altered them. Nothing of them was stored; upload the file again.'
    : refusal;
}

/**
 * Names a file well enough to find its unfinished upload after a reload: its name, size and
 * type, and a SHA-256 of its first and last MiB (the whole file may be gigabytes).
 *
 * @param {File} file
 */
async function fileFingerprint(file) {
  const edge = 1024 * 1024;
  const edges = new Blob([file.slice(0, edge), file.slice(Math.max(edge, file.size - edge))]);
  return `${file.name}|${file.size}|${file.type}|${await sha256InWorker(edges)}`;
}

/** @returns {Record<string, {key: string, uploadId: string, partSize: number, partCount: number, checksumAlgorithm?: string}>} */
function rememberedUploads() {
  try {
    const saved = JSON.parse(localStorage.getItem(RESUME_STORE) ?? '{}');
    return saved && typeof saved === 'object' ? saved : {};
  } catch {
    return {};
  }
}

/**
 * @param {string} fingerprint
 * @param {{key: string, uploadId: string, partSize: number, partCount: number, checksumAlgorithm?: string}} upload
 */
function rememberUpload(fingerprint, upload) {
  try {
    localStorage.setItem(RESUME_STORE, JSON.stringify({ ...rememberedUploads(), [fingerprint]: upload }));
  } catch {
    // Storage full or disabled: the upload still works, it just cannot resume after a reload.
  }
}

/** @param {string} fingerprint */
function forgetUpload(fingerprint) {
  const saved = rememberedUploads();
  delete saved[fingerprint];
  try {
    localStorage.setItem(RESUME_STORE, JSON.stringify(saved));
  } catch {
    // As above.
  }
}

/** Stops the multipart upload: no more parts, and the service aborts it so S3 drops the parts sent. */
async function cancel() {
  const upload = activeUpload;
  if (!upload) return;
  upload.cancelled = true;
  cancelButton.disabled = true;
  for (const request of upload.requests) request.abort();
  setStatus('Cancelling: asking the service to abort the upload…');
  await callApi('/multipart/abort', { key: upload.key, uploadId: upload.uploadId }, { expect: 'nothing' });
  forgetUpload(upload.fingerprint);
  progressSection.hidden = true;
  setStatus('Cancelled: the upload was aborted and S3 removed its parts.');
}

async function download() {
  if (!stored) throw new DemoError('Upload a file first.');
  setStatus('Downloading…');
  const response = await s3Fetch('download', stored.url);
  if (!response.ok) throw await s3Refusal('download', response);
  const bytes = await response.arrayBuffer();
  const checksum = await sha256InWorker(new Blob([bytes]));
  const expected = stored.checksumSha256 ?? (await sha256InWorker(stored.file));

  downloadSize.dataset.bytes = String(bytes.byteLength);
  downloadSize.textContent = formatBytes(bytes.byteLength);
  downloadSha256.textContent = checksum;
  downloadSha256Hex.textContent = hexOfBase64(checksum);
  downloadCheck.textContent =
    checksum === expected ? 'Same bytes as the upload.' : 'These bytes differ from the upload!';
  setStatus(`Downloaded ${formatBytes(bytes.byteLength)}.`);
}

/** @param {() => Promise<void>} action */
async function run(action) {
  clearError();
  setBusy(true);
  try {
    await action();
  } catch (error) {
    if (error instanceof CancelledError) return;
    showError(error);
  } finally {
    setBusy(false);
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run(upload);
});
downloadButton.addEventListener('click', () => void run(download));
cancelButton.addEventListener('click', () => {
  cancel().catch(showError);
});

// Asked for at once, so a page the issuer does not serve says so before a file is chosen.
bearerToken().catch(showError);
