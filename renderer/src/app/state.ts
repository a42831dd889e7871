import type {
  ApiErrorShape,
  AppStatus,
  AvatarSummary,
  IntakeReport,
  ModelProgressEvent,
  RunCountdown,
  RunProgressEvent,
  StyleSummary,
} from '../../../main/api/contract.ts';
import { LIMITS } from '../../../main/api/limits.ts';

export type Step = 'photos' | 'styles' | 'generate' | 'gallery';
export type View = 'studio' | 'settings';
export type Theme = 'system' | 'light' | 'dark';

export const STEPS: readonly { id: Step; label: string }[] = [
  { id: 'photos', label: 'Photos' },
  { id: 'styles', label: 'Styles' },
  { id: 'generate', label: 'Generate' },
  { id: 'gallery', label: 'Gallery' },
];

export const PHOTO_LIMITS = LIMITS.photos;
export const STYLE_LIMITS = LIMITS.styles;
export const AVATAR_LIMITS = { ...LIMITS.avatars, initial: 12 } as const;

/** A photo the user added: kept in memory only, sent with every check and with the run. */
export interface LocalPhoto {
  /** Local identity: two photos may share a name. */
  key: string;
  name: string;
  bytes: Uint8Array;
  /** An object URL for the thumbnail; revoked when the photo is removed. */
  previewUrl: string;
}

export type Loadable<T> =
  { state: 'loading' } | { state: 'ready'; value: T } | { state: 'error'; error: ApiErrorShape };

export interface IntakeState {
  /** The photo keys the report answers, in order: stale while they differ from the photos. */
  checkedKeys: string[];
  report: IntakeReport | null;
  checking: boolean;
  error: ApiErrorShape | null;
}

/** The run this page started or reattached to. */
export interface LiveRun {
  runId: string;
  progress: RunProgressEvent | null;
  cancelling: boolean;
  /** Set by run:finished. */
  outcome: { cancelled: boolean; blocked: number; error: ApiErrorShape | null } | null;
}

/** A run's avatars as the gallery shows them. */
export interface GalleryRun {
  runId: string;
  avatars: AvatarSummary[];
  /** True once run:finished (or runs:avatars) gave the final, likeness-sorted list. */
  complete: boolean;
  /** The retention sweeper deleted it: the gallery says so instead of showing broken images. */
  deleted: boolean;
}

/** The control a model job started from: its progress, its errors and its end show there. */
export type ModelOrigin = { kind: 'install'; id: string } | { kind: 'add' };

/** The model job this page started or reattached to: one at a time. */
export interface ModelJobState {
  origin: ModelOrigin;
  /** Null until the host answered with its id (a picker or dialog may still be open). */
  jobId: string | null;
  /** What is being installed, once known. */
  name: string | null;
  progress: ModelProgressEvent | null;
  cancelling: boolean;
}

/** How the last model job ended (or why it did not start), until the next one starts. */
export interface ModelOutcome {
  origin: ModelOrigin;
  tone: 'success' | 'info' | 'error';
  message: string;
}

export interface AppState {
  status: Loadable<AppStatus>;
  view: View;
  step: Step;
  theme: Theme;
  photos: LocalPhoto[];
  /** Why the last add was cut short (e.g. more than 10 photos). */
  photoNotice: string | null;
  /** The photo removed last, where it was: Undo puts it back for a few seconds. */
  removedPhoto: { photo: LocalPhoto; index: number } | null;
  intake: IntakeState;
  styles: Loadable<StyleSummary[]>;
  selectedStyles: string[];
  /** Why the last style click was refused. */
  styleNotice: string | null;
  count: number;
  starting: boolean;
  startError: ApiErrorShape | null;
  run: LiveRun | null;
  /** Newest first. */
  gallery: GalleryRun[];
  /** runs:list as fetched, ticked down locally from fetchedAt. */
  countdowns: { runs: RunCountdown[]; fetchedAt: number } | null;
  /** Why the last refresh of the runs or their avatars failed, until one succeeds. */
  galleryError: ApiErrorShape | null;
  modelJob: ModelJobState | null;
  modelOutcome: ModelOutcome | null;
  /** Counts the models installed while this page is open: lists of models load again. */
  modelsInstalled: number;
}

export function initialState(theme: Theme): AppState {
  return {
    status: { state: 'loading' },
    view: 'studio',
    step: 'photos',
    theme,
    photos: [],
    photoNotice: null,
    removedPhoto: null,
    intake: { checkedKeys: [], report: null, checking: false, error: null },
    styles: { state: 'loading' },
    selectedStyles: [],
    styleNotice: null,
    count: AVATAR_LIMITS.initial,
    starting: false,
    startError: null,
    run: null,
    gallery: [],
    countdowns: null,
    galleryError: null,
    modelJob: null,
    modelOutcome: null,
    modelsInstalled: 0,
  };
}
