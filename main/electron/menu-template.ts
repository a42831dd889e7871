import type { MenuItemConstructorOptions } from 'electron';

/**
 * The platform's native menus from Electron's standard roles (macOS adds the app menu). A packaged
 * app offers no developer tools and no reload: the DevTools would hand anyone at the keyboard a
 * console inside the privileged page, and a reload mid-run only confuses.
 */
export function menuTemplate(
  platform: NodeJS.Platform,
  packaged: boolean,
): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    ...(packaged
      ? []
      : [
          { role: 'reload' as const },
          { role: 'toggleDevTools' as const },
          { type: 'separator' as const },
        ]),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ];
}
