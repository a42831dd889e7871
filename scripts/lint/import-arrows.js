/**
 * Where each module runs, and what it may import from there: the arrows of the tree, enforced by
 * ESLint (`import-arrows/runtime`). A module's runtime is the first RUNTIMES entry whose pattern
 * matches its path from the repository root. An import is checked by what it names: a relative
 * module (by the runtime it resolves to), a `node:` builtin, or a package.
 *
 * Why each arrow: the page and the code it shares with the hosts are bundled for Chromium, where
 * Node does not exist; the preload is sandboxed and may require only 'electron'; the core engine
 * must run under the CLI, the loopback host and Electron alike, so it knows none of them; and no
 * product module leans on test support, which ships nowhere.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const ANY_PACKAGE = /^(?!electron$|react$|react-dom$)/;

/** Its types, and what each field means: import-arrows.d.ts. */
const RUNTIMES = [
  {
    name: 'test',
    where: 'unit tests, e2e and what only they use',
    match: [/\.test\.tsx?$/, /^main\/testing\//, /^e2e\//],
    imports: ['test', 'dev', 'core', 'shared', 'page', 'host', 'cli', 'electron', 'renderer'],
    node: true,
    packages: /./,
  },
  {
    name: 'dev',
    where: 'developer tools: build, benchmark, fixtures, calibration',
    match: [/^scripts\//, /^renderer\/vite\.config\.ts$/, /^[^/]+$/],
    imports: ['dev', 'test', 'core', 'shared', 'page', 'host', 'cli', 'electron'],
    node: true,
    packages: /./,
  },
  {
    name: 'renderer',
    where: 'the React page, in Chromium',
    match: [/^renderer\//],
    imports: ['renderer', 'shared'],
    node: false,
    packages: /^(react|react-dom)(\/|$)/,
  },
  {
    name: 'shared',
    where:
      'shared by the page and the hosts: the api, its bridge and limits, the routes both speak',
    match: [/^main\/api\//],
    imports: ['shared'],
    node: false,
    packages: /^zod$/,
  },
  {
    name: 'page',
    where: "the loopback host's shim: the api over HTTP, in the page",
    match: [/^main\/page\//],
    imports: ['page', 'shared'],
    node: false,
    packages: /^$/,
  },
  {
    name: 'preload',
    where: "Electron's sandboxed preload",
    match: [/^main\/preload\//],
    imports: ['page', 'shared'],
    node: false,
    packages: /^electron$/,
  },
  {
    name: 'electron',
    where: "Electron's main process",
    match: [/^main\/electron\//],
    imports: ['electron', 'host', 'core', 'shared'],
    node: true,
    packages: /^(?!react$|react-dom$)/,
  },
  {
    name: 'host',
    where: 'the loopback host, in Node',
    match: [/^main\/host\//],
    // The host's own command line reads its flags as every CLI does.
    imports: ['host', 'cli', 'core', 'shared', 'page'],
    node: true,
    packages: ANY_PACKAGE,
  },
  {
    name: 'cli',
    where: 'the command line, in Node',
    match: [/^main\/cli\//],
    imports: ['cli', 'core', 'shared'],
    node: true,
    packages: ANY_PACKAGE,
  },
  {
    name: 'core',
    where: 'intake, jobs, engine, moderation and store, in plain Node',
    match: [/^main\//],
    imports: ['core', 'shared'],
    node: true,
    packages: ANY_PACKAGE,
  },
];

/** The runtime of a file, by its path from the repository root; undefined outside the tree. */
export function runtimeOf(relative) {
  return RUNTIMES.find((runtime) => runtime.match.some((pattern) => pattern.test(relative)));
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** @type {import('eslint').Rule.RuleModule} */
const runtimeRule = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Imports follow the arrows between runtimes (scripts/lint/import-arrows.js)',
    },
    messages: {
      module: '{{from}} ({{fromWhere}}) may not import {{target}}, which is {{to}} ({{toWhere}}).',
      node: '{{from}} ({{fromWhere}}) may not import Node builtin "{{target}}": it runs where Node does not.',
      package: '{{from}} ({{fromWhere}}) may not import package "{{target}}".',
    },
    schema: [],
  },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join('/');
    const from = runtimeOf(file);
    if (!from || file.startsWith('..')) return {};
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      const data = { from: from.name, fromWhere: from.where, target: specifier };
      if (specifier.startsWith('.')) {
        const target = path
          .relative(ROOT, path.resolve(path.dirname(context.filename), specifier))
          .split(path.sep)
          .join('/');
        const to = runtimeOf(target);
        if (to && !from.imports.includes(to.name))
          context.report({
            node,
            messageId: 'module',
            data: { ...data, target, to: to.name, toWhere: to.where },
          });
      } else if (specifier.startsWith('node:') || builtinModules.includes(packageName(specifier))) {
        if (!from.node) context.report({ node, messageId: 'node', data });
      } else if (!from.packages.test(packageName(specifier))) {
        context.report({
          node,
          messageId: 'package',
          data: { ...data, target: packageName(specifier) },
        });
      }
    };
    const fromSource = (node) => check(node.source ?? node, node.source?.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: (node) => node.source && fromSource(node),
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) =>
        node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

export default { rules: { runtime: runtimeRule } };
