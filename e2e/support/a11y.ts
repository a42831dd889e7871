/**
 * What the accessibility and layout specs look at: axe-core in both themes, the focus ring, where
 * the focus is, and controls cut off by the window or by a box around them.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

export const THEMES = ['light', 'dark'] as const;

/** Screenshots of these specs go to test-results (not e2e/screenshots: those are the README's). */
const SHOTS_DIR = fileURLToPath(new URL('../../test-results/screens', import.meta.url));

/** The system's scheme, with motion reduced so colour transitions are over at once. */
export async function useTheme(page: Page, theme: (typeof THEMES)[number]): Promise<void> {
  await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
  // The new colours are computed at the next frames (a timer, should frames not come).
  await page.evaluate(`new Promise((done) => {
    setTimeout(done, 250);
    requestAnimationFrame(() => requestAnimationFrame(done));
  })`);
}

/** axe-core's every rule on the page as it is, in both themes: `screen` names it in the failure. */
export async function expectAxeClean(page: Page, screen: string): Promise<void> {
  for (const theme of THEMES) {
    await useTheme(page, theme);
    const { violations } = await new AxeBuilder({ page }).analyze();
    // Each rule with the elements it failed on, and why for the first of them.
    const found = violations.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')} — ${v.nodes[0]?.failureSummary ?? ''}`,
    );
    expect(found, `axe on ${screen}, ${theme} theme`).toEqual([]);
  }
  await useTheme(page, 'light');
}

/**
 * Starts keeping every text the live region `testId` takes (what a screen reader would say),
 * in the page; `heardSoFar` reads them.
 */
export async function listenTo(page: Page, testId: string): Promise<void> {
  await page.evaluate(`(() => {
    const region = document.querySelector('[data-testid=${testId}]');
    window.__heard = [];
    new MutationObserver(() => {
      const text = region.textContent;
      if (text && window.__heard.at(-1) !== text) window.__heard.push(text);
    }).observe(region, { childList: true, characterData: true, subtree: true });
  })()`);
}

export function heardSoFar(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.__heard');
}

/** What the focused element looks like: tag, name, and whether its ring differs from unfocused. */
export interface FocusLook {
  tag: string;
  name: string;
  /** Computed outline and box-shadow (of a hidden input: of the part drawn for it) differ. */
  ringVisible: boolean;
}

// A string, not a function: these specs compile without the DOM's types.
const LOOK_AT_FOCUS = `(() => {
  const element = document.activeElement;
  if (!element || element === document.body) return { tag: 'body', name: '', ringVisible: false };
  // A visually hidden input (a segmented choice, a switch) draws its ring on the part after it.
  const drawn = [element, element.nextElementSibling].filter(Boolean);
  const look = () =>
    drawn
      .map((part) => {
        const style = getComputedStyle(part);
        const outline =
          style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0
            ? 'none'
            : style.outlineStyle + ' ' + style.outlineWidth + ' ' + style.outlineColor;
        return outline + ' | ' + style.boxShadow;
      })
      .join(' / ');
  const focused = look();
  element.blur();
  const unfocused = look();
  element.focus();
  const name =
    element.getAttribute('aria-label') || (element.textContent || '').trim().slice(0, 60);
  return {
    tag: element.tagName.toLowerCase(),
    name,
    ringVisible: focused !== unfocused && element.matches(':focus-visible'),
  };
})()`;

export function lookAtFocus(page: Page): Promise<FocusLook> {
  return page.evaluate<FocusLook>(LOOK_AT_FOCUS);
}

/**
 * Presses Tab until `target` has the focus (at most `max` times), checking on the way that every
 * control the focus passes shows a ring. Returns the names passed, for a failure's message.
 */
export async function tabTo(page: Page, target: Locator, max = 40): Promise<string[]> {
  const passed: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const look = await lookAtFocus(page);
    passed.push(`${look.tag} "${look.name}"`);
    // Past the last control the focus leaves the page for a moment, then starts at the top.
    if (look.tag === 'body') continue;
    expect(look.ringVisible, `a visible focus ring on ${look.tag} "${look.name}"`).toBe(true);
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) {
      return passed;
    }
  }
  throw new Error(`Tab never reached ${target}; passed ${passed.join(', ')}`);
}

/** One control that the window or a box around it cuts, or that something covers. */
export interface Clipped {
  control: string;
  why: string;
}

const FIND_CLIPPED = `((scopeSelector) => {
  const scope = scopeSelector ? document.querySelector(scopeSelector) : document;
  const controls = [
    ...scope.querySelectorAll(
      'button, input:not([type=hidden]), select, a[href], summary, [role=progressbar], .pill, .step-label',
    ),
  ];
  const problems = [];
  const width = document.documentElement.clientWidth;
  const nameOf = (element) =>
    (element.getAttribute('aria-label') || element.textContent || element.tagName).trim().slice(0, 50);
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push({ control: 'page', why: 'scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width });
  }
  for (const element of controls) {
    if (element.closest('.visually-hidden')) continue;
    const style = getComputedStyle(element);
    // A visually hidden input is drawn by the label around it: that part is checked instead.
    const target = style.opacity === '0' && element.parentElement ? element.parentElement : element;
    const rect = target.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    const name = nameOf(element);
    if (rect.left < -0.5 || rect.right > width + 0.5) {
      problems.push({ control: name, why: 'outside the window: ' + Math.round(rect.left) + '..' + Math.round(rect.right) + ' of ' + width });
      continue;
    }
    // Its own text cut (a button that does not wrap, wider than its box).
    if (element.tagName === 'BUTTON' && element.scrollWidth > element.clientWidth + 1) {
      problems.push({ control: name, why: 'its text overflows: ' + element.scrollWidth + ' > ' + element.clientWidth });
    }
    // A box around it that hides what overflows it and does not scroll.
    for (let box = target.parentElement; box; box = box.parentElement) {
      const boxStyle = getComputedStyle(box);
      const clips = (value) => value === 'hidden' || value === 'clip';
      if (!clips(boxStyle.overflowX) && !clips(boxStyle.overflowY)) continue;
      const outer = box.getBoundingClientRect();
      if (rect.left < outer.left - 0.5 || rect.right > outer.right + 0.5 || rect.top < outer.top - 0.5 || rect.bottom > outer.bottom + 0.5) {
        problems.push({ control: name, why: 'cut by ' + (box.className || box.tagName) });
      }
    }
    // Nothing on top of it: the point at its middle belongs to it (scrolled into view first).
    target.scrollIntoView({ block: 'center', inline: 'nearest' });
    const now = target.getBoundingClientRect();
    const hit = document.elementFromPoint(now.left + now.width / 2, now.top + now.height / 2);
    if (hit && !target.contains(hit) && !hit.contains(target) && hit !== element) {
      problems.push({ control: name, why: 'covered by ' + (hit.className || hit.tagName) });
    }
  }
  window.scrollTo(0, 0);
  for (const scroller of document.querySelectorAll('.content, dialog')) scroller.scrollTop = 0;
  return problems;
})`;

/**
 * Every control on the page (or in `scope`, a CSS selector: an open dialog) lies inside the
 * window, uncut by any box around it and uncovered; it may need scrolling (the page scrolls
 * up and down, never sideways). Saves a screenshot as test-results/screens/<name>.png.
 */
export async function expectNothingClipped(page: Page, name: string, scope?: string) {
  const clipped = await page.evaluate<Clipped[]>(`${FIND_CLIPPED}(${JSON.stringify(scope ?? '')})`);
  await mkdir(SHOTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`) });
  expect(clipped, `controls clipped on ${name}`).toEqual([]);
}

/**
 * From the next load on, lets a spec hold what the page hears from the host (`holdEvents`, or
 * `held` from the start) and let it all through later, in order (`releaseEvents`): a screen
 * mid-run then stays as it is while it is checked, however fast this machine makes avatars. The
 * host's run goes on.
 */
export async function canHoldEvents(page: Page, { held = false } = {}): Promise<void> {
  await page.addInitScript(`(() => {
    const queue = [];
    const gates = new WeakMap();
    window.__events = {
      held: ${held},
      release() {
        this.held = false;
        while (queue.length > 0) queue.shift()();
      },
    };
    const add = EventSource.prototype.addEventListener;
    const remove = EventSource.prototype.removeEventListener;
    EventSource.prototype.addEventListener = function (type, listener, options) {
      const gate = (event) =>
        window.__events.held ? queue.push(() => listener.call(this, event)) : listener.call(this, event);
      gates.set(listener, gate);
      return add.call(this, type, gate, options);
    };
    EventSource.prototype.removeEventListener = function (type, listener, options) {
      return remove.call(this, type, gates.get(listener) ?? listener, options);
    };
  })()`);
}

export async function holdEvents(page: Page): Promise<void> {
  await page.evaluate('window.__events.held = true');
}

export async function releaseEvents(page: Page): Promise<void> {
  await page.evaluate('window.__events.release()');
}
