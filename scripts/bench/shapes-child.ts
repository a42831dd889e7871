/**
 * One part-3 configuration in its own process, so peak memory is this configuration's alone:
 * load the model, make avatars one after another (turbo, one UNet call and one decode each, the
 * prompt and photo already encoded), then replay the same session.run calls bare.
 * Prints its ShapeResult as JSON on the last line of stdout.
 */
import { Engine } from '../../main/engine/engine.ts';
import type { Img2ImgRequest } from '../../main/engine/types.ts';
import { loadStyleCatalog, pickStyles, styleSettings } from '../../main/styles/catalog.ts';
import { photoTensors } from './avatar-run.ts';
import { peakRss } from './machine.ts';
import { COMPONENTS, recordSessionRuns, replaySamples, type Component } from './session-calls.ts';
import { summarize, timeMs, type Summary } from './stats.ts';

export interface ShapeConfig {
  label: string;
  dir: string;
  autoencoder: 'full' | 'tiny';
  /** onnxruntime's intra-op threads; undefined keeps its default (one per physical core). */
  threads?: number;
  /** onnxruntime's CPU arena (SessionOptions.memoryArena); off by default, as the app runs. */
  memoryArena?: boolean;
  /** The catalogue style each avatar is made in; studio-portrait by default. */
  style?: string;
  /** The style's turbo schedule replaced (part 11 times the catalogue's former one). */
  schedule?: Pick<Img2ImgRequest, 'strength' | 'steps' | 'timesteps'>;
  size: number;
  reps: number;
}

export interface ShapeResult extends ShapeConfig {
  loadMs: number;
  /** Engine img2img per avatar, encodes cached: what each avatar of a run costs. */
  avatar: Summary;
  /** The same UNet + decode session.run calls, bare. */
  bareAvatar: Summary;
  bare: Record<Component, Summary>;
  unetCalls: number;
  /** Peak resident memory of the process (VmHWM). */
  peakRssBytes: number;
}

async function measure(config: ShapeConfig): Promise<ShapeResult> {
  const engine = new Engine();
  const loadMs = await timeMs(() =>
    engine.load({
      dir: config.dir,
      provider: 'cpu',
      autoencoder: config.autoencoder,
      ...(config.threads ? { intraOpThreads: config.threads } : {}),
      ...(config.memoryArena ? { memoryArena: true } : {}),
    }),
  );
  const [photo] = await photoTensors(config.size);
  // studio-portrait's turbo settings (2 steps at strength 0.5) make one UNet call: the issue's
  // reference avatar.
  const [style] = pickStyles(await loadStyleCatalog(), [config.style ?? 'studio-portrait']);
  const { strength, steps, timesteps, ...settings } = styleSettings(style!, 'turbo');
  const schedule = config.schedule ?? { strength, steps, ...(timesteps && { timesteps }) };
  const request = (seed: number) => ({
    ...settings,
    ...schedule,
    image: photo!,
    size: config.size,
    seed,
  });

  // The first avatar encodes the prompt and the photo; its calls are what the bare loop replays.
  const { result: first, calls } = await recordSessionRuns(() => engine.img2img(request(0)));
  const avatar: number[] = [];
  for (let i = 1; i <= config.reps; i++)
    avatar.push((await engine.img2img(request(i))).timings.totalMs);

  const bare = await replaySamples(calls, config.reps);
  const bareAvatar = bare.unet.map((unet, i) => unet + bare.decoder[i]!);
  await engine.close();
  return {
    ...config,
    loadMs,
    avatar: summarize(avatar),
    bareAvatar: summarize(bareAvatar),
    bare: Object.fromEntries(COMPONENTS.map((c) => [c, summarize(bare[c])])) as Record<
      Component,
      Summary
    >,
    unetCalls: first.unetCalls,
    peakRssBytes: peakRss(),
  };
}

console.log(JSON.stringify(await measure(JSON.parse(process.argv[2]!) as ShapeConfig)));
