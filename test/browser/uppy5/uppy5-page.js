// The test page's script for an app that used Uppy Companion: @uppy/aws-s3 5.x pointed at
// the service's Companion-compatible routes (`endpoint`) with the caller's Authorization
// header (`headers`), and each file's size as a meta field, the switch docs/upload-clients.md
// describes. Bundled by test/browser/uppy-page.ts.
/* global window */
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import { randomFile, runUpload } from '../uppy/uppy-run.js';

/**
 * @param {{service: string, token: string, name: string, type: string, size: number,
 *   multipart: boolean, cancelAfterParts?: number}} options
 */
window.uploadWithUppy = async (options) => {
  const file = randomFile(options.size, options.type);
  const uppy = new Uppy({ autoProceed: false });
  // Uppy sends a file's meta fields with the create call: the service signs each part's length from `size`.
  uppy.on('file-added', (added) => uppy.setFileMeta(added.id, { size: added.size }));
  uppy.use(AwsS3, {
    endpoint: options.service,
    headers: { authorization: `Bearer ${options.token}` },
    shouldUseMultipart: () => options.multipart,
  });
  return runUpload(uppy, file, options);
};
