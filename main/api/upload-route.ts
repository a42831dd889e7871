/**
 * Where the loopback host's page streams each file of a model it uploads (the host has no native
 * dialog): PUT /upload/model/<jobId>/<relative path>, after models:add { upload } declared the
 * files and answered with the job's id. Imports nothing of Node: the shim uses it too.
 */
const PREFIX = '/upload/model/';

/** The relative path is sent as it is: validateUploadTarget admits only URL-safe characters. */
export function uploadPath(jobId: string, relative: string): string {
  return `${PREFIX}${encodeURIComponent(jobId)}/${relative}`;
}

/**
 * The unchecked parts of an upload path, for validateUploadTarget at the door; null when the
 * path is not the upload route at all. Nothing is decoded: %2e%2e is not a name.
 */
export function uploadPathParts(pathname: string): { jobId: string; path: string } | null {
  if (!pathname.startsWith(PREFIX)) return null;
  const rest = pathname.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  return slash < 0
    ? { jobId: rest, path: '' }
    : { jobId: rest.slice(0, slash), path: rest.slice(slash + 1) };
}
