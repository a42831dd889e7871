import { Menu, type MenuItemConstructorOptions } from 'electron';

/** The platform's native menus from Electron's standard roles (macOS adds the app menu). */
export function applicationMenu(platform: NodeJS.Platform = process.platform): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}
