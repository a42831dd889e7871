import type { LocalPhoto } from '../../state.ts';
import type { Context } from './context.ts';

let nextKey = 0;

/** Reads a picked or dropped file into memory: the page sends bytes and a name, never a path. */
async function readPhoto(file: File): Promise<LocalPhoto> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return {
    key: `photo-${++nextKey}`,
    name: file.name,
    bytes,
    previewUrl: URL.createObjectURL(new Blob([bytes], { type: file.type || 'image/*' })),
  };
}

/** Adds the files that could be read; those that could not (gone from disk since) are named. */
export async function addPhotos(
  { dispatch }: Pick<Context, 'dispatch'>,
  files: File[],
): Promise<void> {
  const read = await Promise.allSettled(files.map(readPhoto));
  dispatch({
    type: 'photosAdded',
    payload: read.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
  });
  const unread = files.filter((_, index) => read[index]?.status === 'rejected');
  if (unread.length > 0) dispatch({ type: 'photosNotRead', payload: unread.map((f) => f.name) });
}

/** Puts `file` where `old` was; the old preview is let go once the new one shows. */
export async function replacePhoto(
  { dispatch }: Pick<Context, 'dispatch'>,
  old: LocalPhoto,
  file: File,
): Promise<void> {
  let photo;
  try {
    photo = await readPhoto(file);
  } catch {
    dispatch({ type: 'photosNotRead', payload: [file.name] });
    return;
  }
  dispatch({ type: 'photoReplaced', payload: { key: old.key, photo } });
  URL.revokeObjectURL(old.previewUrl);
}
