import { descriptorDistance, type FaceDescriptor } from './face-types.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import type { IntakeWarning } from './verdicts.ts';
import { quoteList } from './wording.ts';

/**
 * Photos whose face is far from the faces in the others. The median (not the nearest)
 * distance is used so that two photos of the same stranger do not vouch for each other.
 */
export function differentPersonWarnings(
  photos: readonly { readonly name: string; readonly descriptor: FaceDescriptor }[],
): IntakeWarning[] {
  if (photos.length < 2) return [];
  const outliers = photos
    .filter((photo) => {
      const distances = photos
        .filter((other) => other !== photo)
        .map((other) => descriptorDistance(photo.descriptor, other.descriptor));
      return median(distances) > INTAKE_LIMITS.samePersonMaxDistance;
    })
    .map((photo) => photo.name);
  if (outliers.length === 0) return [];
  const listed = quoteList(outliers);
  const message =
    outliers.length === photos.length
      ? `These photos seem to show different people: ${listed}. Avatars look most like you when every photo shows you.`
      : `${listed} ${outliers.length === 1 ? 'seems' : 'seem'} to show someone other than the person in your other photos. You can go ahead, but avatars look most like you when every photo shows you.`;
  return [{ code: 'DIFFERENT_PERSON', photos: outliers, message }];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
