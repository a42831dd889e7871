import { Menu, app } from 'electron';
import { menuTemplate } from './menu-template.ts';

export function applicationMenu(platform: NodeJS.Platform = process.platform): Menu {
  return Menu.buildFromTemplate(menuTemplate(platform, app.isPackaged));
}
