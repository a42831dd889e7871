import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { oneOf, runCli, UsageError } from '../main/cli/run-cli.ts';
import { EngineClient } from '../main/engine/engine-client.ts';
import { loadImageTensor, tensorToPng } from '../main/engine/image.ts';
import { PROVIDER_REQUESTS, type ProviderRequest } from '../main/engine/onnx/providers.ts';
import { readStyleCatalog, styleSettings } from '../main/styles/catalog.ts';
import type { Style } from '../main/styles/types.ts';

const USAGE = `usage: npm run styles:previews -- [--only ID,ID…]
       npm run styles:previews -- --model DIR --photo FILE [--provider ${PROVIDER_REQUESTS.join('|')}]
         [--only ID,ID…]`;

/**
 * Writes every style's preview (models/previews/<id>.webp, 256×256). By default each is drawn
 * procedurally from an SVG made here, so the repository ships pictures made on this machine and
 * the same bytes every run. With --model and --photo, each style instead runs through the real
 * engine on that photo, for when real weights are installed.
 */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      photo: { type: 'string' },
      provider: { type: 'string', default: 'cpu' },
      only: { type: 'string' },
    },
  });
  const { styles } = await readStyleCatalog();
  const wanted = values.only?.split(',');
  const chosen = wanted ? styles.filter((style) => wanted.includes(style.id)) : styles;
  const missing = wanted?.filter((id) => !styles.some((style) => style.id === id)) ?? [];
  if (missing.length > 0)
    throw new UsageError(`--only names unknown styles: ${missing.join(', ')}`);

  if (values.model === undefined) {
    if (values.photo !== undefined) throw new UsageError('--photo needs --model');
    for (const style of chosen) await write(style, await renderPreview(style.id));
    return;
  }
  if (values.photo === undefined) throw new UsageError('--model needs --photo');
  const provider = oneOf(values.provider, PROVIDER_REQUESTS, '--provider');
  await renderWithModel(chosen, values.model, values.photo, provider);
}

const SIZE = 256;
const WEBP = { quality: 86, effort: 6 } as const;

async function write(style: Readonly<Style>, webp: Buffer): Promise<void> {
  await writeFile(style.previewPath, webp);
  console.log(`wrote ${path.relative(process.cwd(), style.previewPath)} (${webp.length} bytes)`);
}

/** A style's procedural preview as WebP bytes: same id, same bytes. */
export async function renderPreview(id: string): Promise<Buffer> {
  const make = ART[id];
  if (!make) throw new Error(`no preview art for style "${id}": add it to ART in ${SCRIPT}`);
  const art = make(new Random(hash(id)));
  if (!art.pixelate) {
    return sharp(Buffer.from(svg(art.body, SIZE)))
      .webp(WEBP)
      .toBuffer();
  }
  return pixelated(art.body, art.pixelate);
}

// --- The real engine ---------------------------------------------------------------------------

async function renderWithModel(
  styles: readonly Readonly<Style>[],
  dir: string,
  photo: string,
  provider: ProviderRequest,
): Promise<void> {
  // 512 is every supported family's native size; the preview is shrunk afterwards.
  const size = 512;
  const image = await loadImageTensor(photo, size);
  const engine = new EngineClient();
  try {
    const info = await engine.load({ dir, provider });
    console.log(`model ${dir} (${info.family}) on ${info.provider}`);
    for (const style of styles) {
      const result = await engine.img2img({
        image,
        size,
        seed: 1,
        ...styleSettings(style, info.family),
      });
      const png = await tensorToPng(result.image, size, size);
      await write(style, await sharp(png).resize(SIZE, SIZE).webp(WEBP).toBuffer());
    }
  } finally {
    await engine.close();
  }
}

// --- Procedural art ----------------------------------------------------------------------------

interface Art {
  /** SVG content in a 256×256 viewBox. */
  body: string;
  /** Render on a coarse grid snapped to a palette instead of smoothly. */
  pixelate?: Pixelate;
}

interface Pixelate {
  grid: number;
  /** Every pixel takes the nearest of these; the first is the background. */
  palette: readonly string[];
  outline: string;
}

/** mulberry32: a seeded generator, so the textures are the same on every run. */
class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  range(low: number, high: number): number {
    return low + (high - low) * this.next();
  }
}

function hash(text: string): number {
  let h = 2166136261;
  for (const char of text) h = Math.imul(h ^ char.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** Fixed decimals keep the SVG text, and so the output, identical across runs. */
const n = (value: number): string => value.toFixed(1);

function svg(body: string, size: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 256 256">${body}</svg>`;
}

// The sitter, shared by every style: head-and-shoulders, facing the viewer.
const HEAD =
  'M128 50 C155 50 171 72 171 104 C171 138 154 168 128 168 C102 168 85 138 85 104 C85 72 101 50 128 50 Z';
const NECK = 'M111 146 L111 190 L145 190 L145 146 Z';
const BODY = 'M22 256 C24 214 58 192 102 183 Q128 204 154 183 C198 192 232 214 234 256 Z';
const COLLAR = 'M102 183 L128 226 L154 183';
const FACE_SHADOW =
  'M149 60 C168 76 173 106 167 134 C160 156 146 168 128 168 C147 150 158 116 149 60 Z';
const NECK_SHADOW = 'M111 150 Q128 176 145 150 L145 168 Q128 184 111 168 Z';
const HAIR = {
  short:
    'M80 114 C72 60 102 36 132 38 C166 40 188 64 176 116 C172 94 164 80 152 72 C134 86 108 88 90 84 C85 93 82 103 80 114 Z',
  long: 'M78 104 C74 54 104 34 130 34 C158 34 184 54 178 104 L186 198 C172 208 156 204 150 192 L152 118 C152 90 140 76 128 76 C116 76 104 90 104 118 L106 192 C100 204 84 208 70 198 Z',
  spiky:
    'M78 118 C70 58 104 32 132 36 C166 40 190 64 178 120 L170 92 L163 114 L156 80 L144 104 L136 76 L122 102 L114 78 L102 106 L96 84 L88 112 Z',
  bun: 'M82 108 C76 64 104 44 130 44 C158 44 182 64 174 108 C168 88 152 72 128 72 C104 72 88 88 82 108 Z M128 20 A20 18 0 1 1 127.9 20 Z',
} as const;

interface Sitter {
  skin: string;
  shade: string;
  hair: string;
  cloth: string;
  /** Outline colour and width; width 0 draws none. */
  line?: string;
  width?: number;
  hairStyle?: keyof typeof HAIR;
  eyes?: string;
  lips?: string;
  /** Extra SVG drawn over the clothes (armour, jacket details). */
  outfit?: string;
  /** False leaves the face blank for a style that draws its own. */
  features?: boolean;
}

/** The sitter in flat colours with one shadow; styles add light, texture and motif around it. */
function sitter(s: Sitter): string {
  const stroke = s.width
    ? ` stroke="${s.line ?? '#000'}" stroke-width="${s.width}" stroke-linejoin="round"`
    : '';
  const hairStyle = s.hairStyle ?? 'short';
  const backHair = hairStyle === 'long' ? `<path d="${HAIR.long}" fill="${s.hair}"${stroke}/>` : '';
  const frontHair =
    hairStyle === 'long'
      ? `<path d="M84 100 C84 58 108 42 128 42 C152 42 174 58 172 100 C160 84 146 76 128 76 C110 76 96 84 84 100 Z" fill="${s.hair}"/>`
      : `<path d="${HAIR[hairStyle]}" fill="${s.hair}"${stroke}/>`;
  return [
    backHair,
    `<path d="${BODY}" fill="${s.cloth}"${stroke}/>`,
    s.outfit ?? '',
    `<path d="${NECK}" fill="${s.skin}"${stroke}/>`,
    `<path d="${NECK_SHADOW}" fill="${s.shade}"/>`,
    `<ellipse cx="86" cy="110" rx="8" ry="13" fill="${s.skin}"${stroke}/>`,
    `<ellipse cx="170" cy="110" rx="8" ry="13" fill="${s.skin}"${stroke}/>`,
    `<path d="${HEAD}" fill="${s.skin}"${stroke}/>`,
    `<path d="${FACE_SHADOW}" fill="${s.shade}"/>`,
    frontHair,
    s.features === false
      ? ''
      : face(s.eyes ?? '#2b211c', s.lips ?? '#b0525a', s.line ?? s.eyes ?? '#2b211c'),
  ].join('');
}

function face(eyes: string, lips: string, line: string): string {
  return (
    `<path d="M100 96 Q111 89 122 95 M134 95 Q145 89 156 96" fill="none" stroke="${line}" stroke-width="3.5" stroke-linecap="round"/>` +
    `<ellipse cx="111" cy="110" rx="6" ry="6.5" fill="${eyes}"/><ellipse cx="145" cy="110" rx="6" ry="6.5" fill="${eyes}"/>` +
    `<circle cx="113" cy="108" r="1.8" fill="#fff"/><circle cx="147" cy="108" r="1.8" fill="#fff"/>` +
    `<path d="M128 114 Q123 130 128 133 Q132 134 135 131" fill="none" stroke="${line}" stroke-width="2.2" stroke-linecap="round" opacity="0.7"/>` +
    `<path d="M115 145 Q128 155 141 145 Q128 150 115 145 Z" fill="${lips}" stroke="${lips}" stroke-width="2.5" stroke-linejoin="round"/>`
  );
}

/** Random short strokes along a direction: hatching, rain, brush marks. */
function strokes(
  random: Random,
  count: number,
  area: { x: number; y: number; w: number; h: number },
  angle: number,
  length: [number, number],
  style: string,
): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    const x = area.x + random.next() * area.w;
    const y = area.y + random.next() * area.h;
    const l = random.range(...length);
    const dx = Math.cos(angle) * l;
    const dy = Math.sin(angle) * l;
    out += `<line x1="${n(x)}" y1="${n(y)}" x2="${n(x + dx)}" y2="${n(y + dy)}" ${style}/>`;
  }
  return out;
}

function dots(random: Random, count: number, r: [number, number], fill: string): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    const x = random.range(0, 256);
    const y = random.range(0, 256);
    out += `<circle cx="${n(x)}" cy="${n(y)}" r="${n(random.range(...r))}" fill="${fill}" opacity="${n(random.range(0.3, 1))}"/>`;
  }
  return out;
}

/** Clips content to the sitter's outline (head, ears, neck, body). */
const SITTER_CLIP = `<clipPath id="sitter"><path d="${HEAD}"/><path d="${NECK}"/><path d="${BODY}"/><ellipse cx="86" cy="110" rx="8" ry="13"/><ellipse cx="170" cy="110" rx="8" ry="13"/></clipPath>`;

const ART: Record<string, (random: Random) => Art> = {
  'studio-portrait': () => ({
    body:
      `<defs><radialGradient id="bg" cx="0.42" cy="0.38" r="0.75"><stop offset="0" stop-color="#b9bec4"/><stop offset="0.6" stop-color="#7b8188"/><stop offset="1" stop-color="#3a3e44"/></radialGradient>` +
      `<linearGradient id="key" x1="0" x2="1"><stop offset="0" stop-color="#fff" stop-opacity="0.28"/><stop offset="0.6" stop-color="#fff" stop-opacity="0"/></linearGradient>` +
      `<filter id="soft"><feGaussianBlur stdDeviation="1.2"/></filter><filter id="rim"><feGaussianBlur stdDeviation="2.5"/></filter></defs>` +
      `<rect width="256" height="256" fill="url(#bg)"/>` +
      `<g filter="url(#soft)">${sitter({
        skin: '#e2b497',
        shade: '#c08e72',
        hair: '#3b2a21',
        cloth: '#23262c',
        outfit: `<path d="M102 183 L128 226 L154 183 Z" fill="#f2f2ef"/><path d="M102 183 L116 250 L128 226 Z M154 183 L140 250 L128 226 Z" fill="#30343b"/>`,
        lips: '#b86b6b',
      })}</g>` +
      `<path d="${HEAD}" fill="url(#key)"/>` +
      `<path d="M170 80 C178 104 176 140 160 160" fill="none" stroke="#fff6e8" stroke-width="3" opacity="0.55" filter="url(#rim)"/>` +
      `<path d="M196 200 C214 212 226 230 230 256" fill="none" stroke="#fff6e8" stroke-width="4" opacity="0.35" filter="url(#rim)"/>`,
  }),

  'oil-painting': (random) => ({
    body:
      `<defs><radialGradient id="bg" cx="0.35" cy="0.3" r="0.9"><stop offset="0" stop-color="#8a5a2b"/><stop offset="0.55" stop-color="#4a2e17"/><stop offset="1" stop-color="#1c120a"/></radialGradient>` +
      `<filter id="brush" x="0" y="0" width="1" height="1"><feTurbulence type="fractalNoise" baseFrequency="0.035 0.09" numOctaves="3" seed="7"/><feDisplacementMap in="SourceGraphic" scale="4" xChannelSelector="R" yChannelSelector="G"/></filter>` +
      `<filter id="impasto" x="0" y="0" width="1" height="1"><feTurbulence type="fractalNoise" baseFrequency="0.06 0.18" numOctaves="2" seed="3" result="n"/><feDiffuseLighting in="n" surfaceScale="2.5" lighting-color="#fff"><feDistantLight azimuth="225" elevation="55"/></feDiffuseLighting></filter>` +
      `<radialGradient id="light" cx="0.4" cy="0.35" r="0.5"><stop offset="0" stop-color="#ffe2b0" stop-opacity="0.5"/><stop offset="1" stop-color="#ffd9a0" stop-opacity="0"/></radialGradient></defs>` +
      `<g filter="url(#brush)"><rect x="-12" y="-12" width="280" height="280" fill="url(#bg)"/>` +
      strokes(
        random,
        60,
        { x: 0, y: 0, w: 256, h: 256 },
        -0.7,
        [10, 26],
        'stroke="#6b4423" stroke-width="5" stroke-linecap="round" opacity="0.35"',
      ) +
      sitter({
        skin: '#e8b68a',
        shade: '#a86a45',
        hair: '#2a1a10',
        cloth: '#5a1f1c',
        hairStyle: 'long',
        outfit: `<path d="M102 183 L128 226 L154 183 Z" fill="#e8d6b0"/>`,
        eyes: '#24160d',
        lips: '#9c4a3a',
      }) +
      `<rect width="256" height="256" fill="url(#light)"/></g>` +
      `<rect width="256" height="256" filter="url(#impasto)" style="mix-blend-mode:multiply" opacity="0.25"/>` +
      `<rect x="5" y="5" width="246" height="246" fill="none" stroke="#b8893b" stroke-width="6"/><rect x="10" y="10" width="236" height="236" fill="none" stroke="#5e4115" stroke-width="2"/>`,
  }),

  watercolour: (random) => ({
    body:
      `<defs><filter id="paper" x="0" y="0" width="1" height="1"><feTurbulence type="fractalNoise" baseFrequency="0.9" numOctaves="2" seed="11"/><feColorMatrix values="0 0 0 0 0.85 0 0 0 0 0.82 0 0 0 0 0.76 0 0 0 -0.6 0.38"/></filter>` +
      `<filter id="wash" x="-0.1" y="-0.1" width="1.2" height="1.2"><feTurbulence type="fractalNoise" baseFrequency="0.04" numOctaves="3" seed="5"/><feDisplacementMap in="SourceGraphic" scale="12" xChannelSelector="R" yChannelSelector="B"/><feGaussianBlur stdDeviation="1.6"/></filter>` +
      `<filter id="bleed" x="-0.2" y="-0.2" width="1.4" height="1.4"><feTurbulence type="fractalNoise" baseFrequency="0.02" numOctaves="3" seed="9"/><feDisplacementMap in="SourceGraphic" scale="30" xChannelSelector="G" yChannelSelector="R"/><feGaussianBlur stdDeviation="4"/></filter>` +
      `<filter id="ink"><feTurbulence type="fractalNoise" baseFrequency="0.08" seed="2"/><feDisplacementMap in="SourceGraphic" scale="3" xChannelSelector="R" yChannelSelector="G"/></filter></defs>` +
      `<rect width="256" height="256" fill="#fbf8f1"/>` +
      `<g filter="url(#bleed)" opacity="0.55"><circle cx="70" cy="80" r="58" fill="#8fc1e3"/><circle cx="196" cy="70" r="46" fill="#f4b6c2"/><circle cx="200" cy="196" r="60" fill="#b8dcb0"/><circle cx="52" cy="200" r="40" fill="#f7d48b"/></g>` +
      dots(random, 26, [1, 3.5], '#7aa6cf') +
      `<g filter="url(#wash)" opacity="0.9">${sitter({ skin: '#f7c6a8', shade: '#e58f7a', hair: '#7a4630', cloth: '#4f8cc9', hairStyle: 'long', eyes: '#4a5d7a', lips: '#e0707c' })}</g>` +
      `<g filter="url(#ink)" fill="none" stroke="#3d3a4a" stroke-width="1.3" opacity="0.75"><path d="${HEAD}"/><path d="${BODY}"/><path d="${COLLAR}"/></g>` +
      `<rect width="256" height="256" filter="url(#paper)"/>`,
  }),

  anime: () => ({
    body:
      `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6fb7ff"/><stop offset="0.7" stop-color="#c8e4ff"/><stop offset="1" stop-color="#ffd6e8"/></linearGradient></defs>` +
      `<rect width="256" height="256" fill="url(#sky)"/>` +
      `<g fill="#fff" opacity="0.9"><ellipse cx="40" cy="70" rx="34" ry="13"/><ellipse cx="62" cy="60" rx="22" ry="14"/><ellipse cx="212" cy="46" rx="38" ry="12"/><ellipse cx="226" cy="38" rx="20" ry="12"/></g>` +
      `<g fill="#fff" opacity="0.85"><path d="M36 150 l3 9 l9 3 l-9 3 l-3 9 l-3 -9 l-9 -3 l9 -3 Z"/><path d="M214 132 l2 6 l6 2 l-6 2 l-2 6 l-2 -6 l-6 -2 l6 -2 Z"/></g>` +
      sitter({
        skin: '#ffe3d3',
        shade: '#f5b9a6',
        hair: '#3d4f9e',
        cloth: '#f2f4fa',
        line: '#2a2440',
        width: 2.5,
        hairStyle: 'spiky',
        outfit: `<path d="M104 184 L128 214 L152 184 L146 200 L128 222 L110 200 Z" fill="#d8465a" stroke="#2a2440" stroke-width="2"/>`,
        lips: '#e0707c',
      }) +
      // Anime eyes over the plain ones: tall irises with two highlights each.
      `<g stroke="#2a2440" stroke-width="2"><ellipse cx="111" cy="114" rx="9" ry="12" fill="#5a7fe0"/><ellipse cx="145" cy="114" rx="9" ry="12" fill="#5a7fe0"/></g>` +
      `<ellipse cx="111" cy="117" rx="4.5" ry="6" fill="#1d2450"/><ellipse cx="145" cy="117" rx="4.5" ry="6" fill="#1d2450"/>` +
      `<g fill="#fff"><circle cx="114" cy="109" r="3.2"/><circle cx="148" cy="109" r="3.2"/><circle cx="108" cy="120" r="1.5"/><circle cx="142" cy="120" r="1.5"/></g>` +
      `<path d="M99 101 Q111 95 123 102 M133 102 Q145 95 157 101" fill="none" stroke="#2a2440" stroke-width="3.5" stroke-linecap="round"/>` +
      `<g fill="#ff8fa3" opacity="0.45"><ellipse cx="104" cy="134" rx="8" ry="4"/><ellipse cx="152" cy="134" rx="8" ry="4"/></g>`,
  }),

  comic: (random) => ({
    body:
      `<defs><pattern id="halftone" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><circle cx="3" cy="3" r="1.6" fill="#1a1a1a"/></pattern>${SITTER_CLIP}</defs>` +
      `<rect width="256" height="256" fill="#ffcf3f"/>` +
      burst(random, '#ff8a1f', 28) +
      sitter({
        skin: '#f7c59f',
        shade: '#d98b63',
        hair: '#7a2f16',
        cloth: '#1f5fbf',
        line: '#111',
        width: 4,
        outfit: `<path d="M100 214 L128 196 L156 214 L148 238 L108 238 Z" fill="#e0262b" stroke="#111" stroke-width="3"/>`,
        eyes: '#111',
        lips: '#b8323a',
      }) +
      `<g clip-path="url(#sitter)"><path d="M150 56 C176 80 176 140 150 172 L256 172 L256 0 Z" fill="url(#halftone)" opacity="0.55"/><path d="M174 190 L240 256 L120 256 Z" fill="url(#halftone)" opacity="0.45"/></g>` +
      `<g stroke="#111" stroke-width="1.4" clip-path="url(#sitter)">${strokes(random, 14, { x: 150, y: 120, w: 14, h: 40 }, 2.3, [8, 12], '')}</g>`,
  }),

  'pop-art': () => ({
    body:
      `<defs><pattern id="dots" width="10" height="10" patternUnits="userSpaceOnUse"><circle cx="5" cy="5" r="3" fill="#ff3b6b"/></pattern>` +
      `<pattern id="skin-dots" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#ffd1c1"/><circle cx="3" cy="3" r="1.7" fill="#f08aa0"/></pattern>` +
      `<pattern id="shirt-dots" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#12b5d6"/><circle cx="4" cy="4" r="2.3" fill="#0a6ea8"/></pattern></defs>` +
      `<rect width="256" height="256" fill="#ffe11a"/><rect width="256" height="256" fill="url(#dots)" opacity="0.8"/>` +
      `<path d="M0 0 L96 0 L0 96 Z M256 256 L160 256 L256 160 Z" fill="#ffe11a"/>` +
      sitter({
        skin: 'url(#skin-dots)',
        shade: '#f08aa0',
        hair: '#111',
        cloth: 'url(#shirt-dots)',
        line: '#111',
        width: 5,
        hairStyle: 'bun',
        eyes: '#111',
        lips: '#e3001b',
      }) +
      `<path d="M150 66 C160 70 166 80 168 90" fill="none" stroke="#fff" stroke-width="5" stroke-linecap="round"/>`,
  }),

  cyberpunk: (random) => ({
    body:
      `<defs><linearGradient id="night" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#0b0726"/><stop offset="1" stop-color="#2a0d3f"/></linearGradient>` +
      `<filter id="glow" x="-0.3" y="-0.3" width="1.6" height="1.6"><feGaussianBlur stdDeviation="3.5" result="b"/><feMerge><feMergeNode in="b"/><feMergeNode in="b"/><feMergeNode in="SourceGraphic"/></feMerge></filter>` +
      `<filter id="bokeh"><feGaussianBlur stdDeviation="2.5"/></filter></defs>` +
      `<rect width="256" height="256" fill="url(#night)"/>` +
      skyline(random) +
      `<g filter="url(#bokeh)">${dots(random, 22, [3, 8], '#ff2bd6')}${dots(random, 22, [3, 8], '#19e6ff')}</g>` +
      `<g opacity="0.45">${strokes(random, 70, { x: 0, y: -20, w: 256, h: 256 }, 1.35, [10, 22], 'stroke="#9fd8ff" stroke-width="0.8"')}</g>` +
      sitter({
        skin: '#b88aa0',
        shade: '#5e3f6e',
        hair: '#141020',
        cloth: '#17131f',
        hairStyle: 'short',
        eyes: '#19e6ff',
        lips: '#7a3a6a',
        outfit: `<path d="M60 226 L100 196 M196 226 L156 196" stroke="#19e6ff" stroke-width="2"/><path d="M102 183 L128 226 L154 183" fill="none" stroke="#ff2bd6" stroke-width="2"/>`,
      }) +
      `<g filter="url(#glow)" fill="none" stroke-linecap="round"><path d="M87 84 C80 110 88 146 110 164" stroke="#ff2bd6" stroke-width="3"/><path d="M169 84 C176 110 168 146 146 164" stroke="#19e6ff" stroke-width="3"/>` +
      `<path d="M28 250 C32 214 62 194 100 186" stroke="#ff2bd6" stroke-width="3"/><path d="M228 250 C224 214 194 194 156 186" stroke="#19e6ff" stroke-width="3"/>` +
      `<path d="M100 106 L156 106" stroke="#19e6ff" stroke-width="2" opacity="0.8"/></g>`,
  }),

  fantasy: (random) => ({
    body:
      `<defs><radialGradient id="forest" cx="0.5" cy="0.35" r="0.8"><stop offset="0" stop-color="#7fe3b0"/><stop offset="0.45" stop-color="#1f6b5a"/><stop offset="1" stop-color="#0b2623"/></radialGradient>` +
      `<linearGradient id="steel" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#e7eef2"/><stop offset="0.5" stop-color="#8a99a6"/><stop offset="1" stop-color="#4a5560"/></linearGradient>` +
      `<filter id="glow" x="-1" y="-1" width="3" height="3"><feGaussianBlur stdDeviation="2"/></filter></defs>` +
      `<rect width="256" height="256" fill="url(#forest)"/>` +
      `<g fill="#0c2f2a" opacity="0.8"><path d="M0 256 L0 60 L14 40 L26 70 L26 256 Z"/><path d="M232 256 L232 50 L246 30 L256 60 L256 256 Z"/></g>` +
      `<g fill="#fff7c2" opacity="0.18"><path d="M128 0 L96 256 L120 256 Z"/><path d="M150 0 L150 256 L176 256 Z"/></g>` +
      `<path d="M40 256 C40 200 70 170 128 168 C186 170 216 200 216 256 Z" fill="#8e1b2a"/>` +
      sitter({
        skin: '#f0c6a8',
        shade: '#c58d74',
        hair: '#e8c36a',
        cloth: 'url(#steel)',
        line: '#3a2a18',
        width: 1.5,
        hairStyle: 'long',
        eyes: '#2f6b4a',
        lips: '#b55a5a',
        outfit:
          `<path d="M26 256 C30 222 52 202 86 194 L96 232 L60 256 Z M230 256 C226 222 204 202 170 194 L160 232 L196 256 Z" fill="url(#steel)" stroke="#d4a93a" stroke-width="3"/>` +
          `<path d="M102 183 Q128 206 154 183 L148 214 Q128 226 108 214 Z" fill="#6c7a86" stroke="#d4a93a" stroke-width="2.5"/><circle cx="128" cy="236" r="9" fill="#3fd0a0" stroke="#d4a93a" stroke-width="3"/>`,
      }) +
      `<path d="M92 76 Q128 60 164 76" fill="none" stroke="#d4a93a" stroke-width="3"/><circle cx="128" cy="66" r="4" fill="#3fd0a0"/>` +
      `<g filter="url(#glow)">${dots(random, 30, [1.2, 3], '#fff2a8')}</g>`,
  }),

  'pencil-sketch': (random) => ({
    body:
      `<defs><filter id="paper" x="0" y="0" width="1" height="1"><feTurbulence type="fractalNoise" baseFrequency="0.7" numOctaves="3" seed="4"/><feColorMatrix values="0 0 0 0 0.45 0 0 0 0 0.43 0 0 0 0 0.4 0 0 0 -0.9 0.35"/></filter>` +
      `<filter id="graphite"><feTurbulence type="fractalNoise" baseFrequency="0.5" seed="8"/><feDisplacementMap in="SourceGraphic" scale="2.5" xChannelSelector="R" yChannelSelector="G"/></filter>` +
      `<filter id="smudge"><feGaussianBlur stdDeviation="5"/></filter>` +
      `<clipPath id="shade"><path d="${FACE_SHADOW}"/><path d="M150 186 C196 194 230 214 232 256 L150 256 Z"/><path d="${NECK_SHADOW}"/></clipPath><clipPath id="hair"><path d="${HAIR.short}"/></clipPath></defs>` +
      `<rect width="256" height="256" fill="#f4f0e6"/>` +
      `<path d="M40 40 C100 10 200 20 230 80" fill="none" stroke="#9a958c" stroke-width="30" opacity="0.12" filter="url(#smudge)"/>` +
      `<g filter="url(#smudge)" opacity="0.22"><path d="${FACE_SHADOW}" fill="#555"/><path d="${HAIR.short}" fill="#333"/></g>` +
      `<g filter="url(#graphite)" fill="none" stroke="#3b3a38" stroke-linecap="round">` +
      sketchy(random, [HEAD, BODY, HAIR.short, 'M111 166 L111 190 M145 166 L145 190'], 3) +
      `<g clip-path="url(#shade)" stroke-width="0.9" opacity="0.8">${strokes(random, 90, { x: 110, y: 40, w: 140, h: 230 }, -0.9, [14, 24], '')}${strokes(random, 50, { x: 130, y: 60, w: 120, h: 200 }, 0.7, [12, 20], '')}</g>` +
      `<g clip-path="url(#hair)" stroke-width="1" opacity="0.7">${strokes(random, 110, { x: 70, y: 30, w: 116, h: 90 }, 1.2, [14, 26], '')}</g>` +
      `<path d="M100 96 Q111 90 122 95 M134 95 Q145 90 156 96" stroke-width="2.5"/><ellipse cx="111" cy="110" rx="6" ry="5" stroke-width="1.6"/><ellipse cx="145" cy="110" rx="6" ry="5" stroke-width="1.6"/>` +
      `<circle cx="111" cy="110" r="2.6" fill="#3b3a38"/><circle cx="145" cy="110" r="2.6" fill="#3b3a38"/>` +
      `<path d="M128 114 Q123 130 128 133 Q132 134 135 131" stroke-width="1.4"/><path d="M115 146 Q128 153 141 146" stroke-width="1.8"/></g>` +
      `<rect width="256" height="256" filter="url(#paper)"/>`,
  }),

  'pixel-art': () => ({
    body:
      `<rect width="256" height="256" fill="#2b2d5c"/><rect y="176" width="256" height="80" fill="#3d3f7a"/>` +
      `<g fill="#f4d35e"><rect x="24" y="24" width="8" height="8"/><rect x="216" y="48" width="8" height="8"/><rect x="200" y="16" width="8" height="8"/><rect x="40" y="120" width="8" height="8"/></g>` +
      sitter({
        skin: '#f1b48a',
        shade: '#c97b5a',
        hair: '#6b3d1f',
        cloth: '#3fa34d',
        hairStyle: 'short',
        eyes: '#1b1b2f',
        lips: '#b0525a',
        outfit: `<path d="M102 183 L128 226 L154 183 Z" fill="#f4d35e"/>`,
        features: false,
      }) +
      // Features placed on whole 8-pixel cells, as a sprite artist would.
      `<g fill="#1b1b2f"><rect x="104" y="104" width="8" height="16"/><rect x="144" y="104" width="8" height="16"/></g>` +
      `<rect x="120" y="144" width="16" height="8" fill="#b0525a"/><rect x="128" y="128" width="8" height="8" fill="#c97b5a"/>`,
    pixelate: {
      grid: 32,
      palette: [
        '#2b2d5c',
        '#3d3f7a',
        '#f4d35e',
        '#f1b48a',
        '#c97b5a',
        '#6b3d1f',
        '#3fa34d',
        '#1b1b2f',
        '#b0525a',
        '#ffffff',
      ],
      outline: '#1b1b2f',
    },
  }),

  'cartoon-3d': () => ({
    body:
      `<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#ffd3a8"/><stop offset="1" stop-color="#7fc8c4"/></linearGradient>` +
      `<radialGradient id="skin" cx="0.4" cy="0.38" r="0.7"><stop offset="0" stop-color="#ffe0c8"/><stop offset="0.7" stop-color="#f2b28e"/><stop offset="1" stop-color="#d98a68"/></radialGradient>` +
      `<radialGradient id="hair" cx="0.35" cy="0.25" r="0.8"><stop offset="0" stop-color="#b3683a"/><stop offset="1" stop-color="#4a230f"/></radialGradient>` +
      `<radialGradient id="shirt" cx="0.4" cy="0.2" r="0.9"><stop offset="0" stop-color="#ffb347"/><stop offset="1" stop-color="#d8631c"/></radialGradient>` +
      `<radialGradient id="iris" cx="0.45" cy="0.4" r="0.6"><stop offset="0" stop-color="#7ad0ff"/><stop offset="1" stop-color="#1e5d9c"/></radialGradient>` +
      `<filter id="shadow" x="-0.2" y="-0.2" width="1.4" height="1.4"><feGaussianBlur in="SourceAlpha" stdDeviation="6"/><feOffset dx="4" dy="8"/><feComponentTransfer><feFuncA type="linear" slope="0.35"/></feComponentTransfer><feMerge><feMergeNode/><feMergeNode in="SourceGraphic"/></feMerge></filter></defs>` +
      `<rect width="256" height="256" fill="url(#bg)"/><circle cx="128" cy="110" r="96" fill="#fff" opacity="0.25"/>` +
      `<g filter="url(#shadow)">${sitter({ skin: 'url(#skin)', shade: '#e39a7a', hair: 'url(#hair)', cloth: 'url(#shirt)', hairStyle: 'short', eyes: '#1e5d9c', lips: '#c2565e' })}</g>` +
      // Big friendly eyes with glossy highlights over the plain ones.
      `<g><ellipse cx="110" cy="112" rx="12" ry="14" fill="#fff"/><ellipse cx="146" cy="112" rx="12" ry="14" fill="#fff"/>` +
      `<circle cx="111" cy="114" r="8" fill="url(#iris)"/><circle cx="145" cy="114" r="8" fill="url(#iris)"/>` +
      `<circle cx="111" cy="114" r="4" fill="#111"/><circle cx="145" cy="114" r="4" fill="#111"/>` +
      `<circle cx="114" cy="110" r="2.6" fill="#fff"/><circle cx="148" cy="110" r="2.6" fill="#fff"/></g>` +
      `<path d="M116 144 Q128 156 140 144" fill="#8a2c3a" stroke="#8a2c3a" stroke-width="2" stroke-linejoin="round"/>` +
      `<ellipse cx="112" cy="70" rx="14" ry="6" fill="#fff" opacity="0.3" transform="rotate(-20 112 70)"/>`,
  }),

  clay: (random) => ({
    body:
      `<defs><filter id="clay" x="0" y="0" width="1" height="1"><feTurbulence type="fractalNoise" baseFrequency="0.09" numOctaves="2" seed="6" result="n"/>` +
      `<feDisplacementMap in="SourceGraphic" in2="n" scale="3" xChannelSelector="R" yChannelSelector="G" result="shape"/>` +
      `<feGaussianBlur in="SourceAlpha" stdDeviation="3" result="blur"/><feSpecularLighting in="blur" surfaceScale="5" specularConstant="0.6" specularExponent="14" lighting-color="#fff" result="spec"><fePointLight x="60" y="20" z="140"/></feSpecularLighting>` +
      `<feComposite in="spec" in2="SourceAlpha" operator="in" result="shine"/><feComposite in="shape" in2="shine" operator="arithmetic" k2="1" k3="0.3"/></filter>` +
      `<radialGradient id="set" cx="0.5" cy="0.4" r="0.7"><stop offset="0" stop-color="#fbe3c4"/><stop offset="1" stop-color="#d9a77a"/></radialGradient></defs>` +
      `<rect width="256" height="256" fill="url(#set)"/>` +
      `<g fill="#9ccf8a" filter="url(#clay)"><path d="M0 256 L0 196 C30 176 60 186 84 206 L84 256 Z"/><path d="M256 256 L256 180 C226 166 196 180 176 206 L176 256 Z"/></g>` +
      `<g filter="url(#clay)">${sitter({ skin: '#f2b48c', shade: '#e09a72', hair: '#5a3a8a', cloth: '#e8574a', hairStyle: 'bun', eyes: '#2a1d1a', lips: '#c0443e' })}</g>` +
      `<g fill="none" stroke="#c98a64" stroke-width="0.8" opacity="0.6">${fingerprints(random)}</g>` +
      `<g fill="#fff" opacity="0.9"><circle cx="113" cy="108" r="2"/><circle cx="147" cy="108" r="2"/></g>`,
  }),
};

/** Comic-book speed rays from the centre of the head. */
function burst(random: Random, colour: string, rays: number): string {
  let out = '';
  for (let i = 0; i < rays; i++) {
    const a = (i / rays) * 2 * Math.PI;
    const b = a + (Math.PI / rays) * random.range(0.5, 0.9);
    const x1 = 128 + Math.cos(a) * 260;
    const y1 = 110 + Math.sin(a) * 260;
    const x2 = 128 + Math.cos(b) * 260;
    const y2 = 110 + Math.sin(b) * 260;
    out += `<path d="M128 110 L${n(x1)} ${n(y1)} L${n(x2)} ${n(y2)} Z" fill="${colour}"/>`;
  }
  return out;
}

/** A row of night-city towers with lit windows. */
function skyline(random: Random): string {
  let out = '<g>';
  for (let x = -6; x < 256;) {
    const w = random.range(18, 34);
    const top = random.range(40, 150);
    out += `<rect x="${n(x)}" y="${n(top)}" width="${n(w)}" height="${n(256 - top)}" fill="#120c2c"/>`;
    for (let y = top + 6; y < 250; y += 9) {
      for (let wx = x + 4; wx < x + w - 4; wx += 6) {
        if (random.next() < 0.22)
          out += `<rect x="${n(wx)}" y="${n(y)}" width="3" height="4" fill="${random.next() < 0.5 ? '#ff2bd6' : '#19e6ff'}" opacity="0.7"/>`;
      }
    }
    x += w + random.range(1, 5);
  }
  return `${out}</g>`;
}

/** The same outlines drawn a few times, each slightly off: how a pencil finds a line. */
function sketchy(random: Random, paths: readonly string[], passes: number): string {
  let out = '';
  for (const d of paths) {
    for (let i = 0; i < passes; i++) {
      const dx = random.range(-1.8, 1.8);
      const dy = random.range(-1.8, 1.8);
      out += `<path d="${d}" transform="translate(${n(dx)} ${n(dy)})" stroke-width="${n(random.range(0.6, 1.6))}" opacity="${n(random.range(0.45, 0.9))}"/>`;
    }
  }
  return out;
}

/** Concentric arcs pressed into the clay here and there. */
function fingerprints(random: Random): string {
  const spots = [
    [70, 226],
    [184, 236],
    [150, 80],
    [100, 140],
  ] as const;
  let out = '';
  for (const [cx, cy] of spots) {
    const start = random.range(0, Math.PI);
    for (let r = 2; r <= 10; r += 2.5) {
      const x1 = cx + Math.cos(start) * r;
      const y1 = cy + Math.sin(start) * r;
      const x2 = cx + Math.cos(start + 2.4) * r;
      const y2 = cy + Math.sin(start + 2.4) * r;
      out += `<path d="M${n(x1)} ${n(y1)} A${n(r)} ${n(r)} 0 0 1 ${n(x2)} ${n(y2)}"/>`;
    }
  }
  return out;
}

/**
 * Renders the scene on a grid×grid canvas, snaps every cell to the nearest palette colour, rings
 * the figure with a dark outline, then scales it up by whole pixels: a sprite, not a blur.
 */
async function pixelated(body: string, { grid, palette, outline }: Pixelate): Promise<Buffer> {
  // Without anti-aliasing, edges snap to one colour or the other, never a third.
  const { data } = await sharp(
    Buffer.from(svg(`<g shape-rendering="crispEdges">${body}</g>`, grid)),
  )
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const colours = palette.map(rgb);
  const cells = Array.from({ length: grid * grid }, (_, i) =>
    nearest(colours, [data[3 * i]!, data[3 * i + 1]!, data[3 * i + 2]!]),
  );
  const background = new Set([0, 1]);
  const ink = rgb(outline);
  const out = Buffer.alloc(grid * grid * 3);
  for (let i = 0; i < cells.length; i++) {
    const x = i % grid;
    const y = Math.floor(i / grid);
    const edge =
      !background.has(cells[i]!) &&
      [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
      ].some(
        ([nx, ny]) =>
          nx! >= 0 && nx! < grid && ny! >= 0 && background.has(cells[ny! * grid + nx!]!),
      );
    out.set(edge ? ink : colours[cells[i]!]!, 3 * i);
  }
  return sharp(out, { raw: { width: grid, height: grid, channels: 3 } })
    .resize(SIZE, SIZE, { kernel: 'nearest' })
    .webp({ lossless: true, effort: 6 })
    .toBuffer();
}

function rgb(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function nearest(colours: readonly [number, number, number][], [r, g, b]: number[]): number {
  let best = 0;
  let bestDistance = Infinity;
  colours.forEach(([cr, cg, cb], index) => {
    const distance = (cr - r!) ** 2 + (cg - g!) ** 2 + (cb - b!) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [index, distance];
  });
  return best;
}

const SCRIPT = fileURLToPath(import.meta.url);

// Run as a command; imported (by the tests), only renderPreview is wanted.
if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  runCli(main, USAGE);
}
