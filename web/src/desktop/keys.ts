// Key combinations the browser would keep for itself, sent to the desktop as X11 keysyms.
export interface KeyCombo {
  id: string;
  keys: [number, string][];  // [keysym, KeyboardEvent.code], pressed in order and released in reverse
}

const ctrl: [number, string] = [0xffe3, 'ControlLeft'];
const alt: [number, string] = [0xffe9, 'AltLeft'];

export const specialKeys: KeyCombo[] = [
  { id: 'tab', keys: [[0xff09, 'Tab']] },
  { id: 'esc', keys: [[0xff1b, 'Escape']] },
  { id: 'super', keys: [[0xffeb, 'MetaLeft']] },
  { id: 'alt_tab', keys: [alt, [0xff09, 'Tab']] },
  { id: 'ctrl_c', keys: [ctrl, [0x63, 'KeyC']] },
  { id: 'ctrl_v', keys: [ctrl, [0x76, 'KeyV']] },
  { id: 'f11', keys: [[0xffc8, 'F11']] },
];
