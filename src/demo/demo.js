// The s3-presign demo page (local mode only): uploads a file through a presigned PUT URL
// from POST /uploads, then reads it back through a presigned GET URL from POST /downloads.
// Served by the service itself (src/demo/routes.ts) under a strict Content-Security-Policy:
// no inline script or style, and the only other origin it talks to is the embedded S3 server.
/* global document, fetch, crypto, btoa, DOMParser, URL */

const apiKey = document.querySelector('meta[name="s3-presign-api-key"]')?.getAttribute('content') ?? '';

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

const form = byId('upload-form');
const fileInput = /** @type {HTMLInputElement} */ (byId('file'));
const uploadButton = /** @type {HTMLButtonElement} */ (byId('upload'));
const statusLine = byId('status');
const errorBox = byId('error');
const uploadResult = byId('upload-result');
const storedKey = byId('stored-key');
const uploadStatus = byId('upload-status');
const uploadSha256 = byId('upload-sha256');
const downloadSection = byId('download-section');
const downloadLink = /** @type {HTMLAnchorElement} */ (byId('download-link'));
const downloadExpires = byId('download-expires');
const downloadButton = /** @type {HTMLButtonElement} */ (byId('download'));
const downloadSize = byId('download-size');
const downloadSha256 = byId('download-sha256');
const downloadCheck = byId('download-check');

/** What the last upload stored, for the Download button. */
let stored;

/** An error whose message is already written for the person using the page. */
class DemoError extends Error {}

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
 * POSTs JSON to the service. A refusal has the service's one error shape,
 * {statusCode, code, error, message, field?}, and is shown as such.
 *
 * @param {string} path
 * @param {Record<string, unknown>} body
 */
async function callApi(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new DemoError(`POST ${path}: the service did not answer (${String(error)}).`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    if (json && typeof json.message === 'string') {
      const status = `${json.statusCode ?? response.status} ${json.error ?? response.statusText}`.trim();
      const field = typeof json.field === 'string' ? ` (field: ${json.field})` : '';
      throw new DemoError(`POST ${path} was refused: ${status}, ${json.code ?? 'no code'}: ${json.message}${field}`);
    }
    throw new DemoError(`POST ${path} failed: ${response.status} ${response.statusText}`.trim());
  }
  if (!json || typeof json.url !== 'string') {
    throw new DemoError(`POST ${path} answered ${response.status} without a URL.`);
  }
  return json;
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

/** @param {ArrayBuffer} bytes */
async function sha256Base64(bytes) {
  if (!crypto.subtle) {
    throw new DemoError('Computing a SHA-256 needs a secure context: open this page at http://127.0.0.1 or localhost.');
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return btoa(String.fromCharCode(...digest));
}

/** @param {string} iso */
function showTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

async function upload() {
  const file = fileInput.files?.[0];
  if (!file) {
    showError(new DemoError('Choose a file first.'));
    fileInput.focus();
    return;
  }
  stored = undefined;
  uploadResult.hidden = true;
  downloadSection.hidden = true;
  downloadSize.textContent = '';
  downloadSize.removeAttribute('data-bytes');
  downloadSha256.textContent = '';
  downloadCheck.textContent = '';

  setStatus(`Computing the SHA-256 of ${file.name}…`);
  const checksumSha256 = await sha256Base64(await file.arrayBuffer());

  setStatus('Asking the service for an upload URL…');
  const grant = await callApi('/uploads', {
    filename: file.name,
    contentType: file.type || 'application/octet-stream',
    contentLength: file.size,
    checksumSha256,
  });

  // Send exactly the signed headers, except content-length: a browser refuses to set it and
  // computes it from the body, which is the signed length.
  const headers = Object.fromEntries(
    Object.entries(grant.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-length'),
  );
  setStatus(`Uploading ${formatBytes(file.size)} to ${grant.endpoint?.host ?? new URL(grant.url).host}…`);
  const put = await s3Fetch('upload', grant.url, { method: grant.method ?? 'PUT', headers, body: file });
  if (!put.ok) throw await s3Refusal('upload', put);
  await put.arrayBuffer();

  storedKey.textContent = grant.key;
  uploadStatus.textContent = `${put.status} ${put.statusText}`.trim();
  uploadSha256.textContent = checksumSha256;
  uploadResult.hidden = false;

  setStatus('Asking the service for a download URL…');
  const grantGet = await callApi('/downloads', { key: grant.key, filename: file.name });
  stored = { key: grant.key, url: grantGet.url, checksumSha256 };
  downloadLink.href = grantGet.url;
  downloadLink.textContent = `Download ${file.name}`;
  downloadExpires.dateTime = grantGet.expiresAt ?? '';
  downloadExpires.textContent = grantGet.expiresAt ? showTime(grantGet.expiresAt) : 'its expiry';
  downloadSection.hidden = false;
  setStatus(`Uploaded ${file.name} (${formatBytes(file.size)}).`);
}

async function download() {
  if (!stored) throw new DemoError('Upload a file first.');
  setStatus('Downloading…');
  const response = await s3Fetch('download', stored.url);
  if (!response.ok) throw await s3Refusal('download', response);
  const bytes = await response.arrayBuffer();
  const checksum = await sha256Base64(bytes);

  downloadSize.dataset.bytes = String(bytes.byteLength);
  downloadSize.textContent = formatBytes(bytes.byteLength);
  downloadSha256.textContent = checksum;
  downloadCheck.textContent =
    checksum === stored.checksumSha256 ? 'Same bytes as the upload.' : 'These bytes differ from the upload!';
  setStatus(`Downloaded ${formatBytes(bytes.byteLength)}.`);
}

/** @param {() => Promise<void>} action */
async function run(action) {
  clearError();
  setBusy(true);
  try {
    await action();
  } catch (error) {
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

if (!apiKey || apiKey.startsWith('__')) {
  showError(new DemoError('This page has no API key: open it from the service in local mode, at /demo.'));
}
