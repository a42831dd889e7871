import { randomInt } from 'node:crypto';
import { sharedFloat32 } from '../engine/arrays.ts';
import { EngineError } from '../engine/errors.ts';
import { loadImageTensor, rgbToPng, tensorToRgb } from '../engine/image.ts';
import type { Img2ImgResult, LoraRequest } from '../engine/types.ts';
import { checkPhotos } from '../intake/intake.ts';
import { decide } from '../moderation/policy.ts';
import { pickStyles, styleSettings } from '../styles/catalog.ts';
import { resolveStyleLora } from '../styles/lora.ts';
import { EtaEstimator } from './eta.ts';
import { JobError } from './errors.ts';
import { likeness } from './likeness.ts';
import { MAX_AVATARS, planAvatars, retrySeed, type PlannedAvatar } from './plan.ts';
import type { JobResources } from './resources.ts';
import type {
  AvatarRecord,
  AvatarRunProgress,
  AvatarRunRequest,
  AvatarRunResult,
} from './types.ts';

/** A flagged avatar is regenerated at most this many times before it is given up. */
const MAX_RETRIES = 2;

export interface AvatarRunControls {
  signal?: AbortSignal;
  onProgress?: (progress: AvatarRunProgress) => void;
  /** Each avatar as soon as it is moderated and stored (the gallery fills while the run goes on). */
  onAvatar?: (avatar: AvatarRecord) => void;
  /**
   * The run exists: intake passed and the quota was charged. The app answers its start request
   * here, so a refusal (photos, quota) rejects the request and a started run reports by events.
   */
  onStarted?: (runId: string) => void;
}

interface Attempt {
  planned: PlannedAvatar;
  retries: number;
}

/**
 * The product's main job: photos and styles in, moderated avatars out, recorded in the store.
 * Recipe: check the request → intake (faces, content, duplicates) → start the run (quota) and keep
 * the crops encrypted → plan → generate, one UNet run ahead of moderation so they overlap →
 * likeness scores → finish (deletion scheduled). A cancel keeps the avatars already made.
 */
export async function runAvatars(
  resources: JobResources,
  request: AvatarRunRequest,
  controls: AvatarRunControls = {},
): Promise<AvatarRunResult> {
  const started = performance.now();
  const { engine, model, store } = resources;
  const count = request.count ?? MAX_AVATARS;
  const size = request.size ?? 512;
  if (!Number.isInteger(count) || count < 1 || count > MAX_AVATARS) {
    throw new JobError(
      'BAD_REQUEST',
      `count must be a whole number from 1 to ${MAX_AVATARS}, got ${count}`,
    );
  }
  if (!Number.isInteger(size) || size < 64 || size % 8 !== 0) {
    throw new JobError('BAD_REQUEST', `size must be a multiple of 8 of at least 64, got ${size}`);
  }
  const styles = pickStyles(resources.styles, request.styleIds);
  // A style whose LoRA is missing or does not fit the model refuses the run before the quota.
  const styleLoras = new Map<string, LoraRequest[]>();
  for (const style of styles) {
    const lora = await resolveStyleLora(style, { dataDir: store.dataDir, modelDir: model.dir });
    if (lora && 'reason' in lora) {
      throw new JobError('BAD_REQUEST', `style "${style.name}" cannot run: ${lora.reason}`);
    }
    styleLoras.set(style.id, lora ? [{ file: lora.path, scale: lora.scale }] : []);
  }
  const baseSeed = request.seed ?? randomInt(2 ** 31);
  let progress: AvatarRunProgress = {
    phase: 'intake',
    avatarsDone: 0,
    avatarsTotal: count,
    blocked: 0,
  };
  const report = (patch: Partial<AvatarRunProgress>): void => {
    progress = { ...progress, ...patch };
    controls.onProgress?.(progress);
  };

  // 1. Intake: every photo gets a verdict; a set that cannot start says which photos to replace.
  report({});
  const intake = await checkPhotos(request.photos, {
    faces: resources.faces,
    moderator: resources.moderator,
    ...(controls.signal ? { signal: controls.signal } : {}),
  });
  if (!intake.canStart) {
    throw new JobError(
      'PHOTOS_REFUSED',
      intake.startMessage ?? 'these photos cannot start a run',
      intake.verdicts,
    );
  }
  const intakeMs = performance.now() - started;

  // 2. The run starts: quota charged in the same transaction; crops kept encrypted.
  const runId = store.startRun({
    styles: styles.map((s) => s.id),
    photoCount: intake.accepted.length,
    source: request.source,
  });
  const avatars: AvatarRecord[] = [];
  let blocked = 0;
  let dropped = 0;
  let generateMs = 0;
  let identityMs = 0;
  let cancelled = false;
  try {
    controls.onStarted?.(runId);
    for (const photo of intake.accepted) store.saveImage(runId, 'upload', photo.crop);
    // In shared memory: each photo goes to the engine's worker once per avatar, uncopied.
    const images = await Promise.all(
      intake.accepted.map(async (photo) =>
        sharedFloat32(await loadImageTensor(photo.crop, size, photo.name)),
      ),
    );

    // 3. Plan and generate.
    const plan = planAvatars(
      styles.map((s) => s.id),
      intake.accepted.length,
      count,
      baseSeed,
    );
    const settings = new Map(
      styles.map((s) => [
        s.id,
        {
          ...styleSettings(s, model.family),
          loras: [...styleLoras.get(s.id)!, ...(request.loras ?? [])],
        },
      ]),
    );
    const stepsOf = (p: PlannedAvatar): number => settings.get(p.styleId)!.steps;
    const eta = new EtaEstimator(plan.reduce((n, p) => n + stepsOf(p), 0));
    const generateStart = performance.now();
    let lastDone = generateStart;
    report({ phase: 'generating' });

    const generate = (attempt: Attempt): Promise<{ attempt: Attempt; result: Img2ImgResult }> => {
      const { planned } = attempt;
      const running = engine
        .img2img(
          {
            ...settings.get(planned.styleId)!,
            image: images[planned.photo]!,
            imageKey: `${runId}/${planned.photo}`,
            size,
            seed: attempt.retries ? retrySeed(planned.seed, attempt.retries) : planned.seed,
          },
          {
            ...(controls.signal ? { signal: controls.signal } : {}),
            onProgress: (p) =>
              report({
                current: { index: planned.index, step: p.step, steps: p.steps },
                etaSeconds: eta.secondsLeft(),
              }),
          },
        )
        .then((result) => ({ attempt, result }));
      // It runs ahead and may fail (a cancel) while the previous avatar is still being moderated;
      // marked handled here, it still rejects where it is awaited.
      running.catch(() => undefined);
      return running;
    };

    const queue: Attempt[] = plan.map((planned) => ({ planned, retries: 0 }));
    let inFlight = queue.length > 0 ? generate(queue.shift()!) : undefined;
    try {
      while (inFlight) {
        const { attempt, result } = await inFlight;
        // A cancel between UNet runs (the worker stops within one) still stops here.
        if (controls.signal?.aborted) throw new EngineError('ABORTED', 'generation cancelled');
        // Start the next UNet run now, so this avatar's encoding, moderation and likeness
        // scoring overlap with it.
        inFlight = queue.length > 0 ? generate(queue.shift()!) : undefined;
        const pixels = tensorToRgb(result.image, size, size);
        const verdict = decide(await resources.moderator.classify(pixels), 'avatar');
        if (!verdict.allowed) {
          // Never encoded, written or shown: the pixels go out of scope here.
          blocked++;
          if (attempt.retries < MAX_RETRIES) {
            eta.addSteps(stepsOf(attempt.planned));
            queue.unshift({ planned: attempt.planned, retries: attempt.retries + 1 });
            inFlight ??= generate(queue.shift()!);
          } else {
            dropped++;
          }
          lastDone = recordStep(eta, stepsOf(attempt.planned), lastDone);
          report({ blocked, etaSeconds: eta.secondsLeft() });
          continue;
        }
        const identityStart = performance.now();
        const identity = await likeness(
          resources.faces,
          pixels,
          intake.accepted[attempt.planned.photo]!,
        );
        identityMs += performance.now() - identityStart;
        const record: AvatarRecord = {
          index: attempt.planned.index,
          fileId: store.saveImage(runId, 'avatar', await rgbToPng(pixels)),
          styleId: attempt.planned.styleId,
          photo: intake.accepted[attempt.planned.photo]!.name,
          seed: attempt.retries
            ? retrySeed(attempt.planned.seed, attempt.retries)
            : attempt.planned.seed,
          retries: attempt.retries,
          moderation: { allowed: true, scores: verdict.scores },
          identity,
          ms: result.timings.totalMs,
        };
        avatars.push(record);
        controls.onAvatar?.(record);
        lastDone = recordStep(eta, stepsOf(attempt.planned), lastDone);
        report({ avatarsDone: avatars.length, etaSeconds: eta.secondsLeft() });
      }
    } catch (error) {
      // The look-ahead run may still be going: let it settle so its rejection is not unhandled.
      await inFlight?.catch(() => undefined);
      if (!(error instanceof EngineError && error.code === 'ABORTED')) throw error;
      cancelled = true;
    }
    generateMs = performance.now() - generateStart;
  } catch (error) {
    store.failRun(runId);
    throw error;
  }

  // 5. The run ends: deletion is scheduled (a cancel shreds the uploads at once).
  if (cancelled) store.cancelRun(runId);
  else store.finishRun(runId);
  report({ phase: 'done', current: undefined, etaSeconds: 0 });
  return {
    runId,
    cancelled,
    model: {
      dir: model.dir,
      family: model.family,
      provider: model.provider,
      fallbacks: model.fallbacks,
    },
    size,
    verdicts: intake.verdicts,
    warnings: intake.warnings,
    avatars: rankByIdentity(avatars),
    blocked,
    dropped,
    timings: { intakeMs, generateMs, identityMs, totalMs: performance.now() - started },
  };
}

/** The wall time since the last avatar finished is what its steps cost, overlap included. */
function recordStep(eta: EtaEstimator, steps: number, lastDone: number): number {
  const now = performance.now();
  eta.record(steps, now - lastDone);
  return now;
}

/** Smallest distance first (most like the person); avatars where no face was found go last. */
function rankByIdentity(avatars: readonly AvatarRecord[]): AvatarRecord[] {
  return [...avatars].sort(
    (a, b) => (a.identity ?? Infinity) - (b.identity ?? Infinity) || a.index - b.index,
  );
}
