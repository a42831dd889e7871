import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BoundedReadError, describeFault, readBounded } from '../files/read-bounded.ts';
import { INTAKE_LIMITS } from '../api/intake-limits.ts';
import { JobError } from '../jobs/errors.ts';
import { MAX_AVATARS } from '../jobs/plan.ts';
import { loadJobResources } from '../jobs/resources.ts';
import { runAvatars } from '../jobs/run-avatars.ts';
import type { AvatarRunProgress } from '../jobs/types.ts';
import { resolveModel } from '../models/resolve.ts';
import { openStore } from '../store/index.ts';
import { loadStyleCatalog } from '../styles/catalog.ts';
import { integer, loraOptions, required, runCli, UsageError } from './run-cli.ts';

const USAGE = `usage: npm run avatars -- [--model DIR|ID] --photos F1 F2 F3 [... up to 10] --styles id1,id2
  [--count ${MAX_AVATARS}] [--seed 1] [--size 512] [--lora FILE[:SCALE]]... --out DIR [--json]
       npm run avatars -- --list-styles [--json]
--lora applies a LoRA (kohya or diffusers/PEFT .safetensors) at SCALE (default 1) to every
avatar, on top of the styles' own; repeat it to combine several.`;

/**
 * The whole avatar run from a terminal: the same code path as the app (intake, quota, engine,
 * moderation, store). --out is the user's export: the CLI writes the avatars there as PNG plus a
 * manifest, and the store's encrypted copies are deleted on schedule as for any run.
 */
async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    // `--photos a.jpg b.jpg c.jpg`: the photos after the first arrive as positionals.
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      photos: { type: 'string' },
      styles: { type: 'string' },
      count: { type: 'string', default: String(MAX_AVATARS) },
      seed: { type: 'string' },
      size: { type: 'string', default: '512' },
      lora: { type: 'string', multiple: true },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      'list-styles': { type: 'boolean', default: false },
    },
  });

  if (values['list-styles']) {
    const catalog = await loadStyleCatalog();
    const styles = catalog.styles.map(({ previewPath: _absolute, ...style }) => style);
    if (values.json) console.log(JSON.stringify(styles, null, 2));
    else
      for (const style of styles)
        console.log(`${style.id.padEnd(16)} ${style.name} — ${style.description}`);
    return;
  }

  const photoFiles = [required(values.photos, '--photos'), ...positionals];
  const styleIds = required(values.styles, '--styles')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const outDir = required(values.out, '--out');
  const photos = await Promise.all(
    photoFiles.map(async (file) => ({
      name: path.basename(file),
      // At most the limit intake accepts: a device or FIFO named as a photo is never drained.
      bytes: await readBounded(file, INTAKE_LIMITS.maxBytes).catch((error: unknown) => {
        if (!(error instanceof BoundedReadError)) throw error;
        const why =
          error.fault === 'missing'
            ? 'no such file'
            : `it ${describeFault(error.fault, error.limit, error.errno)}`;
        throw new UsageError(`cannot read photo ${file}: ${why}`);
      }),
    })),
  );

  const store = openStore({ sweepOnTimer: false });
  const resources = await resolveModel({
    dataDir: store.dataDir,
    ...(values.model !== undefined ? { explicit: values.model } : {}),
    defaultModelId: store.settings().defaultModelId,
  })
    .then((model) => loadJobResources({ modelDir: model.dir, store }))
    .catch((error: unknown) => {
      store.close();
      throw error;
    });
  try {
    await mkdir(outDir, { recursive: true });
    const written = new Map<string, string>();
    const writes: Promise<void>[] = [];
    let last = '';
    const result = await runAvatars(
      resources,
      {
        photos,
        styleIds,
        count: integer(values.count, '--count'),
        size: integer(values.size, '--size'),
        loras: loraOptions(values.lora),
        ...(values.seed !== undefined ? { seed: integer(values.seed, '--seed') } : {}),
        source: 'cli',
      },
      {
        onProgress: (progress) => {
          const line = describe(progress);
          if (line !== last) console.error(line);
          last = line;
        },
        onAvatar: (avatar) => {
          const file = `avatar-${String(avatar.index + 1).padStart(2, '0')}-${avatar.styleId}.png`;
          written.set(avatar.fileId, file);
          writes.push(writeFile(path.join(outDir, file), store.readImage(avatar.fileId)));
        },
      },
    );
    await Promise.all(writes);
    const manifest = {
      ...result,
      avatars: result.avatars.map(({ fileId, ...avatar }) => ({
        file: written.get(fileId)!,
        ...avatar,
      })),
    };
    const manifestFile = path.join(outDir, 'manifest.json');
    await writeFile(`${manifestFile}.tmp`, JSON.stringify(manifest, null, 2));
    await rename(`${manifestFile}.tmp`, manifestFile);
    if (values.json) {
      console.log(JSON.stringify(manifest, null, 2));
    } else {
      for (const warning of result.warnings) console.error(`warning: ${warning.message}`);
      console.log(
        `${manifest.avatars.length} avatars in ${outDir} (${(result.timings.totalMs / 1000).toFixed(1)} s on ${result.model.provider}; ${result.blocked} blocked by moderation), best likeness first:`,
      );
      for (const avatar of manifest.avatars) {
        const identity =
          avatar.identity === null ? 'no face found' : `identity ${avatar.identity.toFixed(3)}`;
        console.log(
          `  ${avatar.file}  ${avatar.styleId} from ${avatar.photo}, seed ${avatar.seed}, ${identity}`,
        );
      }
    }
  } catch (error) {
    if (error instanceof JobError && error.verdicts.length > 0) {
      for (const verdict of error.verdicts)
        if (!verdict.ok) console.error(`${verdict.name}: ${verdict.message}`);
    }
    throw error;
  } finally {
    await resources.engine.close();
    store.close();
  }
}

function describe(progress: AvatarRunProgress): string {
  const eta =
    progress.etaSeconds === undefined ? '' : `, about ${Math.ceil(progress.etaSeconds)} s left`;
  switch (progress.phase) {
    case 'generating':
      return `avatar ${Math.min(progress.avatarsDone + 1, progress.avatarsTotal)}/${progress.avatarsTotal}${eta}`;
    default:
      return progress.phase;
  }
}

runCli(main, USAGE);
