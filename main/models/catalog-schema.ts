/**
 * What a model catalogue (models/catalog.json) may say, as one zod schema its types derive from.
 * A bad catalogue is refused with CATALOG_INVALID naming the file and the first field at fault
 * ("c.json: models[2].files[0].sha256 must be …"), never a crash later in an install. A file's
 * size and SHA-256 are null where nobody here could check them ("unverified"); for a hub model the
 * installer then takes them from the hub's own file metadata at download time.
 */
import path from 'node:path';
import { z } from 'zod';
import { checked, fieldName, shown } from '../api/fields.ts';
import type { ModelFamily } from '../engine/types.ts';
import type { LoraBase } from '../lora/types.ts';
import { MODEL_FAMILIES } from '../styles/types.ts';
import { ModelError } from './errors.ts';
import { recommendedSettings } from './manifest.ts';
import { isModelId } from './model-id.ts';

/**
 * What an entry's files are. onnx (the default): a model folder the engine loads as downloaded.
 * diffusers: the publisher's safetensors weights and configs, built into ONNX graphs at install
 * (main/models/from-weights); a diffusers add-on is TAESD's weights, built into taesd_encoder/
 * and taesd_decoder/.
 */
export const CATALOG_FORMATS = ['onnx', 'diffusers'] as const;
export type CatalogFormat = (typeof CATALOG_FORMATS)[number];

/** Where a diffusers add-on's files go in the download folder: TAESD's weights, as madebyollin/taesd ships them. */
export const TAESD_WEIGHTS_DIR = 'taesd';

/** The lines a catalogue LoRA may say it was trained for. */
export const LORA_BASES: readonly LoraBase[] = ['sd1', 'sd2'];

const KINDS = ['model', 'addon', 'lora'] as const;

const isSize = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;

function isRelativePath(value: unknown): value is string {
  if (typeof value !== 'string' || value === '' || value.startsWith('/') || value.includes('\\'))
    return false;
  return (
    !value.split('/').some((part) => part === '..' || part === '.') &&
    path.posix.normalize(value) === value
  );
}

/** Weights and configs only: pickled .bin/.ckpt and .onnx files are never downloaded for a build. */
export function isDiffusersFile(relative: string): boolean {
  return /\.(safetensors|json|txt)$/.test(relative);
}

const quoted = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(', ');

const relativePath = (message: string) => checked<string>(isRelativePath, message);
const text = z.string({ message: 'must be a string' });

const catalogFile = z.object(
  {
    /** Where the file goes in the model folder. */
    path: relativePath('must be a relative path inside the model folder'),
    /** Where it is on the server, when that differs (an add-on's vae_decoder → taesd_decoder). */
    from: relativePath('must be a relative path').optional(),
    size: checked<number | null>(
      (v) => v === null || isSize(v),
      'must be a byte count or null (unverified)',
    ),
    sha256: checked<string | null>(
      (v) => v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)),
      'must be 64 lowercase hex digits or null (unverified)',
    ),
  },
  { message: 'must be an object' },
);
export type CatalogFile = z.infer<typeof catalogFile>;

/** A plain server (a mirror, a test server) or a Hugging Face model repository. */
export type CatalogSource = { baseUrl: string } | { hub: string; revision: string };

const isUrlSource = (v: unknown): v is { baseUrl: string } => {
  const baseUrl = (v as { baseUrl?: unknown } | null)?.baseUrl;
  return typeof baseUrl === 'string' && /^https?:\/\//.test(baseUrl);
};
const isHubSource = (v: unknown): v is { hub: string; revision: string } => {
  const source = v as { hub?: unknown; revision?: unknown } | null;
  return (
    typeof source?.hub === 'string' &&
    /^[\w.-]+\/[\w.-]+$/.test(source.hub) &&
    typeof source.revision === 'string'
  );
};

const entryFields = z.object(
  {
    id: checked<string>(isModelId, 'must be a lowercase slug'),
    name: text,
    /**
     * 'addon': files that complete a model (TAESD), installed with the models that name it.
     * 'lora': one .safetensors LoRA, installed into <dataDir>/loras/<id>/ (loras.ts).
     */
    kind: checked<(typeof KINDS)[number]>(
      (v) => (KINDS as readonly unknown[]).includes(v),
      'must be "model", "addon" or "lora"',
    ),
    /** A LoRA's model line, checked against what its file says where the file tells. */
    base: checked<LoraBase>(
      (v) => (LORA_BASES as readonly unknown[]).includes(v),
      (v) => `must be one of ${LORA_BASES.join(', ')}, got ${shown(v)}`,
    ).optional(),
    /** Default 'onnx'. */
    format: checked<CatalogFormat>(
      (v) => (CATALOG_FORMATS as readonly unknown[]).includes(v),
      (v) => `must be one of ${quoted(CATALOG_FORMATS)} (default "onnx"), got ${shown(v)}`,
    ).optional(),
    /** A model's family; null for an add-on or a LoRA (checked with the kind). */
    family: checked<ModelFamily | null>(
      (v) => v === null || (MODEL_FAMILIES as readonly unknown[]).includes(v),
      `must be one of ${MODEL_FAMILIES.join(', ')} (null for an add-on or a LoRA)`,
    ),
    license: text,
    /**
     * Where the files come from, when that is in doubt (an unofficial re-upload that states no
     * licence): shown next to the model wherever it is listed.
     */
    provenance: text.optional(),
    homepage: text.optional(),
    recommended: recommendedSettings.optional(),
    /** Sum of the files' sizes; null while any is unverified. */
    totalBytes: checked<number | null>(
      (v) => v === null || isSize(v),
      'must be a byte count or null',
    ),
    source: checked<CatalogSource>(
      (v) => isUrlSource(v) || isHubSource(v),
      'must be {baseUrl: "http(s)://…"} or {hub: "owner/repo", revision}',
    ),
    files: z.array(catalogFile, { message: 'must be an array' }),
    /**
     * Hub folders ("unet/") whose files are taken. onnx: all but weights in other formats.
     * diffusers: configs, tokenizer files and safetensors weights only, the fp16 variant where the
     * folder has one (half the download; built to fp32 all the same).
     */
    include: checked<string[]>(
      (v) => Array.isArray(v) && v.every((p) => isRelativePath(p) && p.endsWith('/')),
      'must list hub folders ending in "/"',
    ).optional(),
    /** Add-on ids whose files are installed into this model too. */
    addons: checked<string[]>(
      (v) => Array.isArray(v) && v.every(isModelId),
      'must list add-on ids',
    ).optional(),
    notes: text.optional(),
  },
  { message: 'must be an object' },
);
export type CatalogEntry = z.infer<typeof entryFields>;

/** The entry's format, 'onnx' where it names none. */
export function formatOf(entry: { format?: unknown }): CatalogFormat {
  return (entry.format as CatalogFormat | undefined) ?? 'onnx';
}

type Refusal = (path: (string | number)[], message: string) => void;

/** What one entry's fields say of each other: the kind's rules, the files a format may take. */
function entryRules(entry: CatalogEntry, refuse: Refusal): void {
  if (entry.kind === 'lora') loraRules(entry, refuse);
  else if (entry.base !== undefined) refuse(['base'], 'is for a LoRA (kind "lora") only');
  if ((entry.kind === 'model') !== (entry.family !== null))
    refuse(
      ['family'],
      `must be one of ${MODEL_FAMILIES.join(', ')} (null for an add-on or a LoRA)`,
    );
  const diffusers = formatOf(entry) === 'diffusers';
  const fromUrl = 'baseUrl' in entry.source;
  entry.files.forEach((file, j) => {
    if (diffusers && !isDiffusersFile(file.path))
      refuse(
        ['files', j, 'path'],
        'must be safetensors weights or a config (.json, .txt) in a diffusers entry: pickled .bin/.ckpt and .onnx files are never downloaded',
      );
    if (diffusers && entry.kind === 'addon' && !file.path.startsWith(`${TAESD_WEIGHTS_DIR}/`))
      refuse(
        ['files', j, 'path'],
        `must be in ${TAESD_WEIGHTS_DIR}/: a diffusers add-on is TAESD's weights`,
      );
    if (fromUrl && (file.size === null || file.sha256 === null))
      refuse(
        ['files', j],
        'needs its size and sha256: only a hub can supply them at download time',
      );
  });
  if (entry.include !== undefined && fromUrl)
    refuse(['include'], 'must list hub folders ending in "/"');
}

/** A LoRA entry: one .safetensors file, no build, no add-ons. */
function loraRules(entry: CatalogEntry, refuse: Refusal): void {
  if (entry.format !== undefined)
    refuse(['format'], 'is not for a LoRA (it is one .safetensors file)');
  if (entry.addons !== undefined || entry.include !== undefined)
    refuse([], 'a LoRA takes no addons or include');
  if (entry.files.length !== 1)
    refuse(['files'], 'must list the one .safetensors file of the LoRA');
  else if (!/^[^/]+\.safetensors$/.test(entry.files[0]!.path))
    refuse(
      ['files', 0, 'path'],
      'must be a .safetensors file name (a server path goes in "from"): a LoRA is never a pickle (.pt, .ckpt)',
    );
}

/** What the entries say of each other: unique ids, add-ons that exist and share the format. */
function catalogueRules(entries: CatalogEntry[], refuse: Refusal): void {
  const ids = new Set<string>();
  entries.forEach((entry, i) => {
    if (ids.has(entry.id)) refuse(['models', i, 'id'], `"${entry.id}" is listed twice`);
    ids.add(entry.id);
  });
  for (const entry of entries) {
    for (const id of entry.addons ?? []) {
      const where = [`models "${entry.id}".addons`];
      const addon = entries.find((e) => e.id === id && e.kind === 'addon');
      if (!addon) {
        refuse(where, `names "${id}", which is not an add-on here`);
        continue;
      }
      // An ONNX add-on's files are copied into the folder as they are, a diffusers one's built
      // beside the model's graphs: each goes with models of its own format.
      const [format, addonFormat] = [formatOf(entry), formatOf(addon)];
      if (format !== addonFormat)
        refuse(
          where,
          `names "${id}", whose format is ${addonFormat}: a model's add-ons share its format (${format})`,
        );
    }
  }
}

/** Rules on parsed values run once their fields passed: a rule never sees a malformed field. */
function withRules<T extends z.ZodTypeAny>(
  schema: T,
  rules: (value: z.output<T>, refuse: Refusal) => void,
) {
  return schema.superRefine((value, ctx) =>
    rules(value, (path, message) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message })),
  );
}

const catalogue = withRules(
  z.object(
    { models: z.array(withRules(entryFields, entryRules), { message: 'must be an array' }) },
    { message: 'must be an object with "models"' },
  ),
  (value, refuse) => catalogueRules(value.models, refuse),
);

/** The entries of a parsed catalogue; CATALOG_INVALID naming `file` and the first fault. */
export function parseCatalog(value: unknown, file: string): CatalogEntry[] {
  const parsed = catalogue.safeParse(value);
  if (parsed.success) return parsed.data.models;
  const issue = parsed.error.issues[0]!;
  const where = fieldName(issue.path);
  throw new ModelError(
    'CATALOG_INVALID',
    `${file}: ${where}${where === '' ? '' : ' '}${issue.message}`,
    file,
  );
}
